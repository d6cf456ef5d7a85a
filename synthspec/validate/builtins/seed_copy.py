"""`seed_copy`: records that copy a seed instead of being new examples.

A record is a copy when its normalised text equals a seed's, when it is a
near duplicate of one (MinHash, Jaccard >= `near_threshold`), or when it shares
a run of `ngram` words with one.  The seeds' rate against each other is not
relevant here: copying is always the model echoing its prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from synthspec.validate.text import seed_values, text_fields, text_of


class SeedCopyParams(Params):
    near_threshold: float = 0.8
    ngram: int = 8
    fields: list[str] | None = None


class SeedCopyValidator(Validator):
    name = "seed_copy"
    Params = SeedCopyParams
    scope = Scope.DATASET
    default_policy = "drop"
    description = "records that copy a seed: exact, near duplicate (MinHash) or a shared long word n-gram"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        p: SeedCopyParams = ctx.params
        res = ValidatorResult()
        if not ctx.seeds:
            res.notes.append("no seeds: nothing to copy from")
            return res
        fields = text_fields(ctx.spec, p.fields)
        texts = [text_of(r, fields) for r in ctx.records]
        seed_ids = [s.id for s in ctx.seeds]
        reference = [text_of(v, fields) for v in seed_values(ctx.seeds)]
        matches = match_reference(texts, reference, p.near_threshold, p.ngram)
        for i, m in sorted(matches.items()):
            res.findings.append(self._copy(m, i, record_id(ctx.records[i]), seed_ids, p))
        res.metrics["copy_rate"] = round(len(matches) / max(1, len(texts)), 4)
        return res

    def _copy(self, m: RefMatch, index: int, rid: str | None, seed_ids: list[str], p: SeedCopyParams) -> Finding:
        what = {
            "exact": "an exact copy",
            "near": f"a near copy (Jaccard ~{m.similarity:.2f})",
            "ngram": f"shares {p.ngram} words ({m.overlap!r})",
        }[m.how]
        return self.finding("error", f"{what} of seed {seed_ids[m.ref]}", record_index=index, record_id=rid,
                            value=m.how, code=m.how)

    # two-phase: the seeds are indexed once per worker; each batch is matched with the shared features ----------
    def prepare(self, ctx: ValidatorContext) -> None:
        p: SeedCopyParams = ctx.params
        self._fields = text_fields(ctx.spec, p.fields)
        self._seed_ids = [s.id for s in ctx.seeds]
        self._index = None
        if ctx.seeds and not ctx.records:  # a two-phase run (check_dataset builds its own index)
            reference = [text_of(v, self._fields) for v in seed_values(ctx.seeds)]
            self._index = ReferenceIndex(reference, p.near_threshold, p.ngram)

    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> tuple[int, Sequence[Finding]]:
        if self._index is None:
            return len(batch), []
        f = batch.features
        matches = self._index.match(f.texts(self._fields), f.normalized(self._fields), f.minhash(self._fields))
        found = [
            self._copy(m, batch.start + i, record_id(batch.records[i]), self._seed_ids, ctx.params)
            for i, m in sorted(matches.items())
        ]
        return len(batch), found

    def merge(self, states: Sequence[tuple[int, Sequence[Finding]]], ctx: ValidatorContext) -> tuple[int, Sequence[Finding]]:
        return sum(s[0] for s in states), gather(s[1] for s in states)  # one per copied record: may spill

    def finish(self, state: tuple[int, Sequence[Finding]], ctx: ValidatorContext) -> ValidatorResult:
        res = ValidatorResult()
        if not ctx.seeds:
            res.notes.append("no seeds: nothing to copy from")
            return res
        n, found = state
        res.findings = gather([found])
        res.metrics["copy_rate"] = round(len(found) / max(1, n), 4)
        return res
