"""Seeded sampling over the tokens a grammar allows, without sorting the vocabulary.

llama.cpp's sampler chain (what today's llama-cpp-python path runs: repeat
penalty over the last 64 sampled tokens → top-k → top-p → min-p 0.05 →
temperature → draw) sorts all 262k candidates for top-p on every token.  The
same chain needs far less: min-p keeps only tokens within ln(1/min_p) nats of
the best one, and top-p and top-k keep a prefix of the same descending order, so
only that small set is sorted; the softmax normaliser top-p needs is one
vectorised pass over the allowed logits.  Each sequence draws from its own
`numpy.random.Generator` seeded by its request, so a draw depends on the
request and the logits only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: llama.cpp's (and llama-cpp-python's) default min-p, which today's sequential path applies too
MIN_P = 0.05
#: llama-cpp-python's `last_n_tokens_size`: the repeat penalty looks at the last 64 sampled tokens
PENALTY_LAST_N = 64
_LOG_MIN_P = math.log(MIN_P)


def unpack_masks(bitmask: np.ndarray, vocab: int) -> np.ndarray:
    """(rows, words) packed int32 llguidance masks → (rows, vocab) bool, in one call (tokens past the mask: False)."""
    bits = np.unpackbits(np.ascontiguousarray(bitmask, dtype="<i4").view(np.uint8), axis=1, bitorder="little")
    allowed = bits[:, :vocab].view(bool)
    if allowed.shape[1] < vocab:
        allowed = np.pad(allowed, ((0, 0), (0, vocab - allowed.shape[1])))
    return allowed


def penalize(ids: np.ndarray, values: np.ndarray, recent: Sequence[int], penalty: float) -> None:
    """llama.cpp's repeat penalty, in place: a logit of a recently sampled token is divided (or, if negative, multiplied)."""
    if penalty == 1.0 or not recent:
        return
    for token in set(recent[-PENALTY_LAST_N:]):
        at = np.searchsorted(ids, token)
        if at < ids.size and ids[at] == token:
            value = values[at]
            values[at] = value / penalty if value > 0 else value * penalty


def sample(
    logits: np.ndarray,
    allowed: np.ndarray | None,
    rng: np.random.Generator,
    *,
    temperature: float,
    top_p: float,
    top_k: int | None,
    repeat_penalty: float = 1.0,
    recent: Sequence[int] = (),
    exclude: Sequence[int] = (),
) -> int:
    """One token id drawn from `logits` (float32, vocab) restricted to `allowed` (bool, vocab; None = all).

    Returns -1 when nothing is allowed.
    """
    ids = np.flatnonzero(allowed) if allowed is not None else np.arange(logits.shape[0])
    if exclude:  # ids are sorted: find the excluded ones by bisection (np.setdiff1d hashes all of them)
        wanted = np.asarray(exclude, dtype=ids.dtype)
        at = np.searchsorted(ids, wanted)
        hit = at < ids.size
        at = at[hit][ids[at[hit]] == wanted[hit]]
        ids = np.delete(ids, at)
    if ids.size == 0:
        return -1
    values = logits[ids].astype(np.float64)
    penalize(ids, values, recent, repeat_penalty)
    best = int(np.argmax(values))
    if temperature <= 0 or ids.size == 1:
        return int(ids[best])
    top = values[best]
    # min-p first: it bounds the set every later step keeps (a prefix of the same order)
    keep = np.flatnonzero(values >= top + _LOG_MIN_P)
    order = keep[np.argsort(-values[keep], kind="stable")]
    shifted = values - top
    if top_k and 0 < top_k < ids.size:
        order = order[:top_k]
        pool = shifted[np.argpartition(-shifted, top_k - 1)[:top_k]]
        total = float(np.exp(pool).sum())
    else:
        total = float(np.exp(shifted).sum())
    if top_p < 1.0:
        mass = np.cumsum(np.exp(shifted[order])) / total
        cut = int(np.searchsorted(mass, top_p)) + 1  # the smallest prefix reaching top_p, at least one token
        order = order[: max(1, cut)]
    weights = np.exp(shifted[order] / temperature)
    cumulative = np.cumsum(weights)
    pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(ids[order[min(pick, order.size - 1)]])
