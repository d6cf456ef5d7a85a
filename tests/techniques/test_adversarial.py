"""Adversarial on the real BANKING77 slice with the shipped TF-IDF + LR target (real scikit-learn)."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.techniques.adversarial import Adversarial, cross_scores
from synthspec.generate.techniques.targets import load_target, tfidf_lr
from tests.techniques.helpers import plain_plans, spec_and_seeds


def _adversarial_spec(**params):
    spec, seeds = spec_and_seeds("banking77_gap_fill", count=12)
    technique = spec.technique.model_copy(update={"name": "adversarial", "params": {"pick": 6, **params}})
    return spec.model_copy(update={"technique": technique}), seeds


def keyword_target(texts, train_texts, train_labels):
    """A deliberately weak target for the `module:function` path: always says `card_arrival`."""
    return [{"card_arrival": 1.0} for _ in texts]


def test_cross_fitted_scores_never_see_the_scored_seed() -> None:
    texts = ["alpha one", "alpha two", "beta one", "beta two", "alpha three", "beta three"]
    labels = ["a", "a", "b", "b", "a", "b"]
    scores = cross_scores(tfidf_lr, texts, labels, folds=6, seed=0)  # leave-one-out
    assert all(set(s) == {"a", "b"} for s in scores)
    assert sum(max(s, key=s.get) == y for s, y in zip(scores, labels, strict=True)) >= 4


def test_records_anchor_on_the_hardest_seeds() -> None:
    spec, seeds = _adversarial_spec()
    technique = Adversarial(spec, seeds)
    ranked = technique.rank()
    assert len(ranked) == len(seeds)
    wrong = [r for r in ranked if r[2]]
    assert wrong and ranked[: len(wrong)] == wrong  # misclassified seeds come first
    plans = technique.plan(plain_plans(spec))
    anchors = technique.report["anchors"]
    assert anchors == [r[0].id for r in ranked[:6]]
    assert 0.0 < technique.report["target_accuracy"] < 1.0
    by_id = {s.id: s for s in seeds}
    for plan in plans:
        anchor = by_id[plan.source_id]
        assert plan.source_id in anchors
        assert plan.sampled["intent"] == anchor.values["intent"]
        assert plan.context["near"]["text"] == anchor.values["text"]
        assert plan.seed_ids[0] == anchor.id


def test_module_function_target_changes_the_anchors() -> None:
    spec, seeds = _adversarial_spec(target="tests.techniques.test_adversarial:keyword_target")
    technique = Adversarial(spec, seeds)
    technique.plan(plain_plans(spec))
    assert technique.report["target_accuracy"] == pytest.approx(
        sum(s.values["intent"] == "card_arrival" for s in seeds) / len(seeds), abs=1e-4)
    by_id = {s.id: s for s in seeds}
    assert all(by_id[a].values["intent"] != "card_arrival" for a in technique.report["anchors"])


def test_unknown_target_is_a_clear_error() -> None:
    with pytest.raises(SynthspecError, match="unknown adversarial target"):
        load_target("no_such_target")
    with pytest.raises(SynthspecError, match="cannot import"):
        load_target("no_such_module_xyz:f")


def test_report_scores_the_kept_records_with_the_target_trained_on_every_seed() -> None:
    spec, seeds = _adversarial_spec()
    technique = Adversarial(spec, seeds)
    plans = technique.plan(plain_plans(spec))
    assert "target_failure_rate" not in technique.report  # nothing kept yet
    by_label: dict[str, list[str]] = {}
    for s in seeds:
        by_label.setdefault(s.values["intent"], []).append(s.values["text"])
    first, second = sorted(by_label)[:2]
    # a seed's own text with its own label: the target (trained on it) gets it right;
    # the same text with another label: the target must fail
    technique.on_accept(plans[0], {"intent": first, "text": by_label[first][0]})
    technique.on_accept(plans[1], {"intent": second, "text": by_label[first][0]})
    report = technique.report
    assert report["records_scored"] == 2 and report["target_failure_rate"] == 0.5
    assert 0.0 < report["target_mean_p_true"] < 1.0
    assert report["anchors"] and report["target"] == "tfidf_lr"  # the plan's figures are still there
