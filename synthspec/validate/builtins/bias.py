"""`bias`: skewed sensitive attributes and attributes that predict labels.

Attributes are category/boolean fields named in `attributes`, plus attributes
read from the text through the shipped sensitive-terms lexicon (e.g. gender:
male/female/none from gendered words).  For each attribute: skew = total
variation distance from uniform (or from the seeds' shares).  For each
attribute × label pair: bias-corrected Cramér's V with the chi-square p-value;
V >= `max_cramers_v` (and p < `alpha`) is an error, V >= half of it a warning.
The seeds' V is reported beside, because a real association is inherited,
not invented.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from synthspec.validate.api import (
    Histogram,
    Params,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
)
from synthspec.validate.stats import cramers_v, cramers_v_counts
from synthspec.validate.text import category_fields, seed_values, text_fields, text_of, words
from synthspec.validate.wordlists import load_list


class BiasParams(Params):
    attributes: list[str] = []
    labels: list[str] | None = None
    lexicon: bool = True
    max_cramers_v: float = 0.3
    max_skew: float = 0.6
    alpha: float = 0.01
    min_records: int = 30


def lexicon_attributes() -> dict[str, dict[str, str]]:
    """attribute -> {term: value} from wordlists/sensitive.txt."""
    table: dict[str, dict[str, str]] = {}
    for line in load_list("sensitive"):
        attribute, value, term = line.split("\t")
        table.setdefault(attribute, {})[term] = value
    return table


def text_attribute(text: str, terms: dict[str, str]) -> str:
    """The attribute value the text's words point to: one value, 'mixed', or 'none'."""
    found = {terms[w] for w in words(text) if w in terms}
    if not found:
        return "none"
    return found.pop() if len(found) == 1 else "mixed"


def skew(values: Sequence[str], reference: Sequence[str] | None = None) -> float:
    """Total variation distance of the value shares from the reference shares.

    Without a reference the distance is from uniform, divided by its maximum
    (1 - 1/k) so that 0 is balanced and 1 is "one value only" for any k.
    """
    counts = Counter(values)
    n = sum(counts.values())
    if not n:
        return 0.0
    if reference:
        ref = Counter(reference)
        m = sum(ref.values())
        levels = set(counts) | set(ref)
        return 0.5 * sum(abs(counts[v] / n - ref[v] / m) for v in levels)
    k = len(counts)
    if k < 2:
        return 0.0
    return 0.5 * sum(abs(c / n - 1 / k) for c in counts.values()) / (1 - 1 / k)


class BiasValidator(Validator):
    name = "bias"
    Params = BiasParams
    scope = Scope.DATASET
    default_policy = "flag"
    description = "skew of sensitive attributes and their association with labels (Cramér's V / chi-square)"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        return self.finish(self.partial(RecordBatch(0, list(ctx.records)), ctx), ctx)

    def _labels(self, ctx: ValidatorContext) -> list[str]:
        p: BiasParams = ctx.params
        return p.labels if p.labels is not None else [c for c in category_fields(ctx.spec) if c not in p.attributes]

    def _columns(self, rows: Sequence[dict[str, Any]], ctx: ValidatorContext) -> dict[str, list[str]]:
        p: BiasParams = ctx.params
        fields = text_fields(ctx.spec)
        cols = {a: [str(r.get(a)) for r in rows] for a in p.attributes}
        if p.lexicon and fields:
            texts = [text_of(r, fields) for r in rows]
            for attribute, terms in lexicon_attributes().items():
                cols[f"text:{attribute}"] = [text_attribute(t, terms) for t in texts]
        return cols

    # two-phase: counts of attribute values and of (attribute, label) pairs -----------------------------------
    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> dict[str, Any]:
        p: BiasParams = ctx.params
        labels = self._labels(ctx)
        cols = self._columns(batch.records, ctx)
        values: dict[str, Counter[str]] = {a: Counter(v) for a, v in cols.items()}
        pairs: dict[tuple[str, str], Counter[tuple[str, str]]] = {}
        for attribute, xs in cols.items():
            declared = attribute in p.attributes
            for label in labels:
                ys = [str(r.get(label)) for r in batch.records]
                pairs[(attribute, label)] = Counter(
                    (x, y) for x, y in zip(xs, ys, strict=True) if declared or x not in ("none", "mixed")
                )
        return {"n": len(batch), "values": values, "pairs": pairs}

    def merge(self, states: Sequence[dict[str, Any]], ctx: ValidatorContext) -> dict[str, Any]:
        out: dict[str, Any] = {"n": 0, "values": {}, "pairs": {}}
        for state in states:
            out["n"] += state["n"]
            for key in ("values", "pairs"):
                for name, counts in state[key].items():
                    out[key].setdefault(name, Counter()).update(counts)
        return out

    def finish(self, state: dict[str, Any], ctx: ValidatorContext) -> ValidatorResult:
        p: BiasParams = ctx.params
        res = ValidatorResult()
        labels = self._labels(ctx)
        seeds = seed_values(ctx.seeds)
        seed_cols = self._columns(seeds, ctx) if seeds else {}
        if state["n"] < p.min_records:
            res.notes.append(f"only {state['n']} records: associations are not tested below {p.min_records}")
            return res
        for attribute, shares in state["values"].items():
            declared = attribute in p.attributes
            levels = sorted(shares)
            res.histograms.append(
                Histogram(
                    f"{attribute}: records per value",
                    tuple(levels),
                    {"synthetic": tuple(float(shares[v]) for v in levels)},
                )
            )
            if declared:
                sk = skew(shares, seed_cols.get(attribute))
                self.check_limit(res, f"{attribute}.skew", sk, p.max_skew,
                                 f"{attribute} is skewed (total variation {sk:.2f})", field=attribute, code="skew")
            for label in labels:
                pairs = state["pairs"].get((attribute, label), Counter())
                if not declared and sum(pairs.values()) < p.min_records:
                    continue  # text attributes: only records that mention the attribute at all
                v, pvalue = cramers_v_counts(pairs)
                key = f"{attribute}~{label}"
                res.metrics[f"{key}.cramers_v"] = round(v, 4)
                res.metrics[f"{key}.p"] = round(pvalue, 6)
                seed_v = None
                if seeds and attribute in seed_cols:
                    sv = seed_cols[attribute]
                    sy = [str(s.get(label)) for s in seeds]
                    if not declared:
                        keep = [i for i, x in enumerate(sv) if x not in ("none", "mixed")]
                        sv, sy = [sv[i] for i in keep], [sy[i] for i in keep]
                    if len(sv) >= p.min_records:
                        seed_v = round(cramers_v(sv, sy)[0], 4)
                        res.metrics[f"{key}.seeds_cramers_v"] = seed_v
                beside = f" (seeds: {seed_v})" if seed_v is not None else ""
                if pvalue < p.alpha and v >= p.max_cramers_v / 2:
                    strong = v >= p.max_cramers_v
                    res.findings.append(
                        self.finding(
                            "error" if strong else "warning",
                            f"{attribute} {'predicts' if strong else 'is associated with'} {label}: "
                            f"Cramér's V {v:.2f}{beside}",
                            field=label,
                            value=round(v, 4),
                            threshold=p.max_cramers_v,
                            code="association",
                        )
                    )
        return res
