"""The uncertainty of a tally of reviewed errors: exact intervals, a bound for the categories
nobody has tagged, intervals that hold for the whole table at once, and whether the top
category is really the top.

A review draws ``n`` of the ``N`` cv errors without replacement, so the number ``k`` of
reviewed errors in a category is hypergeometric given the category's count ``K`` among all
``N`` errors. The exact interval for ``K`` inverts that test (the hypergeometric analogue
of Clopper and Pearson, 1934; Buonaccorsi, 1987, *Commun. Stat. Theory Methods* 16:
"A note on confidence intervals for proportions in finite populations"): the smallest and
largest ``K`` whose one-sided p-value is at least ``alpha / 2``. Its coverage is at least
``1 - alpha`` for every ``K``, and it carries the finite-population correction by
construction (a census, ``n = N``, gives the count itself). Without ``N`` the sample is taken
from an unlimited population and the interval is Clopper-Pearson's (binomial).

A category no reviewer has tagged has ``k = 0``: its one-sided ``1 - alpha`` upper bound is
the largest ``K`` with P(k = 0 | K) >= alpha, about ``3 / n`` of the errors at 95% (the rule
of three; Hanley and Lippman-Hand, 1983, *JAMA* 249) and below that with the correction.

Simultaneous intervals: Bonferroni's adjustment of the exact intervals (each at level
``alpha / m`` for the ``m`` categories of the table; Goodman, 1965, *Technometrics* 7, for
the multinomial case). A reviewed row may carry several tags, so the counts are not one
multinomial draw and methods built on it (Sison and Glaz, 1995, *JASA* 90) do not apply;
Bonferroni's union bound needs no assumption about how categories overlap.

Ranking: the exact McNemar test (McNemar, 1947) of two categories on the reviewed rows
that carry exactly one of the two tags. If the two are equally common among all errors,
those rows split evenly between them: binomially (p = 1/2) given their number ``m`` when
the population is unlimited; hypergeometrically when it is not, given the ``D`` errors of
the population that carry exactly one of the two, with the p-value taken at the worst
possible ``D`` (a supremum over the nuisance parameter, so the test stays valid).
"""
from __future__ import annotations

from typing import Any

import numpy as np

ALPHA = 0.05


def _int_arrays(*values: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.int64) for v in np.broadcast_arrays(*values)]


def _cdf(k: np.ndarray, n: np.ndarray, population: np.ndarray, K: np.ndarray) -> np.ndarray:
    """P(X <= k) for X hypergeometric: ``n`` drawn from ``population`` of which ``K`` are in
    the category. Sums scipy's pmf over the shorter side (x <= k, or one minus x > k):
    scipy's own cdf slows down as the population grows."""
    from scipy.stats import hypergeom

    below = k + 1 <= n - k  # sum the lower side
    width = np.where(below, k + 1, n - k)
    out = np.where(below, 0.0, 1.0)
    order = np.argsort(width, kind="stable")
    start = 0
    while start < order.size:  # blocks of rows of similar width, at most ~1M cells each
        wide = max(int(width[order[start]]), 1)
        stop = start + max(1, (1 << 20) // wide)
        rows = order[start:stop]
        wide = max(int(width[rows[-1]]), 1)
        j = np.arange(wide)
        kk, nn, pp, KK, bb = (v[rows, None] for v in (k, n, population, K, below))
        x = np.where(bb, kk - j, kk + 1 + j)
        inside = (j < width[rows, None]) & (x >= np.maximum(0, nn - (pp - KK))) & (x <= np.minimum(nn, KK))
        with np.errstate(divide="ignore", invalid="ignore"):
            mass = np.where(inside, np.exp(hypergeom.logpmf(x, pp, KK, nn)), 0.0).sum(axis=1)
        out[rows] = np.where(below[rows], mass, 1.0 - mass)
        start = stop
    return np.clip(out, 0.0, 1.0)


def _search(k: np.ndarray, n: np.ndarray, population: np.ndarray, tail: np.ndarray, upper: bool) -> np.ndarray:
    """Bisection over the population count ``K`` in ``[k, k + N - n]``, for all entries at once.

    ``upper``: the largest ``K`` with P(X <= k | K) >= tail (this probability falls as ``K``
    grows); otherwise the smallest ``K`` with P(X >= k | K) >= tail (it rises with ``K``).
    """
    lo, hi = k.copy(), k + population - n
    active = np.flatnonzero(lo < hi)
    while active.size:
        a, b = lo[active], hi[active]
        mid = (a + b + 1) // 2 if upper else (a + b) // 2
        kk, nn, pp = k[active], n[active], population[active]
        # P(X <= k) for the upper bound, P(X >= k) = 1 - P(X <= k - 1) for the lower one
        ok = (_cdf(kk, nn, pp, mid) if upper else 1.0 - _cdf(kk - 1, nn, pp, mid)) >= tail[active]
        if upper:
            lo[active] = np.where(ok, mid, a)
            hi[active] = np.where(ok, b, mid - 1)
        else:
            hi[active] = np.where(ok, mid, b)
            lo[active] = np.where(ok, a, mid + 1)
        active = active[lo[active] < hi[active]]
    return lo


def count_interval(count: Any, n: Any, population: Any, alpha: Any = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``1 - alpha`` interval for a category's count among ``population`` errors, from
    ``count`` of ``n`` reviewed errors drawn without replacement (arguments broadcast).

    The bounds are the smallest and largest population counts whose one-sided
    hypergeometric p-value is at least ``alpha / 2``.

    >>> lo, hi = count_interval([21, 0], 100, 1000)
    >>> lo.tolist(), hi.tolist()
    ([139, 0], [298, 34])
    >>> [v.tolist() for v in count_interval(5, 8, 10)]  # 5 of 8 reviewed: 5 to 7 of all 10
    [5, 7]
    """
    k, n, population = _int_arrays(count, n, population)
    if np.any((k < 0) | (k > n) | (n > population)):
        raise ValueError("need 0 <= count <= n <= population")
    shape = k.shape
    tail = np.broadcast_to(np.asarray(alpha, dtype=np.float64) / 2, k.shape).ravel()
    # each distinct (k, n, N, level) once: a simulation repeats them many times
    keys, back = np.unique(np.column_stack([k.ravel(), n.ravel(), population.ravel(), tail]).astype(np.float64),
                           axis=0, return_inverse=True)  # whole numbers below 2**53 are exact in floats
    k, n, population = (keys[:, i].astype(np.int64) for i in range(3))
    tail = keys[:, 3]
    low = _search(k, n, population, tail, upper=False)
    high = _search(k, n, population, tail, upper=True)
    return low[back.ravel()].reshape(shape), high[back.ravel()].reshape(shape)


def clopper_pearson(count: Any, n: Any, alpha: Any = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) ``1 - alpha`` interval for a proportion: ``count`` of ``n``.

    >>> lo, hi = clopper_pearson([0, 21, 30], 30)
    >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
    ([0.0, 0.506, 0.8843], [0.1157, 0.8527, 1.0])
    """
    from scipy.stats import beta

    k, n = np.broadcast_arrays(np.asarray(count, dtype=np.float64), np.asarray(n, dtype=np.float64))
    half = np.asarray(alpha, dtype=np.float64) / 2
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, beta.ppf(half, k, n - k + 1), 0.0)
        high = np.where(k < n, beta.ppf(1 - half, k + 1, n - k), 1.0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def share_interval(count: Any, n: Any, population: Any = None,
                   alpha: Any = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``1 - alpha`` interval for a category's share of all errors: the count interval
    over ``population`` (finite-population corrected), or Clopper-Pearson without one.

    >>> lo, hi = share_interval([1], 30, 1000)
    >>> float(lo[0]), float(hi[0])
    (0.001, 0.17)
    >>> [round(float(v[0]), 4) for v in share_interval([1], 30)]
    [0.0008, 0.1722]
    """
    if population is None:
        return clopper_pearson(count, n, alpha)
    low, high = count_interval(count, n, population, alpha)
    population = np.asarray(population, dtype=np.float64)
    return low / population, high / population


def unseen_upper(n: int, population: int | None = None, alpha: float = ALPHA) -> float:
    """One-sided ``1 - alpha`` upper bound on the share of a category seen in none of ``n``
    reviewed errors (of ``population``, or of an unlimited population): about ``3 / n`` at
    95%, the rule of three.

    >>> round(unseen_upper(30), 4), round(unseen_upper(30, 1000), 3), unseen_upper(30, 30)
    (0.095, 0.093, 0.0)
    """
    if n <= 0:
        raise ValueError("need at least one reviewed error")
    if population is None:
        return float(1.0 - alpha ** (1.0 / n))
    k, nn, pp = _int_arrays([0], n, population)
    return float(_search(k, nn, pp, np.array([alpha]), upper=True)[0]) / population


def mcnemar_p(only_a: Any, only_b: Any, unreviewed: Any = None) -> np.ndarray:
    """Exact two-sided McNemar p-values that two categories are equally common: ``only_a``
    reviewed rows carry tag a but not b, ``only_b`` the reverse (arrays broadcast); 1 when
    no row carries just one of them.

    ``unreviewed``: how many errors were not reviewed (``N - n``). Then the test is exact for
    the finite population: given the ``m`` discordant rows reviewed, the split is
    hypergeometric in the ``D`` discordant errors of the population, half of them a-only at
    worst, and the p-value is the largest over the possible ``D`` (``m`` to ``m + N - n``;
    it is reached at the largest). A difference bigger than the unreviewed errors could undo
    has p = 0; without ``unreviewed`` the split is binomial (p = 1/2), McNemar's test.

    >>> mcnemar_p([0, 5, 12], [0, 0, 3]).round(4).tolist()
    [1.0, 0.0625, 0.0352]
    >>> mcnemar_p([12, 12, 5], [3, 3, 0], unreviewed=[1000, 3, 3]).round(4).tolist()
    [0.0338, 0.0, 0.0]
    """
    from scipy.stats import binom

    a, b = np.broadcast_arrays(np.asarray(only_a, dtype=np.int64), np.asarray(only_b, dtype=np.int64))
    big, small, m = np.maximum(a, b), np.minimum(a, b), a + b
    if unreviewed is None:
        return np.asarray(np.minimum(1.0, 2.0 * binom.cdf(small, m, 0.5)), dtype=np.float64)
    u = np.broadcast_to(np.asarray(unreviewed, dtype=np.int64), m.shape)
    one_sided = np.zeros(m.shape)
    for shift in (0, 1):  # the largest D of each parity: the supremum is at one of them
        d = m + u - shift
        d_a = d // 2
        ok = np.flatnonzero((d >= m) & (d_a >= big) & (d - d_a >= small) & (m > 0))
        # P(X >= big) = 1 - P(X <= big - 1), X hypergeometric: m drawn from D, D_a of them a-only
        tail = 1.0 - _cdf(big.ravel()[ok] - 1, m.ravel()[ok], d.ravel()[ok], d_a.ravel()[ok])
        best = one_sided.ravel()
        best[ok] = np.maximum(best[ok], tail)
        one_sided = best.reshape(m.shape)
    return np.where(m > 0, np.minimum(1.0, 2.0 * one_sided), 1.0)


def vs_top(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows that carry the top category (column 0) but not each other one, and the reverse.

    ``members``: booleans, reviewed rows x categories, the top category first.

    >>> m = np.array([[1, 0, 1], [1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=bool)
    >>> [v.tolist() for v in vs_top(m)]
    [[0, 2, 2], [0, 1, 1]]
    """
    members = np.asarray(members, dtype=bool)
    top = members[:, :1]
    return (top & ~members).sum(axis=0), (~top & members).sum(axis=0)
