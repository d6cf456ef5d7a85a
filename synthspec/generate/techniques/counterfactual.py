"""Counterfactual pairs (Kaushik et al. 2020): flip one label, change only what must change.

Records come in pairs at indices (2p, 2p+1).  The first is a real seed: its
label and its texts are copied, so it is decoded by no one.  The second is its
counterfactual: the axis field is mapped (`negative <-> positive`), the fields
named in `regenerate` are decoded anew with the original in the prompt, and
every other field is *copied* from the original in the plan — so kept fields
are identical by construction, not by hoping the model copies them.  `accept`
re-checks that (and that the label flipped and the text changed), because a
derived field or a later edit could still break it.

A regenerated text is decoded as a *minimal edit* of the original: the
grammar lets each original word be kept, replaced or dropped, with 1 to
`edits` × its length changes (default 0.15; humans change ~14 % of a review's
words).  `edits = 0` decodes free text under the field's constraints instead.
Left to choose, a small model changes the first words and copies the rest, so
the label does not flip; so the words of the original that carry its label
must change, and no replacement may be a word of the old label.  Which words carry a label is measured on the seeds: weighted
log-odds with an informative Dirichlet prior (Monroe et al. 2008) between the
axis values, z ≥ `marker_z`, each original scored without its own text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from synthspec.generate.techniques.base import (
    Technique,
    as_sampled,
    block,
    stable_rng,
    technique_error,
)
from synthspec.generate.techniques.overlap import tokens
from synthspec.ir.model import CounterfactualAxis
from synthspec.lower.plan import EditOf, RecordPlan

MAX_EDITS = 12  # beyond this the edit grammar's matcher slows down (every change multiplies its states)
_WORD = re.compile(r"[a-z']+")


def _bare(word: str) -> str:
    """A word as the lexicon knows it: lower case, letters and apostrophes only."""
    found = _WORD.findall(word.lower())
    return found[0] if len(found) == 1 else ""


def label_markers(texts_by_label: dict[str, list[str]], z_min: float) -> dict[str, dict[str, float]]:
    """label -> {word: z}: words whose use leans to that label (log-odds, informative Dirichlet prior)."""
    counts = {label: Counter(w for t in texts for w in map(_bare, t.split()) if w)
              for label, texts in texts_by_label.items()}
    prior = Counter()
    for c in counts.values():
        prior.update(c)
    a0 = sum(prior.values()) or 1
    out: dict[str, dict[str, float]] = {label: {} for label in counts}
    for label, c in counts.items():
        rest = Counter()
        for other, oc in counts.items():
            if other != label:
                rest.update(oc)
        n1, n2 = sum(c.values()), sum(rest.values())
        for word, y1 in c.items():
            a = prior[word]
            y2 = rest[word]
            delta = (math.log((y1 + a) / (n1 + a0 - y1 - a)) - math.log((y2 + a) / (n2 + a0 - y2 - a)))
            z = delta / math.sqrt(1 / (y1 + a) + 1 / (y2 + a))
            if z >= z_min and y1 >= 2:
                out[label][word] = z
    return out


class Counterfactual(Technique):
    """Seed original + flipped copy per pair; kept fields copied, regenerate fields decoded."""

    name = "counterfactual"

    def __init__(self, spec, seeds=()) -> None:
        super().__init__(spec, seeds)
        if not spec.counterfactuals:
            raise technique_error(spec, "technique counterfactual needs a `counterfactual FIELD: a <-> b` axis")
        if spec.count % 2:
            raise technique_error(spec, f"counterfactual builds pairs, so count must be even (it is {spec.count})",
                                  f"use count {spec.count + 1}")
        self.generated = [f.name for f in spec.generated_fields]
        self.sampled = [f.name for f in spec.sampled_fields]
        mapped = set(spec.seeds.columns) if spec.seeds else set()
        missing = [g for g in self.generated if g not in mapped]
        if missing:
            raise technique_error(
                spec, f"counterfactual originals are real seeds, but the seeds give no `{', '.join(missing)}`",
                "map a seed column onto every generated field (the original is copied, not decoded)")
        self.originals: dict[str, list] = {}
        for axis in spec.counterfactuals:
            self.originals[axis.field] = [
                s for s in self.seeds
                if str(s.values.get(axis.field)) in axis.mapping
                and all(s.values.get(g) not in (None, "") for g in self.generated)
                and all(_fits(spec, g, s.values[g]) for g in self.generated)
            ]
            if not self.originals[axis.field]:
                raise technique_error(
                    spec, f"counterfactual: no seed has a `{axis.field}` value among "
                          f"{', '.join(sorted(axis.mapping))} and all generated fields filled",
                    "check the seed file and its column map")
        self._pairs: dict[int, dict[str, Any]] = {}
        self.edits = float(self._param("edits"))
        self.marker_z = float(self._param("marker_z"))
        if not 0 <= self.edits <= 1:
            raise technique_error(spec, f"counterfactual edits is a fraction of the words, 0..1 (got {self.edits:g})",
                                  "0 regenerates free text; 0.15 changes at most 15 % of the words")

    def plan(self, plans: list[RecordPlan]) -> list[RecordPlan]:
        by_index = sorted(plans, key=lambda p: p.index)
        axes = self.spec.counterfactuals
        orders = {}
        for axis in axes:
            order = list(self.originals[axis.field])
            stable_rng(self.spec, "counterfactual", axis.field).shuffle(order)
            orders[axis.field] = order
        out: list[RecordPlan] = []
        for p in range(len(by_index) // 2):
            first, second = by_index[2 * p], by_index[2 * p + 1]
            axis = axes[p % len(axes)]
            order = orders[axis.field]
            seed = order[(p // len(axes)) % len(order)]
            original, flipped = self._pair(p, axis, seed, first, second)
            out += [original, flipped]
        return out

    def _pair(self, p: int, axis: CounterfactualAxis, seed, first: RecordPlan,
              second: RecordPlan) -> tuple[RecordPlan, RecordPlan]:
        sampled = dict(first.sampled)
        for name in self.sampled:
            if seed.values.get(name) not in (None, ""):
                sampled[name] = as_sampled(self.spec, name, seed.values[name], sampled.get(name))
        fixed = {g: seed.values[g] for g in self.generated if seed.values.get(g) not in (None, "")}
        old, new = str(sampled[axis.field]), axis.mapping[str(sampled[axis.field])]
        pair_id = f"pair-{p}"
        original = replace(first, sampled=sampled, seed_ids=(seed.id,), pair_id=pair_id, role="original",
                           source_id=seed.id, fixed=fixed)
        flipped_sampled = {**sampled, axis.field: new}
        for name in axis.regenerate:
            if name in self.sampled:  # a sampled field to regenerate takes the second plan's own draw
                flipped_sampled[name] = second.sampled.get(name)
        flipped_fixed = {k: v for k, v in fixed.items() if k not in axis.regenerate}
        known = {**sampled, **fixed}
        context = {"technique": "counterfactual", "axis": axis.field, "from": old, "to": new,
                   "original": known, "regenerate": list(axis.regenerate),
                   "prompt": (f"Here is an original example with {axis.field} = {old}:\n{block(known)}\n"
                              f"Write its counterfactual: the same example with {axis.field} = {new}. Change only "
                              f"what must change for that; keep everything else as close as possible.")}
        edit_of: dict[str, EditOf] = {}
        if self.edits > 0:
            for name in axis.regenerate:
                if name in fixed and self.spec.field(name).kind == "text":
                    words = str(fixed[name]).split()
                    k = max(1, min(MAX_EDITS, round(self.edits * len(words))))
                    markers = self._markers(axis, name, seed.id).get(old, {})
                    marked = sorted((i for i, w in enumerate(words) if _bare(w) in markers),
                                    key=lambda i: -markers[_bare(words[i])])[:k]
                    edit_of[name] = EditOf(str(fixed[name]), k, tuple(sorted(marked)),
                                           tuple(sorted(markers)))  # a replacement never says the old label
        flipped = replace(second, sampled=flipped_sampled, seed_ids=(seed.id,), pair_id=pair_id,
                          role="counterfactual", source_id=seed.id, fixed=flipped_fixed, context=context,
                          edit_of=edit_of)
        self._pairs[second.index] = {"axis": axis, "original": known, "to": new}
        return original, flipped

    def _markers(self, axis: CounterfactualAxis, field: str, leave_out: str) -> dict[str, dict[str, float]]:
        """Label-carrying words of `field` per axis value, from every seed but `leave_out`."""
        texts: dict[str, list[str]] = {}
        for s in self.seeds:
            label, text = s.values.get(axis.field), s.values.get(field)
            if s.id != leave_out and str(label) in axis.mapping and text not in (None, ""):
                texts.setdefault(str(label), []).append(str(text))
        return label_markers(texts, self.marker_z) if len(texts) > 1 else {}

    def accept(self, plan: RecordPlan, values: dict[str, Any]) -> list[str]:
        pair = self._pairs.get(plan.index)
        if pair is None:
            return []
        axis: CounterfactualAxis = pair["axis"]
        original = pair["original"]
        problems = []
        if str(values.get(axis.field)) != pair["to"]:
            problems.append(f"{axis.field} did not flip: {values.get(axis.field)!r}, expected {pair['to']!r}")
        for name, value in original.items():
            if name == axis.field or name in axis.regenerate:
                continue
            if values.get(name) != value:
                problems.append(f"kept field {name} changed: {values.get(name)!r} != {value!r}")
        for name in axis.regenerate:
            if name in original and tokens(str(values.get(name))) == tokens(str(original[name])):
                problems.append(f"{name} was to be regenerated but has the original's words")
        return problems


def _fits(spec, name: str, value: Any) -> bool:
    """Whether a seed value meets its text field's length limits (an original must pass the record checks)."""
    field = spec.field(name)
    if field.kind != "text":
        return True
    text = str(value)
    words = len(text.split())
    if field.words is not None and not field.words.min <= words <= field.words.max:
        return False
    return field.chars is None or field.chars.min <= len(text) <= field.chars.max
