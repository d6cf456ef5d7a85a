"""Small statistics shared by dataset validators: KL divergence, PSI, Cramér's V, histograms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

EPS = 1e-4


def proportions(counts: Sequence[float]) -> np.ndarray:
    """Counts -> proportions, smoothed so that no bin is exactly 0 (KL and PSI need that)."""
    arr = np.asarray(counts, dtype=float) + EPS
    return arr / arr.sum()


def kl_divergence(p_counts: Sequence[float], q_counts: Sequence[float]) -> float:
    """KL(P || Q) in nats over the same bins (P = synthetic, Q = reference)."""
    p, q = proportions(p_counts), proportions(q_counts)
    return float(np.sum(p * np.log(p / q)))


def psi(actual: Sequence[float], expected: Sequence[float]) -> float:
    """Population stability index; < 0.1 stable, 0.1-0.25 shifted, > 0.25 a real change."""
    a, e = proportions(actual), proportions(expected)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value."""
    from scipy import stats  # scipy.stats costs seconds to import: only when a distribution is tested

    result = stats.ks_2samp(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return float(result.statistic), float(result.pvalue)


def cramers_v(xs: Sequence[str], ys: Sequence[str]) -> tuple[float, float]:
    """Cramér's V (bias-corrected, Bergsma 2013) and the chi-square p-value of two label columns."""
    return cramers_v_counts(Counter(zip(xs, ys, strict=True)))


def cramers_v_counts(pairs: Counter[tuple[str, str]]) -> tuple[float, float]:
    """`cramers_v` from the counts of (x, y) pairs (what a streaming validator can keep)."""
    x_levels = sorted({x for x, _ in pairs})
    y_levels = sorted({y for _, y in pairs})
    if len(x_levels) < 2 or len(y_levels) < 2:
        return 0.0, 1.0
    xi = {v: i for i, v in enumerate(x_levels)}
    yi = {v: i for i, v in enumerate(y_levels)}
    table = np.zeros((len(x_levels), len(y_levels)))
    for (x, y), count in pairs.items():
        table[xi[x], yi[y]] += count
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 0.0, 1.0
    from scipy import stats

    chi2, pvalue, _, _ = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    r, k = table.shape
    phi2 = chi2 / n
    phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return (float(np.sqrt(phi2c / denom)) if denom > 0 else 0.0), float(pvalue)


def shared_bins(a: Sequence[float], b: Sequence[float], bins: int = 20) -> np.ndarray:
    """Histogram edges covering both samples."""
    both = np.concatenate([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    if both.size == 0:
        return np.linspace(0, 1, bins + 1)
    lo, hi = float(both.min()), float(both.max())
    if lo == hi:
        hi = lo + 1
    return np.linspace(lo, hi, bins + 1)


def counts_over(values: Sequence[str], levels: Sequence[str]) -> list[int]:
    c = Counter(values)
    return [c.get(level, 0) for level in levels]
