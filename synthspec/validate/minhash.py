"""MinHash signatures and LSH banding in numpy: near-duplicate search in near-linear time.

Why not datasketch: its LSH index inserts and queries one Python object per
record, which costs ~20-40 µs a record; here shingling, hashing and banding are
whole-array numpy operations (a 100k-record run is a few seconds on 2 cores),
there is no extra dependency, and the grouping is deterministic.

Shingles are byte 5-grams of the normalised text packed exactly into a
uint64 (no hash collisions at that step); each permutation is a
multiply-shift universal hash.  A band groups records by sorting, and inside a
group each record is compared with the group's first and previous member
only, so a group of 10,000 identical texts costs 20,000 comparisons, not
50 million.  Candidates are confirmed on the estimated Jaccard similarity
(fraction of equal signature slots).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthspec.validate.text import normalize

SHINGLE = 5
NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS


def shingle_keys(texts: Sequence[str], k: int = SHINGLE) -> tuple[np.ndarray, np.ndarray]:
    """Byte k-grams of every normalised text as uint64 keys, and each text's first key offset.

    Texts shorter than k bytes are padded with spaces so that every text has at
    least one shingle (np.minimum.reduceat needs non-empty segments).
    """
    if not 1 <= k <= 8:
        raise ValueError("shingle size must be 1..8 bytes")
    encoded = [normalize(t).encode("utf-8").ljust(k) for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    if len(encoded) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    grams = lengths - k + 1
    gram_starts = np.concatenate(([0], np.cumsum(grams)[:-1]))
    total = int(grams.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(gram_starts, grams)
    pos = np.repeat(starts, grams) + within
    keys = np.zeros(total, dtype=np.uint64)
    for j in range(k):
        keys = (keys << np.uint64(8)) | buf[pos + j]
    return keys, gram_starts


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.int64).astype(np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=num_perm, dtype=np.int64).astype(np.uint64)
    return a, b


def signatures(texts: Sequence[str], num_perm: int = NUM_PERM, seed: int = 1) -> np.ndarray:
    """An (n, num_perm) uint32 MinHash signature matrix."""
    keys, offsets = shingle_keys(texts)
    n = len(offsets)
    sig = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return sig
    # mix the packed bytes once so nearby keys spread over the 64-bit space
    mixed = keys * np.uint64(0x9E3779B97F4A7C15)
    mixed ^= mixed >> np.uint64(29)
    a, b = _permutations(num_perm, seed)
    shift = np.uint64(32)
    with np.errstate(over="ignore"):
        for p in range(num_perm):
            hv = (mixed * a[p] + b[p]) >> shift
            sig[:, p] = np.minimum.reduceat(hv, offsets).astype(np.uint32)
    return sig


def _band_keys(sig: np.ndarray, bands: int) -> np.ndarray:
    """One uint64 key per record and band (n, bands)."""
    n, num_perm = sig.shape
    rows = num_perm // bands
    s = sig[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    key = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = key * np.uint64(0x100000001B3) + s[:, :, r] + np.uint64(r + 1)
    return key


def estimated_similarity(sig: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of record pairs (left[i], right[i])."""
    if len(left) == 0:
        return np.zeros(0)
    out = np.empty(len(left))
    step = 1 << 19  # chunks keep the (pairs x permutations) comparison matrix small
    for start in range(0, len(left), step):
        stop = start + step
        out[start:stop] = (sig[left[start:stop]] == sig[right[start:stop]]).mean(axis=1)
    return out


def _candidate_pairs(sig: np.ndarray, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """(earlier, later) index pairs sharing a band: later vs its group's first and previous member."""
    keys = _band_keys(sig, bands)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        sorted_keys = keys[order, band]
        same_as_prev = np.zeros(len(order), dtype=bool)
        same_as_prev[1:] = sorted_keys[1:] == sorted_keys[:-1]
        if not same_as_prev.any():
            continue
        group_id = np.cumsum(~same_as_prev) - 1
        group_first = order[np.flatnonzero(~same_as_prev)][group_id]
        members = order[same_as_prev]
        prev = order[np.flatnonzero(same_as_prev) - 1]
        lefts.extend([group_first[same_as_prev], prev])
        rights.extend([members, members])
    if not lefts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = np.int64(sig.shape[0])
    codes = np.sort(np.concatenate(lefts).astype(np.int64) * n + np.concatenate(rights))
    distinct = np.ones(
        len(codes), dtype=bool
    )  # dedupe pairs in 1-D (sort + mask: np.unique is ~9x slower here)
    distinct[1:] = codes[1:] != codes[:-1]
    codes = codes[distinct]
    left, right = codes // n, codes % n
    keep = left != right
    return left[keep], right[keep]


@dataclass(frozen=True)
class Match:
    """`index` resembles `other` with estimated Jaccard similarity `similarity`."""

    index: int
    other: int
    similarity: float


def near_duplicates(sig: np.ndarray, threshold: float, bands: int = BANDS) -> dict[int, Match]:
    """Every record that is a near-duplicate of an earlier one, mapped to its best earlier match."""
    left, right = _candidate_pairs(sig, bands)
    if len(left) == 0:
        return {}
    sims = estimated_similarity(sig, left, right)
    keep = sims >= threshold
    left, right, sims = left[keep], right[keep], sims[keep]
    # orient every pair as (earlier, later); stable sort keeps the earlier member first in a group
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    return _best_per_key(hi, lo, sims, offset=0)


def best_matches(
    reference: np.ndarray, query: np.ndarray, threshold: float, bands: int = BANDS
) -> dict[int, Match]:
    """For each query row, its most similar reference row at or above `threshold` (query-indexed)."""
    n_ref = reference.shape[0]
    if n_ref == 0 or query.shape[0] == 0:
        return {}
    sig = np.concatenate([reference, query])
    left, right = _candidate_pairs(sig, bands)
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    cross = (lo < n_ref) & (hi >= n_ref)
    lo, hi = lo[cross], hi[cross]
    sims = estimated_similarity(sig, lo, hi)
    keep = sims >= threshold
    lo, hi, sims = lo[keep], hi[keep], sims[keep]
    return _best_per_key(hi, lo, sims, offset=n_ref)


def _best_per_key(key: np.ndarray, other: np.ndarray, sims: np.ndarray, offset: int) -> dict[int, Match]:
    """For each distinct `key`, the pair with the highest similarity (ties: the lowest `other`), vectorised."""
    if len(key) == 0:
        return {}
    order = np.lexsort((other, -sims, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    chosen = order[first]
    return {
        int(k) - offset: Match(int(k) - offset, int(o), float(s))
        for k, o, s in zip(key[chosen], other[chosen], sims[chosen], strict=True)
    }
