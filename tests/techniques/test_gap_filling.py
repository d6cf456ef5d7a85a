"""Gap filling on the real BANKING77 slice: the budget goes where the seeds are thin and PSI drops."""

from __future__ import annotations

from collections import Counter

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.techniques import get_technique
from synthspec.generate.techniques.gap_filling import allocate, psi
from tests.techniques.helpers import plain_plans, spec_and_seeds


def test_allocate_water_fills_exactly() -> None:
    assert allocate({"a": 10, "b": 2, "c": 0}, 30, ["a", "b", "c"]) == {"a": 4, "b": 12, "c": 14}
    assert allocate({"a": 10, "b": 2, "c": 0}, 5, ["a", "b", "c"]) == {"a": 0, "b": 1, "c": 4}
    assert allocate({"a": 10, "b": 2, "c": 0}, 4, ["a", "b"]) == {"a": 0, "b": 4}
    for budget in range(0, 60, 7):
        assert sum(allocate({"a": 9, "b": 3, "c": 1, "d": 0}, budget, ["a", "b", "c", "d"]).values()) == budget


def test_psi_is_zero_only_on_the_target() -> None:
    assert psi({"a": 5, "b": 5}, {"a": 0.5, "b": 0.5}) == pytest.approx(0.0)
    assert psi({"a": 9, "b": 1}, {"a": 0.5, "b": 0.5}) > psi({"a": 6, "b": 4}, {"a": 0.5, "b": 0.5}) > 0


@pytest.mark.parametrize("count", [20, 60, 200])
def test_banking77_gap_fill_moves_psi_toward_uniform(count: int) -> None:
    spec, seeds = spec_and_seeds("banking77_gap_fill", count=count)
    technique = get_technique(spec, seeds)
    # lowering's `from seeds` draw reproduces the imbalance; gap filling must override it
    plans = technique.plan(plain_plans(spec, {"intent": "card_payment_fee_charged"}))
    assert [p.index for p in plans] == list(range(count))
    drawn = Counter(p.sampled["intent"] for p in plans)
    seeds_per_label = Counter(s.values["intent"] for s in seeds)
    assert sum(drawn.values()) == count
    report = technique.report
    assert report["psi_after"] < report["psi_before"]
    assert report["seed_counts"] == dict(seeds_per_label)
    thinnest = min(seeds_per_label, key=seeds_per_label.get)
    fattest = max(seeds_per_label, key=seeds_per_label.get)
    assert drawn[thinnest] > drawn[fattest]
    assert drawn[thinnest] == max(drawn.values())
    combined = seeds_per_label + drawn
    assert psi(dict(combined), technique.target_distribution()) == pytest.approx(report["psi_after"], abs=1e-4)
    # few-shot examples now match the new label
    by_id = {s.id: s for s in seeds}
    for plan in plans:
        assert plan.seed_ids and all(by_id[i].values["intent"] == plan.sampled["intent"] for i in plan.seed_ids)


def test_gap_fill_is_reproducible_and_seed_dependent() -> None:
    spec, seeds = spec_and_seeds("banking77_gap_fill", count=40)
    first = [p.sampled for p in get_technique(spec, seeds).plan(plain_plans(spec))]
    again = [p.sampled for p in get_technique(spec, seeds).plan(plain_plans(spec))]
    other_spec = spec.model_copy(update={"seed": spec.seed + 1})
    other = [p.sampled for p in get_technique(other_spec, seeds).plan(plain_plans(other_spec))]
    assert first == again
    assert first != other
    assert Counter(x["intent"] for x in first) == Counter(x["intent"] for x in other)


def test_label_list_target_fills_only_those_labels() -> None:
    spec, seeds = spec_and_seeds("banking77_gap_fill", count=30)
    params = {**spec.technique.params, "target": ["card_swallowed", "exchange_rate"]}
    spec = spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": params})})
    plans = get_technique(spec, seeds).plan(plain_plans(spec))
    assert set(p.sampled["intent"] for p in plans) == {"card_swallowed", "exchange_rate"}


def test_unknown_target_label_is_a_clear_error() -> None:
    spec, seeds = spec_and_seeds("banking77_gap_fill")
    params = {**spec.technique.params, "target": ["no_such_intent"]}
    spec = spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": params})})
    with pytest.raises(SynthspecError, match="no_such_intent"):
        get_technique(spec, seeds)
