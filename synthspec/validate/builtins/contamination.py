"""`contamination`: records that match an evaluation set (exact or near), which would inflate scores.

`eval_file` is a JSONL/CSV/TSV path (relative paths are relative to the spec
file); `eval_column` names its text column (default: the spec's first text
field's name, else `text`).  Without `eval_file` the validator has nothing to
do and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import AliasChoices, Field

from synthspec.datafiles import read_table
from synthspec.validate.api import (
    Finding,
    Params,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
    record_id,
)
from synthspec.validate.findings import gather
from synthspec.validate.reference import ReferenceIndex, RefMatch, match_reference
from synthspec.validate.text import text_fields, text_of


class ContaminationParams(Params):
    # `against` and `threshold` read better in a spec: `contamination(against = "test.jsonl", threshold = 0.8)`
    eval_file: str | None = Field(default=None, validation_alias=AliasChoices("eval_file", "against"))
    eval_column: str | None = None
    near_threshold: float = Field(default=0.8, validation_alias=AliasChoices("near_threshold", "threshold"))
    ngram: int = 13
    fields: list[str] | None = None


class ContaminationValidator(Validator):
    name = "contamination"
    Params = ContaminationParams
    scope = Scope.DATASET
    default_policy = "drop"
    description = "records found in a given evaluation file (exact, near duplicate, or a shared 13-gram)"

    def _reference(self, ctx: ValidatorContext) -> tuple[Path, list[str], list[str]]:
        p: ContaminationParams = ctx.params
        path = Path(p.eval_file)
        if not path.is_absolute():
            path = Path(ctx.spec.source_file).resolve().parent / path
        fields = text_fields(ctx.spec, p.fields)
        rows = read_table(path)
        column = p.eval_column or (fields[0] if fields else "text")
        if rows and column not in rows[0]:
            column = "text" if "text" in rows[0] else column
        return path, fields, [str(r.get(column) or "") for r in rows]

    def _found(self, m: RefMatch, index: int, rid: str | None, path: Path) -> Finding:
        return self.finding("error", f"found in the eval set ({m.how}, row {m.ref + 1} of {path.name})",
                            record_index=index, record_id=rid, value=m.how, code=m.how)

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        p: ContaminationParams = ctx.params
        res = ValidatorResult()
        if not p.eval_file:
            res.notes.append("no eval_file given: nothing to compare against")
            return res
        path, fields, reference = self._reference(ctx)
        texts = [text_of(r, fields) for r in ctx.records]
        matches = match_reference(texts, reference, p.near_threshold, p.ngram)
        for i, m in sorted(matches.items()):
            res.findings.append(self._found(m, i, record_id(ctx.records[i]), path))
        res.metrics["eval_rows"] = len(reference)
        res.metrics["contamination_rate"] = round(len(matches) / max(1, len(texts)), 4)
        return res

    # two-phase: the eval set is read and indexed once per worker ------------------------------------------
    def prepare(self, ctx: ValidatorContext) -> None:
        self._index = None
        if ctx.params.eval_file and not ctx.records:
            self._path, self._fields, reference = self._reference(ctx)
            self._rows = len(reference)
            self._index = ReferenceIndex(reference, ctx.params.near_threshold, ctx.params.ngram)

    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> tuple[int, Sequence[Finding]]:
        if self._index is None:
            return len(batch), []
        f = batch.features
        matches = self._index.match(f.texts(self._fields), f.normalized(self._fields), f.minhash(self._fields))
        return len(batch), [
            self._found(m, batch.start + i, record_id(batch.records[i]), self._path) for i, m in sorted(matches.items())
        ]

    def merge(self, states: Sequence[tuple[int, Sequence[Finding]]], ctx: ValidatorContext) -> tuple[int, Sequence[Finding]]:
        return sum(s[0] for s in states), gather(s[1] for s in states)  # one per copied record: may spill

    def finish(self, state: tuple[int, Sequence[Finding]], ctx: ValidatorContext) -> ValidatorResult:
        res = ValidatorResult()
        if self._index is None:
            res.notes.append("no eval_file given: nothing to compare against")
            return res
        n, found = state
        res.findings = gather([found])
        res.metrics["eval_rows"] = self._rows
        res.metrics["contamination_rate"] = round(len(found) / max(1, n), 4)
        return res
