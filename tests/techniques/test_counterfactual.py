"""Counterfactual pairs on the real IMDB seed pairs: kept fields identical, labels flipped."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.techniques import FIXED, get_technique
from tests.techniques.helpers import plain_plans, spec_and_seeds

FLIP = {"negative": "positive", "positive": "negative"}


def _pairs(count: int = 10):
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=count)
    technique = get_technique(spec, seeds)
    base = plain_plans(spec)
    genres = ["drama", "comedy", "horror", "action", "documentary"]
    base = [p.__class__(p.index, p.sub_seed, {**p.sampled, "genre": genres[p.index % 5]}) for p in base]
    return spec, seeds, technique, technique.plan(base)


def test_pairs_copy_kept_fields_and_flip_the_axis() -> None:
    spec, seeds, technique, plans = _pairs(12)
    by_id = {s.id: s for s in seeds}
    assert [p.index for p in plans] == list(range(12))
    for original, flipped in zip(plans[0::2], plans[1::2], strict=True):
        assert original.extra["pair_id"] == flipped.extra["pair_id"]
        assert (original.extra["role"], flipped.extra["role"]) == ("original", "counterfactual")
        seed = by_id[original.extra["source_id"]]
        # the original is the real seed, copied rather than decoded
        assert technique.fixed(original) == {"text": seed.values["text"]}
        assert original.sampled["sentiment"] == seed.values["sentiment"]
        # the flip: axis mapped, kept genre identical, text left to the model
        assert flipped.sampled["sentiment"] == FLIP[original.sampled["sentiment"]]
        assert flipped.sampled["genre"] == original.sampled["genre"]
        assert "text" not in technique.fixed(flipped)
        context = technique.prompt_context(flipped, {})
        assert context["original"]["text"] == seed.values["text"]
        assert (context["from"], context["to"]) == (original.sampled["sentiment"], flipped.sampled["sentiment"])
    assert len({p.extra["source_id"] for p in plans[0::2]}) == 6  # different seeds per pair


def test_accept_checks_the_pair_contract() -> None:
    spec, seeds, technique, plans = _pairs()
    original, flipped = plans[0], plans[1]
    good = {**flipped.sampled, "text": "A different review written for the flipped label."}
    assert technique.accept(flipped, good) == []
    assert technique.accept(original, {**original.sampled, **original.extra[FIXED]}) == []
    not_flipped = {**good, "sentiment": original.sampled["sentiment"]}
    assert any("did not flip" in m for m in technique.accept(flipped, not_flipped))
    other_genre = next(g for g in ("drama", "comedy") if g != good["genre"])
    assert any("kept field genre" in m for m in technique.accept(flipped, {**good, "genre": other_genre}))
    copied = {**good, "text": original.extra[FIXED]["text"]}
    assert any("equals the original" in m for m in technique.accept(flipped, copied))


def test_pairs_are_reproducible() -> None:
    first = [(p.sampled, p.extra) for p in _pairs()[3]]
    again = [(p.sampled, p.extra) for p in _pairs()[3]]
    assert first == again


def test_odd_count_is_a_clear_error() -> None:
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=9)
    with pytest.raises(SynthspecError, match="even"):
        get_technique(spec, seeds)
