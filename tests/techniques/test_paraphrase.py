"""Paraphrase on the real Dolly open_qa seeds: one source per record, copies refused."""

from __future__ import annotations

import pytest

from synthspec.generate.techniques import get_technique
from tests.techniques.helpers import plain_plans, spec_and_seeds


def _with(spec, **params):
    merged = {**spec.technique.params, **params}
    return spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": merged})})


def test_per_seed_records_share_their_source() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=9)
    spec = _with(spec, per_seed=3)
    plans = get_technique(spec, seeds).plan(plain_plans(spec))
    sources = [p.extra["source_id"] for p in plans]
    assert sources[0:3] == [sources[0]] * 3 and sources[3:6] == [sources[3]] * 3
    assert len(set(sources)) == 3
    by_id = {s.id: s for s in seeds}
    for plan in plans:
        source = by_id[plan.extra["source_id"]]
        assert plan.extra["context"]["source"] == {"question": source.values["question"],
                                                   "answer": source.values["answer"]}
        assert plan.seed_ids == (source.id,)


def test_verbatim_copy_is_refused_for_overlap() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly")
    technique = get_technique(spec, seeds)
    plan = technique.plan(plain_plans(spec))[0]
    source = plan.extra["context"]["source"]
    problems = technique.accept(plan, dict(source))
    assert len(problems) == 2 and all("copies too many words" in p for p in problems)


@pytest.mark.e2e
def test_meaning_floor_uses_real_embeddings() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=120)  # every seed gets a record
    technique = get_technique(spec, seeds)
    plan = next(p for p in technique.plan(plain_plans(spec)) if p.extra["source_id"] == "0")
    # source: "Why can camels survive for long without water?"
    good = {"question": "How are camels able to go for extended periods with nothing to drink?",
            "answer": "The fat stored in a camel's hump gives it energy and hydration over many days."}
    off_topic = {"question": "What is the capital city of Australia?",
                 "answer": "Canberra was chosen as a compromise between Sydney and Melbourne."}
    assert technique.accept(plan, good) == []
    problems = technique.accept(plan, off_topic)
    assert len(problems) == 2 and all("drifts from its source" in p for p in problems)
