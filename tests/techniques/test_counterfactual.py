"""Counterfactual pairs on the real IMDB seed pairs: kept fields identical, labels flipped."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.techniques import get_technique
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
        assert original.pair_id == flipped.pair_id
        assert (original.role, flipped.role) == ("original", "counterfactual")
        seed = by_id[original.source_id]
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
    assert len({p.source_id for p in plans[0::2]}) == 6  # different seeds per pair


def test_accept_checks_the_pair_contract() -> None:
    spec, seeds, technique, plans = _pairs()
    original, flipped = plans[0], plans[1]
    good = {**flipped.sampled, "text": "A different review written for the flipped label."}
    assert technique.accept(flipped, good) == []
    assert technique.accept(original, {**original.sampled, **original.fixed}) == []
    not_flipped = {**good, "sentiment": original.sampled["sentiment"]}
    assert any("did not flip" in m for m in technique.accept(flipped, not_flipped))
    other_genre = next(g for g in ("drama", "comedy") if g != good["genre"])
    assert any("kept field genre" in m for m in technique.accept(flipped, {**good, "genre": other_genre}))
    copied = {**good, "text": original.fixed["text"]}
    assert any("original's words" in m for m in technique.accept(flipped, copied))
    respaced = {**good, "text": "  " + original.fixed["text"].upper().replace(" ", "  ")}
    assert any("original's words" in m for m in technique.accept(flipped, respaced))


def test_pairs_are_reproducible() -> None:
    first = [(p.sampled, p.fixed, p.edit_of, p.context, p.pair_id, p.role, p.source_id) for p in _pairs()[3]]
    again = [(p.sampled, p.fixed, p.edit_of, p.context, p.pair_id, p.role, p.source_id) for p in _pairs()[3]]
    assert first == again


def test_odd_count_is_a_clear_error() -> None:
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=9)
    with pytest.raises(SynthspecError, match="even"):
        get_technique(spec, seeds)


def test_originals_respect_the_text_length_limits() -> None:
    """An original is copied, not decoded, so a seed outside `words 20..100` would fail its record check."""
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=60)
    text_field = spec.field("text")
    tight = text_field.model_copy(update={"words": text_field.words.model_copy(update={"min": 40, "max": 60})})
    spec = spec.model_copy(update={"fields": tuple(tight if f.name == "text" else f for f in spec.fields)})
    plans = get_technique(spec, seeds).plan(plain_plans(spec))
    lengths = [len(p.fixed["text"].split()) for p in plans[0::2]]
    assert all(40 <= n <= 60 for n in lengths)
    assert any(not 40 <= len(s.values["text"].split()) <= 60 for s in seeds)  # the filter did something


def test_the_counterfactual_text_is_decoded_as_a_bounded_edit_of_the_original() -> None:
    from synthspec.generate.grammars import accepts
    from synthspec.lower import plan_field

    spec, seeds, technique, plans = _pairs(4)
    original, flipped = plans[0], plans[1]
    assert not original.edit_of  # the original is copied, not decoded
    edit = flipped.edit_of["text"]
    words = original.fixed["text"].split()
    assert edit.original == original.fixed["text"]
    k, must, avoid = edit.max_edits, set(edit.must_change), set(edit.avoid)
    assert k == max(1, min(12, round(0.15 * len(words))))
    # the old label's words, measured on the other seeds, must go: here the review's "great"s
    assert original.sampled["sentiment"] == "positive" and "great" in avoid and "bad" not in avoid
    assert must and all(words[i].strip(".,!").lower() in avoid for i in must) and len(must) <= k
    grammar = plan_field(spec, "text", flipped, {**flipped.sampled, **flipped.fixed}, seeds).grammar

    def text(ws: list[str]) -> str:
        return " " + " ".join(w for w in ws if w is not None) + "\n"

    base = ["dull" if i in must else w for i, w in enumerate(words)]  # every marked word replaced
    free = [i for i in range(len(words)) if i not in must]
    assert accepts(grammar, text(base))
    assert not accepts(grammar, text(words))  # a marked word may not be copied
    assert accepts(grammar, text([None if i == free[0] else w for i, w in enumerate(base)]))  # a word dropped
    upto = [("bland" if i in free[: k - len(must)] else w) for i, w in enumerate(base)]
    assert accepts(grammar, text(upto))  # k changes in all: the limit
    over = [("bland" if i in free[: k - len(must) + 1] else w) for i, w in enumerate(base)]
    assert not accepts(grammar, text(over))  # k + 1 changes: too many
    assert not accepts(grammar, text(["extra"] + base))  # nothing may be inserted
    swap = free[0]
    assert not accepts(grammar, text(["wonderful" if i == swap else w for i, w in enumerate(base)]))  # old label
    assert not accepts(grammar, text(["shit" if i == swap else w for i, w in enumerate(base)]))  # profanity
    assert not accepts(grammar, text(["dull.I'mnotsure" if i == swap else w for i, w in enumerate(base)]))
    assert not accepts(grammar, text(["greatcharacters" if i == swap else w for i, w in enumerate(base)]))
    # a "replacement" may spell the original word again, so an unchanged text is refused after decoding
    unchanged = {**flipped.sampled, **flipped.fixed, "text": " ".join(words)}
    assert any("original's words" in m for m in technique.accept(flipped, unchanged))


def test_edits_zero_regenerates_free_text() -> None:
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=4)
    params = {**spec.technique.params, "edits": 0}
    spec = spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": params})})
    plans = get_technique(spec, seeds).plan(plain_plans(spec))
    assert all(not p.edit_of for p in plans)
    with pytest.raises(SynthspecError, match="edits is a fraction"):
        bad = spec.model_copy(update={"technique": spec.technique.model_copy(update={"params": {"edits": 2}})})
        get_technique(bad, seeds)
