"""Self-instruct on the 175 real seed tasks: novelty filter and a pool that grows."""

from __future__ import annotations

from synthspec.generate.techniques import get_technique
from tests.techniques.helpers import plain_plans, spec_and_seeds


def test_novelty_filter_and_growing_pool() -> None:
    spec, seeds = spec_and_seeds("self_instruct")
    technique = get_technique(spec, seeds)
    plans = technique.plan(plain_plans(spec))
    plan = plans[0]
    seed_instruction = seeds[12].values["instruction"]
    assert technique.accept(plan, {"instruction": seed_instruction})  # a seed copy is not novel
    assert technique.accept(plan, {"instruction": seed_instruction + " Please."})
    new = {"instruction": "Compose a limerick about a tortoise who wins a marathon.", "input": "", "output": "x"}
    assert technique.accept(plan, new) == []
    technique.on_accept(plan, new)
    assert len(technique.pool) == len(seeds) + 1
    # once kept, the same task (or a near copy) is refused next time
    assert technique.accept(plans[1], new)
    assert technique.accept(plans[1], {"instruction": "Compose a limerick about a tortoise who wins a race."})


def test_few_shot_context_rotates_and_includes_kept_tasks() -> None:
    spec, seeds = spec_and_seeds("self_instruct")
    technique = get_technique(spec, seeds)
    plans = technique.plan(plain_plans(spec))
    first = technique.prompt_context(plans[0], {})
    second = technique.prompt_context(plans[1], {})
    assert len(first["examples"]) == 6
    assert first["example_ids"] != second["example_ids"]
    assert technique.prompt_context(plans[0], {}) == first  # deterministic
    kept = {"is_classification": False, "instruction": "Name three rivers in Peru.", "input": "", "output": "x"}
    technique.on_accept(plans[0], kept)
    after = technique.prompt_context(plans[1], {})
    assert len(after["examples"]) == 7
    assert after["examples"][-1]["instruction"] == kept["instruction"]


def test_records_of_one_batch_are_novel_against_each_other() -> None:
    """The engine calls on_accept after a batch; a near copy within the batch must still be refused."""
    spec, seeds = spec_and_seeds("self_instruct")
    technique = get_technique(spec, seeds)
    plans = technique.plan(plain_plans(spec))
    task = {"instruction": "Translate a cooking recipe into pirate speak, step by step."}
    assert technique.accept(plans[0], task) == []
    assert technique.accept(plans[0], task) == []  # a retry of the same record is not its own duplicate
    assert technique.accept(plans[1], {"instruction": "Translate a cooking recipe into pirate speak, step by step!"})
    technique.on_accept(plans[0], task)
    assert technique.tentative == {}
    assert len(technique.pool) == len(seeds) + 1
