"""The `reading_level` validator: Flesch-Kincaid grade of each text field, against bounds."""

from __future__ import annotations

import re
from typing import Any

from synthspec.validate.api import Finding, Params, Scope, Validator, ValidatorContext, record_id

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Vowel groups, minus a silent final e, at least one."""
    w = word.lower()
    count = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def fk_grade(text: str) -> float | None:
    """Flesch-Kincaid grade level, or None for text without words."""
    words = _WORD.findall(text)
    if not words:
        return None
    sentences = max(1, len(_SENTENCE_END.findall(text.strip() + " ")))
    syl = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syl / len(words) - 15.59


class ReadingLevelParams(Params):
    max_grade: float = 12.0
    min_grade: float = -5.0
    fields: list[str] | None = None


class ReadingLevel(Validator):
    name = "reading_level"
    Params = ReadingLevelParams
    scope = Scope.RECORD
    default_policy = "flag"
    description = "Flesch-Kincaid grade of text fields within [min_grade, max_grade]"

    def prepare(self, ctx: ValidatorContext) -> None:
        chosen = ctx.params.fields
        self._fields = chosen or [f.name for f in ctx.spec.fields if f.kind == "text"]

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        out = []
        p: ReadingLevelParams = ctx.params
        for field in self._fields:
            text = record.get(field)
            if not isinstance(text, str):
                continue
            grade = fk_grade(text)
            if grade is None:
                continue
            if grade > p.max_grade:
                out.append(
                    self.finding(
                        "error",
                        f"{field} reads at grade {grade:.1f}, above {p.max_grade}",
                        record_index=index,
                        record_id=record_id(record),
                        field=field,
                        value=round(grade, 2),
                        threshold=p.max_grade,
                    )
                )
            elif grade < p.min_grade:
                out.append(
                    self.finding(
                        "error",
                        f"{field} reads at grade {grade:.1f}, below {p.min_grade}",
                        record_index=index,
                        record_id=record_id(record),
                        field=field,
                        value=round(grade, 2),
                        threshold=p.min_grade,
                    )
                )
        return out
