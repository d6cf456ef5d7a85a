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
    if case_sensitive or all(t.isascii() for t in cleaned):
        body = _trie(cleaned if case_sensitive else [t.lower() for t in cleaned])
    else:  # Unicode case-insensitive equivalence is wider than `lower` (ſ matches s): the flat alternation
        body = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def _trie(terms: list[str]) -> str:
    """The terms as one regex shaped like a trie: `ass(?:hole)?`-style, shared prefixes written once.

    Why: a flat alternation is tried term by term at every position of every text (12 µs a text for the
    46 profanity terms); a trie rejects a position on its first character (5 µs).  It matches what the flat
    longest-first alternation matches: the terms that match at one position are prefixes of one another,
    so they lie on one path of the trie, and a node tries its longer continuations before ending.  For
    that, case variants must share a path: case-insensitive terms come in lower-cased (ASCII only, where
    `lower` is exactly the regex's case-insensitive equivalence).
    """
    root: dict[str, dict] = {}
    for term in sorted(terms):
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}  # a term ends here

    def emit(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + emit(child) for ch, child in node.items() if ch]
        if not alternatives:
            return ""
        ends = "" in node
        if len(alternatives) == 1 and not ends:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ("|" if ends else "") + ")"

    return emit(root)
