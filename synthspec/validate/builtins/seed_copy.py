"""`seed_copy`: records that copy a seed instead of being new examples.

A record is a copy when its normalised text equals a seed's, when it is a
near duplicate of one (MinHash, Jaccard >= `near_threshold`), or when it shares
a run of `ngram` words with one.  The seeds' rate against each other is not
relevant here: copying is always the model echoing its prompt.
"""

from __future__ import annotations

from synthspec.validate.api import Finding, Params, ValidatorContext
from synthspec.validate.reference import ReferenceMatchValidator, RefMatch
from synthspec.validate.text import seed_values, text_fields, text_of


class SeedCopyParams(Params):
    near_threshold: float = 0.8
    ngram: int = 8
    fields: list[str] | None = None


class SeedCopyValidator(ReferenceMatchValidator):
    name = "seed_copy"
    Params = SeedCopyParams
    description = "records that copy a seed: exact, near duplicate (MinHash) or a shared long word n-gram"
    RATE_METRIC = "copy_rate"
    NO_REFERENCE = "no seeds: nothing to copy from"

    def load_reference(self, ctx: ValidatorContext) -> list[str] | None:
        if not ctx.seeds:
            return None
        self._seed_ids = [s.id for s in ctx.seeds]
        self._ngram = ctx.params.ngram
        fields = text_fields(ctx.spec, ctx.params.fields)
        return [text_of(v, fields) for v in seed_values(ctx.seeds)]

    def describe(self, m: RefMatch, index: int, rid: str | None) -> Finding:
        what = {
            "exact": "an exact copy",
            "near": f"a near copy (Jaccard ~{m.similarity:.2f})",
            "ngram": f"shares {self._ngram} words ({m.overlap!r})",
        }[m.how]
        return self.finding("error", f"{what} of seed {self._seed_ids[m.ref]}", record_index=index, record_id=rid,
                            value=m.how, code=m.how)
