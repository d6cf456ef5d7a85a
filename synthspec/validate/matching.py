"""Compiled matchers for `must include` / `must not include` items.

Terms match as whole words (a forbidden "ass" must not fire on "class"),
case-insensitively unless the spec says `case sensitive`; regexes are
searched as written.  Compiling once per validator run keeps per-record
checks cheap enough for the build loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthspec.grammar.terms import term_regex
from synthspec.ir.model import Forbidden

__all__ = ["ForbiddenMatcher", "compile_forbidden", "term_regex"]  # term_regex: the one in grammar/terms.py


@dataclass(frozen=True)
class ForbiddenMatcher:
    """A compiled `Forbidden` item; `class` items (pii) carry no regex and are left to `forbidden`."""

    item: Forbidden
    regex: re.Pattern[str] | None

    def search(self, text: str) -> str | None:
        """The first forbidden match in `text`, or None."""
        if self.regex is None:
            return None
        m = self.regex.search(text)
        return m.group(0) if m else None


def compile_forbidden(item: Forbidden) -> ForbiddenMatcher:
    flags = 0 if item.case_sensitive else re.IGNORECASE
    if item.kind == "regex" and item.pattern:
        return ForbiddenMatcher(item, re.compile(item.pattern, flags))
    if item.kind == "literal":
        return ForbiddenMatcher(
            item, term_regex((item.terms[0] if item.terms else item.name,), item.case_sensitive)
        )
    if item.kind == "list":
        return ForbiddenMatcher(item, term_regex(item.terms, item.case_sensitive))
    return ForbiddenMatcher(item, None)
