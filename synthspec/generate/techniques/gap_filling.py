"""Gap filling: spend the record budget on the labels the seeds cover least.

A `from seeds` category reproduces the seeds' imbalance; gap filling instead
chooses how many new records each label gets so that seeds + new records are
as close as the budget allows to the target (uniform over every label, or
uniform over a declared list of labels to fill).  The allocation is a
water-filling: raise a common level h and give label k `max(0, h - seeds_k)`
records until the budget is spent, then round by largest remainder.  The
population stability index (PSI) against the target, before and after, is put
in `report` so the build can show the gap closing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from synthspec.generate.techniques.base import Technique, stable_rng, technique_error
from synthspec.lower.plan import RecordPlan

PSI_EPSILON = 1e-4


def psi(actual: Mapping[str, float], expected: Mapping[str, float]) -> float:
    """Population stability index Σ (a−e)·ln(a/e) over the union of labels (proportions smoothed by ε)."""
    labels = sorted(set(actual) | set(expected))
    a_total = sum(actual.values()) or 1.0
    e_total = sum(expected.values()) or 1.0
    value = 0.0
    for label in labels:
        a = max(actual.get(label, 0.0) / a_total, PSI_EPSILON)
        e = max(expected.get(label, 0.0) / e_total, PSI_EPSILON)
        value += (a - e) * math.log(a / e)
    return value


def allocate(counts: Mapping[str, int], budget: int, eligible: Sequence[str]) -> dict[str, int]:
    """New records per eligible label so that counts + allocation is as level as possible.

    Water-filling: the level h solves Σ max(0, h − counts_k) = budget over the
    eligible labels; fractional shares are rounded by largest remainder (ties:
    the label with fewer seeds first, then by name) so the total is exact.
    """
    labels = list(dict.fromkeys(eligible))
    if budget <= 0 or not labels:
        return {label: 0 for label in labels}
    ordered = sorted(counts.get(k, 0) for k in labels)
    level = 0.0
    for i in range(1, len(ordered) + 1):
        level = (budget + sum(ordered[:i])) / i  # fill the i emptiest labels to a common level
        if i == len(ordered) or level <= ordered[i]:
            break
    shares = {k: max(0.0, level - counts.get(k, 0)) for k in labels}
    result = {k: int(math.floor(v + 1e-9)) for k, v in shares.items()}
    short = budget - sum(result.values())
    by_remainder = sorted(labels, key=lambda k: (-(shares[k] - result[k]), counts.get(k, 0), k))
    for label in by_remainder[:short]:
        result[label] += 1
    return result


class GapFilling(Technique):
    """Reallocates the category field's values toward the target distribution."""

    name = "gap_filling"

    def __init__(self, spec, seeds=()) -> None:
        super().__init__(spec, seeds)
        categories = [f for f in spec.fields if f.kind == "category"]
        field_name = self._param("field", categories[0].name if len(categories) == 1 else None)
        if field_name is None:
            raise technique_error(spec, "gap_filling needs to know which category to balance",
                                  'add `field = "NAME"` to `technique gap_filling(...)`')
        try:
            field = spec.field(field_name)
        except KeyError:
            raise technique_error(spec, f"gap_filling: no field `{field_name}`") from None
        if field.kind != "category":
            raise technique_error(spec, f"gap_filling balances a category field; `{field_name}` is {field.kind}")
        self.field = field_name
        seen = [str(s.values.get(field_name)) for s in self.seeds if s.values.get(field_name) not in (None, "")]
        self.labels = list(field.values) or list(dict.fromkeys(seen))
        if not self.labels:
            raise technique_error(spec, f"gap_filling: no labels for `{field_name}` (none declared, none in the seeds)")
        domain = set(self.labels)
        self.counts = Counter(label for label in seen if label in domain)
        target = self._param("target")
        if target == "uniform":
            self.eligible = list(self.labels)
        elif isinstance(target, list) and target:
            unknown = [t for t in target if str(t) not in domain]
            if unknown:
                raise technique_error(spec, f"gap_filling target names unknown labels: {', '.join(map(str, unknown))}",
                                      f"labels of `{field_name}`: {', '.join(self.labels[:12])}")
            self.eligible = [str(t) for t in target]
        else:
            raise technique_error(spec, f"gap_filling target must be \"uniform\" or a list of labels, not {target!r}")

    def target_distribution(self) -> dict[str, float]:
        """Uniform over every label: what 'no gaps' means (a label list only limits who gets records)."""
        return {label: 1.0 / len(self.labels) for label in self.labels}

    def plan(self, plans: list[RecordPlan]) -> list[RecordPlan]:
        added = allocate(self.counts, len(plans), self.eligible)
        draw = [label for label in self.labels for _ in range(added.get(label, 0))]
        stable_rng(self.spec, "gap_filling", "order").shuffle(draw)
        shots = int(self._param("shots"))
        by_label: dict[str, list[str]] = {}
        for s in self.seeds:
            by_label.setdefault(str(s.values.get(self.field)), []).append(s.id)
        out = []
        for plan, label in zip(sorted(plans, key=lambda p: p.index), draw, strict=True):
            sampled = {**plan.sampled, self.field: label}
            seed_ids = plan.seed_ids
            pool = by_label.get(label, [])
            if shots and pool:
                rng = stable_rng(self.spec, "gap_filling", "shots", plan.index)
                seed_ids = tuple(rng.sample(pool, min(shots, len(pool))))
            out.append(replace(plan, sampled=sampled, seed_ids=seed_ids))
        after = Counter(self.counts)
        after.update(added)
        target = self.target_distribution()
        self.report = {
            "field": self.field,
            "target": self._param("target"),
            "seed_counts": dict(self.counts),
            "added": {k: v for k, v in added.items() if v},
            "psi_before": round(psi(dict(self.counts), target), 4),
            "psi_after": round(psi(dict(after), target), 4),
        }
        return out

    def summary(self) -> dict[str, Any]:
        return dict(self.report)
