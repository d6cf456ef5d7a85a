"""`combinations`: pairs of category values that never occur together in the seeds.

A generator conditioned on independently drawn labels happily writes
"a positive review with rating 1"; the seeds show which pairs exist.  Each
unseen pair is one warning with its count (gap-filling techniques create
such pairs on purpose, so the default policy only flags).  Records in an
unseen pair get per-record warnings too, so a report can list them.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations as pairs_of

from synthspec.validate.api import Params, Scope, Validator, ValidatorContext, ValidatorResult, record_id
from synthspec.validate.text import category_fields, seed_values


class CombinationsParams(Params):
    fields: list[str] | None = None
    error: bool = False


class CombinationsValidator(Validator):
    name = "combinations"
    Params = CombinationsParams
    scope = Scope.DATASET
    default_policy = "flag"
    description = "pairs of category values never seen together in the seeds"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        p: CombinationsParams = ctx.params
        res = ValidatorResult()
        seeds = seed_values(ctx.seeds)
        fields = p.fields or category_fields(ctx.spec)
        if not seeds:
            res.notes.append("no seeds: no known combinations to compare with")
            return res
        severity = "error" if p.error else "warning"
        unseen_total = 0
        for a, b in pairs_of(fields, 2):
            seen = {
                (str(s.get(a)), str(s.get(b))) for s in seeds if s.get(a) is not None and s.get(b) is not None
            }
            if not seen:
                continue
            counts: Counter[tuple[str, str]] = Counter()
            for i, r in enumerate(ctx.records):
                pair = (str(r.get(a)), str(r.get(b)))
                if pair not in seen:
                    counts[pair] += 1
                    res.findings.append(
                        self.finding(
                            severity,
                            f"{a}={pair[0]} with {b}={pair[1]} never occurs in the seeds",
                            record_index=i,
                            record_id=record_id(r),
                            field=f"{a},{b}",
                            code="unseen_pair",
                        )
                    )
            unseen_total += len(counts)
            for (x, y), n in counts.most_common():
                res.notes.append(f"{a}={x} × {b}={y}: {n} record(s), never in the seeds")
        res.metrics["unseen_pairs"] = unseen_total
        return res
