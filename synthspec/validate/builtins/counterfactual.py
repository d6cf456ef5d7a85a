"""`counterfactual`: pairs that are what they claim — kept fields equal, the axis flipped, and the flip real.

A counterfactual pair (Kaushik et al. 2020) is only useful if the second text
really reads as the new label.  Setting the label field is easy; changing the
text enough is not, so besides checking the pair's structure this validator
asks an outside judge: a classifier (a `synthspec.targets` target, by default
TF-IDF + logistic regression) trained on the seeds, which must give the
counterfactual text its new label with probability ≥ `min_confidence`.

Pairs are found from `_provenance.pair_id` / `role` (what `synthspec build`
writes), or, for any other file, from a `pair_column` whose equal values mark
the two rows of a pair (original first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from synthspec.ir.model import CounterfactualAxis
from synthspec.validate.api import Params, Scope, Validator, ValidatorContext, ValidatorResult, record_id
from synthspec.validate.text import text_of


class CounterfactualParams(Params):
    classifier: str | None = "tfidf_lr"  # a target name or `module:function`; "" skips the flip check
    min_confidence: float = 0.5
    pair_column: str | None = None


def find_pairs(records: Sequence[dict[str, Any]], pair_column: str | None) -> list[tuple[int, int]]:
    """(original index, counterfactual index) of every complete pair, in record order."""
    groups: dict[str, dict[str, int]] = {}
    for i, record in enumerate(records):
        prov = record.get("_provenance")
        if isinstance(prov, str):  # CSV and Parquet keep it as a JSON string
            try:
                prov = json.loads(prov)
            except ValueError:
                prov = None
        if isinstance(prov, dict) and prov.get("pair_id") is not None:
            key, role = str(prov["pair_id"]), str(prov.get("role", ""))
        elif pair_column and record.get(pair_column) not in (None, ""):
            key = str(record[pair_column])
            role = "original" if "original" not in groups.get(key, {}) else "counterfactual"
        else:
            continue
        groups.setdefault(key, {})[role] = i
    return [(g["original"], g["counterfactual"]) for g in groups.values()
            if "original" in g and "counterfactual" in g]


def _axis_of(axes: Sequence[CounterfactualAxis], original: dict, flipped: dict) -> CounterfactualAxis | None:
    for axis in axes:
        old = str(original.get(axis.field))
        if old in axis.mapping and str(flipped.get(axis.field)) == axis.mapping[old]:
            return axis
    return None


class CounterfactualValidator(Validator):
    name = "counterfactual"
    Params = CounterfactualParams
    scope = Scope.DATASET
    default_policy = "flag"
    description = "counterfactual pairs: kept fields equal, the axis flipped, a classifier agrees with the new label"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        p: CounterfactualParams = ctx.params
        res = ValidatorResult()
        axes = list(ctx.spec.counterfactuals)
        if not axes:
            res.notes.append("the spec declares no counterfactual axis: nothing to check")
            return res
        pairs = find_pairs(ctx.records, p.pair_column)
        if not pairs:
            res.notes.append("no pairs found (no `_provenance.pair_id`; set `pair_column` for other files)")
            return res
        judged: list[tuple[int, CounterfactualAxis, str]] = []  # (counterfactual index, axis, new label)
        kept_ok = 0
        for o, c in pairs:
            original, flipped = ctx.records[o], ctx.records[c]
            axis = _axis_of(axes, original, flipped)
            if axis is None:
                res.findings.append(self.finding(
                    "error", "the pair's axis did not flip: "
                    + ", ".join(f"{a.field} {original.get(a.field)!r} -> {flipped.get(a.field)!r}" for a in axes),
                    record_index=c, record_id=record_id(flipped), code="not_flipped"))
                continue
            changed = [k for k in axis.keep if original.get(k) != flipped.get(k)]
            for k in changed:
                res.findings.append(self.finding(
                    "error", f"kept field {k} changed: {original.get(k)!r} -> {flipped.get(k)!r}",
                    record_index=c, record_id=record_id(flipped), field=k, code="kept_changed"))
            kept_ok += not changed
            judged.append((c, axis, str(flipped.get(axis.field))))
        res.metrics["pairs"] = len(pairs)
        res.metrics["kept_equal_rate"] = round(kept_ok / len(pairs), 4)
        if p.classifier and judged:
            self._judge(ctx, p, judged, res)
        return res

    def _judge(self, ctx: ValidatorContext, p: CounterfactualParams,
               judged: list[tuple[int, CounterfactualAxis, str]], res: ValidatorResult) -> None:
        from synthspec.generate.techniques.targets import load_target

        target = load_target(p.classifier or "tfidf_lr")
        agree = 0
        by_axis: dict[str, list[tuple[int, CounterfactualAxis, str]]] = {}
        for item in judged:
            by_axis.setdefault(item[1].field, []).append(item)
        for field, items in by_axis.items():
            axis = items[0][1]
            train = [(text_of(s.values, axis.regenerate), str(s.values.get(field))) for s in ctx.seeds
                     if s.values.get(field) not in (None, "") and text_of(s.values, axis.regenerate)]
            if len({label for _, label in train}) < 2:
                res.notes.append(f"flip check skipped for {field}: the seeds need texts of two {field} values")
                continue
            texts = [text_of(ctx.records[c], axis.regenerate) for c, _, _ in items]
            scores = target(texts, [t for t, _ in train], [label for _, label in train])
            for (c, _, new), probs in zip(items, scores, strict=True):
                p_new = float(probs.get(new, 0.0))
                if p_new >= p.min_confidence:
                    agree += 1
                    continue
                said = max(probs, key=probs.get) if probs else "?"
                res.findings.append(self.finding(
                    "error", f"the text does not read as {field}={new!r}: the classifier says {said!r} "
                             f"(p({new}) = {p_new:.2f})",
                    record_index=c, record_id=record_id(ctx.records[c]), value=round(p_new, 4),
                    threshold=p.min_confidence, code="flip_not_real"))
        res.metrics["flip_agreement_rate"] = round(agree / len(judged), 4)
        res.metrics["classifier"] = p.classifier
