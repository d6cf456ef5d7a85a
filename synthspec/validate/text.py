"""Text helpers shared by validators: which fields hold text, normalising, tokenising.

Validators must agree on what "the text of a record" is and on what counts as
the same text, or one validator's duplicate is another's distinct record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from synthspec.datafiles import SeedExample
from synthspec.ir.model import Spec
from synthspec.lower.textshape import words as words  # one definition of a word, the build checks it too

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)


def text_fields(spec: Spec, chosen: Sequence[str] | None = None) -> list[str]:
    """The fields to treat as text: `chosen` if given, else every `text` field, else every `pattern` field."""
    if chosen:
        return list(chosen)
    names = [f.name for f in spec.fields if f.kind == "text"]
    if not names:
        names = [f.name for f in spec.fields if f.kind == "pattern"]
    return names


def category_fields(spec: Spec) -> list[str]:
    """Fields whose values are labels: categories and booleans."""
    return [f.name for f in spec.fields if f.kind in ("category", "boolean")]


def text_of(values: dict[str, Any], fields: Sequence[str]) -> str:
    """The fields' values joined by newlines (missing or null values are skipped)."""
    parts = [str(values[f]) for f in fields if values.get(f) is not None]
    return "\n".join(parts)


def seed_values(seeds: Iterable[SeedExample]) -> list[dict[str, Any]]:
    """Seed examples as plain dicts keyed by field name."""
    return [dict(s.values) for s in seeds]


def normalize(text: str) -> str:
    """Case-folded, NFKC, punctuation dropped, whitespace collapsed: the key for 'same text'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """All contiguous n-grams of a token list (empty if shorter than n)."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
