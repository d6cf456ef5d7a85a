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

import numpy as np

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


class ReferenceIndex:
    """A reference corpus indexed once (exact keys, MinHash signatures, word n-grams) and matched batch by batch.

    Matching a text depends only on the text and the reference, never on the
    other texts of the batch, so a dataset matched in batches (on many
    workers) gives exactly the result of matching it whole.
    """

    def __init__(self, reference: Sequence[str], near_threshold: float = 0.8, ngram: int = 8) -> None:
        self.near_threshold = near_threshold
        self.ngram = ngram
        self.exact: dict[str, int] = {}
        for j, t in enumerate(reference):
            self.exact.setdefault(normalize(t), j)
        self.signatures = minhash.signatures(reference) if near_threshold <= 1.0 else None
        self.grams: dict[tuple[str, ...], int] = {}
        if ngram > 0:
            for j, t in enumerate(reference):
                for g in ngrams(words(t), ngram):
                    self.grams.setdefault(g, j)

    def match(
        self,
        texts: Sequence[str],
        normalized: Sequence[str] | None = None,
        signatures: np.ndarray | None = None,
    ) -> dict[int, RefMatch]:
        """The strongest match of each text (batch-local index) against the reference (exact > near > n-gram).

        `normalized` and `signatures` are the texts' normalised forms and
        MinHash signatures when the caller already has them (shared features).
        """
        result: dict[int, RefMatch] = {}
        if normalized is None:
            normalized = [normalize(t) for t in texts]
        for i, key in enumerate(normalized):
            j = self.exact.get(key)
            if j is not None and key:
                result[i] = RefMatch(i, j, "exact", 1.0)
        if self.signatures is not None:
            if signatures is None:
                signatures = minhash.signatures(normalized, normalized=True)
            near = minhash.best_matches(self.signatures, signatures, self.near_threshold)
            for i, m in near.items():
                if i not in result:
                    result[i] = RefMatch(i, m.other, "near", m.similarity)
        if self.ngram > 0 and self.grams:
            for i, t in enumerate(texts):
                if i in result:
                    continue
                for g in ngrams(words(t), self.ngram):
                    j = self.grams.get(g)
                    if j is not None:
                        result[i] = RefMatch(i, j, "ngram", 0.0, " ".join(g))
                        break
        return result


def match_reference(
    texts: Sequence[str], reference: Sequence[str], near_threshold: float = 0.8, ngram: int = 8
) -> dict[int, RefMatch]:
    """The strongest match of each text against the reference (exact > near > n-gram)."""
    return ReferenceIndex(reference, near_threshold, ngram).match(texts)
