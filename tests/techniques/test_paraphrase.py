"""Paraphrase on the real Dolly open_qa seeds: one source per record, copies refused, rewrites demonstrated."""

from __future__ import annotations

import dataclasses

import pytest

from synthspec.generate.techniques import get_technique
from synthspec.generate.techniques.paraphrase import builtin_demonstrations
from synthspec.lower import plan_field
from tests.techniques.helpers import plain_plans, spec_and_seeds


def _with(spec, **params):
    merged = {**spec.technique.params, **params}
    return spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": merged})})


def test_per_seed_records_share_their_source() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=9)
    spec = _with(spec, per_seed=3)
    plans = get_technique(spec, seeds).plan(plain_plans(spec))
    sources = [p.source_id for p in plans]
    assert sources[0:3] == [sources[0]] * 3 and sources[3:6] == [sources[3]] * 3
    assert len(set(sources)) == 3
    by_id = {s.id: s for s in seeds}
    for plan in plans:
        source = by_id[plan.source_id]
        assert plan.context["source"] == {"question": source.values["question"],
                                                   "answer": source.values["answer"]}
        assert plan.seed_ids == (source.id,)


def test_verbatim_copy_is_refused_for_overlap() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly")
    technique = get_technique(spec, seeds)
    plan = technique.plan(plain_plans(spec))[0]
    source = plan.context["source"]
    for name, text in source.items():
        problems = technique.accept_field(plan, name, text, {})
        assert len(problems) == 1 and "copies too many words" in problems[0]


def test_prompt_shows_worked_rewrites_of_the_field_and_never_the_source_as_an_example(monkeypatch) -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=6)
    technique = get_technique(spec, seeds)
    plans = technique.plan(plain_plans(spec))
    by_id = {s.id: s for s in seeds}

    def prompt(plan, name, values):
        context = technique.prompt_context(plan, values)
        return plan_field(spec, name, dataclasses.replace(plan, context=context),
                          values, seeds).prompt

    source = by_id[plans[0].source_id].values
    first = prompt(plans[0], "question", {})
    builtin_originals = {a for a, _ in builtin_demonstrations()}
    shown = [line.removeprefix("Original question: ") for line in first.splitlines()
             if line.startswith("Original question: ")]
    assert len(shown) == 4 and sum(s in builtin_originals for s in shown) == 3  # 3 demos, then the source
    assert first.endswith(f"Original question: {' '.join(source['question'].split())}\nQuestion:")
    assert "Answer:" not in first and "Original answer" not in first  # one pattern per prompt

    # once rewrites are accepted they are the demonstrations (never a rewrite of the record's own source)
    technique.on_accept(plans[1], {"question": "Which book suits a long flight?", "answer": "A thick novel."})
    later = prompt(plans[2], "answer", {"question": "x"})
    assert "Original answer: " + " ".join(by_id[plans[1].source_id].values["answer"].split()) in later
    assert "Answer: A thick novel." in later and later.endswith("Answer:")
    own = prompt(plans[1], "answer", {"question": "x"})
    assert "A thick novel." not in own


def test_rewrites_keep_their_source_length() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=4)
    technique = get_technique(spec, seeds)
    for plan in technique.plan(plain_plans(spec)):
        source = plan.context["source"]
        for name, (low, high) in plan.words.items():
            n = len(source[name].split())
            assert low <= n <= high and high <= 1.5 * n + 1 and low >= 0.5 * n - 1
            grammar = plan_field(spec, name, plan, {}, seeds).grammar
            own = spec.field(name).words
            low, high = max(low, own.min), min(high, own.max)
            if "body:" in grammar:  # unrolled word by word: rules r<k> exist for k < high words only
                assert f"r{high - 1}_" in grammar and f"r{high}_" not in grammar
            else:
                assert f"{{{max(low, 1) - 1},{high - 1}}}" in grammar  # the grammar holds the narrowed range


@pytest.mark.e2e
def test_meaning_floor_uses_real_embeddings() -> None:
    spec, seeds = spec_and_seeds("paraphrase_dolly", count=120)  # every seed gets a record
    technique = get_technique(spec, seeds)
    plan = next(p for p in technique.plan(plain_plans(spec)) if p.source_id == "0")
    # source: "Why can camels survive for long without water?"
    good = {"question": "How are camels able to go for extended periods with nothing to drink?",
            "answer": "The fat stored in a camel's hump gives it energy and hydration over many days."}
    off_topic = {"question": "What is the capital city of Australia?",
                 "answer": "Canberra was chosen as a compromise between Sydney and Melbourne."}
    for name in ("question", "answer"):
        assert technique.accept_field(plan, name, good[name], {}) == []
        problems = technique.accept_field(plan, name, off_topic[name], {})
        assert len(problems) == 1 and "drifts from its source" in problems[0]
