"""Regex text for llguidance grammars: escaping, case expansion, forbidden terms, PII.

Grammars are decoded by llguidance, whose regexes follow Rust's `regex` crate,
while specs are written with Python's `re` in mind.  User patterns are re-emitted
by the one regex core (`synthspec/regexcore.py`: parsed once, every form derived
from the same tree); this module builds the grammar's own regex pieces on top.
"""

from __future__ import annotations

import re

from synthspec.grammar.terms import load_list, term_regex
from synthspec.regexcore import Unsupported, can_match_space, escape_char, to_llg

__all__ = ["Unsupported", "can_match_space", "escape_char", "to_llg"]  # re-exported: the regex core
WORD_CHARS = "A-Za-z0-9_"
NOT_WORD = f"[^{WORD_CHARS}]"
# Characters a free-text word may use: ASCII letters, digits and ordinary punctuation.
# No `@` (no e-mail addresses), no markup characters, no whitespace (words are joined by one space).
WORD_PUNCT = ",.'!?;:()$%&/\"-"
# What may separate the digits of a phone or card number.
PII_SEPARATORS = " .()+-"
PII_MIN_DIGITS = 7


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
    """A digit run as long as a phone or card number, digits optionally split by single separators."""
    seps = "".join(escape_char(c, True) for c in PII_SEPARATORS if c != " ")
    return f"[0-9]([{seps}]?[0-9]){{{PII_MIN_DIGITS - 1},}}"


PII_TEXT_RE = re.compile(
    r"(?<![0-9])[0-9](?:[" + re.escape(PII_SEPARATORS) + r"]?[0-9]){" + str(PII_MIN_DIGITS - 1) + r",}"
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_pii(text: str) -> list[str]:
    """E-mail addresses and phone/card-like digit runs in `text` (what the grammar keeps out)."""
    return EMAIL_RE.findall(text) + [m.group(0) for m in PII_TEXT_RE.finditer(text)]


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
