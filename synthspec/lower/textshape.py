"""What makes a text read as finished: repeated word n-grams, clean endings, balanced brackets.

One definition shared by lowering (which decides, from the seeds, whether texts must end on a sentence
end), the post-generation re-check (`verify_record`, the `schema` validator) and the report's quality
measures — so a text the build accepts is measured the same way the report counts it.

Words here are what a reader sees as words: runs of letters and digits with inner apostrophes, case
folded ("Card," and "card" are the same word), the definition `no repeat N` is enforced on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# A sentence end, optionally inside closing quotes/brackets: `done.`, `why?"`, `(see above).`
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# A text cut inside a word or number — it ends on a joiner (`107-165-`, `e-`, `and/`) or an opening
# mark — or on a comma, semicolon or colon, which promise more.
_CUT = re.compile(r"[-/&(\[“,;:]$")
# At or above this share of seed texts ending on a sentence end, generated texts must too.
SENTENCE_END_SHARE = 0.5


def words(text: str) -> list[str]:
    """The case-folded words of `text` (punctuation dropped).

    ASCII text (most of it, and every text of a 10M-record validation is asked for its words by several
    validators) is lower-cased once and split, which gives the same words: for ASCII, `casefold` is
    `lower` and changes no word boundary.  Other text is split first and each word case-folded, because
    folding can change boundaries (`İ` folds to `i` plus a combining dot, which is not a word character).
    """
    if text.isascii():
        return _WORD.findall(text.lower())
    return [w.casefold() for w in _WORD.findall(text)]


def repeated_ngram(text: str, n: int) -> tuple[str, ...] | None:
    """The first word n-gram that occurs twice in `text` (None: none, or n < 1)."""
    if n < 1:
        return None
    tokens = words(text)
    seen: set[tuple[str, ...]] = set()
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        if gram in seen:
            return gram
        seen.add(gram)
    return None


def ends_sentence(text: str) -> bool:
    """The text's last character closes a sentence (`.`, `!`, `?`, possibly inside quotes/brackets)."""
    return bool(_SENTENCE_END.search(text.rstrip()))


def unbalanced(text: str) -> str | None:
    """The first bracket or double quote left open or closed without an opener (None: balanced)."""
    if "(" not in text and ")" not in text and "[" not in text and "]" not in text:
        return None if text.count('"') % 2 == 0 and text.count("“") == text.count("”") else '"'
    depth = {"(": 0, "[": 0}
    closer = {")": "(", "]": "["}
    for ch in text:
        if ch in depth:
            depth[ch] += 1
        elif ch in closer:
            if depth[closer[ch]] == 0:
                return ch
            depth[closer[ch]] -= 1
    for opener, n in depth.items():
        if n:
            return opener
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return '"'
    return None


def cut_off(text: str) -> bool:
    """The text stops inside a word or number, or on a mark that promises more (`107-165-`, `and,`)."""
    return bool(_CUT.search(text.rstrip()))


def ending_problem(text: str, sentence_end: bool = False) -> str | None:
    """Why the text does not end cleanly (None when it does); `sentence_end` also requires `.`/`!`/`?`."""
    stripped = text.rstrip()
    if not stripped:
        return "is empty"
    if cut_off(stripped):
        return f"stops mid-word, mid-number or on a comma/colon: …{stripped[-20:]!r}"
    mark = unbalanced(stripped)
    if mark is not None:
        return f"leaves {mark!r} unbalanced"
    if sentence_end and not ends_sentence(stripped):
        return f"does not end on a sentence end: …{stripped[-20:]!r}"
    return None


def sentence_end_share(texts: Iterable[str]) -> float | None:
    """The share of non-empty texts that end on a sentence end (None: no texts)."""
    flags = [ends_sentence(t) for t in texts if isinstance(t, str) and t.strip()]
    return sum(flags) / len(flags) if flags else None


def wants_sentence_end(texts: Sequence[str]) -> bool:
    """Generated texts must end on a sentence end when most of the seeds' texts do."""
    share = sentence_end_share(texts)
    return share is not None and share >= SENTENCE_END_SHARE
