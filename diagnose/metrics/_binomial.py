"""The exact tail of a fair coin's binomial law, without scipy.

McNemar's exact test asks how likely ``k`` or more heads are in ``n`` tosses of a fair coin.
scipy answers with its incomplete beta function, but importing ``scipy.special`` costs a
command about a quarter of a second of start-up, more than the rest of a small report. The
tail is computed here from the probability of its first term, by Loader's saddle-point
formula (C. Loader, "Fast and accurate computation of binomial probabilities", 2000: the
Stirling-series remainders and the deviance ``bd0``, which keep full precision for
millions of tosses where ``lgamma`` differences lose half the digits), times the sum of the
following terms by their ratios ``(n - j) / (j + 1)``, stopped where they no longer count.
"""
from __future__ import annotations

import math

import numpy as np

# the Stirling series' coefficients 1/12, 1/360, 1/1260, 1/1680, 1/1188
_S0, _S1, _S2, _S3, _S4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _stirling_remainder(k: int) -> float:
    """log(k!) - log(sqrt(2 pi k) (k / e)^k), for a whole ``k >= 1``."""
    if k <= 15:  # small: lgamma is exact to the last places here
        return math.lgamma(k + 1.0) - (k + 0.5) * math.log(k) + k - _HALF_LOG_2PI
    k2 = float(k) * k
    return (_S0 - (_S1 - (_S2 - (_S3 - _S4 / k2) / k2) / k2) / k2) / k


def _deviance(x: float, mean: float) -> float:
    """x log(x / mean) + mean - x, by its series when x is near ``mean`` (no cancellation)."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        total, term = (x - mean) * v, 2.0 * x * v
        j = 1
        while True:
            term *= v * v
            step = total + term / (2 * j + 1)
            if step == total:
                return total
            total, j = step, j + 1
    return x * math.log(x / mean) + mean - x


def _log_fair_pmf(k: int, n: int) -> float:
    """log P(X = k) for X ~ Bin(n, 1/2) and 0 < k < n (Loader's formula)."""
    half = 0.5 * n
    return (_stirling_remainder(n) - _stirling_remainder(k) - _stirling_remainder(n - k)
            - _deviance(k, half) - _deviance(n - k, half) - 0.5 * math.log(2 * math.pi * k * (n - k) / n))


def _upper(k: int, n: int) -> float:
    """P(X >= k) for ``k`` above the middle (``2k > n``): the first term's probability times
    1 + r1 + r1 r2 + ..., ``r`` the ratios of neighbouring terms, which fall below 1 from here
    (at most 40 sqrt(n) + 60 of them: memory grows as the square root of the tosses)."""
    if k == n:
        return math.ldexp(1.0, -n)
    first = math.exp(_log_fair_pmf(k, n))
    if first == 0.0:
        return 0.0
    # the terms shrink at least like exp(-2 j (j + 2k - n) / n): 40 sqrt(n) + 60 terms are plenty
    stop = min(n, k + 60 + int(40 * math.sqrt(n)))
    j = np.arange(k, stop, dtype=np.float64)
    ratios = np.cumprod((n - j) / (j + 1.0))
    return first * (1.0 + float(ratios.sum()))


def fair_coin_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exactly (to about 1e-13 relative; in far tails
    |log p| x 1e-16, the rounding of the exponent, and subnormal below 1e-308): the p-value of
    McNemar's exact test when ``k`` of ``n`` discordant pairs go one way. Whole numbers.

    >>> fair_coin_tail(3, 3), round(fair_coin_tail(10, 12), 6), fair_coin_tail(0, 5)
    (0.125, 0.019287, 1.0)
    """
    k, n = int(k), int(n)
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if 2 * k == n + 1:  # the upper half of an odd number of tosses: one half exactly
        return 0.5
    if 2 * k > n:
        return _upper(k, n)
    # at or below the middle: 1 - P(X <= k - 1) = 1 - P(X >= n - k + 1), by symmetry
    return 1.0 - _upper(n - k + 1, n)
