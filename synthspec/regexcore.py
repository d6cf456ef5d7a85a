"""One regex core: a user pattern is parsed once, and every fact about it is read off the one tree.

Specs are written with Python's `re` in mind; grammars are decoded by llguidance (Rust `regex` dialect) or, behind
a llama.cpp server, by GBNF.  Rather than three walkers over the stdlib's private parser (one in the checker for
lengths, one in lowering for the llguidance form, one in the GBNF translator), a pattern is parsed here with
Python's own parser (cached) and this module derives:

* `width(pattern)` — the (min, max) length of what it matches (the checker and the IR);
* `to_llg(pattern)` — llguidance regex text in a subset both engines read alike: ASCII classes instead of Unicode
  `\\d`/`\\w`, explicit case variants instead of `(?i)` (which blows up llguidance's lexer inside a negation); the
  emitted text is also valid Python;
* `to_gbnf(pattern)` — the GBNF form of the same tree (the OpenAI-compatible server backend);
* `can_match_space(pattern)` — whether it may match whitespace, i.e. span words (lowering of `must not include`).

This is a base module: it imports nothing from the pipeline, so check, lower and generate all use it.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:  # Python 3.11+: the parser lives in `re`; `sre_parse` is a deprecated alias
        from re import _constants as C  # noqa: N812 - the stdlib's own names
        from re import _parser as sre_parse
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as C  # type: ignore[no-redef]  # noqa: N812
        import sre_parse  # type: ignore[no-redef]

Items = list[tuple[Any, Any]]
MAXREPEAT_GUARD = 1 << 30
_NL = "\\n"
_CLASS_SPECIAL = set("\\]^-[")
_SPECIAL = set("\\.^$|?*+()[]{}/&~\"")
_WHITESPACE = frozenset(map(ord, " \t\n\r\f\v"))


class RegexError(ValueError):
    """The pattern is not a valid Python regex."""


class Unsupported(ValueError):
    """A regex construct with no faithful llguidance form (lookaround, backreference, ...)."""


class Untranslatable(ValueError):
    """A construct GBNF (or this translator) cannot express."""


@lru_cache(maxsize=1024)
def parse(pattern: str, ignore_case: bool = False) -> Any:
    """Python's parse tree of a pattern (`sre_parse.SubPattern`), cached: every derivation below reads it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return sre_parse.parse(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, OverflowError, RecursionError) as exc:
        raise RegexError(str(exc)) from None


def width(pattern: str) -> tuple[int, int | None] | None:
    """(min, max) length of the strings a regex matches; max None when unbounded; None if invalid."""
    try:
        low, high = parse(pattern, False).getwidth()
    except RegexError:
        return None
    return low, (None if high >= MAXREPEAT_GUARD else high)


# ---------------------------------------------------------------- escaping (llguidance regex text)


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


# ---------------------------------------------------------------- tree → llguidance regex

_LLG_CATEGORIES = {
    C.CATEGORY_DIGIT: "0-9",
    C.CATEGORY_WORD: "A-Za-z0-9_",
    C.CATEGORY_SPACE: " \\t",
}
_LLG_NOT_CATEGORIES = {
    C.CATEGORY_NOT_DIGIT: "0-9\\n",
    C.CATEGORY_NOT_WORD: "A-Za-z0-9_\\n",
    C.CATEGORY_NOT_SPACE: " \\t\\n\\r",
}
_OPPOSITE = {C.CATEGORY_DIGIT: C.CATEGORY_NOT_DIGIT, C.CATEGORY_WORD: C.CATEGORY_NOT_WORD,
             C.CATEGORY_SPACE: C.CATEGORY_NOT_SPACE}


def to_llg(pattern: str, ignore_case: bool = False, single_line: bool = True) -> str:
    """Re-emit a Python regex as llguidance regex text (ASCII classes, explicit case, no newline)."""
    try:
        tree = parse(pattern, ignore_case)
    except RegexError as exc:
        raise Unsupported(f"invalid regex: {exc}") from None
    if tree.state.flags & re.IGNORECASE:
        ignore_case = True
    return _seq(tree.data, ignore_case, single_line)


def _seq(items: Items, icase: bool, single: bool) -> str:
    return "".join(_node(op, av, icase, single) for op, av in items)


def _char_in_class(code: int, icase: bool) -> str:
    ch = chr(code)
    if icase and ch.lower() != ch.upper() and len(ch.upper()) == 1:
        return escape_char(ch.upper(), True) + escape_char(ch.lower(), True)
    return escape_char(ch, True)


def _node(op: Any, av: Any, icase: bool, single: bool) -> str:  # noqa: C901 - one branch per regex construct
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
        return _llg_class(av, icase, single)
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
    named = {C.ASSERT: "a lookahead or lookbehind (?=...) / (?<=...)",
             C.ASSERT_NOT: "a negative lookahead or lookbehind (?!...) / (?<!...)",
             C.GROUPREF: "a backreference (\\1)", C.GROUPREF_EXISTS: "a conditional group (?(1)...)"}
    raise Unsupported(f"{named.get(op, f'the regex construct {str(op).lower()}')}, which a grammar cannot express")


_OPPOSITE = {C.CATEGORY_DIGIT: C.CATEGORY_NOT_DIGIT, C.CATEGORY_WORD: C.CATEGORY_NOT_WORD,
             C.CATEGORY_SPACE: C.CATEGORY_NOT_SPACE}


def _matches_nothing(items: Items) -> bool:
    """A negated class of everything (`[^\\s\\S]`, `[^\\x00-\\U0010ffff]`): no string can match it."""
    items = list(items)
    if not items or items[0][0] is not C.NEGATE:
        return False
    categories = {av for op, av in items if op is C.CATEGORY}
    if any(_OPPOSITE[c] in categories for c in categories if c in _OPPOSITE):
        return True
    return any(op is C.RANGE and av[0] == 0 and av[1] >= 0x10FFFF for op, av in items)


def _llg_class(items: Items, icase: bool, single: bool) -> str:
    if _matches_nothing(items):
        raise Unsupported("a character class that matches no character at all")
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
        elif op is C.CATEGORY and av in _LLG_CATEGORIES:
            parts.append(_LLG_CATEGORIES[av])
        elif op is C.CATEGORY and av in _LLG_NOT_CATEGORIES:
            if len(items) != 1 or negate:
                raise Unsupported("a negated class (\\D, \\W, \\S) inside [...]")
            return f"[^{_LLG_NOT_CATEGORIES[av]}]"
        else:
            raise Unsupported(f"class item {str(op).lower()}")
    if negate:
        return f"[^{''.join(parts)}{_NL if single else ''}]"
    return f"[{''.join(parts)}]"


# ---------------------------------------------------------------- tree → "can it match whitespace?"


def can_match_space(pattern: str, ignore_case: bool = False) -> bool:
    """True when the regex could match whitespace (so it may span words); True if unreadable or unsupported.

    Whitespace can only come from a whitespace literal, a class holding one (a range, `\\s`, a negation), a
    negated literal or `.`.
    """
    try:
        to_llg(pattern, ignore_case)  # what lowering cannot express is treated as spanning words
        return _items_space(parse(pattern, ignore_case).data)
    except (Unsupported, RegexError):
        return True


def _items_space(items: Items) -> bool:
    for op, av in items:
        if op is C.LITERAL and av in _WHITESPACE:
            return True
        if op in (C.NOT_LITERAL, C.ANY):
            return True
        if op is C.IN and _class_space(av):
            return True
        if op is C.BRANCH and any(_items_space(list(b)) for b in av[1]):
            return True
        if op is C.SUBPATTERN and _items_space(list(av[-1])):
            return True
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)) and _items_space(list(av[2])):
            return True
    return False


def _class_space(items: Items) -> bool:
    for op, av in items:
        if op is C.NEGATE:
            return True
        if op is C.LITERAL and av in _WHITESPACE:
            return True
        if op is C.RANGE and any(av[0] <= w <= av[1] for w in _WHITESPACE):
            return True
        if op is C.CATEGORY and av in (C.CATEGORY_SPACE, C.CATEGORY_NOT_DIGIT, C.CATEGORY_NOT_WORD):
            return True
    return False


# ---------------------------------------------------------------- tree → GBNF


def gbnf_char(code: int, in_class: bool) -> str:
    """One character as GBNF writes it, in a "literal" or inside [...]."""
    ch = chr(code)
    special = '"\\' if not in_class else "]\\^-["
    if ch in special:
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02X}"
    return ch


def gbnf_literal(text: str) -> str:
    return '"' + "".join(gbnf_char(ord(c), False) for c in text) + '"'


def gbnf_repeat(inner: str, low: int, high: int | None) -> str:
    group = f"({inner})"
    if (low, high) == (0, 1):
        return group + "?"
    if (low, high) == (0, None):
        return group + "*"
    if (low, high) == (1, None):
        return group + "+"
    return group + (f"{{{low},}}" if high is None else f"{{{low},{high}}}")


_GBNF_CATEGORIES = {
    C.CATEGORY_DIGIT: (False, [(48, 57)]),
    C.CATEGORY_NOT_DIGIT: (True, [(48, 57)]),
    C.CATEGORY_SPACE: (False, [(32, 32), (9, 13)]),
    C.CATEGORY_NOT_SPACE: (True, [(32, 32), (9, 13)]),
    C.CATEGORY_WORD: (False, [(48, 57), (65, 90), (97, 122), (95, 95)]),
    C.CATEGORY_NOT_WORD: (True, [(48, 57), (65, 90), (97, 122), (95, 95)]),
}


def to_gbnf(pattern: str) -> str:
    """The GBNF expression of a Python regex (raises Untranslatable)."""
    try:
        tree = parse(pattern, False)
    except RegexError as exc:
        raise Untranslatable(f"bad regex: {exc}") from None
    return _gbnf_items(tree.data)


def _gbnf_class(items: Items) -> str:
    negate = False
    ranges: list[tuple[int, int]] = []
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            ranges.append((arg, arg))
        elif op is C.RANGE:
            ranges.append(arg)
        elif op is C.CATEGORY:
            neg, cat = _GBNF_CATEGORIES.get(arg, (None, None))
            if neg is None or neg or cat is None:
                raise Untranslatable("negated or unicode category inside a class")
            ranges.extend(cat)
        else:
            raise Untranslatable(f"regex class item {op}")
    body = "".join(gbnf_char(a, True) if a == b else f"{gbnf_char(a, True)}-{gbnf_char(b, True)}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def _gbnf_items(items: Items) -> str:
    parts = []
    for op, arg in items:
        if op is C.LITERAL:
            parts.append(gbnf_literal(chr(arg)))
        elif op is C.NOT_LITERAL:
            parts.append(f"[^{gbnf_char(arg, True)}]")
        elif op is C.ANY:
            parts.append("[^\\n]")
        elif op is C.IN:
            parts.append(_gbnf_class(list(arg)))
        elif op is C.CATEGORY:
            parts.append(_gbnf_class([(C.CATEGORY, arg)]))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            parts.append(gbnf_repeat(_gbnf_items(list(sub)), low, None if high is C.MAXREPEAT else high))
        elif op is C.SUBPATTERN:
            parts.append("(" + _gbnf_items(list(arg[-1])) + ")")
        elif op is C.BRANCH:
            parts.append("(" + " | ".join(_gbnf_items(list(b)) for b in arg[1]) + ")")
        else:
            raise Untranslatable(f"regex construct {op} has no GBNF form")
    return " ".join(parts) if parts else '""'
