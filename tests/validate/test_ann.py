"""Semantic duplicate search: the exact earlier-neighbour search equals the blocked search dedup always used,
and the HNSW search (hnswlib, the default above 100k records) finds the exact search's duplicates."""

from __future__ import annotations

import numpy as np
import pytest

from synthspec.validate.ann import approximate_earlier, earlier_neighbours, exact_earlier
from synthspec.validate.builtins.dedup import semantic_duplicates


def clustered(n: int, dim: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 4, dim))
    v = centres[rng.integers(0, len(centres), size=n)] + rng.normal(scale=0.15, size=(n, dim))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.astype(np.float32)


def test_exact_search_matches_the_blocked_dedup_search() -> None:
    v = clustered(3000)
    idx, sim = exact_earlier(v, block=256)
    want = semantic_duplicates(v, 0.9, block=512)
    got = {i: (int(idx[i]), float(sim[i])) for i in np.flatnonzero((idx >= 0) & (sim >= 0.9))}
    assert got.keys() == want.keys() and len(want) > 300
    assert all(got[i][0] == want[i][0] and abs(got[i][1] - want[i][1]) < 1e-5 for i in want)
    assert idx[0] == -1 and (idx[1:] < np.arange(1, len(v))).all()  # only earlier records count


@pytest.mark.parametrize("backend", ["hnswlib", "faiss"])
def test_hnsw_search_recalls_the_exact_duplicates(backend) -> None:
    pytest.importorskip("hnswlib" if backend == "hnswlib" else "faiss")
    v = clustered(6000, seed=1)
    ei, es = exact_earlier(v)
    ai, as_ = approximate_earlier(v, block=500, backend=backend)
    truth = set(np.flatnonzero(es >= 0.9).tolist())
    got = set(np.flatnonzero(as_ >= 0.9).tolist())
    assert len(truth) > 1000
    assert len(got & truth) / len(truth) >= 0.95
    assert (ai[1:] < np.arange(1, len(v))).all() and (as_ <= es + 1e-5).all()  # never better than exact


def test_the_graph_over_principal_components_recalls_the_duplicates_with_exact_similarities() -> None:
    """Wide vectors are searched on their leading principal components; what is reported is still exact."""
    pytest.importorskip("hnswlib")
    v = clustered(6000, dim=256, seed=2)
    ei, es = exact_earlier(v)
    clock: dict[str, float] = {}
    ai, as_ = approximate_earlier(v, block=500, dims=32, timings=clock)
    truth = set(np.flatnonzero(es >= 0.9).tolist())
    got = set(np.flatnonzero(as_ >= 0.9).tolist())
    assert len(truth) > 1000 and len(got & truth) / len(truth) >= 0.95
    found = ai >= 0
    np.testing.assert_allclose(as_[found], np.einsum("ij,ij->i", v[found], v[ai[found]]), atol=1e-5)
    assert (ai[1:] < np.arange(1, len(v))).all() and set(clock) == {"build", "query", "block"}


def test_the_within_block_search_equals_the_full_square() -> None:
    """The tiled lower-triangle search gives what masking the whole block x block product gives."""
    from synthspec.validate.ann import _within_block

    v = clustered(1100, seed=3)
    sims = v @ v.T
    sims[np.triu_indices(len(v))] = -2.0
    want = sims.argmax(axis=1)
    best, best_sim = _within_block(v, tile=256)
    assert best[0] == -1 and (best[1:] == want[1:]).all()
    np.testing.assert_allclose(best_sim[1:], sims[np.arange(1, len(v)), want[1:]], atol=1e-6)


def test_the_approximate_search_is_chosen_from_the_threshold_up() -> None:
    v = clustered(800)
    assert earlier_neighbours(v, approximate_from=10_000)[2] == "exact"
    assert earlier_neighbours(v, approximate_from=500)[2].startswith("approximate")
