"""Extrapolate a learning curve: fit J_cv(m) = c + a * m^(-b) and solve it for a target.

The power law is the usual empirical shape of held-out error against training-set size
(Hestness et al. 2017, "Deep learning scaling is predictable, empirically"): ``c`` is the
asymptote (the error more data alone cannot remove), ``b`` how fast the curve bends.

The fit is bounded (``a >= 0``, ``0 < b <= 3``, ``c >= 0``) and robust (``soft_l1`` loss,
residuals in units of each point's standard error when known), so one noisy point does
not drag the asymptote. Sizes are scaled by the largest one before fitting, which keeps
``a`` of order J whatever ``b`` is. The fit (:mod:`._powerfit`) solves ``c, a`` exactly for
each ``b`` and searches ``b`` over its whole range, so it finds the least deviance, not a
local one; where ``a = 0`` fits best, ``b`` is reported as its lower bound.

An answer is only as good as its interval (:mod:`._uncertainty`): a curve not shown to
fall is ``flat`` (no extrapolation); the target is ``unreachable`` only when the
asymptote's whole 95% profile-likelihood interval lies above it, ``reachable`` at a size
only when that size's interval is finite, and ``cannot_tell`` otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..exceptions import UsageError
from ..values import json_number
from ._powerfit import power_fit
from ._uncertainty import LEVEL, Trend, deviance_through, grid_interval, m_grid, rho, threshold, trend_test

MIN_POINTS = 3
# solving for m further than this multiple of the largest size is a guess, not an estimate
SPECULATIVE_FACTOR = 10.0
# below these the fitted asymptote says little: the curve is too noisy or too flat
POOR_R2 = 0.8
FLAT_B = 0.1
# a size whose interval reaches further than this factor from it gets a caveat
WIDE_FACTOR = 2.0
ASYMPTOTE_GRID = 161


@dataclass(frozen=True)
class FitData:
    """What the profiles need: scaled sizes, errors, their scales and the deviance limit."""

    x: np.ndarray
    j: np.ndarray
    sigma: np.ndarray
    m_max: float
    limit: float  # least deviance + threshold


@dataclass(frozen=True)
class Extrapolation:
    """The fitted power law, how sure it is, and the training-set size at which J_cv reaches ``target``.

    ``status``: ``reached`` (the observed J_cv is already at or below the target),
    ``flat`` (J_cv is not shown to fall with m: more data is not shown to help; no
    extrapolation), ``reachable`` (``m_target`` estimated with a finite interval;
    ``speculative`` when beyond 10x the largest size), ``unreachable`` (the asymptote's
    whole interval lies above the target), ``cannot_tell`` (the intervals of the asymptote
    or of the size contain the target's being out of reach), ``unclear`` (J_cv does not fall
    like a power law, so the fit puts the target inside the sizes tried while the largest
    run misses it), or ``no_target``. Intervals are 95% profile-likelihood intervals
    (``None`` when the points carry no standard errors and 3 points leave no residual).
    """

    c: float
    a: float
    b: float
    rmse: float
    r2: float | None
    n_points: int
    max_train_size: int
    target: float | None
    status: str
    m_target: float | None
    speculative: bool
    asymptote_ci: tuple[float, float] | None = None
    m_target_ci: tuple[float, float] | None = None
    trend: Trend | None = None
    ci_level: float = LEVEL
    dispersion: float | None = None
    fit_data: FitData | None = field(default=None, compare=False, repr=False)

    def predict(self, m) -> np.ndarray:
        """J_cv of the fitted curve at sizes ``m``."""
        return self.c + self.a * np.asarray(m, dtype=np.float64) ** (-self.b)

    def band(self, m, points: int = 61) -> tuple[np.ndarray, np.ndarray] | None:
        """Pointwise 95% profile-likelihood band of J_cv at sizes ``m`` (``None`` without intervals).

        >>> m = np.array([100, 200, 400, 800, 1600])
        >>> fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, se=np.full(5, 0.01))
        >>> low, high = fit.band([400, 6400])
        >>> bool(low[0] < fit.predict(400) < high[0]), bool(high[1] - low[1] > high[0] - low[0])
        (True, True)
        """
        data = self.fit_data
        if data is None:
            return None
        m = np.asarray(m, dtype=np.float64)
        pred = self.predict(m)
        top = float(np.max(data.j + 4 * data.sigma))
        v = np.unique(np.concatenate([np.linspace(0.0, max(top, float(pred.max())), points)]))
        vv = np.concatenate([np.tile(v, (len(m), 1)), pred[:, None]], axis=1)  # each row: grid + estimate
        order = np.argsort(vv, axis=1)
        vv = np.take_along_axis(vv, order, axis=1)
        dev = deviance_through(data.x, data.j, data.sigma, np.repeat(m / data.m_max, vv.shape[1]), vv.ravel())
        dev = dev.reshape(vv.shape)
        ends = [grid_interval(vv[i], dev[i], data.limit, float(pred[i]))[:2] for i in range(len(m))]
        return np.array([e[0] for e in ends]), np.array([e[1] for e in ends])

    @property
    def message(self) -> str:
        law = f"J_cv(m) ≈ {self.c:.4g} + {self.a:.4g}·m^(-{self.b:.3g})"
        ci = self.asymptote_ci
        asym = f"the asymptote {self.c:.4g}" + (f" (95% interval {_span(ci)})" if ci else "")
        if self.target is None:
            text = f"{law}; {asym}; no target given"
            return text + ("; the curve is flat: more data is not shown to help"
                           if self.trend is not None and not self.trend.falling else "")
        t = f"{self.target:.4g}"
        if self.status == "reached":
            return f"{law}; J_cv is already at or below the target {t}"
        if self.status == "flat":
            p = self.trend.p_value if self.trend is not None else math.nan
            return (f"the curve is flat: more data is not shown to help (J_cv does not fall significantly "
                    f"with log m, one-sided p = {p:.2g}), so there is no extrapolation to the target {t}")
        if self.status == "unclear":
            return (f"{law}; J_cv does not follow a falling power law (the fit is below the target "
                    f"{t} where the largest run is not), so no target size can be given")
        if self.status == "unreachable":
            return f"{law}; the target {t} cannot be reached with more data alone: {asym} lies above it"
        if self.status == "cannot_tell":
            # no point asymptote or size here: their intervals do not support one
            low = self.m_target_ci[0] if self.m_target_ci else math.inf
            if ci is not None and ci[1] >= self.target:
                why = (f"the asymptote (the error more data cannot remove) lies somewhere in {_span(ci)} "
                       "(95% interval), which reaches the target")
            else:
                why = "the 95% interval of the size that reaches it has no upper end"
            text = f"cannot tell whether more data alone reaches the target {t}: {why}"
            if math.isfinite(low) and low > self.max_train_size:
                text += f"; if it can be reached, it takes at least m = {_size(low)}"
            return text
        assert self.m_target is not None  # status is "reachable": the size was solved for
        text = f"{law}; J_cv reaches {t} at about m = {_size(self.m_target)}"
        if self.m_target_ci is not None:
            text += f" (95% interval {_size(self.m_target_ci[0])} to {_size(self.m_target_ci[1])})"
        if self.speculative:
            text += (f" (speculative: more than {SPECULATIVE_FACTOR:g}x the largest size "
                     f"{self.max_train_size:,})")
        return text

    @property
    def caveats(self) -> tuple[str, ...]:
        """Reasons to trust the fit less: a poor fit, a curve too flat to place its asymptote,
        a target size known only roughly, or no interval at all."""
        out = []
        if self.r2 is not None and self.r2 < POOR_R2:
            out.append(f"the power law fits J_cv poorly (R² {self.r2:.2f}); treat the extrapolation "
                       "as a rough guide")
        if self.b < FLAT_B:
            out.append(f"J_cv is nearly flat over the sizes tried (exponent b = {self.b:.2g}), so the "
                       "asymptote and any target size are poorly determined")
        if self.status == "reachable" and self.m_target_ci is not None and self.m_target is not None:
            low, high = self.m_target_ci
            if high > WIDE_FACTOR * self.m_target or low < self.m_target / WIDE_FACTOR:
                out.append(f"the target size is uncertain: its 95% interval runs from {_size(low)} to "
                           f"{_size(high)}, more than {WIDE_FACTOR:g}x from the estimate")
        if self.dispersion is not None and self.dispersion > 1:
            out.append(f"the points scatter about the power law {self.dispersion:.3g} times more (in variance) "
                       "than their standard errors say; the intervals are widened by as much")
        if self.fit_data is None and self.status in ("reachable", "unreachable", "unclear", "no_target"):
            out.append("no interval: the points carry no standard errors and 3 sizes leave no residual "
                       "to measure the noise, so the answer is a point estimate only")
        return tuple(out)

    def to_dict(self) -> dict:
        ci, mci = self.asymptote_ci, self.m_target_ci
        return {
            "model": "c + a * m^(-b)",
            "c": json_number(self.c), "a": json_number(self.a), "b": json_number(self.b),
            "asymptote": json_number(self.c),
            "asymptote_ci_low": json_number(ci[0]) if ci else None,
            "asymptote_ci_high": json_number(ci[1]) if ci else None,
            "rmse": json_number(self.rmse), "r2": json_number(self.r2), "n_points": self.n_points,
            "target": json_number(self.target), "status": self.status,
            "m_target": json_number(self.m_target),
            "m_target_ci_low": json_number(mci[0]) if mci else None,
            "m_target_ci_high": json_number(mci[1]) if mci else None,
            "m_target_ci_unbounded": math.isinf(mci[1]) if mci else None,
            "speculative": self.speculative,
            "ci_level": self.ci_level if ci else None, "dispersion": json_number(self.dispersion),
            "interval_method": _method(self.fit_data is not None, self.trend),
            "trend": self.trend.to_dict() if self.trend is not None else None,
            "message": self.message, "caveats": list(self.caveats),
        }


def _method(has_interval: bool, trend: Trend | None) -> str | None:
    if not has_interval:
        return None
    noise = "the points' standard errors" if trend is None or trend.df is None else "the residuals"
    return f"profile likelihood (robust deviance; noise from {noise})"


def _span(ci: tuple[float, float]) -> str:
    return f"[{ci[0]:.4g}, {ci[1]:.4g}]"


def _size(m: float) -> str:
    if math.isinf(m):
        return "no upper end"
    return f"{m:,.0f}" if m < 1e7 else f"{m:.2g}"


def fit_power_law(
    train_size,
    cv_error,
    *,
    se=None,
    target: float | None = None,
) -> Extrapolation:
    """Fit ``J_cv(m) = c + a * m^(-b)`` to at least 3 points and solve it for ``target``.

    ``se`` (optional) are the standard errors of the points; they weight the residuals and
    size the intervals (without them the noise is estimated from the residuals).

    >>> m = np.array([100, 200, 400, 800, 1600])
    >>> fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.08)
    >>> round(fit.c, 3), round(fit.a, 2), round(fit.b, 2), fit.status, round(fit.m_target)
    (0.05, 2.0, 0.5, 'reachable', 4444)
    >>> noisy = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, se=np.full(5, 0.02), target=0.08)
    >>> noisy.status, noisy.asymptote_ci[0] < 0.05 < noisy.asymptote_ci[1]
    ('cannot_tell', True)
    """
    m = np.asarray(train_size, dtype=np.float64)
    j = np.asarray(cv_error, dtype=np.float64)
    if m.ndim != 1 or m.shape != j.shape:
        raise UsageError("train_size and cv_error must be 1-d arrays of the same length")
    if len(np.unique(m)) < MIN_POINTS:
        raise UsageError(f"extrapolation needs at least {MIN_POINTS} distinct training-set sizes; "
                         f"got {len(np.unique(m))}. Add runs at more sizes")
    if np.any(m <= 0) or not np.all(np.isfinite(j)):
        raise UsageError("training-set sizes must be positive and errors finite to fit a curve")
    if target is not None and not (math.isfinite(target) and target >= 0):
        raise UsageError(f"the target J_cv must be a number >= 0, not {target}")
    m_max = float(m.max())
    x = m / m_max
    sigma, known = _sigma(j, se)
    c, a_scaled, b = power_fit(x, j, sigma)
    a = a_scaled * m_max ** b  # back to unscaled sizes: a' x^-b = a' m_max^b m^-b
    fitted = c + a_scaled * x ** (-b)
    resid = fitted - j
    rmse = float(np.sqrt(np.mean(resid ** 2)))
    ss_tot = float(np.sum((j - j.mean()) ** 2))
    # a constant curve has no variance to explain (its mean's rounding would leave a
    # ss_tot of ~1e-33 and an R² of -1e16)
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 and np.ptp(j) > 0 else None
    trend = trend_test(m, j, sigma if known else None)
    status, m_target, speculative = _solve(c, a, b, target, m, j, m_max)
    if status in ("reachable", "unreachable", "unclear") and not trend.falling:
        status, m_target, speculative = "flat", None, False  # no extrapolation
    fit = Extrapolation(c=c, a=a, b=b, rmse=rmse, r2=r2, n_points=len(m), max_train_size=int(m_max),
                        target=target, status=status, m_target=m_target, speculative=speculative, trend=trend)

    # the asymptote's profile: the curve held to each c on a grid (plus the estimate and the target)
    top = float(np.max(j + 4 * sigma))
    c_grid = np.unique(np.concatenate([np.linspace(0.0, top, ASYMPTOTE_GRID),
                                       [c] + ([target] if target is not None and target < top else [])]))
    dev_c = deviance_through(x, j, sigma, np.full(len(c_grid), np.inf), c_grid)
    d_min = min(float(np.sum(rho((resid / sigma) ** 2))), float(dev_c.min()))
    sized = threshold(d_min, len(m), known)
    if sized is None:  # no interval: the point answer stands, with a caveat
        return fit
    q, dispersion = sized
    # a hair above the least deviance, so a perfect fit keeps its own grid neighbours
    limit = d_min + max(q, 1e-9 * max(d_min, 1.0))
    c_lo, c_hi, _, c_top_edge = grid_interval(c_grid, dev_c, limit, c)
    fit = replace(fit, asymptote_ci=(c_lo, math.inf if c_top_edge else c_hi), dispersion=dispersion,
                  fit_data=FitData(x=x, j=j, sigma=sigma, m_max=m_max, limit=limit))
    if status not in ("reachable", "unreachable", "unclear"):
        return fit
    assert target is not None  # the statuses above need one
    m_ci = _size_interval(fit, float(m.min()), target, c_lo, c_hi)
    if c_lo > target and math.isinf(m_ci[0]):
        return replace(fit, status="unreachable", m_target_ci=m_ci)
    if math.isinf(m_ci[1]) or status == "unreachable":
        return replace(fit, status="cannot_tell", m_target=None, speculative=False, m_target_ci=m_ci)
    return replace(fit, m_target_ci=m_ci)


def _size_interval(fit: Extrapolation, m_min: float, target: float, c_lo: float,
                   c_hi: float) -> tuple[float, float]:
    """The 95% interval of the size at which J_cv reaches ``target`` (upper end ``inf`` when an
    asymptote at or above the target is plausible, or the size lies beyond the grid)."""
    data = fit.fit_data
    assert data is not None  # called once the intervals are sized
    grid = m_grid(m_min, data.m_max, [fit.m_target])
    dev = deviance_through(data.x, data.j, data.sigma, grid / data.m_max, np.full(len(grid), target))
    # an estimate beyond the grid is no lower end: the interval then starts past the grid's top
    estimate = fit.m_target if fit.m_target is not None and fit.m_target <= grid[-1] else math.inf
    low, high, _, top_edge = grid_interval(grid, dev, data.limit, estimate, log=True)
    if math.isinf(low) and (fit.m_target is not None or c_lo < target):
        low, top_edge = float(grid[-1]), True
    if top_edge or c_hi >= target:  # out of reach (c >= target) is plausible, or beyond any size
        high = math.inf
    return low, high


def _sigma(j: np.ndarray, se) -> tuple[np.ndarray, bool]:
    """Per-point scale of the residuals: the standard errors, floored so none dominates, and
    whether they are standard errors (not a stand-in scale)."""
    # the curve's own scale, floored so a constant (or all-zero) curve still divides safely
    spread = max(float(np.std(j)), 1e-9 * float(np.abs(j).max()), 1e-12)
    if se is None:
        return np.full(j.shape, spread / 10), False
    se = np.asarray(se, dtype=np.float64)
    positive = se[np.isfinite(se) & (se > 0)]
    if not len(positive):
        return np.full(j.shape, spread / 10), False
    # floors: a quarter of the typical se, and a thousandth of the curve's scale (a
    # near-zero se would otherwise make its point the only one that counts)
    floor = max(0.25 * float(np.median(positive)), 1e-3 * spread)
    return np.where(np.isfinite(se), np.maximum(se, floor), floor), True


def _solve(c, a, b, target, m, j, m_max) -> tuple[str, float | None, bool]:
    if target is None:
        return "no_target", None, False
    if j[np.argmax(m)] <= target:
        return "reached", float(m_max), False
    if c >= target or a <= 0:
        return "unreachable", None, False
    # c + a m^-b = target  =>  m = (a / (target - c))^(1/b)
    log_m = (math.log(a) - math.log(target - c)) / b
    # a nearly flat curve can put the target beyond any float: report it as infinitely far
    m_target = math.exp(log_m) if log_m < 700 else math.inf
    if m_target <= m_max:
        # the fitted curve is below the target where the observed J_cv is not (J_cv rose)
        return "unclear", None, False
    return "reachable", m_target, m_target > SPECULATIVE_FACTOR * m_max
