"""Tests through the installed entry point, as synthspec itself would run the validator."""

from __future__ import annotations

import pytest
from synthspec_readability.validator import fk_grade, syllables

from synthspec.diagnostics import SynthspecError
from synthspec.validate.testing import run_validator

SPEC = """
dataset d {
  output "out.jsonl"
  field label: category("a", "b")
  field text: text { words 1..200 }
}
"""

SIMPLE = "The cat sat. The dog ran. We had fun."
DENSE = (
    "Notwithstanding considerable institutional heterogeneity, comprehensive macroeconomic stabilization "
    "necessitates coordinated intergovernmental implementation of countercyclical fiscal interventions."
)


def test_syllables_on_known_words() -> None:
    assert [syllables(w) for w in ("cat", "table", "make", "beautiful", "the")] == [1, 2, 1, 3, 1]


def test_grades_order_simple_below_dense() -> None:
    assert fk_grade(SIMPLE) < 2 < 15 < fk_grade(DENSE)


def test_dense_text_is_flagged_and_simple_is_not() -> None:
    records = [{"label": "a", "text": SIMPLE}, {"label": "b", "text": DENSE}]
    result = run_validator("reading_level", records, SPEC, max_grade=10)
    assert [f.record_index for f in result.findings] == [1]
    assert result.findings[0].value > 10 and result.findings[0].threshold == 10


def test_bad_parameter_is_rejected() -> None:
    with pytest.raises(SynthspecError, match="max_grade"):
        run_validator("reading_level", [], SPEC, max_grade="very hard")
