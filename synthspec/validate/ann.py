"""Semantic duplicate search: each vector's most similar *earlier* vector, exact or approximate.

Exact search (blocked BLAS products over earlier rows) costs n²: fine below
~10⁵ records, hours at 10⁷.  Above `ANN_MIN` records the search is approximate
with an HNSW graph (hnswlib; chosen over faiss-cpu's IndexHNSWFlat by the
recall and time measured in bench/bench_validate.py --ann, see
docs/benchmarks.md), built incrementally so that "earlier" stays exact:

    for each block of rows [s, e):
        best among rows < s   -> HNSW query of the block against the graph of rows [0, s)
        best among [s, row)   -> an exact block x block product (lower triangle)
        add the block to the graph

Duplicate-heavy data does not starve the search (a k-NN query over the
whole set would fill its k slots with later copies); the approximation is
only in the graph query.  Vectors are unit length, so inner product = cosine.
"""

from __future__ import annotations

import numpy as np

ANN_MIN = 100_000  # below this many records the search is exact
BLOCK = 2048


def _within_block(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best earlier row inside one block: (index within block or -1, cosine)."""
    sims = v @ v.T
    m = len(v)
    sims[np.triu_indices(m)] = -2.0
    best = sims.argmax(axis=1)
    best_sim = sims[np.arange(m), best]
    best[best_sim <= -2.0] = -1
    return best, best_sim


def exact_earlier(vectors: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(best earlier index or -1, its cosine) for every row, by exhaustive search (ties: lowest index)."""
    n = len(vectors)
    best_idx = np.full(n, -1, dtype=np.int64)
    best_sim = np.full(n, -2.0, dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        q = np.asarray(vectors[start:stop], dtype=np.float32)
        sims = q @ np.asarray(vectors[:stop], dtype=np.float32).T
        rows = np.arange(stop - start)[:, None]
        cols = np.arange(stop)[None, :]
        sims[cols >= rows + start] = -2.0
        b = sims.argmax(axis=1)
        bs = sims[np.arange(stop - start), b]
        has = bs > -2.0
        best_idx[start:stop] = np.where(has, b, -1)
        best_sim[start:stop] = bs
    return best_idx, best_sim


class _Hnswlib:
    def __init__(self, dim: int, n: int, ef: int, m: int, threads: int) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="ip", dim=dim)
        self.index.init_index(max_elements=max(n, 1), ef_construction=max(ef, 100), M=m, random_seed=1)
        self.index.set_ef(ef)
        self.index.set_num_threads(threads)
        self.size = 0

    def add(self, v: np.ndarray, start: int) -> None:
        self.index.add_items(v, np.arange(start, start + len(v)))
        self.size += len(v)

    def query(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels, dist = self.index.knn_query(v, k=1)
        return labels[:, 0].astype(np.int64), (1.0 - dist[:, 0]).astype(np.float32)


class _Faiss:
    def __init__(self, dim: int, n: int, ef: int, m: int, threads: int) -> None:
        import faiss

        faiss.omp_set_num_threads(threads)
        self.index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = max(ef, 100)
        self.index.hnsw.efSearch = ef
        self.size = 0

    def add(self, v: np.ndarray, start: int) -> None:
        self.index.add(np.ascontiguousarray(v, dtype=np.float32))
        self.size += len(v)

    def query(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sims, labels = self.index.search(np.ascontiguousarray(v, dtype=np.float32), 1)
        return labels[:, 0].astype(np.int64), sims[:, 0].astype(np.float32)


BACKENDS = {"hnswlib": _Hnswlib, "faiss": _Faiss}


def approximate_earlier(
    vectors: np.ndarray,
    block: int = BLOCK,
    backend: str = "hnswlib",
    ef: int = 64,
    m: int = 16,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """As `exact_earlier`, with the search among earlier blocks done on an HNSW graph.

    `timings`, when given, accumulates seconds spent in "build" (adding to the
    graph), "query" (graph search) and "block" (the exact within-block search).
    """
    import os
    import time

    clock = timings if timings is not None else {}

    n, dim = vectors.shape
    index = BACKENDS[backend](dim, n, ef, m, threads or os.cpu_count() or 1)
    best_idx = np.full(n, -1, dtype=np.int64)
    best_sim = np.full(n, -2.0, dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        q = np.ascontiguousarray(vectors[start:stop], dtype=np.float32)
        t0 = time.perf_counter()
        inner, inner_sim = _within_block(q)
        bi = np.where(inner >= 0, inner + start, -1)
        bs = inner_sim
        t1 = time.perf_counter()
        if index.size:
            labels, sims = index.query(q)
            take = (sims > bs) | ((sims == bs) & (labels < bi)) | (bi < 0)
            bi = np.where(take, labels, bi)
            bs = np.where(take, sims, bs)
        t2 = time.perf_counter()
        best_idx[start:stop] = bi
        best_sim[start:stop] = bs
        index.add(q, start)
        t3 = time.perf_counter()
        for key, sec in (("block", t1 - t0), ("query", t2 - t1), ("build", t3 - t2)):
            clock[key] = clock.get(key, 0.0) + sec
    return best_idx, best_sim


def earlier_neighbours(vectors: np.ndarray, approximate_from: int = ANN_MIN) -> tuple[np.ndarray, np.ndarray, str]:
    """Exact below `approximate_from` rows, HNSW (hnswlib) at or above it; also says which was used."""
    if len(vectors) >= approximate_from:
        return (*approximate_earlier(vectors), "approximate (HNSW, hnswlib)")
    return (*exact_earlier(vectors), "exact")


__all__ = ["ANN_MIN", "approximate_earlier", "earlier_neighbours", "exact_earlier"]
