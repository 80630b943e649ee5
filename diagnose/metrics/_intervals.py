"""Intervals for a split error: the Wilson score interval of a proportion and the mean,
variance and effective size of a weighted mean.

Wilson: for a proportion p seen in n trials, the set of true rates a two-sided z-test
would not reject; it stays inside [0, 1] and keeps a width at 0 or n events (Wilson 1927).
Weighted means use Kish's effective sample size (sum w)^2 / sum w^2.
"""
from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_bounds(p, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals for proportions ``p`` seen in ``n`` trials (arrays broadcast).

    >>> lo, hi = wilson_bounds(np.array([0.0, 0.1]), 100)
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0552], [0.037, 0.1744])
    """
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denom
    low = np.where(p <= 0, 0.0, np.maximum(0.0, centre - half))
    high = np.where(p >= 1, 1.0, np.minimum(1.0, centre + half))
    empty = n <= 0
    return np.where(empty, 0.0, low), np.where(empty, 1.0, high)


def wilson_interval(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` seen in ``n`` trials.

    >>> lo, hi = wilson_interval(0.1, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.0552, 0.1744)
    """
    low, high = wilson_bounds(p, n, z)
    return float(low), float(high)


def weighted_mean_var(values: np.ndarray, weight: np.ndarray | None) -> tuple[float, float, float]:
    """Mean, per-sample variance and effective sample size of ``values``.

    >>> weighted_mean_var(np.array([1.0, 3.0]), None)
    (2.0, 2.0, 2.0)
    >>> weighted_mean_var(np.array([1.0, 3.0]), np.array([1.0, 3.0]))[0]
    2.5
    """
    if weight is None:
        n = values.shape[0]
        mean = float(values.mean())
        var = float(values.var(ddof=1)) if n > 1 else 0.0
        return mean, var, float(n)
    wsum = float(weight.sum())
    mean = float(np.dot(weight, values) / wsum)
    n_eff = wsum * wsum / float(np.dot(weight, weight))
    var = float(np.dot(weight, (values - mean) ** 2) / wsum)
    if n_eff > 1:
        var *= n_eff / (n_eff - 1)
    return mean, var, n_eff
