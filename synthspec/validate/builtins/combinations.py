"""`combinations`: pairs of category values that never occur together in the seeds.

A generator conditioned on independently drawn labels happily writes
"a positive review with rating 1"; the seeds show which pairs exist.  Each
unseen pair is one warning with its count (gap-filling techniques create
such pairs on purpose, so the default policy only flags).  Records in an
unseen pair get per-record warnings too, so a report can list them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations as pairs_of

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
        self.prepare(ctx)
        return self.finish(self.partial(RecordBatch(0, list(ctx.records)), ctx), ctx)

    def prepare(self, ctx: ValidatorContext) -> None:
        p: CombinationsParams = ctx.params
        seeds = seed_values(ctx.seeds)
        fields = p.fields or category_fields(ctx.spec)
        self._seen: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for a, b in pairs_of(fields, 2):
            seen = {
                (str(s.get(a)), str(s.get(b))) for s in seeds if s.get(a) is not None and s.get(b) is not None
            }
            if seen:
                self._seen[(a, b)] = seen

    # two-phase: per field pair, the findings and the counts of unseen pairs (first-seen order) ----------------
    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> dict:
        severity = "error" if ctx.params.error else "warning"
        state: dict[tuple[str, str], tuple[list[Finding], Counter[tuple[str, str]]]] = {}
        for (a, b), seen in self._seen.items():
            found: list[Finding] = []
            counts: Counter[tuple[str, str]] = Counter()
            for i, r in batch.indexed():
                pair = (str(r.get(a)), str(r.get(b)))
                if pair not in seen:
                    counts[pair] += 1
                    found.append(
                        self.finding(
                            severity,
                            f"{a}={pair[0]} with {b}={pair[1]} never occurs in the seeds",
                            record_index=i,
                            record_id=record_id(r),
                            field=f"{a},{b}",
                            code="unseen_pair",
                        )
                    )
            state[(a, b)] = (found, counts)
        return state

    def merge(self, states: Sequence[dict], ctx: ValidatorContext) -> dict:
        out: dict = {}
        for state in states:
            for key, (found, counts) in state.items():
                f_out, c_out = out.setdefault(key, ([], Counter()))
                f_out.extend(found)
                c_out.update(counts)
        return out

    def finish(self, state: dict, ctx: ValidatorContext) -> ValidatorResult:
        res = ValidatorResult()
        if not ctx.seeds:
            res.notes.append("no seeds: no known combinations to compare with")
            return res
        unseen_total = 0
        for (a, b), (found, counts) in state.items():
            res.findings.extend(found)
            unseen_total += len(counts)
            for (x, y), n in counts.most_common():
                res.notes.append(f"{a}={x} × {b}={y}: {n} record(s), never in the seeds")
        res.metrics["unseen_pairs"] = unseen_total
        return res
