"""Tests through the installed entry point."""

from __future__ import annotations

from synthspec.validate.testing import run_validator

SPEC = """
dataset d {
  output "out.jsonl"
  field text: text { words 1..100 }
}
"""

RECORDS = [
    {"text": "Thanks, the refund arrived this morning."},
    {"text": "You idiot, I know where you live."},  # 0.5 + 1.0
    {"text": "That was a stupid mistake on my part."},  # 0.5: below the default threshold
    {"text": "Such a scumbag move by the bank."},
]


def test_threats_cross_the_threshold_and_mild_words_do_not() -> None:
    result = run_validator("toxicity", RECORDS, SPEC)
    assert [f.record_index for f in result.findings] == [1]
    assert result.findings[0].value == 1.5


def test_extra_phrases_and_lower_threshold() -> None:
    result = run_validator("toxicity", RECORDS, SPEC, threshold=0.5, extra=["scumbag"])
    assert [f.record_index for f in result.findings] == [1, 2, 3]
