"""Mergeable moments of a (weighted) mean: the one statistic behind every mean-loss interval.

A :class:`Moments` holds, for the rows of positive weight of a chunk, their count n, the
weight's sum and the loss's weighted sum (both as compensated pairs: a sum and the
rounding error it left), and the centred sums ``S[p][k] = sum w^p · (l - c)^k`` about
a centre c, for the powers the interval needs (p = 1..4, k up to the variance, skewness
and kurtosis of the linearised values u = w·(l - mean)·n / sum w).

Two chunks merge exactly as if their rows had been summed together: each side's sums are
moved to the common centre by the binomial theorem, ``sum w^p (d + δ)^k = sum_j C(k, j)
δ^(k-j) sum w^p d^j``, which keeps the centred form (no cancellation of raw power sums).
The centred sums are stored in units of powers of two of the largest deviation and the
largest weight, so fourth powers neither overflow nor underflow (a Brier score of 1e-120
keeps its skewness). :meth:`Moments.interval` then applies the formulas of
:mod:`._means` to the sums, so memory and streaming engines share one implementation;
their figures differ only by rounding in the order of summation (far below 1e-12).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# the centred sums kept: for each power p of the weight (1..4), the powers k of the deviation
_TOP = (2, 2, 3, 4)


_EPS = float(np.finfo(np.float64).eps)


def _pow2(x: float) -> float:
    """The power of two just above ``x`` (0 for 0; 2**1023, the largest there is, for ``x``
    of 2**1023 or more): scaling by it is exact.

    >>> _pow2(3.0), _pow2(0.3), _pow2(1.7e308) == 2.0 ** 1023
    (4.0, 0.5, True)
    """
    if not x > 0 or not math.isfinite(x):
        return 0.0
    return math.ldexp(1.0, min(math.frexp(x)[1], 1023))


def _two_sum(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Add two compensated sums (sum, error): Knuth's two-sum keeps the rounding error."""
    s = a[0] + b[0]
    bb = s - a[0]
    err = (a[0] - (s - bb)) + (b[0] - bb)
    return s, a[1] + b[1] + err


def _shift(sums: tuple[tuple[float, ...], ...], delta: float, ratio_d: float,
           ratio_w: float) -> list[list[float]]:
    """Centred sums moved by ``delta`` (in the new deviation unit) after rescaling the
    deviation unit by ``ratio_d`` and the weight unit by ``ratio_w``."""
    out = []
    for p, row in enumerate(sums, start=1):
        scaled = [row[j] * ratio_d ** j * ratio_w ** p for j in range(len(row))]
        out.append([sum(math.comb(k, j) * delta ** (k - j) * scaled[j] for j in range(k + 1))
                    for k in range(len(row))])
    return out


@dataclass(frozen=True)
class Moments:
    """The mergeable sums of a (weighted) mean of per-row values (see the module's notes).

    ``rows`` counts every row (weight 0 too) and ``low`` is the smallest value of any row:
    a lower bound below 0 is raised to 0 when no value is negative.

    >>> a = Moments.of(np.array([1.0, 2.0]))
    >>> b = Moments.of(np.array([4.0, 9.0]))
    >>> whole = Moments.of(np.array([1.0, 2.0, 4.0, 9.0]))
    >>> ab = a.merge(b)
    >>> ab.mean, round(ab.mean_var()[1], 12) == round(whole.mean_var()[1], 12)
    (4.0, True)
    """

    rows: int
    n: int
    weight: tuple[float, float]  # compensated sum of the weights
    total: tuple[float, float]  # compensated sum of weight · value
    centre: float
    sums: tuple[tuple[float, ...], ...]  # S[p][k] in units of unit_w^p · unit_d^k
    unit_d: float
    unit_w: float
    low: float

    @classmethod
    def empty(cls) -> Moments:
        zeros = tuple((0.0,) * (top + 1) for top in _TOP)
        return cls(0, 0, (0.0, 0.0), (0.0, 0.0), 0.0, zeros, 1.0, 1.0, math.inf)

    @classmethod
    def of(cls, values: np.ndarray, weight: np.ndarray | None = None) -> Moments:
        """The moments of one chunk of values (and their weights; rows of weight 0 count
        for nothing but ``rows``).

        >>> m = Moments.of(np.array([1.0, 3.0, 2.0]), np.array([1.0, 3.0, 0.0]))
        >>> m.rows, m.n, m.mean
        (3, 2, 2.5)
        """
        with np.errstate(over="ignore", invalid="ignore"):  # values that overflow: split_error_from refuses
            return cls._of(values, weight)

    @classmethod
    def _of(cls, values: np.ndarray, weight: np.ndarray | None) -> Moments:
        values = np.asarray(values, dtype=np.float64)
        rows = int(values.shape[0])
        low = float(values.min()) if rows else math.inf
        if weight is not None:
            w = np.asarray(weight, dtype=np.float64)
            keep = w > 0
            if not keep.all():
                values, w = values[keep], w[keep]
        n = int(values.shape[0])
        if n == 0:
            return replace_rows(cls.empty(), rows, low)
        if weight is None:
            wsum = float(n)
            total = float(values.sum())
            centre = total / n
            unit_d = _pow2(max(float(values.max()) - centre, centre - low)) or 1.0
            d = values - centre
            d *= 1.0 / unit_d  # a power of two: exact
            d2 = d * d
            power = (float(n), float(d.sum()), float(d2.sum()), float(np.dot(d2, d)), float(np.dot(d2, d2)))
            sums = tuple(power[:top_k + 1] for top_k in _TOP)
            return cls(rows, n, (wsum, 0.0), (total, 0.0), centre, sums, unit_d, 1.0, low)
        wsum = float(w.sum())
        total = float(np.dot(w, values))
        centre = total / wsum
        d = values - centre
        unit_d = _pow2(float(np.max(np.abs(d)))) or 1.0
        unit_w = _pow2(float(np.max(w))) or 1.0
        d = d / unit_d
        ws = w / unit_w
        out = []
        wp = ws
        for top in _TOP:
            row = [float(wp.sum())]
            dk = d
            for k in range(1, top + 1):
                row.append(float(np.dot(wp, dk)))
                if k < top:
                    dk = dk * d
            out.append(tuple(row))
            wp = wp * ws
        return cls(rows, n, (wsum, 0.0), (total, 0.0), centre, tuple(out), unit_d, unit_w, low)

    @classmethod
    def of_counts(cls, ones: int, rows: int) -> Moments:
        """The moments of ``rows`` unweighted values that are 0 or 1, ``ones`` of them 1 (a
        0/1 loss such as the error rate): the same sums as :meth:`of` on the values, each
        power of the two deviations counted once instead of summed row by row.

        >>> values = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
        >>> a, b = Moments.of_counts(3, 5), Moments.of(values)
        >>> (a.mean, a.low, a.unit_d) == (b.mean, b.low, b.unit_d), np.allclose(a.sums[3], b.sums[3])
        (True, True)
        """
        if rows == 0:
            return cls.empty()
        zeros = rows - ones
        low = 0.0 if zeros else 1.0
        total = float(ones)
        centre = total / rows
        unit_d = _pow2(max((1.0 if ones else 0.0) - centre, centre - low)) or 1.0
        scale = 1.0 / unit_d
        a, b = (0.0 - centre) * scale, (1.0 - centre) * scale  # the deviations of a 0 and of a 1
        power = (float(rows), *(zeros * a ** k + ones * b ** k for k in range(1, 5)))
        sums = tuple(tuple(power[:top + 1]) for top in _TOP)
        return cls(rows, rows, (float(rows), 0.0), (total, 0.0), centre, sums, unit_d, 1.0, low)

    @property
    def mean(self) -> float:
        """The (weighted) mean of the values of positive weight (NaN when there are none)."""
        if self.n == 0:
            return math.nan
        return (self.total[0] + self.total[1]) / (self.weight[0] + self.weight[1])

    def merge(self, other: Moments) -> Moments:
        """The moments of both chunks' rows together (order does not matter, up to rounding)."""
        rows, low = self.rows + other.rows, min(self.low, other.low)
        if other.n == 0:
            return replace_rows(self, rows, low)
        if self.n == 0:
            return replace_rows(other, rows, low)
        weight = _two_sum(self.weight, other.weight)
        total = _two_sum(self.total, other.total)
        centre = (total[0] + total[1]) / (weight[0] + weight[1])
        return _combine((self, other), centre, rows, self.n + other.n, weight, total, low)

    def centred(self) -> Moments:
        """The same sums about the mean itself (what the formulas read)."""
        if self.n == 0 or self.centre == self.mean:
            return self
        return _combine((self,), self.mean, self.rows, self.n, self.weight, self.total, self.low)

    def parts(self) -> tuple[float, float, float, float, float]:
        """(n_eff, per-row variance, second, third and fourth moments' ratios): the figures
        the interval reads, free of the units. See :meth:`mean_var` and :func:`mean_interval`."""
        c = self.centred()
        s = c.sums
        kish = s[0][0] ** 2 / s[1][0] if s[1][0] > 0 else 0.0
        n = c.n
        if n < 2:
            return kish, 0.0, 0.0, 0.0, 0.0
        spread, squares = s[0][2], s[1][2]  # sum w·d², sum w²·d² (in units)
        variance = n * spread * c.unit_d ** 2 / (s[0][0] * (n - 1))
        if variance <= (8.0 * _EPS * abs(self.mean)) ** 2:  # equal values, up to the rounding of their mean
            return kish, 0.0, 0.0, 0.0, 0.0
        n_eff = s[0][0] * spread / squares if squares > 0 else kish
        m2 = n * squares * c.unit_d ** 2 / s[0][0] ** 2  # sum u² / n
        skew = math.sqrt(n) * s[2][3] / squares ** 1.5 if squares > 0 else 0.0
        kurt = n * s[3][4] / squares ** 2 - 3.0 if squares > 0 else 0.0
        return n_eff, variance, m2, skew, kurt

    def mean_var(self) -> tuple[float, float, float]:
        """Mean, per-row variance and effective size (see :func:`weighted_mean_var`).

        >>> Moments.of(np.array([1.0, 3.0])).mean_var()
        (2.0, 2.0, 2.0)
        """
        n_eff, variance = self.parts()[:2]
        return self.mean, variance, n_eff


def replace_rows(m: Moments, rows: int, low: float) -> Moments:
    """``m`` with another row count and smallest value (rows of weight 0 merged in)."""
    from dataclasses import replace

    return replace(m, rows=rows, low=low)


def _combine(sides, centre: float, rows: int, n: int, weight, total, low: float) -> Moments:
    deltas = [side.centre - centre for side in sides]
    unit_d = max([side.unit_d for side in sides] + [_pow2(abs(dl)) for dl in deltas]) or 1.0
    unit_w = max(side.unit_w for side in sides)
    acc = [[0.0] * (top + 1) for top in _TOP]
    for side, dl in zip(sides, deltas):
        moved = _shift(side.sums, dl / unit_d, side.unit_d / unit_d, side.unit_w / unit_w)
        for p, row in enumerate(moved):
            for k, v in enumerate(row):
                acc[p][k] += v
    return Moments(rows, n, weight, total, centre, tuple(tuple(r) for r in acc), unit_d, unit_w, low)
