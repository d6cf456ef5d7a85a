"""Each lowered grammar accepts conforming values and rejects forbidden ones — checked by llguidance itself.

No model: the grammar is compiled by llguidance against a locally trained BPE
tokenizer, the candidate text is tokenized and fed to an `LLMatcher`, and the
matcher says whether the text is a complete sentence of the grammar.
"""

from __future__ import annotations

import pytest
from lower_ir import make_spec, ticket_spec

from synthspec.ir.model import (
    Condition,
    ConditionalConstraint,
    Forbidden,
    Include,
    IntRange,
    PatternField,
    TextField,
)
from synthspec.lower import parse_value, plan_field, plan_records, verify_record

ORDER = "ABC-123456"


def words(n: int, include: str | None = ORDER, at: int = 3) -> str:
    """A value of exactly n words (the include counted as one), as decoded: leading space, stop."""
    pool = "please look into this problem with my card quickly thanks".split()
    out = [pool[i % len(pool)] for i in range(n)]
    if include is not None:
        out[min(at, n - 1)] = include
    return " " + " ".join(out) + "\n"


def text_grammar(spec, values=None, sampled=None):
    record = plan_records(spec, [])[0]
    if sampled:
        record = type(record)(record.index, record.sub_seed, {**record.sampled, **sampled})
    return plan_field(spec, "text", record, values if values is not None else {"order_number": ORDER}).grammar


@pytest.fixture(scope="module")
def flagship():
    return text_grammar(ticket_spec())


def test_word_bounds_are_exact(accepts, flagship):
    assert accepts(flagship, words(50))
    assert accepts(flagship, words(150))
    assert not accepts(flagship, words(49))
    assert not accepts(flagship, words(151))


def test_word_bounds_without_includes(accepts):
    spec = make_spec(TextField(name="text", words=IntRange(min=5, max=8)))
    grammar = text_grammar(spec, {})
    assert [accepts(grammar, words(n, None)) for n in (4, 5, 8, 9)] == [False, True, True, False]


def test_whitespace_is_bounded(accepts, flagship):
    assert not accepts(flagship, words(60).replace(" look ", "  look "))
    assert not accepts(flagship, words(60).replace(" look ", "\tlook "))
    assert not accepts(flagship, words(60).rstrip("\n") + " \n")
    assert not accepts(flagship, words(60).replace(" look ", "\nlook "))


@pytest.mark.parametrize("variant", ["Acme", "acme", "ACME", "aCmE", "Acme's", "(acme)", "GLOBEX,", "globex"])
def test_forbidden_terms_in_every_case(accepts, flagship, variant):
    assert not accepts(flagship, words(60).replace(" card ", f" {variant} "))


@pytest.mark.parametrize("word", ["Acmeville", "macme", "globexes"])
def test_forbidden_terms_are_whole_words(accepts, flagship, word):
    assert accepts(flagship, words(60).replace(" card ", f" {word} "))


@pytest.mark.parametrize("word", ["shit", "SHIT", "Fucking", "crap."])
def test_builtin_profanity_list_is_loaded(accepts, flagship, word):
    assert not accepts(flagship, words(60).replace(" card ", f" {word} "))


@pytest.mark.parametrize("pii", [
    "jane.doe@example.com", "me@x", "555 123 4567", "555-123-4567", "(555)123-4567", "555.123.4567",
    "+44 20 7946 0958", "4111 1111 1111 1111", "4111111111111111", "0123456789",
])
def test_pii_cannot_be_written(accepts, flagship, pii):
    assert not accepts(flagship, words(60).replace(" card ", f" {pii} "))


@pytest.mark.parametrize("ok", ["2 days", "$2.50", "10%", "2024", "12-05", "B12"])
def test_short_numbers_are_fine(accepts, flagship, ok):
    assert accepts(flagship, words(60).replace(" card ", f" {ok} "))


def test_must_include_is_required_anywhere(accepts, flagship):
    assert not accepts(flagship, words(60, include=None))
    for at in (0, 30, 59):
        assert accepts(flagship, words(60, at=at))
    assert accepts(flagship, words(60).replace(ORDER, f"{ORDER},"))
    # not bracketed: a small model tacked "(ABC-123456)!!" onto texts instead of using the value
    assert not accepts(flagship, words(60).replace(ORDER, f"({ORDER}),"))
    assert not accepts(flagship, words(60).replace(ORDER, "ABC-123457"))


def test_include_followed_by_digits_is_not_a_phone_number(accepts, flagship):
    assert not accepts(flagship, words(60).replace(f"{ORDER} ", f"{ORDER} 4567 "))


def test_conditional_literal_include(accepts):
    spec = ticket_spec(constraints=(ConditionalConstraint(
        conditions=(Condition(field="sentiment", op="==", value="negative"),), target="text",
        must_include=(Include(kind="literal", value="refund"),)),))
    negative = text_grammar(spec, sampled={"sentiment": "negative"})
    positive = text_grammar(spec, sampled={"sentiment": "positive"})
    with_both = words(60).replace(" card ", " refund ")
    assert accepts(negative, with_both) and not accepts(negative, words(60))
    assert accepts(positive, words(60)) and accepts(positive, with_both)


@pytest.mark.parametrize(("text", "ok"), [(" that is a scam\n", False), (" that is a Scam!\n", False),
                                          (" ask the scammer\n", True), (" Free money\n", False),
                                          (" free money\n", True), (" FREE money\n", True)])
def test_forbidden_regex_and_case_sensitive_word(accepts, text, ok):
    spec = make_spec(TextField(name="text", words=IntRange(min=1, max=10), must_not_include=(
        Forbidden(kind="regex", name=r"/\bscam\b/", pattern=r"\bscam\b"),
        Forbidden(kind="literal", name="Free", terms=("Free",), case_sensitive=True),
    )))
    assert accepts(text_grammar(spec, {}), text) is ok


@pytest.mark.parametrize(("value", "ok"), [("ABC-123456", True), ("9Z9-000000", True), ("abc-123456", False),
                                           ("ABC-12345", False), ("ABC-1234567", False), ("ABC123456", False)])
def test_pattern_field_is_the_full_regex(accepts, value, ok):
    spec = ticket_spec()
    fp = plan_field(spec, "order_number", plan_records(spec, [])[0], {})
    assert accepts(fp.grammar, f" {value}\n") is ok
    if ok:
        assert parse_value(spec, "order_number", f" {value}\n") == value


def test_pattern_with_python_classes(accepts):
    spec = make_spec(PatternField(name="code", pattern=r"\d{2}\w"))
    grammar = plan_field(spec, "code", plan_records(spec, [])[0], {}).grammar
    assert accepts(grammar, " 12a\n") and accepts(grammar, " 12_\n")
    assert not accepts(grammar, " 1a2\n") and not accepts(grammar, " ١٢a\n")


@pytest.mark.parametrize("seed", range(4))
def test_every_sampled_sentence_passes_verify(sample, seed):
    spec = ticket_spec()
    plan = plan_records(spec, [])[0]
    short = ticket_spec().model_copy(update={"fields": tuple(
        f.model_copy(update={"words": IntRange(min=3, max=12)}) if f.name == "text" else f
        for f in spec.fields)})
    grammar = plan_field(short, "text", plan, {"order_number": ORDER}).grammar
    text = parse_value(short, "text", sample(grammar, seed))
    record = {**plan.sampled, "order_number": ORDER, "text": text}
    assert verify_record(short, record) == [], text


@pytest.mark.parametrize("word", ["don't", "e-mail", "U.S.", "$10.48", "AT&T", "\"quoted,\"", "40's."])
def test_words_people_write_are_words(accepts, word):
    grammar = text_grammar(make_spec(TextField(name="text", words=IntRange(min=1, max=3))), {})
    assert accepts(grammar, f" {word}\n")


@pytest.mark.parametrize("glued", ["good.I'mnotsure.really", "forme-to-be/mybank(s", "a,b,c", "https://www.x.com"])
def test_a_phrase_glued_into_one_word_is_not_a_word(accepts, glued):
    grammar = text_grammar(make_spec(TextField(name="text", words=IntRange(min=1, max=3))), {})
    assert not accepts(grammar, f" {glued}\n")
