"""Intervals for a proportion (an error rate): the Wilson score interval, the exact
Clopper–Pearson bounds, and the interval a split's error rate reports, which joins them.

Wilson: for a proportion p seen in n trials, the set of true rates a two-sided z-test
would not reject; it stays inside [0, 1] and keeps a width at 0 or n events (Wilson 1927).
Its bound on the side of the few events sits too high (too low near 1) when there are
few of them: at n·p ≈ 0.17 it covers 84%, and up to about a dozen events its coverage
dips to 90–92% at some rates. Brown, Cai and DasGupta (2001, "Interval estimation for a
binomial proportion", Statistical Science 16, 101–133, §4.1.1) replace that bound by a
Poisson bound for x ≤ 3 events; :func:`rate_bounds` replaces it by the exact
Clopper–Pearson bound (Clopper and Pearson 1934) while the count on that side is at most
``FEW_EVENTS`` (15): an exact scan of n 30–100,000 × p 0.001–0.5 found Wilson's dips up to
x ≈ 12, and with 15 the coverage stays at 92.8% or more (93% but for a few rates at
n ≈ 30–40) and, where n·p ≥ 10, at 96.9% or less. The other bound stays Wilson's.

With sample weights the count is not an integer: the rate's effective size is the one its
linearisation (sandwich) variance implies, and the exact bound uses x = p·n_eff events of
n_eff (Korn and Graubard 1998, "Confidence intervals for proportions with small expected
number of positive counts estimated from survey data", Survey Methodology 24, 193–201).
"""
from __future__ import annotations

import math

import numpy as np

from ._strata import MAX_STRATA

Z95 = 1.959963984540054  # two-sided 95% normal quantile
FEW_EVENTS = 15.0  # at most this many events (or non-events) on a side: that bound is exact


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


def exact_bounds(p, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson (exact) bounds for proportions ``p`` seen in ``n`` trials (arrays
    broadcast): the beta quantiles of x = p·n events, which may be fractional (weights).

    >>> lo, hi = exact_bounds(np.array([0.0, 0.03]), 100)
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0062], [0.0362, 0.0852])
    """
    from scipy.special import betaincinv  # the beta quantile, without importing scipy.stats (~1 s)

    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    tail = 0.5 * math.erfc(z / math.sqrt(2.0))  # alpha / 2
    x, rest = np.broadcast_arrays(p * n, (1.0 - p) * n)
    some, short = x > 0, rest > 0
    tiny = np.finfo(np.float64).tiny
    low = np.where(some, betaincinv(np.where(some, x, 1.0), rest + 1.0, tail), 0.0)
    high = np.where(short, betaincinv(x + 1.0, np.where(short, rest, 1.0), 1.0 - tail), 1.0)
    empty = n <= 0
    low = np.where(empty, 0.0, np.maximum(low, 0.0))
    high = np.where(empty, 1.0, np.minimum(np.maximum(high, tiny), 1.0))
    return low, high


def rate_bounds(p, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The 95% interval of error rates ``p`` seen in ``n`` (effective) trials, arrays
    broadcast: Wilson's, with the bound on the side of few events (at most ``FEW_EVENTS``
    of them) replaced by the exact Clopper–Pearson bound.

    >>> lo, hi = rate_bounds(np.array([0.0, 0.01, 0.3]), 100)
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0003, 0.2189], [0.037, 0.0545, 0.3958])
    """
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    low, high = wilson_bounds(p, n, z)
    few = FEW_EVENTS * (1.0 + 1e-12)
    few_events, few_misses = (p * n <= few) & (p > 0), ((1.0 - p) * n <= few) & (p < 1)
    if np.any(few_events) or np.any(few_misses):
        exact_low, exact_high = exact_bounds(p, n, z)
        low = np.where(few_events & (n > 0), exact_low, low)
        high = np.where(few_misses & (n > 0), exact_high, high)
    return low, high


def rate_interval(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The 95% interval of an error rate ``p`` seen in ``n`` (effective) trials (see
    :func:`rate_bounds`): Wilson's, exact on the side of at most 15 events.

    >>> lo, hi = rate_interval(0.001, 1000)  # one error: the exact lower bound
    >>> round(lo, 6), round(hi, 4)
    (2.5e-05, 0.0056)
    """
    low, high = rate_bounds(p, n, z)
    return float(low), float(high)


def stratified_rate_interval(errors: np.ndarray, weight: np.ndarray, z: float = Z95) -> tuple[float, float] | None:
    """The 95% interval of a weighted error rate whose weights take a few distinct values
    (class weights, say): each value is a stratum h of n_h rows, k_h of them errors, and the
    rate is the sum of a_h·k_h / n_h with a_h the stratum's share of the weight. Price and
    Bonett's (2004) adjusted Wald interval for such a linear combination adds 2/m errors and
    2/m right answers to each of the m strata (Agresti and Caffo's 1 and 1 when m = 2)::

        p~_h = (k_h + 2/m) / (n_h + 4/m),  centre = sum a_h·p~_h,
        se² = sum a_h²·p~_h·(1 - p~_h) / (n_h + 4/m)

    It moves the centre towards 1/2 where a heavy stratum holds few rows, which is where
    Wilson on the sandwich's effective size misses on the upper side (91% with about ten
    rows of a class weighted 9 to 1; 94–96% here). None when the weights are not strata
    (one value, or more than ``MAX_STRATA``); rows of weight 0 count for nothing.

    >>> e = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    >>> w = np.array([5, 5, 5, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    >>> [round(b, 4) for b in stratified_rate_interval(e, w)]
    [0.0382, 0.6487]
    >>> stratified_rate_interval(e, np.ones(10)) is None
    True
    """
    from ._strata import WeightStrata

    return strata_interval(WeightStrata.of(np.asarray(errors, dtype=np.float64), weight), z)


def strata_interval(strata, z: float = Z95) -> tuple[float, float] | None:
    """:func:`stratified_rate_interval` from the (merged) counts of a
    :class:`~diagnose.metrics._strata.WeightStrata`: the one formula every engine uses.

    >>> from diagnose.metrics._strata import WeightStrata
    >>> s = WeightStrata((1.0, 5.0), (7, 3), (1.0, 1.0))
    >>> [round(b, 4) for b in strata_interval(s)]
    [0.0382, 0.6487]
    """
    if strata.values is None or not 2 <= len(strata.values) <= MAX_STRATA:
        return None
    m = len(strata.values)
    values = np.asarray(strata.values, dtype=np.float64)
    n_h = np.asarray(strata.counts, dtype=np.float64)
    k_h = np.asarray(strata.losses, dtype=np.float64)
    share = values * n_h
    share /= share.sum()
    p_t = (k_h + 2.0 / m) / (n_h + 4.0 / m)
    centre = float(np.dot(share, p_t))
    se = math.sqrt(float(np.dot(share * share, p_t * (1.0 - p_t) / (n_h + 4.0 / m))))
    rate = float(np.dot(share, k_h / n_h))
    return min(max(0.0, centre - z * se), rate), max(min(1.0, centre + z * se), rate)
