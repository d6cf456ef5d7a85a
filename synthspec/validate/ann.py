"""Semantic duplicate search: each vector's most similar *earlier* vector, exact or approximate.

Exact search (blocked BLAS products over earlier rows) costs n²: fine below
~10⁵ records, hours at 10⁷.  Above `ANN_MIN` records the search is approximate
with an HNSW graph (hnswlib; chosen over faiss-cpu's IndexHNSWFlat and
IndexHNSWSQ by the recall and time measured in bench/bench_validate.py --ann,
see docs/benchmarks.md) over the vectors' leading principal components, built
incrementally so that "earlier" stays exact:

    for each block of rows [s, e):
        best among rows < s   -> HNSW query of the block against the graph of rows [0, s):
                                 a few candidates, re-scored by their exact cosine
        best among [s, row)   -> an exact product over the block's lower triangle
        add the block to the graph

Duplicate-heavy data does not starve the search (a k-NN query over the
whole set would fill its k slots with later copies); the approximation is
only in which earlier row the graph finds, never in a similarity reported.
Vectors are unit length, so inner product = cosine.
"""

from __future__ import annotations

import numpy as np

ANN_MIN = 100_000  # below this many records the search is exact
BLOCK = 2048


def _within_block(v: np.ndarray, tile: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Best earlier row inside one block: (index within block or -1, cosine).

    Row tiles against the columns up to their own end: half the products of the full block x block square, and
    a tile-sized mask instead of a block-sized one (2048 rows: 27 ms instead of 74, the same answers).
    """
    m = len(v)
    best = np.full(m, -1, dtype=np.int64)
    best_sim = np.full(m, -2.0, dtype=np.float32)
    for start in range(0, m, tile):
        stop = min(start + tile, m)
        sims = v[start:stop] @ v[:stop].T
        sims[:, start:stop][np.triu_indices(stop - start)] = -2.0  # a row and the rows after it are not earlier
        b = sims.argmax(axis=1)
        bs = sims[np.arange(stop - start), b]
        best[start:stop] = np.where(bs > -2.0, b, -1)
        best_sim[start:stop] = bs
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

        self.index = hnswlib.Index(space="l2", dim=dim)
        self.index.init_index(max_elements=max(n, 1), ef_construction=max(ef, 100), M=m, random_seed=1)
        self.index.set_ef(ef)
        self.index.set_num_threads(threads)
        self.size = 0

    def add(self, v: np.ndarray, start: int) -> None:
        self.index.add_items(v, np.arange(start, start + len(v)))
        self.size += len(v)

    def query(self, v: np.ndarray, k: int) -> np.ndarray:
        labels, _ = self.index.knn_query(v, k=k)
        return labels.astype(np.int64)


class _Faiss:
    def __init__(self, dim: int, n: int, ef: int, m: int, threads: int) -> None:
        import faiss

        faiss.omp_set_num_threads(threads)
        self.index = faiss.IndexHNSWFlat(dim, m)
        self.index.hnsw.efConstruction = max(ef, 100)
        self.index.hnsw.efSearch = ef
        self.size = 0

    def add(self, v: np.ndarray, start: int) -> None:
        self.index.add(np.ascontiguousarray(v, dtype=np.float32))
        self.size += len(v)

    def query(self, v: np.ndarray, k: int) -> np.ndarray:
        _, labels = self.index.search(np.ascontiguousarray(v, dtype=np.float32), k)
        return labels.astype(np.int64)


BACKENDS = {"hnswlib": _Hnswlib, "faiss": _Faiss}


class _Projection:
    """Principal components of the vectors: the graph searches `dims` coordinates instead of all of them.

    A graph query's cost is mostly distance computations and cache misses over stored vectors, both shrinking
    with the dimension; 96 of MiniLM's 384 keep near-duplicates near (recall 0.999 with 4 candidates re-scored,
    docs/benchmarks.md).  The components come from evenly spaced rows (no randomness: the same data gives the
    same graph input) through the d x d covariance, which is cheaper than an SVD of the rows.
    """

    SAMPLE = 20_000

    def __init__(self, vectors: np.ndarray, dims: int) -> None:
        n, d = vectors.shape
        self.identity = dims >= d
        if self.identity:
            return
        rows = np.asarray(vectors[:: max(1, n // self.SAMPLE)], dtype=np.float64)
        centred = rows - rows.mean(axis=0)
        _, basis = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues: the last columns are kept
        self.basis = np.ascontiguousarray(basis[:, ::-1][:, :dims], dtype=np.float32)

    @property
    def dims(self) -> int | None:
        return None if self.identity else self.basis.shape[1]

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if self.identity:
            return block
        return np.ascontiguousarray(block @ self.basis)  # uncentred: L2 distances do not see the shift


def approximate_earlier(
    vectors: np.ndarray,
    block: int = BLOCK,
    backend: str = "hnswlib",
    ef: int = 12,
    m: int = 16,
    dims: int = 96,
    candidates: int = 4,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """As `exact_earlier`, with the search among earlier blocks done on an HNSW graph.

    The graph holds the vectors' first `dims` principal components; each query takes its `candidates` nearest
    there and keeps the one with the highest exact cosine, so every similarity returned is exact and only which
    earlier row is found is approximate.  `timings`, when given, accumulates seconds spent in "build" (the
    projection and adding to the graph), "query" (graph search and re-scoring) and "block" (the exact search
    within a block).
    """
    import os
    import time

    clock = timings if timings is not None else {}
    t0 = time.perf_counter()
    n, dim = vectors.shape
    project = _Projection(vectors, dims)
    index = BACKENDS[backend](project.dims or dim, n, max(ef, candidates), m, threads or os.cpu_count() or 1)
    clock["build"] = clock.get("build", 0.0) + time.perf_counter() - t0
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
        reduced = project(q)
        t2 = time.perf_counter()
        if index.size:
            found = index.query(reduced, min(candidates, index.size))
            exact = np.einsum("ikd,id->ik", np.asarray(vectors[found.ravel()], dtype=np.float32).reshape(
                *found.shape, dim), q)
            pick = exact.argmax(axis=1)
            rows = np.arange(stop - start)
            labels, sims = found[rows, pick], exact[rows, pick]
            take = (sims > bs) | ((sims == bs) & (labels < bi)) | (bi < 0)
            bi = np.where(take, labels, bi)
            bs = np.where(take, sims, bs)
        t3 = time.perf_counter()
        best_idx[start:stop] = bi
        best_sim[start:stop] = bs
        index.add(reduced, start)
        t4 = time.perf_counter()
        for key, sec in (("block", t1 - t0), ("query", t3 - t2), ("build", t2 - t1 + t4 - t3)):
            clock[key] = clock.get(key, 0.0) + sec
    return best_idx, best_sim


def earlier_neighbours(vectors: np.ndarray, approximate_from: int = ANN_MIN) -> tuple[np.ndarray, np.ndarray, str]:
    """Exact below `approximate_from` rows, HNSW (hnswlib) at or above it; also says which was used."""
    if len(vectors) >= approximate_from:
        return (*approximate_earlier(vectors), "approximate (HNSW, hnswlib)")
    return (*exact_earlier(vectors), "exact")


__all__ = ["ANN_MIN", "approximate_earlier", "earlier_neighbours", "exact_earlier"]
