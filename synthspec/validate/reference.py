"""Matching records against a reference corpus (seeds, an eval set): exact, near, long n-grams.

`seed_copy` and `contamination` ask the same question of different corpora:
is this record (a near-)copy of a reference text, or does it share a long
word n-gram with one?  Exact matches use normalised-text hashing, near
matches MinHash LSH, n-grams a hash set of the reference's n-grams: all
linear in the size of both corpora.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synthspec.validate import minhash
from synthspec.validate.text import ngrams, normalize, words


@dataclass(frozen=True)
class RefMatch:
    """Query `index` matches reference `ref` by `how` ("exact", "near", "ngram") with `similarity`."""

    index: int
    ref: int
    how: str
    similarity: float
    overlap: str = ""


def match_reference(
    texts: Sequence[str], reference: Sequence[str], near_threshold: float = 0.8, ngram: int = 8
) -> dict[int, RefMatch]:
    """The strongest match of each text against the reference (exact > near > n-gram)."""
    result: dict[int, RefMatch] = {}
    exact: dict[str, int] = {}
    for j, t in enumerate(reference):
        exact.setdefault(normalize(t), j)
    for i, t in enumerate(texts):
        j = exact.get(normalize(t))
        if j is not None and normalize(t):
            result[i] = RefMatch(i, j, "exact", 1.0)
    if near_threshold <= 1.0:
        near = minhash.best_matches(minhash.signatures(reference), minhash.signatures(texts), near_threshold)
        for i, m in near.items():
            if i not in result:
                result[i] = RefMatch(i, m.other, "near", m.similarity)
    if ngram > 0:
        index: dict[tuple[str, ...], int] = {}
        for j, t in enumerate(reference):
            for g in ngrams(words(t), ngram):
                index.setdefault(g, j)
        for i, t in enumerate(texts):
            if i in result:
                continue
            for g in ngrams(words(t), ngram):
                j = index.get(g)
                if j is not None:
                    result[i] = RefMatch(i, j, "ngram", 0.0, " ".join(g))
                    break
    return result
