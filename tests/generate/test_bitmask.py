"""The row-grammar processor's mask kernel agrees with llguidance's own, on the layouts llama.cpp hands over."""

from __future__ import annotations

import llguidance.numpy
import numpy as np
import pytest

from synthspec.generate.backends.processor import apply_bitmask


@pytest.mark.parametrize("vocab, words", [(262144, 8192), (1000, 32), (1000, 40), (50, 1)])
@pytest.mark.parametrize("density", [0.0, 0.01, 0.5, 1.0])
def test_apply_bitmask_matches_llguidance(vocab: int, words: int, density: float) -> None:
    rng = np.random.default_rng(vocab + words)
    bits = rng.random(words * 32) < density
    mask = np.packbits(bits, bitorder="little").view(np.int32).copy()
    # llama.cpp's token data: (id, logit, p) records, so the logits are a strided view
    records = np.zeros(vocab, dtype=np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True))
    records["logit"] = rng.standard_normal(vocab)
    expected = records["logit"].copy()[None, :]
    llguidance.numpy.apply_token_bitmask_inplace(expected, mask[None, :])
    apply_bitmask(records["logit"], mask)
    assert np.array_equal(records["logit"], expected[0])
