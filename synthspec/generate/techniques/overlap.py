"""Lexical overlap measures: ROUGE-L (LCS-based) and word-level edit distance.

Self-Instruct keeps a new instruction only if its ROUGE-L F-measure against
every instruction already in the pool stays below a ceiling (0.7 in the
paper); paraphrases must not copy too many words; counterfactual pairs are
compared with the human pairs by how many words were edited.  All measures
work on lower-cased word tokens so punctuation and case do not count as edits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _TOKEN.findall(str(text).lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (two-row dynamic programme, O(len(a)·len(b)))."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            if x == y:
                current.append(previous[j - 1] + 1)
            else:
                current.append(max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def _f_measure(lcs: int, n_a: int, n_b: int) -> float:
    if lcs == 0 or n_a == 0 or n_b == 0:
        return 0.0
    recall, precision = lcs / n_a, lcs / n_b
    return 2 * recall * precision / (recall + precision)


def rouge_l(candidate: str | Sequence[str], reference: str | Sequence[str]) -> float:
    """ROUGE-L F1 of two texts (or token lists), in [0, 1]; symmetric."""
    a = tokens(candidate) if isinstance(candidate, str) else list(candidate)
    b = tokens(reference) if isinstance(reference, str) else list(reference)
    return _f_measure(lcs_length(a, b), len(a), len(b))


class RougePool:
    """A growing set of texts to test novelty against.

    `max_similarity` is exact, but skips the quadratic LCS for a pool entry
    whose bag-of-words overlap already bounds its ROUGE-L below the best found
    so far or below the ceiling being tested (LCS ≤ multiset intersection), so
    checking a candidate against hundreds of entries stays cheap.
    """

    def __init__(self, texts: Sequence[str] = ()) -> None:
        self._entries: list[tuple[list[str], Counter[str]]] = []
        for text in texts:
            self.add(text)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, text: str) -> None:
        toks = tokens(text)
        self._entries.append((toks, Counter(toks)))

    def max_similarity(self, text: str, stop_at: float | None = None) -> float:
        """The highest ROUGE-L between `text` and any pool entry (stops early once ≥ `stop_at`)."""
        cand = tokens(text)
        bag = Counter(cand)
        best = 0.0
        for toks, other in self._entries:
            bound = _f_measure(sum((bag & other).values()), len(cand), len(toks))
            if bound <= best:
                continue
            score = _f_measure(lcs_length(cand, toks), len(cand), len(toks))
            if score > best:
                best = score
                if stop_at is not None and best >= stop_at:
                    return best
        return best


def word_edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between the word sequences of two texts."""
    x, y = tokens(a), tokens(b)
    previous = list(range(len(y) + 1))
    for i, wx in enumerate(x, start=1):
        current = [i]
        for j, wy in enumerate(y, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wx != wy)))
        previous = current
    return previous[-1]


def normalized_edit_distance(a: str, b: str) -> float:
    """Word edit distance divided by the longer text's word count (0 = identical, 1 = nothing shared)."""
    longest = max(len(tokens(a)), len(tokens(b)), 1)
    return word_edit_distance(a, b) / longest
