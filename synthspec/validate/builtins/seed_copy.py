"""`seed_copy`: records that copy a seed instead of being new examples.

A record is a copy when its normalised text equals a seed's, when it is a
near duplicate of one (MinHash, Jaccard >= `near_threshold`), or when it shares
a run of `ngram` words with one.  The seeds' rate against each other is not
relevant here: copying is always the model echoing its prompt.
"""

from __future__ import annotations

from synthspec.validate.api import Params, Scope, Validator, ValidatorContext, ValidatorResult, record_id
from synthspec.validate.reference import match_reference
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
            what = {
                "exact": "an exact copy",
                "near": f"a near copy (Jaccard ~{m.similarity:.2f})",
                "ngram": f"shares {p.ngram} words ({m.overlap!r})",
            }[m.how]
            res.findings.append(
                self.finding(
                    "error",
                    f"{what} of seed {seed_ids[m.ref]}",
                    record_index=i,
                    record_id=record_id(ctx.records[i]),
                    value=m.how,
                    code=m.how,
                )
            )
        res.metrics["copy_rate"] = round(len(matches) / max(1, len(texts)), 4)
        return res
