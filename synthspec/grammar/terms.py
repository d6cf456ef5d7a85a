"""The word lists of the language and how a list of terms is matched: one loader, one term regex.

`profanity` is a built-in word class of the `.synth` language (`must not include profanity`), so its list ships
with the grammar: lowering keeps the words out of the grammar, `verify_record` and the validators look for them
after generation, all from the same file.  `sensitive` marks attribute terms for the `bias` validator.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


@cache
def load_list(name: str) -> tuple[str, ...]:
    """The non-comment, non-empty lines of `grammar/wordlists/<name>.txt`."""
    text = resources.files("synthspec.grammar").joinpath("wordlists", f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def term_regex(terms: tuple[str, ...] | list[str], case_sensitive: bool = False) -> re.Pattern[str] | None:
    """One alternation matching any term as a whole word (None when there are no terms).

    Whole words: a forbidden "ass" must not fire on "class".  Longest terms first, so a term that contains
    another is matched whole.
    """
    cleaned = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", 0 if case_sensitive else re.IGNORECASE)
