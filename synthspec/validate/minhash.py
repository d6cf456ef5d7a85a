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

import mmap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from synthspec.validate.text import normalize

SHINGLE = 5
NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
PARALLEL_MIN = 500_000  # records from which banding is split over a finish pool's processes


def shingle_keys(
    texts: Sequence[str], k: int = SHINGLE, normalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Byte k-grams of every normalised text as uint64 keys, and each text's first key offset.

    Texts shorter than k bytes are padded with spaces so that every text has at
    least one shingle (np.minimum.reduceat needs non-empty segments).  With
    `normalized=True` the texts are already `normalize`d (the shared per-batch
    features normalise once for exact keys and signatures alike).
    """
    if not 1 <= k <= 8:
        raise ValueError("shingle size must be 1..8 bytes")
    encoded = [(t if normalized else normalize(t)).encode("utf-8").ljust(k) for t in texts]
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


def signatures(
    texts: Sequence[str], num_perm: int = NUM_PERM, seed: int = 1, normalized: bool = False
) -> np.ndarray:
    """An (n, num_perm) uint32 MinHash signature matrix (64 slots x 4 bytes a record, whatever its length)."""
    keys, offsets = shingle_keys(texts, normalized=normalized)
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
    codes = _distinct(np.concatenate(lefts).astype(np.int64) * n + np.concatenate(rights))
    left, right = codes // n, codes % n
    keep = left != right
    return left[keep], right[keep]


def _distinct(codes: np.ndarray) -> np.ndarray:
    """`np.unique(codes)` for int64 pair codes, by sort and mask: numpy 2's hash-based `unique` is ~10x
    slower on millions of codes (25 of the 45 s of banding 1M signatures)."""
    codes = np.sort(codes)
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    return codes[keep]


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
    """For each query row, its most similar reference row at or above `threshold` (query-indexed).

    In every band, each query row is compared with the first and the last
    reference row that share its band key.  That choice depends only on the
    reference, never on which other query rows are present, so matching a
    dataset batch by batch gives exactly the result of matching it whole.
    """
    n_ref = reference.shape[0]
    if n_ref == 0 or query.shape[0] == 0:
        return {}
    ref_keys = _band_keys(reference, bands)
    query_keys = _band_keys(query, bands)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for band in range(bands):
        order = np.argsort(ref_keys[:, band], kind="stable")
        sorted_keys = ref_keys[order, band]
        q = query_keys[:, band]
        lo = np.searchsorted(sorted_keys, q, side="left")
        hi = np.searchsorted(sorted_keys, q, side="right")
        hit = np.flatnonzero(hi > lo)
        if len(hit) == 0:
            continue
        first = order[lo[hit]]
        last = order[hi[hit] - 1]
        lefts.extend([first, last])
        rights.extend([hit, hit])
    if not lefts:
        return {}
    ref_idx = np.concatenate(lefts).astype(np.int64)
    query_idx = np.concatenate(rights).astype(np.int64)
    codes = _distinct(query_idx * np.int64(n_ref) + ref_idx)
    query_idx, ref_idx = codes // n_ref, codes % n_ref
    sims = np.empty(len(codes))
    step = 1 << 19
    for start in range(0, len(codes), step):
        stop = start + step
        sims[start:stop] = (reference[ref_idx[start:stop]] == query[query_idx[start:stop]]).mean(axis=1)
    keep = sims >= threshold
    return _best_per_key(query_idx[keep], ref_idx[keep], sims[keep], offset=0)


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


class _Rows:
    """Reads rows of a signature matrix; when it is a memory-mapped file, keeps little of it resident.

    Touched pages of a file mapping count in the process's RSS until they are unmapped, so banding 10M
    signatures (a 2.5 GB file, read whole for every band and gathered at random to confirm pairs) would
    show the whole file as the driver's memory.  Every `RELEASE_BYTES` read, the mapping's pages are
    dropped (`MADV_DONTNEED`: they stay in the page cache, and a later read maps them again).
    """

    RELEASE_BYTES = 1 << 30

    def __init__(self, sig: np.ndarray) -> None:
        self.sig = sig
        self._mm = getattr(sig, "_mmap", None) if isinstance(sig, np.memmap) else None
        self._read = 0

    def __getitem__(self, index: Any) -> np.ndarray:
        out = np.asarray(self.sig[index])
        if self._mm is not None:
            self._read += out.shape[0] * self.sig.shape[1] * self.sig.itemsize  # whole rows' pages are read
            if self._read >= self.RELEASE_BYTES:
                self._mm.madvise(mmap.MADV_DONTNEED)
                self._read = 0
        return out


def _one_band_key(sig: _Rows, band: int, rows: int, chunk: int = 1 << 20) -> np.ndarray:
    """The band keys of one band (as `_band_keys(sig)[:, band]`), read from `sig` in chunks."""
    n = sig.sig.shape[0]
    key = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            block = sig[start : start + chunk, band * rows : (band + 1) * rows].astype(np.uint64)
            k = np.zeros(len(block), dtype=np.uint64)
            for r in range(rows):
                k = k * np.uint64(0x100000001B3) + block[:, r] + np.uint64(r + 1)
            key[start : start + len(block)] = k
    return key


def near_duplicates_banded(
    sig: np.ndarray, threshold: float, bands: int = BANDS, pool: FanOut | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`near_duplicates` in bounded memory: (best earlier index or -1, its similarity) for every record.

    The same candidate pairs and the same best match as `near_duplicates`, but
    the banding is done one band at a time (a sort of n band keys: the
    shuffle of LSH, partitioned by band), candidates are confirmed band by band
    and only each record's best match so far is kept, so memory is ~40 bytes
    a record and `sig` can be a memory-mapped file of any size.

    Bands are independent, so with a `pool` (a two-phase run's finish pool,
    `ValidatorContext.pool`) and memory-mapped signatures the bands are split
    among its worker processes, each reading the file itself, and their
    per-record bests are merged here (best: highest similarity, then lowest
    index, as one process gives: the same answer, a test compares).  Below
    `PARALLEL_MIN` records starting the processes costs more than it saves.
    """
    parts = min(pool.workers, bands) if pool is not None else 1
    if pool is None or parts < 2 or not isinstance(sig, np.memmap) or sig.shape[0] < PARALLEL_MIN:
        return _banded(sig, threshold, range(bands), bands)
    groups = [list(range(part, bands, parts)) for part in range(parts)]
    source = MappedSignatures(str(sig.filename), sig.dtype.str, tuple(sig.shape), int(sig.offset))
    best_other = np.full(sig.shape[0], -1, dtype=np.int64)
    best_sim = np.full(sig.shape[0], -1.0)
    for other, sims in pool.map(_banded_part, [(source, threshold, g, bands) for g in groups]):
        better = (sims > best_sim) | ((sims == best_sim) & (other >= 0) & (other < best_other))
        best_other[better] = other[better]
        best_sim[better] = sims[better]
    return best_other, best_sim


class FanOut(Protocol):
    """Runs a module-level function over items on `workers` processes (`ValidatorContext.pool`)."""

    workers: int

    def map(self, fn: Any, items: Sequence[Any]) -> Iterable[Any]: ...


@dataclass(frozen=True)
class MappedSignatures:
    """Where a memory-mapped signature matrix lives, so another process can map it too."""

    path: str
    dtype: str
    shape: tuple[int, ...]
    offset: int

    def open(self) -> np.ndarray:
        return np.memmap(self.path, dtype=np.dtype(self.dtype), mode="r", shape=self.shape, offset=self.offset)


def _banded_part(job: tuple[MappedSignatures, float, list[int], int]) -> tuple[np.ndarray, np.ndarray]:
    source, threshold, group, bands = job
    return _banded(source.open(), threshold, group, bands)


def _banded(sig: np.ndarray, threshold: float, band_ids: Iterable[int], bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Each record's best earlier match over the bands `band_ids` (see `near_duplicates_banded`).

    Most true duplicates share every band, so a pair that cannot change its
    record's best match (it is that match, it was confirmed already, or the
    match is an identical earlier record) is not confirmed again: per record,
    its best and one other confirmed partner are remembered (linear in n; a
    sorted set of every confirmed pair was tried and grew superlinear at 10M
    records).
    """
    n, num_perm = sig.shape
    rows = num_perm // bands
    read = _Rows(sig)
    best_other = np.full(n, -1, dtype=np.int64)
    best_sim = np.full(n, -1.0)
    also = np.full(n, -1, dtype=np.int64)
    for band in band_ids:
        keys = _one_band_key(read, band, rows)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        del keys
        same_as_prev = np.zeros(n, dtype=bool)
        same_as_prev[1:] = sorted_keys[1:] == sorted_keys[:-1]
        del sorted_keys
        if not same_as_prev.any():
            continue
        group_id = np.cumsum(~same_as_prev) - 1
        group_first = order[np.flatnonzero(~same_as_prev)][group_id][same_as_prev]
        members = order[same_as_prev]
        prev = order[np.flatnonzero(same_as_prev) - 1]
        del group_id, order
        left = np.concatenate([group_first, prev]).astype(np.int64)
        right = np.concatenate([members, members]).astype(np.int64)
        codes = _distinct(right * np.int64(n) + left)
        right, left = codes // n, codes % n
        del codes
        # a pair that cannot change its record's best match is not confirmed again: it is that best match
        # (found in an earlier band), or the best is already an identical earlier record (1.0, lower index)
        known = best_other[right]
        fresh = (known != left) & (also[right] != left) & ~((best_sim[right] >= 1.0) & (known <= left))
        right, left = right[fresh], left[fresh]
        sims = np.empty(len(left))
        step = 1 << 18
        for start in range(0, len(left), step):
            lo, hi = left[start : start + step], right[start : start + step]
            equal = np.count_nonzero(read[lo] == read[hi], axis=1)
            sims[start : start + step] = equal / num_perm  # k/64 exactly, as `.mean` gives
        also[right] = left  # one confirmed pair per record that is not its best, so not confirmed again
        keep = sims >= threshold
        if not keep.any():
            continue
        hi_idx, lo_idx, sims = right[keep], left[keep], sims[keep]
        pick = np.lexsort((lo_idx, -sims, hi_idx))
        first = np.ones(len(pick), dtype=bool)
        first[1:] = hi_idx[pick][1:] != hi_idx[pick][:-1]
        chosen = pick[first]
        h, o, sv = hi_idx[chosen], lo_idx[chosen], sims[chosen]
        better = (sv > best_sim[h]) | ((sv == best_sim[h]) & (o < best_other[h]))
        best_other[h[better]] = o[better]
        best_sim[h[better]] = sv[better]
    return best_other, best_sim
