"""Duplicate search: MinHash LSH against brute force, and the calibrated semantic check on real text."""

from __future__ import annotations

import itertools

import numpy as np

from synthspec.validate import minhash
from synthspec.validate.builtins.dedup import exact_duplicates, semantic_duplicates
from synthspec.validate.testing import run_validator
from synthspec.validate.text import normalize
from tests.validate.conftest import FIXTURES


def _shingles(text: str) -> set[bytes]:
    b = normalize(text).encode().ljust(minhash.SHINGLE)
    return {b[i : i + minhash.SHINGLE] for i in range(len(b) - minhash.SHINGLE + 1)}


def test_minhash_finds_the_pairs_brute_force_finds(banking_seeds) -> None:
    texts = [str(s.values["text"]) for s in banking_seeds[:400]]
    texts += [t.replace("card", "cards", 1) for t in texts[:60:3]]  # planted near duplicates
    sets = [_shingles(t) for t in texts]
    truth = set()
    for i, j in itertools.combinations(range(len(texts)), 2):
        jac = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        if jac >= 0.9:
            truth.add(j)
    found = minhash.near_duplicates(minhash.signatures(texts), 0.8)
    assert len(truth) >= 10
    assert truth <= set(found)  # every pair at Jaccard >= 0.9 is found at the 0.8 threshold
    precision_ok = [
        j for j, m in found.items() if len(sets[j] & sets[m.other]) / len(sets[j] | sets[m.other]) >= 0.6
    ]
    assert len(precision_ok) == len(found)


def test_minhash_is_deterministic_and_handles_short_and_empty_text() -> None:
    texts = ["", "a", "hi", "hi", "hello there", ""]
    a = minhash.signatures(texts)
    assert np.array_equal(a, minhash.signatures(texts))
    found = minhash.near_duplicates(a, 0.8)
    assert {3, 5} <= set(found) and found[3].other == 2


def test_a_huge_group_of_identical_texts_costs_linear_pairs() -> None:
    texts = ["the same text again"] * 5000 + ["something else entirely"]
    found = minhash.near_duplicates(minhash.signatures(texts), 0.8)
    assert len(found) == 4999 and all(m.other < m.index for m in found.values())


def test_exact_duplicates_ignore_case_punctuation_and_spacing() -> None:
    assert exact_duplicates(["Where is my card?", "where  is my CARD", "Where is my card now?"]) == {1: 0}


def test_semantic_search_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(700, 16)).astype(np.float32)
    v[650:] = v[:50] + rng.normal(scale=0.05, size=(50, 16))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    got = semantic_duplicates(v, 0.95, block=128)
    sims = v @ v.T
    want = {i for i in range(700) if (sims[i, :i] >= 0.95).any()}
    assert set(got) == want and len(want) >= 50


def test_semantic_rate_is_reported_beside_the_seeds_rate_and_gates_on_the_excess(
    banking_spec, banking_seeds
) -> None:
    from synthspec.datafiles import read_table

    seeds = banking_seeds[:300]
    sample = read_table(FIXTURES / "sample.csv")[:150]
    natural = run_validator("dedup", sample, banking_spec, seeds=seeds, exact=False, near=False)
    m = natural.metrics
    assert 0 < m["seeds_semantic_duplicate_rate"] < 0.5
    assert "semantic_rate" not in {f.code for f in natural.findings}
    assert all(f.severity.value == "warning" for f in natural.findings)
    # a collapsed generator: paraphrase-level repeats of ten queries
    collapsed = [
        {"text": sample[i % 10]["text"] + suffix, "category": sample[i % 10]["category"]}
        for i, suffix in zip(range(150), itertools.cycle(["", " thanks", " please", "!"]))
    ]
    result = run_validator("dedup", collapsed, banking_spec, seeds=seeds, exact=False, near=False)
    gate = [f for f in result.findings if f.code == "semantic_rate"]
    assert len(gate) == 1 and gate[0].value > gate[0].threshold
