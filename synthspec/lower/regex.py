"""Regex text for llguidance grammars: escaping, case expansion, forbidden terms, PII.

Grammars are decoded by llguidance, whose regexes follow Rust's `regex` crate,
while specs are written with Python's `re` in mind.  User patterns are re-emitted
by the one regex core (`synthspec/regexcore.py`: parsed once, every form derived
from the same tree); this module builds the grammar's own regex pieces on top.
"""

from __future__ import annotations

import re

from synthspec.grammar.terms import load_list, term_regex
from synthspec.pii import DIGIT_RUN_MIN, DIGIT_RUN_SEPARATORS
from synthspec.regexcore import Unsupported, can_match_space, escape_char, to_llg

__all__ = ["Unsupported", "can_match_space", "escape_char", "to_llg"]  # re-exported: the regex core
WORD_CHARS = "A-Za-z0-9_"
NOT_WORD = f"[^{WORD_CHARS}]"
# Characters a free-text word may use: ASCII letters, digits and ordinary punctuation.
# No `@`: no e-mail addresses (`synthspec.pii`'s grammar share); no markup characters, no whitespace (words are
# joined by one space).
WORD_PUNCT = ",.'!?;:()$%&/\"-"


def escape(text: str) -> str:
    """A literal string as regex text."""
    return "".join(escape_char(ch) for ch in text)


def case_expand(text: str) -> str:
    """`Acme` → `[Aa][Cc][Mm][Ee]`: case-insensitive without `(?i)`."""
    out = []
    for ch in text:
        low, up = ch.lower(), ch.upper()
        if low != up and len(low) == 1 and len(up) == 1:
            out.append(f"[{escape_char(up, True)}{escape_char(low, True)}]")
        else:
            out.append(escape_char(ch))
    return "".join(out)


def word_class(digits: bool = True) -> str:
    """The character class of one free-text word."""
    punct = "".join(escape_char(c, True) for c in WORD_PUNCT)
    return f"[A-Za-z{'0-9' if digits else ''}{punct}]"


def whole_word(body: str) -> str:
    """Regex for a word token (no spaces) that contains `body` as a whole word."""
    return f"(.*{NOT_WORD})?(?:{body})({NOT_WORD}.*)?"


def pii_run() -> str:
    """The grammar's share of `synthspec.pii`: a digit run as long as a phone or card number, its digits
    optionally split by single separators (a space ends a word, so within a word the others)."""
    seps = "".join(escape_char(c, True) for c in DIGIT_RUN_SEPARATORS if c != " ")
    return f"[0-9]([{seps}]?[0-9]){{{DIGIT_RUN_MIN - 1},}}"


def term_pattern(terms: tuple[str, ...] | list[str], case_sensitive: bool) -> re.Pattern[str] | None:
    """Python regex matching any term as a whole word (None when there are none); mirrors the grammar."""
    return term_regex(terms, case_sensitive)


def builtin_profanity() -> tuple[str, ...]:
    """The shipped `profanity` word class (used when the IR carries no terms for it)."""
    return load_list("profanity")


def strip_word_boundaries(pattern: str) -> tuple[str, bool, bool]:
    """`\\bscam\\b` → (`scam`, True, True): edge word boundaries become the whole-word wrapper."""
    start = pattern.startswith("\\b")
    end = pattern.endswith("\\b") and not pattern.endswith("\\\\b")
    body = pattern[2 if start else 0: len(pattern) - 2 if end else len(pattern)]
    return body, start, end
