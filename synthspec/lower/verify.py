"""The post-generation re-check of every constraint of a record.

Grammars enforce most constraints while decoding, but not all (multi-word
phrases, character limits, regexes spanning words), and a server backend may
not have enforced the grammar at all.  `verify_record` re-checks everything
on the finished values, so a record that passes is valid whatever produced it.
Matching mirrors the grammar: terms are whole words, case-insensitive unless
the spec says `case sensitive`; includes are case-insensitive substrings.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from synthspec.ir.model import (
    BooleanField,
    CategoryField,
    DecimalField,
    Forbidden,
    IntegerField,
    PatternField,
    Spec,
    TextField,
)
from synthspec.lower.constraints import resolve, terms_of
from synthspec.lower.regex import term_pattern
from synthspec.lower.textshape import ending_problem, repeated_ngram
from synthspec.pii import find_blocked


@lru_cache(maxsize=1024)
def _compiled(pattern: str, flags: int) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, flags)
    except re.error:
        return None


def forbidden_hits(item: Forbidden, text: str) -> list[str]:
    """What of `item` occurs in `text` (empty: nothing)."""
    if item.kind == "class":
        return find_blocked(text) if item.name == "pii" else []
    if item.kind == "regex":
        regex = _compiled(item.pattern or "", 0 if item.case_sensitive else re.IGNORECASE)
        return [m.group(0) for m in regex.finditer(text)] if regex else []
    regex = term_pattern(terms_of(item), item.case_sensitive)
    return [m.group(0) for m in regex.finditer(text)] if regex else []


def _check_text(spec: Spec, f: TextField, value: str, values: dict[str, Any]) -> list[str]:
    problems = []
    if "\n" in value or "\r" in value:
        problems.append(f"{f.name}: contains a line break")
    words = len(value.split())
    if f.words and not f.words.min <= words <= f.words.max:
        problems.append(f"{f.name}: {words} words, expected {f.words.min}..{f.words.max}")
    if f.chars and not f.chars.min <= len(value) <= f.chars.max:
        problems.append(f"{f.name}: {len(value)} characters, expected {f.chars.min}..{f.chars.max}")
    # Degeneration: a local sampler masks repeated n-grams and the grammar ends texts cleanly, but a
    # server may not have done either — so both are re-checked on every text, whatever produced it.
    repeat = repeated_ngram(value, f.no_repeat)
    if repeat is not None:
        problems.append(f"{f.name}: repeats the words {' '.join(repeat)!r} (no repeat {f.no_repeat})")
    ending = ending_problem(value)
    if ending is not None:
        problems.append(f"{f.name}: {ending}")
    resolved = resolve(spec, f.name, values)
    lowered = value.lower()
    for text, _ in resolved.includes:
        if text.lower() not in lowered:
            problems.append(f"{f.name}: does not include {text!r}")
    # Values the text must include (an order number, say) are not themselves forbidden content:
    # the grammar lets them through, so the re-check must too.
    without_includes = value
    for text, _ in resolved.includes:
        without_includes = re.sub(re.escape(text), " ", without_includes, flags=re.IGNORECASE)
    for item in resolved.forbidden:
        hits = forbidden_hits(item, without_includes if item.kind == "class" else value)
        if hits:
            what = "personal data" if item.kind == "class" else f"`{item.name}`"
            problems.append(f"{f.name}: contains {what}: {', '.join(repr(h) for h in hits[:3])}")
    return problems


def _check_field(spec: Spec, f: Any, value: Any, values: dict[str, Any]) -> list[str]:
    name = f.name
    if isinstance(f, CategoryField):
        if f.values and str(value) not in f.values:
            return [f"{name}: {value!r} is not one of {', '.join(f.values)}"]
    elif isinstance(f, IntegerField):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{name}: {value!r} is not a whole number"]
        if not f.range.min <= value <= f.range.max:
            return [f"{name}: {value} is outside {f.range.min}..{f.range.max}"]
    elif isinstance(f, DecimalField):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return [f"{name}: {value!r} is not a number"]
        if not f.range.min <= value <= f.range.max:
            return [f"{name}: {value} is outside {f.range.min:g}..{f.range.max:g}"]
    elif isinstance(f, BooleanField):
        if not isinstance(value, bool):
            return [f"{name}: {value!r} is not true/false"]
    elif isinstance(f, PatternField):
        regex = _compiled(f.pattern, 0)
        if not isinstance(value, str) or (regex is not None and regex.fullmatch(value) is None):
            return [f"{name}: {value!r} does not match /{f.pattern}/"]
    elif isinstance(f, TextField):
        if not isinstance(value, str) or not value.strip():
            return [f"{name}: empty or not text"]
        return _check_text(spec, f, value, values)
    return []


def verify_record(spec: Spec, values: dict[str, Any]) -> list[str]:
    """Every constraint violated by a finished record (empty list: the record is valid)."""
    problems: list[str] = []
    for f in spec.fields:
        if f.kind == "derived":
            continue
        if values.get(f.name) is None:
            problems.append(f"{f.name}: missing")
            continue
        problems.extend(_check_field(spec, f, values[f.name], values))
    return problems
