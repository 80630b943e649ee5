"""Extrapolate a learning curve: fit J_cv(m) = c + a * m^(-b) and solve it for a target.

The power law is the usual empirical shape of held-out error against training-set size
(Hestness et al. 2017, "Deep learning scaling is predictable, empirically"): ``c`` is the
asymptote (the error more data alone cannot remove), ``b`` how fast the curve bends.

The fit is bounded (``a >= 0``, ``0 < b <= 3``, ``c >= 0``) and robust (``soft_l1`` loss,
residuals in units of each point's standard error when known), so one noisy point does
not drag the asymptote. Sizes are scaled by the largest one before fitting, which keeps
``a`` of order J whatever ``b`` is. A few starting values of ``b`` are tried and the
lowest-cost fit kept.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..exceptions import UsageError
from ..values import json_number

MIN_POINTS = 3
B_MAX = 3.0
B_MIN = 1e-3
# solving for m further than this multiple of the largest size is a guess, not an estimate
SPECULATIVE_FACTOR = 10.0
# below these the fitted asymptote says little: the curve is too noisy or too flat
POOR_R2 = 0.8
FLAT_B = 0.1


@dataclass(frozen=True)
class Extrapolation:
    """The fitted power law and the training-set size at which J_cv reaches ``target``.

    ``status``: ``reached`` (the observed J_cv is already at or below the target),
    ``reachable`` (``m_target`` estimated; ``speculative`` when beyond 10x the largest
    size), ``unreachable`` (the asymptote ``c`` lies at or above the target), ``unclear``
    (J_cv does not fall like a power law, so the fit puts the target inside the sizes
    tried while the largest run misses it), or ``no_target``.
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

    def predict(self, m) -> np.ndarray:
        """J_cv of the fitted curve at sizes ``m``."""
        return self.c + self.a * np.asarray(m, dtype=np.float64) ** (-self.b)

    @property
    def message(self) -> str:
        law = f"J_cv(m) ≈ {self.c:.4g} + {self.a:.4g}·m^(-{self.b:.3g})"
        if self.target is None:
            return f"{law}; no target given"
        if self.status == "reached":
            return f"{law}; J_cv is already at or below the target {self.target:.4g}"
        if self.status == "unclear":
            return (f"{law}; J_cv does not follow a falling power law (the fit is below the target "
                    f"{self.target:.4g} where the largest run is not), so no target size can be given")
        if self.status == "unreachable":
            return (f"{law}; the target {self.target:.4g} cannot be reached with more data alone: "
                    f"the asymptote {self.c:.4g} lies above it")
        assert self.m_target is not None  # status is "reachable": the size was solved for
        shown = f"{self.m_target:,.0f}" if self.m_target < 1e7 else f"{self.m_target:.2g}"
        if math.isinf(self.m_target):
            shown = "a size too large to compute"
        text = f"{law}; J_cv reaches {self.target:.4g} at about m = {shown}"
        if self.speculative:
            text += (f" (speculative: more than {SPECULATIVE_FACTOR:g}x the largest size "
                     f"{self.max_train_size:,})")
        return text

    @property
    def caveats(self) -> tuple[str, ...]:
        """Reasons to trust the fit less: a poor fit, or a curve too flat to place its asymptote."""
        out = []
        if self.r2 is not None and self.r2 < POOR_R2:
            out.append(f"the power law fits J_cv poorly (R² {self.r2:.2f}); treat the extrapolation "
                       "as a rough guide")
        if self.b < FLAT_B:
            out.append(f"J_cv is nearly flat over the sizes tried (exponent b = {self.b:.2g}), so the "
                       "asymptote and any target size are poorly determined")
        return tuple(out)

    def to_dict(self) -> dict:
        return {
            "model": "c + a * m^(-b)",
            "c": json_number(self.c), "a": json_number(self.a), "b": json_number(self.b),
            "asymptote": json_number(self.c),
            "rmse": json_number(self.rmse), "r2": json_number(self.r2), "n_points": self.n_points,
            "target": json_number(self.target), "status": self.status,
            "m_target": json_number(self.m_target), "speculative": self.speculative,
            "message": self.message, "caveats": list(self.caveats),
        }


def fit_power_law(
    train_size,
    cv_error,
    *,
    se=None,
    target: float | None = None,
) -> Extrapolation:
    """Fit ``J_cv(m) = c + a * m^(-b)`` to at least 3 points and solve it for ``target``.

    ``se`` (optional) are the standard errors of the points; they weight the residuals.

    >>> m = np.array([100, 200, 400, 800, 1600])
    >>> fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.08)
    >>> round(fit.c, 3), round(fit.a, 2), round(fit.b, 2), fit.status, round(fit.m_target)
    (0.05, 2.0, 0.5, 'reachable', 4444)
    """
    from scipy.optimize import least_squares

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
    sigma = _sigma(j, se)

    def residuals(p):
        c, a, b = p
        return (c + a * x ** (-b) - j) / sigma

    lower, upper = [0.0, 0.0, B_MIN], [np.inf, np.inf, B_MAX]
    best = None
    for b0 in (0.3, 0.7, 1.5):
        c0 = max(0.0, float(j.min()) * 0.5)
        a0 = max(float(j[np.argmin(m)] - c0) * float(x.min()) ** b0, 1e-12)
        # f_scale = 2: residuals beyond two standard errors count linearly, not squared
        res = least_squares(residuals, [c0, a0, b0], bounds=(lower, upper), loss="soft_l1",
                            f_scale=2.0, x_scale="jac", max_nfev=2000)
        if best is None or res.cost < best.cost:
            best = res
    assert best is not None  # the loop above ran
    c, a_scaled, b = (float(v) for v in best.x)
    a = a_scaled * m_max ** b  # back to unscaled sizes: a' x^-b = a' m_max^b m^-b
    fitted = c + a_scaled * x ** (-b)
    resid = fitted - j
    rmse = float(np.sqrt(np.mean(resid ** 2)))
    ss_tot = float(np.sum((j - j.mean()) ** 2))
    # a constant curve has no variance to explain (its mean's rounding would leave a
    # ss_tot of ~1e-33 and an R² of -1e16)
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 and np.ptp(j) > 0 else None
    status, m_target, speculative = _solve(c, a, b, target, m, j, m_max)
    return Extrapolation(c=c, a=a, b=b, rmse=rmse, r2=r2, n_points=len(m), max_train_size=int(m_max),
                         target=target, status=status, m_target=m_target, speculative=speculative)


def _sigma(j: np.ndarray, se) -> np.ndarray:
    """Per-point scale of the residuals: the standard errors, floored so none dominates."""
    # the curve's own scale, floored so a constant (or all-zero) curve still divides safely
    spread = max(float(np.std(j)), 1e-9 * float(np.abs(j).max()), 1e-12)
    if se is None:
        return np.full(j.shape, spread / 10)
    se = np.asarray(se, dtype=np.float64)
    positive = se[np.isfinite(se) & (se > 0)]
    if not len(positive):
        return np.full(j.shape, spread / 10)
    # floors: a quarter of the typical se, and a thousandth of the curve's scale (a
    # near-zero se would otherwise make its point the only one that counts)
    floor = max(0.25 * float(np.median(positive)), 1e-3 * spread)
    return np.where(np.isfinite(se), np.maximum(se, floor), floor)


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
