"""`contamination`: records that match an evaluation set (exact or near), which would inflate scores.

`eval_file` is a JSONL/CSV/TSV path (relative paths are relative to the spec
file); `eval_column` names its text column (default: the spec's first text
field's name, else `text`).  Without `eval_file` the validator has nothing to
do and says so.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field

from synthspec.datafiles import read_table
from synthspec.validate.api import Finding, Params, ValidatorContext
from synthspec.validate.reference import ReferenceMatchValidator, RefMatch
from synthspec.validate.text import text_fields


class ContaminationParams(Params):
    # `against` and `threshold` read better in a spec: `contamination(against = "test.jsonl", threshold = 0.8)`
    eval_file: str | None = Field(default=None, validation_alias=AliasChoices("eval_file", "against"))
    eval_column: str | None = None
    near_threshold: float = Field(default=0.8, validation_alias=AliasChoices("near_threshold", "threshold"))
    ngram: int = 13
    fields: list[str] | None = None


class ContaminationValidator(ReferenceMatchValidator):
    name = "contamination"
    Params = ContaminationParams
    description = "records found in a given evaluation file (exact, near duplicate, or a shared 13-gram)"
    RATE_METRIC = "contamination_rate"
    NO_REFERENCE = "no eval_file given: nothing to compare against"

    def load_reference(self, ctx: ValidatorContext) -> list[str] | None:
        p: ContaminationParams = ctx.params
        if not p.eval_file:
            return None
        path = Path(p.eval_file)
        if not path.is_absolute():
            path = Path(ctx.spec.source_file).resolve().parent / path
        fields = text_fields(ctx.spec, p.fields)
        rows = read_table(path)
        column = p.eval_column or (fields[0] if fields else "text")
        if rows and column not in rows[0]:
            column = "text" if "text" in rows[0] else column
        self._path, self._rows = path, len(rows)
        return [str(r.get(column) or "") for r in rows]

    def describe(self, m: RefMatch, index: int, rid: str | None) -> Finding:
        return self.finding("error", f"found in the eval set ({m.how}, row {m.ref + 1} of {self._path.name})",
                            record_index=index, record_id=rid, value=m.how, code=m.how)

    def reference_metrics(self) -> dict[str, int]:
        return {"eval_rows": self._rows}
