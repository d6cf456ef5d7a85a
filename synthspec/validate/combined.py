"""Deduplicating real + synthetic data before training: the augmentation workflow's last check.

A synthetic record that repeats a real one (or another synthetic one) adds
nothing but weight to that example, so it goes; real rows always stay, even
when the real data repeats itself (that is the data as it is).  The rows are
ordered real first, then synthetic, and a synthetic row is removed when it
duplicates any *earlier* row: exactly (normalised text), nearly (MinHash
Jaccard), or in meaning (MiniLM cosine), the same three tests as `dedup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synthspec.embeddings import embed, embeddings_available
from synthspec.validate import minhash
from synthspec.validate.builtins.dedup import exact_duplicates, semantic_duplicates


@dataclass(frozen=True)
class Duplicate:
    """Synthetic row `index` (0-based among the synthetic rows) repeats `other` (in the combined order)."""

    index: int
    other: int
    how: str  # exact | near | semantic
    similarity: float


def synthetic_duplicates(
    real: Sequence[str],
    synthetic: Sequence[str],
    near_threshold: float = 0.8,
    semantic_threshold: float | None = 0.9,
) -> dict[int, Duplicate]:
    """The synthetic rows to remove from `real + synthetic`, keyed by synthetic index (first test that fires)."""
    texts = [*real, *synthetic]
    offset = len(real)
    found: dict[int, Duplicate] = {}

    def keep(i: int, other: int, how: str, similarity: float) -> None:
        if i >= offset and i - offset not in found:
            found[i - offset] = Duplicate(i - offset, other, how, similarity)

    for i, j in exact_duplicates(texts).items():
        keep(i, j, "exact", 1.0)
    for i, match in minhash.near_duplicates(minhash.signatures(texts), near_threshold).items():
        keep(i, match.other, "near", match.similarity)
    if semantic_threshold is not None and embeddings_available() and texts:
        for i, (j, cosine) in semantic_duplicates(embed(texts), semantic_threshold).items():
            keep(i, j, "semantic", cosine)
    return dict(sorted(found.items()))
