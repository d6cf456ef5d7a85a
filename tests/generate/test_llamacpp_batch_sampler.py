"""The allowed-tokens-only sampler: the same chain as llama.cpp (penalty, top-k, top-p, min-p, temperature)."""

from __future__ import annotations

import numpy as np
import pytest

from synthspec.generate.backends.sampler import MIN_P, sample, unpack_masks


def _draws(logits, allowed=None, n=2000, **kw):
    rng = np.random.default_rng(7)
    params = {"temperature": 1.0, "top_p": 1.0, "top_k": None} | kw
    return [sample(np.asarray(logits, dtype=np.float32), allowed, rng, **params) for _ in range(n)]


def test_only_allowed_tokens_are_drawn():
    logits = np.zeros(1000, dtype=np.float32)
    logits[3] = 5.0  # the model's favourite is not allowed
    allowed = np.zeros(1000, dtype=bool)
    allowed[[10, 500, 999]] = True
    assert set(_draws(logits, allowed, n=300)) == {10, 500, 999}


def test_nothing_allowed_returns_minus_one():
    assert sample(np.zeros(8, np.float32), np.zeros(8, bool), np.random.default_rng(0), temperature=1.0,
                  top_p=1.0, top_k=None) == -1


def test_frequencies_follow_the_softmax():
    logits = np.log(np.array([0.5, 0.3, 0.2], dtype=np.float32))
    counts = np.bincount(_draws(logits, n=6000), minlength=3) / 6000
    assert np.allclose(counts, [0.5, 0.3, 0.2], atol=0.03)


def test_min_p_cuts_the_tail():
    # token 2 has p/p_max = 0.04 < MIN_P: never drawn; token 1 (0.5) is
    probs = np.array([1.0, 0.5, 0.04]) / 1.54
    draws = set(_draws(np.log(probs).astype(np.float32), n=3000))
    assert MIN_P == 0.05 and draws == {0, 1}


def test_top_p_keeps_the_smallest_prefix_reaching_p():
    probs = np.array([0.6, 0.3, 0.1])
    assert set(_draws(np.log(probs).astype(np.float32), n=2000, top_p=0.85)) == {0, 1}
    assert set(_draws(np.log(probs).astype(np.float32), n=2000, top_p=0.5)) == {0}


def test_top_k_and_greedy():
    logits = np.array([0.0, 3.0, 2.9, 1.0], dtype=np.float32)
    assert set(_draws(logits, n=500, top_k=2)) == {1, 2}
    assert set(_draws(logits, n=50, temperature=0.0)) == {1}


def test_repeat_penalty_lowers_recent_tokens():
    logits = np.array([2.0, 2.0], dtype=np.float32)
    plain = np.bincount(_draws(logits, n=3000), minlength=2)[0] / 3000
    penalized = np.bincount(_draws(logits, n=3000, repeat_penalty=1.5, recent=[0]), minlength=2)[0] / 3000
    assert abs(plain - 0.5) < 0.05 and penalized < 0.4


def test_same_seed_same_draws_and_exclusion():
    logits = np.random.default_rng(1).standard_normal(5000).astype(np.float32)
    assert _draws(logits, n=50) == _draws(logits, n=50)
    best = int(np.argmax(logits))
    assert best not in _draws(logits, n=200, temperature=0.0, exclude=[best])


@pytest.mark.parametrize("vocab", [262144, 100, 33])
def test_unpack_masks_matches_bit_layout(vocab):
    rng = np.random.default_rng(vocab)
    bits = rng.random((3, vocab)) < 0.3
    words = (vocab + 31) // 32
    padded = np.zeros((3, words * 32), dtype=bool)
    padded[:, :vocab] = bits
    packed = np.packbits(padded, axis=1, bitorder="little").view("<i4")
    assert np.array_equal(unpack_masks(packed, vocab), bits)
