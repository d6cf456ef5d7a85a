"""Adversarial: make new examples near the seeds a target classifier gets wrong.

`plan` scores every seed with the target (k-fold cross-fitting, so a seed is
scored by a classifier that never saw it), ranks seeds by difficulty — wrong
predictions first, then the lowest probability of the true label — and keeps
the `pick` hardest (those below `threshold` if there are enough).  Each record
is anchored on one hard seed: it takes the seed's label and shows the seed in
its prompt as the example to write near.  The label field is the first
category field with seed values, the text the first text field with seed values.

The report says whether it worked: the target, trained on every seed, scores
the accepted records, and `target_failure_rate` (prediction ≠ the record's
label) and `target_mean_p_true` sit beside the target's cross-fitted accuracy
on the seeds.  `bench/techniques_adversarial.py` sets them against records of
the same spec built without the technique.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from synthspec.generate.techniques.base import (
    Technique,
    as_sampled,
    block,
    stable_rng,
    technique_error,
)
from synthspec.generate.techniques.targets import Target, load_target
from synthspec.lower.plan import RecordPlan

FOLDS = 5


def failure_stats(target: Target, texts: list[str], labels: list[str], train_texts: list[str],
                  train_labels: list[str]) -> dict[str, float]:
    """How the target, trained on the given examples, fares on `texts`: failure rate and mean p(true label)."""
    if not texts:
        return {"records_scored": 0}
    scores = target(texts, train_texts, train_labels)
    wrong = sum(1 for probs, label in zip(scores, labels, strict=True) if max(probs, key=probs.get) != label)
    p_true = [float(probs.get(label, 0.0)) for probs, label in zip(scores, labels, strict=True)]
    return {"records_scored": len(texts), "target_failure_rate": round(wrong / len(texts), 4),
            "target_mean_p_true": round(sum(p_true) / len(p_true), 4)}


def cross_scores(target: Target, texts: list[str], labels: list[str], folds: int, seed: int) -> list[dict[str, float]]:
    """Class probabilities for every text from a target trained on the other folds."""
    import random

    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    scores: list[dict[str, float] | None] = [None] * len(texts)
    k = max(2, min(folds, len(texts)))
    for fold in range(k):
        held = [i for n, i in enumerate(order) if n % k == fold]
        rest = [i for n, i in enumerate(order) if n % k != fold]
        if not held or not rest:
            continue
        out = target([texts[i] for i in held], [texts[i] for i in rest], [labels[i] for i in rest])
        for i, probs in zip(held, out, strict=True):
            scores[i] = dict(probs)
    return [s or {} for s in scores]


class Adversarial(Technique):
    """Records anchored on the seeds the target classifier finds hardest."""

    name = "adversarial"

    def __init__(self, spec, seeds=(), target: Target | None = None) -> None:
        super().__init__(spec, seeds)
        has = lambda name: any(s.values.get(name) not in (None, "") for s in self.seeds)  # noqa: E731
        labels = [f.name for f in spec.sampled_fields if f.kind == "category" and has(f.name)]
        texts = [f.name for f in spec.generated_fields if f.kind == "text" and has(f.name)]
        if not labels or not texts:
            raise technique_error(spec, "adversarial needs seeds with a category label and a text",
                                  "map seed columns onto one category field and one text field")
        self.label, self.text = labels[0], texts[0]
        self.target_name = str(self._param("target"))
        self.target = target or load_target(self.target_name)
        self.pick = int(self._param("pick", max(1, min(spec.count, 20))))
        self.threshold = float(self._param("threshold"))
        self.shots = int(self._param("shots"))
        self.accepted: list[tuple[str, str]] = []  # (text, label) of every kept record, in index order
        self._scored: tuple[int, dict[str, float]] = (0, {})

    @property
    def report(self) -> dict[str, Any]:
        """The plan's figures plus how the target fares on the records kept so far (scored once per count)."""
        if self.accepted and self._scored[0] != len(self.accepted):
            usable = [s for s in self.seeds
                      if s.values.get(self.label) not in (None, "") and s.values.get(self.text) not in (None, "")]
            stats = failure_stats(self.target, [t for t, _ in self.accepted], [lab for _, lab in self.accepted],
                                  [str(s.values[self.text]) for s in usable],
                                  [str(s.values[self.label]) for s in usable])
            self._scored = (len(self.accepted), stats)
        return {**self._report, **self._scored[1]}

    @report.setter
    def report(self, value: dict[str, Any]) -> None:
        self._report = dict(value)

    def on_accept(self, plan: RecordPlan | None, values: dict[str, Any]) -> None:
        text, label = values.get(self.text), values.get(self.label)
        if text not in (None, "") and label not in (None, ""):
            self.accepted.append((str(text), str(label)))

    def rank(self) -> list[tuple[Any, float, bool, str]]:
        """(seed, p(true label), wrong?, predicted) for every usable seed, hardest first."""
        usable = [s for s in self.seeds
                  if s.values.get(self.label) not in (None, "") and s.values.get(self.text) not in (None, "")]
        texts = [str(s.values[self.text]) for s in usable]
        labels = [str(s.values[self.label]) for s in usable]
        scores = cross_scores(self.target, texts, labels, FOLDS, self.spec.seed)
        ranked = []
        for seed, label, probs in zip(usable, labels, scores, strict=True):
            predicted = max(probs, key=probs.get) if probs else ""
            ranked.append((seed, float(probs.get(label, 0.0)), predicted != label, predicted))
        ranked.sort(key=lambda r: (not r[2], r[1], r[0].id))
        return ranked

    def plan(self, plans: list[RecordPlan]) -> list[RecordPlan]:
        ranked = self.rank()
        hard = [r for r in ranked if r[2] or r[1] < self.threshold]
        chosen = (hard if len(hard) >= self.pick else ranked)[: self.pick]
        if not chosen:
            raise technique_error(self.spec, "adversarial: no usable seeds to anchor on")
        wrong = sum(1 for r in ranked if r[2])
        self.report = {"target": self.target_name, "seeds_scored": len(ranked),
                       "target_accuracy": round(1 - wrong / max(len(ranked), 1), 4),
                       "hard_seeds": len(hard), "anchors": [r[0].id for r in chosen]}
        out = []
        for plan in sorted(plans, key=lambda p: p.index):
            seed, p_true, is_wrong, predicted = chosen[plan.index % len(chosen)]
            sampled = {**plan.sampled,
                       self.label: as_sampled(self.spec, self.label, seed.values[self.label],
                                              plan.sampled.get(self.label))}
            rng = stable_rng(self.spec, "adversarial", plan.index)
            same = [r[0] for r in chosen if r[0].id != seed.id
                    and r[0].values.get(self.label) == seed.values[self.label]]
            others = rng.sample(same, min(max(self.shots - 1, 0), len(same)))
            context = {"technique": "adversarial", "near": {self.text: seed.values[self.text],
                                                            self.label: seed.values[self.label]},
                       "target_predicted": predicted, "target_p_true": round(p_true, 4)}
            near = [seed, *others]
            context["prompt"] = (
                "These real examples are hard cases: a classifier confuses them. Write a new example that is "
                f"just as hard — same {self.label}, similar situation, different wording.\n"
                + "\n---\n".join(block({self.label: s.values[self.label], self.text: s.values[self.text]})
                                   for s in near))
            out.append(replace(plan, sampled=sampled, seed_ids=(seed.id, *(o.id for o in others)),
                               source_id=seed.id, context=context))
        return out
