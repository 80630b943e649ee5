"""How sure the power-law extrapolation is: profile-likelihood intervals and a trend test.

**Intervals.** The fit minimises the robust deviance ``D = sum(rho(r_i^2))`` of the residuals
``r_i`` in units of each point's standard error (``rho`` is the ``soft_l1`` loss, which is
``r^2`` for residuals within two standard errors, so ``D`` is the chi-square of a weighted
least-squares fit). A quantity's 95% interval is every value whose *profile* deviance —
the least deviance of a curve held to that value — is within ``q`` of the best fit's
(Venzon & Moolgavkar 1988; Bates & Watts 1988, ch. 6): ``q`` is the chi-square (1 df)
quantile when the points carry standard errors, and ``F(1, n - 3) * D_min / (n - 3)`` when
they do not (the noise is then estimated from the residuals; 3 points leave none, so no
interval). Profile intervals follow the curve's own shape, so they stay honest where the
power law bends: on a flat curve any asymptote below the level fits, and the interval says so.

Every profile holds the curve to one value ``v`` at one size ``x0``: ``J(x0) = v``. Then
``c = v - a * x0^-b`` and the curve is ``v + a * (x^-b - x0^-b)``, linear in ``a`` for each
exponent ``b`` — so ``a`` is solved in closed form (reweighted for the robust loss, within
its bounds ``0 <= a <= v * x0^b`` that keep ``c >= 0``) on a grid of ``b``, all at once with
numpy. ``x0 = inf`` holds the asymptote ``c = v``; ``v = target`` at ``x0 = m`` holds the
size at which the curve reaches the target; ``x0 = m`` for several ``v`` gives the band.

**Trend test.** Before extrapolating, the weighted least-squares slope of J_cv on log m is
tested against 0, one-sided (``z`` test with the points' standard errors; ``t`` test with
``n - 2`` degrees of freedom when they have none): a curve not shown to fall is flat, and
more data is not shown to help.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
TREND_ALPHA = 0.05
MISFIT_LEVEL = 0.99  # a deviance beyond this chi-square quantile: the points scatter more than their se
F_SCALE = 2.0  # residuals beyond two standard errors count linearly (the soft_l1 scale of the fit)
B_GRID = np.geomspace(1e-3, 3.0, 48)
IRLS_STEPS = 4
M_PER_DECADE = 12
# sizes beyond this multiple of the largest one are reported as unbounded
M_SPAN = 1e9


def rho(r2: np.ndarray) -> np.ndarray:
    """The robust loss of squared residuals (in standard errors): ``r^2`` near 0, ``~4|r|`` far out.

    >>> [round(float(v), 3) for v in rho(np.array([0.0, 0.01, 100.0]))]
    [0.0, 0.01, 32.792]
    """
    return 2 * F_SCALE ** 2 * (np.sqrt(1 + r2 / F_SCALE ** 2) - 1)


def deviance_through(x, j, sigma, x0, v) -> np.ndarray:
    """Profile deviance of the curve held to ``J(x0[k]) = v[k]``: least over ``a`` and ``b``.

    ``x`` are the sizes scaled by the largest, ``sigma`` the points' scales; ``x0`` may be
    ``inf`` (then ``v`` is the asymptote ``c``).

    >>> x = np.array([0.25, 0.5, 1.0]); j = 0.1 + 0.05 * x ** -0.5
    >>> d = deviance_through(x, j, np.full(3, 0.01), np.array([np.inf, np.inf]), np.array([0.1, 0.0]))
    >>> bool(d[0] < 1e-3 < d[1])
    True
    """
    x0 = np.asarray(x0, dtype=np.float64)[:, None, None]
    v = np.asarray(v, dtype=np.float64)[:, None, None]
    x = np.asarray(x, dtype=np.float64)[None, None, :]
    y = np.asarray(j, dtype=np.float64) - v
    w = 1.0 / np.asarray(sigma, dtype=np.float64) ** 2
    log_b = np.log(B_GRID)
    dev = _deviance(x, y, w, x0, v, B_GRID[None, :, None])  # (K, len(B_GRID))
    # refine: the vertex of the parabola through the grid minimum and its neighbours, evaluated
    # exactly (so a refined value is a deviance some curve reaches, never an undershoot)
    k = np.clip(np.argmin(dev, axis=1), 1, len(B_GRID) - 2)
    rows = np.arange(len(dev))
    y0, y1, y2 = dev[rows, k - 1], dev[rows, k], dev[rows, k + 1]
    curv = y0 - 2 * y1 + y2
    step = log_b[1] - log_b[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curv > 0, 0.5 * (y0 - y2) / curv, 0.0)
    b_star = np.exp(log_b[k] + np.clip(shift, -1.0, 1.0) * step)
    refined = _deviance(x, y, w, x0, v, b_star[:, None, None])[:, 0]
    return np.minimum(dev.min(axis=1), refined)


def _deviance(x, y, w, x0, v, b) -> np.ndarray:
    """Robust deviance at each exponent ``b``, with ``a`` fitted by reweighted least squares."""
    xb = x ** -b
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x0b = np.where(np.isinf(x0), 0.0, np.power(np.where(np.isinf(x0), 1.0, x0), -b))
        upper = np.where(x0b > 0, v / x0b, np.inf)  # c = v - a x0^-b >= 0
    g = xb - x0b

    def solve(weights):
        den = np.sum(weights * g * g, axis=-1, keepdims=True)
        num = np.sum(weights * g * y, axis=-1, keepdims=True)
        return np.clip(num / np.maximum(den, 1e-300), 0.0, upper)

    a = solve(w)
    for _ in range(IRLS_STEPS):  # majorise-minimise: each reweighted fit lowers the robust deviance
        a = solve(w / np.sqrt(1 + (y - a * g) ** 2 * w / F_SCALE ** 2))
    return np.sum(rho((y - a * g) ** 2 * w), axis=-1)


def threshold(d_min: float, n: int, known_se: bool, level: float = LEVEL) -> tuple[float, float] | None:
    """How far above the least deviance a value may lie and stay in the interval, and the
    dispersion factor applied (``None`` when the noise cannot be sized).

    With standard errors the threshold is the chi-square (1 df) quantile, inflated by
    ``D_min / (n - 3)`` when the points scatter about the curve far more than their
    standard errors say (``D_min`` beyond the 99% chi-square quantile with ``n - 3`` df:
    the power law misfits, so the noise is measured from the residuals instead).

    >>> [round(v, 3) for v in threshold(2.0, 6, True)], threshold(0.0, 3, False)
    ([3.841, 1.0], None)
    >>> [round(v, 3) for v in threshold(30.0, 6, True)]
    [38.415, 10.0]
    """
    # scipy.special's quantiles are what scipy.stats' chi2.ppf and f.ppf compute, without
    # importing scipy.stats (about 0.6 s of a command's start)
    from scipy.special import fdtri, gammaincinv

    if known_se:
        q = float(2 * gammaincinv(0.5, level))  # chi2.ppf(level, 1)
        if n > 3 and d_min > 2 * gammaincinv((n - 3) / 2, MISFIT_LEVEL):  # chi2.ppf(MISFIT_LEVEL, n - 3)
            return q * d_min / (n - 3), d_min / (n - 3)
        return q, 1.0
    if n <= 3:
        return None
    return float(fdtri(1, n - 3, level)) * d_min / (n - 3), 1.0  # f.ppf(level, 1, n - 3)


def grid_interval(grid: np.ndarray, dev: np.ndarray, limit: float, estimate: float,
                  log: bool = False) -> tuple[float, float, bool, bool]:
    """The hull of the grid values whose deviance is within ``limit``, widened to hold the
    estimate; the ends are interpolated where the profile crosses the limit. Returns
    ``(low, high, low_at_grid_edge, high_at_grid_edge)``.

    >>> grid_interval(np.arange(5.0), np.array([4.0, 1.0, 0.0, 1.0, 4.0]), 2.5, 2.0)
    (0.5, 3.5, False, False)
    """
    t = np.log(grid) if log else grid
    inside = np.flatnonzero(dev <= limit)
    if not len(inside):
        return estimate, estimate, False, False
    k0, k1 = int(inside[0]), int(inside[-1])

    def cross(i, o):  # i inside, o outside: where the deviance crosses the limit
        share = (limit - dev[i]) / (dev[o] - dev[i]) if dev[o] > dev[i] else 0.0
        return t[i] + share * (t[o] - t[i])

    lo = t[k0] if k0 == 0 else cross(k0, k0 - 1)
    hi = t[k1] if k1 == len(grid) - 1 else cross(k1, k1 + 1)
    lo, hi = (math.exp(lo), math.exp(hi)) if log else (float(lo), float(hi))
    return min(lo, estimate), max(hi, estimate), k0 == 0, k1 == len(grid) - 1


@dataclass(frozen=True)
class Trend:
    """The one-sided test that J_cv falls with m: the weighted slope of J_cv on log m."""

    slope: float
    se: float
    statistic: float
    df: int | None  # None: a z test (the points carry standard errors)
    p_value: float

    @property
    def falling(self) -> bool:
        return self.p_value < TREND_ALPHA

    def to_dict(self) -> dict:
        from ..values import json_number

        return {"method": "weighted least-squares slope of J_cv on log m, one-sided "
                          + ("z test" if self.df is None else f"t test ({self.df} df)"),
                "slope": json_number(self.slope), "se": json_number(self.se),
                "statistic": json_number(self.statistic), "p_value": json_number(self.p_value),
                "alpha": TREND_ALPHA, "falling": self.falling}


def trend_test(m, j, se=None) -> Trend:
    """Is J_cv shown to fall as m grows? A one-sided test of the slope of J_cv on log m.

    >>> m = np.array([100, 200, 400, 800])
    >>> trend_test(m, [0.30, 0.25, 0.21, 0.18], se=[0.01] * 4).falling
    True
    >>> trend_test(m, [0.30, 0.31, 0.29, 0.30], se=[0.01] * 4).falling
    False
    """
    from scipy.special import ndtr, stdtr  # norm.cdf and t.cdf, without importing scipy.stats

    x = np.log(np.asarray(m, dtype=np.float64))
    j = np.asarray(j, dtype=np.float64)
    known = se is not None and bool(np.all(np.asarray(se, dtype=np.float64) > 0))
    w = 1.0 / np.asarray(se, dtype=np.float64) ** 2 if known else np.ones_like(j)
    xc = x - np.sum(w * x) / np.sum(w)
    sxx = float(np.sum(w * xc ** 2))
    slope = float(np.sum(w * xc * j) / sxx)
    if known:
        sd = 1.0 / math.sqrt(sxx)
        stat = slope / sd
        return Trend(slope, sd, stat, None, float(ndtr(stat)))
    df = len(j) - 2
    resid = j - np.sum(w * j) / np.sum(w) - slope * xc
    s2 = float(np.sum(resid ** 2)) / df
    sd = math.sqrt(s2 / sxx)
    if sd == 0:  # points exactly on a line: the slope's sign is certain
        return Trend(slope, 0.0, -math.inf if slope < 0 else math.inf, df, 0.0 if slope < 0 else 1.0)
    stat = slope / sd
    return Trend(slope, sd, stat, df, float(stdtr(df, stat)))


def m_grid(m_min: float, m_max: float, extra=()) -> np.ndarray:
    """Log-spaced sizes from a tenth of the smallest to ``M_SPAN`` times the largest, plus ``extra``.

    >>> g = m_grid(100, 1000, [5000.0]); float(g[0]), 5000.0 in g, bool(np.all(np.diff(g) > 0))
    (10.0, True, True)
    """
    lo, hi = math.log10(m_min / 10), math.log10(m_max * M_SPAN)
    grid = np.logspace(lo, hi, int((hi - lo) * M_PER_DECADE) + 1)
    extra = [e for e in extra if e is not None and math.isfinite(e) and grid[0] < e < grid[-1]]
    return np.unique(np.concatenate([grid, extra]))
