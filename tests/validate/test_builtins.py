"""Each built-in validator on small hand-made data, through the installed entry points."""

from __future__ import annotations

import random

import pytest

from synthspec.datafiles import SeedExample
from synthspec.validate.testing import compile_text, run_validator

SPEC = """
list banned = ["acme corp", "globex"]
dataset d {
  output "out.jsonl"
  field sentiment: category("positive", "negative")
  field rating: integer 1..5
  field price: decimal 0.5..99.99 places 2
  field gift: boolean
  field sku: string /[A-Z]{3}-[0-9]{4}/
  field review: text { words 3..40 chars 10..300 must include "product" must not include banned, /\\bbuy now\\b/ }
}
"""

GOOD = {
    "sentiment": "positive",
    "rating": 4,
    "price": 12.5,
    "gift": False,
    "sku": "ABC-1234",
    "review": "This product works well for me.",
}


@pytest.fixture(scope="module")
def spec():
    return compile_text(SPEC)


def _codes(result, index=None):
    return sorted(
        f.code
        for f in result.findings
        if f.severity.value == "error" and (index is None or f.record_index == index)
    )


def test_schema_accepts_a_conforming_record_and_reports_each_violation(spec) -> None:
    bad = [
        dict(GOOD, sentiment="neutral"),
        dict(GOOD, rating=9),
        dict(GOOD, price=3.14159),
        dict(GOOD, gift="maybe"),
        dict(GOOD, sku="ABC-12345"),
        dict(GOOD, review="product ok"),
        dict(GOOD, review="A fine thing that I bought for my garden last week."),
        dict(GOOD, review="Great product, buy now from Acme Corp!"),
        {k: v for k, v in GOOD.items() if k != "rating"},
        dict(GOOD, rating="4"),  # CSV-typed numbers are fine
    ]
    result = run_validator("schema", [GOOD, *bad], spec)
    assert _codes(result, 0) == [] and _codes(result, 10) == []
    assert [_codes(result, i) for i in range(1, 10)] == [
        ["S002"],
        ["S004"],
        ["S004"],
        ["S003"],
        ["S005"],
        ["S006"],
        ["S007"],
        ["S008", "S008"],
        ["S001"],
    ]


def test_schema_reports_undeclared_keys_as_warnings_and_ignores_underscore_keys(spec) -> None:
    result = run_validator("schema", [dict(GOOD, extra=1, _provenance={"id": "r1"})], spec)
    assert [(f.severity.value, f.field) for f in result.findings] == [("warning", "extra")]
    assert result.findings[0].record_id == "r1"


def test_forbidden_finds_pii_with_checksums_and_profanity(spec) -> None:
    texts = [
        "This product is ok.",
        "This product is ok, mail bob@example.com",
        "This product charged card 4111 1111 1111 1111",
        "This product charged card 4111 1111 1111 1112",  # fails Luhn: an order number, not a card
        "This product refund to DE89 3704 0044 0532 0130 00",
        "This product refund to DE89 3704 0044 0532 0130 01",  # fails mod-97
        "This product is shit",
        "This product arrived at 10 Downing Street",
        "This product in class was fine",  # "ass" inside a word is not profanity
    ]
    result = run_validator("forbidden", [dict(GOOD, review=t) for t in texts], spec)
    assert {i: _codes(result, i) for i in range(len(texts)) if _codes(result, i)} == {
        1: ["pii.email"],
        2: ["pii.card_number"],
        4: ["pii.iban"],
        6: ["profanity"],
        7: ["pii.street_address"],
    }


def test_forbidden_params_are_checked_and_spec_lists_apply(spec) -> None:
    result = run_validator(
        "forbidden", [dict(GOOD, review="This product from Globex rocks")], spec, lists=["banned"]
    )
    assert _codes(result) == ["banned"]
    with pytest.raises(Exception, match="unknown PII kind"):
        run_validator("forbidden", [GOOD], spec, pii=["passport"])


def test_distribution_flags_shifted_labels_and_numbers(spec) -> None:
    rng = random.Random(0)
    seeds = [
        SeedExample(
            f"s{i}",
            {
                "sentiment": rng.choice(["positive", "negative"]),
                "rating": rng.randint(1, 5),
                "review": "the product is "
                + " ".join(rng.choice("abcdefgh") for _ in range(rng.randint(3, 12))),
            },
        )
        for i in range(400)
    ]
    same = [
        dict(GOOD, sentiment=s.values["sentiment"], rating=s.values["rating"], review=s.values["review"])
        for s in seeds[:200]
    ]
    shifted = [
        dict(GOOD, sentiment="positive", rating=5, review="product " + "word " * 30) for _ in range(200)
    ]
    ok = run_validator("distribution", same, spec, seeds=seeds)
    assert _codes(ok) == []
    bad = run_validator("distribution", shifted, spec, seeds=seeds)
    assert set(_codes(bad)) == {"psi", "ks", "length_kl", "vocab"}
    titles = [h.title for h in bad.histograms]
    assert "sentiment: records per value" in titles and any(t.startswith("review") for t in titles)


def test_diversity_detects_collapse(spec) -> None:
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(300)]
    seeds = [
        SeedExample(
            f"s{i}",
            {"review": "product " + " ".join(rng.choice(vocab) for _ in range(12)), "sentiment": "positive"},
        )
        for i in range(300)
    ]
    varied = [
        dict(GOOD, review="product " + " ".join(rng.choice(vocab) for _ in range(12))) for _ in range(300)
    ]
    collapsed = [
        dict(GOOD, review="This product is great and I love this product " + rng.choice(["a", "b"]))
        for _ in range(300)
    ]
    assert _codes(run_validator("diversity", varied, spec, seeds=seeds)) == []
    result = run_validator("diversity", collapsed, spec, seeds=seeds)
    assert set(_codes(result)) == {"distinct", "similarity"}
    assert result.metrics["distinct_2"] < result.metrics["seeds_distinct_2"]


def test_bias_reports_association_between_gendered_text_and_labels(spec) -> None:
    records = []
    for i in range(200):
        positive = i % 2 == 0
        who = "He" if positive else "She"
        records.append(
            dict(
                GOOD,
                sentiment="positive" if positive else "negative",
                review=f"{who} said this product is fine {i}",
            )
        )
    result = run_validator("bias", records, spec)
    assert _codes(result) == ["association"]
    assert result.metrics["text:gender~sentiment.cramers_v"] > 0.9
    balanced = [
        dict(r, review=("He" if i % 4 < 2 else "She") + " said this product is fine")
        for i, r in enumerate(records)
    ]
    assert _codes(run_validator("bias", balanced, spec)) == []


def test_bias_skew_of_a_declared_attribute(spec) -> None:
    records = [dict(GOOD, gift=(i % 20 == 0)) for i in range(200)]
    result = run_validator("bias", records, spec, attributes=["gift"], lexicon=False)
    assert "skew" in _codes(result)


def test_combinations_lists_pairs_never_seen_in_seeds(spec) -> None:
    seeds = [
        SeedExample("a", {"sentiment": "positive", "gift": "True"}),
        SeedExample("b", {"sentiment": "negative", "gift": "False"}),
    ]
    records = [dict(GOOD, sentiment="positive", gift=True), dict(GOOD, sentiment="negative", gift=True)]
    result = run_validator("combinations", records, spec, seeds=seeds, fields=["sentiment", "gift"])
    assert [(f.record_index, f.severity.value) for f in result.findings] == [(1, "warning")]
    assert result.metrics["unseen_pairs"] == 1


def test_contamination_against_an_eval_file(tmp_path) -> None:
    (tmp_path / "eval.jsonl").write_text(
        '{"review": "The blender broke after two days of light use."}\n'
        '{"review": "Fantastic battery life, lasts a whole week on one charge."}\n'
    )
    spec = compile_text('dataset d { output "o.jsonl" field review: text }', directory=tmp_path)
    records = [
        {"review": "The blender broke after two days of light use."},
        {"review": "Fantastic battery life, lasts a whole week on one charge!!"},
        {"review": "Shipping was quick and the box was intact."},
    ]
    result = run_validator("contamination", records, spec, eval_file="eval.jsonl")
    assert [(f.record_index, f.code) for f in result.findings] == [(0, "exact"), (1, "exact")]
    assert run_validator("contamination", records, spec).notes == [
        "no eval_file given: nothing to compare against"
    ]
