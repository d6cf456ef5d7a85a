"""Regex text for llguidance grammars: escaping, case expansion, forbidden terms, PII.

Grammars are decoded by llguidance, whose regexes follow Rust's `regex` crate,
while specs are written with Python's `re` in mind.  Rather than pass user
regexes through and hope the dialects agree, a pattern is parsed with Python's
own parser and re-emitted in a small subset both engines read the same way
(ASCII classes instead of Unicode `\\d`/`\\w`, explicit case variants instead of
`(?i)`, which blows up llguidance's lexer inside a negation).  The emitted text
is also valid Python, so the GBNF translator of the server backend reads it.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

from synthspec.pii import DIGIT_RUN_MIN, DIGIT_RUN_SEPARATORS

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as C  # noqa: N812 - the stdlib's own names
    import sre_parse

WORD_CHARS = "A-Za-z0-9_"
NOT_WORD = f"[^{WORD_CHARS}]"
# Characters a free-text word may use: ASCII letters, digits and ordinary punctuation.
# No `@`: no e-mail addresses (`synthspec.pii`'s grammar share), no markup characters, no whitespace (words are joined by one space).
WORD_PUNCT = ",.'!?;:()$%&/\"-"
_NL = "\\n"
_CLASS_SPECIAL = set("\\]^-[")
_SPECIAL = set("\\.^$|?*+()[]{}/&~\"")


class Unsupported(ValueError):
    """A regex construct with no faithful llguidance form (lookaround, backreference, ...)."""


def escape_char(ch: str, in_class: bool = False) -> str:
    """One character escaped for a llguidance `/.../` regex (and for Python's `re`)."""
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ord(ch) < 32 or ord(ch) == 127:
        return f"\\x{ord(ch):02x}"
    if ch == "/":
        return "\\/"  # `/` would end the Lark regex literal
    if (in_class and ch in _CLASS_SPECIAL) or (not in_class and ch in _SPECIAL):
        return "\\" + ch
    return ch


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


def lark_string(text: str) -> str:
    """A Lark string literal (double-quoted, escaped)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


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
    cleaned = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", 0 if case_sensitive else re.IGNORECASE)


@lru_cache(maxsize=1)
def builtin_profanity() -> tuple[str, ...]:
    """The shipped `profanity` word class (used when the IR carries no terms for it)."""
    path = Path(__file__).with_name("wordlists") / "profanity.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# ------------------------------------------------------------ python regex → llguidance regex

_CATEGORIES = {
    C.CATEGORY_DIGIT: "0-9",
    C.CATEGORY_WORD: "A-Za-z0-9_",
    C.CATEGORY_SPACE: " \\t",
}
_NOT_CATEGORIES = {
    C.CATEGORY_NOT_DIGIT: "0-9\\n",
    C.CATEGORY_NOT_WORD: "A-Za-z0-9_\\n",
    C.CATEGORY_NOT_SPACE: " \\t\\n\\r",
}


def parse_python(pattern: str, ignore_case: bool = False) -> sre_parse.SubPattern:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return sre_parse.parse(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, OverflowError, RecursionError) as exc:
        raise Unsupported(f"invalid regex: {exc}") from None


def to_llg(pattern: str, ignore_case: bool = False, single_line: bool = True) -> str:
    """Re-emit a Python regex as llguidance regex text (ASCII classes, explicit case, no newline)."""
    tree = parse_python(pattern, ignore_case)
    if tree.state.flags & re.IGNORECASE:
        ignore_case = True
    return _seq(list(tree), ignore_case, single_line)


def _seq(items: list, icase: bool, single: bool) -> str:
    return "".join(_node(op, av, icase, single) for op, av in items)


def _char_in_class(code: int, icase: bool) -> str:
    ch = chr(code)
    if icase and ch.lower() != ch.upper() and len(ch.upper()) == 1:
        return escape_char(ch.upper(), True) + escape_char(ch.lower(), True)
    return escape_char(ch, True)


def _node(op, av, icase: bool, single: bool) -> str:  # noqa: C901 - one branch per regex construct
    if op is C.LITERAL:
        ch = chr(av)
        if icase and ch.lower() != ch.upper():
            return f"[{_char_in_class(av, True)}]"
        return escape_char(ch)
    if op is C.NOT_LITERAL:
        return f"[^{_char_in_class(av, icase)}{_NL if single else ''}]"
    if op is C.ANY:
        return "[^\\n]" if single else "(?s:.)"
    if op is C.IN:
        return _class(av, icase, single)
    if op is C.BRANCH:
        return "(?:" + "|".join(_seq(list(b), icase, single) for b in av[1]) + ")"
    if op is C.SUBPATTERN:
        return "(?:" + _seq(list(av[-1]), icase, single) + ")"
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        inner = _seq(list(sub), icase, single)
        if len(sub) != 1 or sub[0][0] not in (C.LITERAL, C.IN, C.ANY, C.NOT_LITERAL, C.SUBPATTERN):
            inner = f"(?:{inner})"
        if high == C.MAXREPEAT:
            return inner + ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}")
        if low == 0 and high == 1:
            return inner + "?"
        return inner + (f"{{{low}}}" if low == high else f"{{{low},{high}}}")
    if op is C.AT:
        raise Unsupported("anchors and word boundaries (^ $ \\b) inside a pattern")
    raise Unsupported(f"regex construct {str(op).lower()} (lookaround, backreference or similar)")


def _class(items, icase: bool, single: bool) -> str:
    negate = False
    parts: list[str] = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            parts.append(_char_in_class(av, icase))
        elif op is C.RANGE:
            lo, hi = av
            parts.append(f"{escape_char(chr(lo), True)}-{escape_char(chr(hi), True)}")
            if icase:
                a, b = chr(lo), chr(hi)
                if a.isalpha() and b.isalpha() and a.isascii() and b.isascii():
                    parts.append(f"{escape_char(a.swapcase(), True)}-{escape_char(b.swapcase(), True)}")
        elif op is C.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        elif op is C.CATEGORY and av in _NOT_CATEGORIES:
            if len(items) != 1 or negate:
                raise Unsupported("a negated class (\\D, \\W, \\S) inside [...]")
            return f"[^{_NOT_CATEGORIES[av]}]"
        else:
            raise Unsupported(f"class item {str(op).lower()}")
    if negate:
        return f"[^{''.join(parts)}{_NL if single else ''}]"
    return f"[{''.join(parts)}]"


def can_match_space(pattern: str, ignore_case: bool = False) -> bool:
    """True when the regex could match whitespace (so it may span words); True if unreadable.

    Whitespace can only come from a literal space/tab, a `\\s` class, a negated
    class or `.`, all visible in the re-emitted form.
    """
    try:
        probe = to_llg(pattern, ignore_case)
    except Unsupported:
        return True
    return re.search(r"\[\^| |\\t", probe) is not None


def strip_word_boundaries(pattern: str) -> tuple[str, bool, bool]:
    """`\\bscam\\b` → (`scam`, True, True): edge word boundaries become the whole-word wrapper."""
    start = pattern.startswith("\\b")
    end = pattern.endswith("\\b") and not pattern.endswith("\\\\b")
    body = pattern[2 if start else 0: len(pattern) - 2 if end else len(pattern)]
    return body, start, end
