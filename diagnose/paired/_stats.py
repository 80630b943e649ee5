"""The paired tests on per-row figures: the interval of a metric's difference, the exact
McNemar test and the equivalence test (TOST).

The difference of two weighted means is linearised: row i's influence on b - a is
``u_i = w_i (d_i - mean d) / sum w`` and its variance ``n / (n - 1) * sum u_i^2`` (the
with-replacement design-based, "sandwich", estimator). It is unit-free in the weights:
multiplying them all by 10 changes nothing; with no weights it is the paired ``s^2 / n``.
A root metric (``rmse``) differentiates through the root: ``d sqrt(m) = dm / (2 sqrt(m))``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..metrics import fair_coin_tail
from ..values import json_number

_NORMAL = NormalDist()


def normal_quantile(p: float) -> float:
    """The standard normal quantile at ``p``.

    >>> round(normal_quantile(0.975), 6)
    1.959964
    """
    return _NORMAL.inv_cdf(p)


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z (NaN stays NaN).

    >>> normal_sf(0.0), round(normal_sf(1.959963984540054), 6)
    (0.5, 0.025)
    """
    if math.isnan(z):
        return math.nan
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True)
class Difference:
    """The metric of a and of b on the same rows and the paired interval of ``b - a``
    (positive: b's loss is higher, so b is worse) at ``level``."""

    metric: str
    a: float
    b: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    n: int

    def to_dict(self) -> dict:
        return {"a": json_number(self.a), "b": json_number(self.b), "estimate": json_number(self.estimate),
                "se": json_number(self.se), "ci_low": json_number(self.ci_low),
                "ci_high": json_number(self.ci_high), "level": self.level, "n": self.n}


def paired_difference(loss_a: np.ndarray, loss_b: np.ndarray, weight: np.ndarray | None = None, *,
                      metric: str = "", root: bool = False, alpha: float = 0.05) -> Difference:
    """The weighted mean of ``loss_b - loss_a`` (of their roots when ``root``) with its
    two-sided ``1 - alpha`` normal interval.

    >>> d = paired_difference(np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    >>> d.estimate, round(d.se, 6)
    (0.0, 0.408248)
    """
    loss_a = np.asarray(loss_a, dtype=np.float64)
    loss_b = np.asarray(loss_b, dtype=np.float64)
    n = loss_a.shape[0]
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    share = w / w.sum()  # the weights as shares: what makes everything unit-free
    mean_a, mean_b = float(share @ loss_a), float(share @ loss_b)
    if root:
        value_a, value_b = math.sqrt(mean_a), math.sqrt(mean_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            influence = share * ((loss_b - mean_b) / (2 * value_b) - (loss_a - mean_a) / (2 * value_a))
    else:
        value_a, value_b = mean_a, mean_b
        influence = share * ((loss_b - loss_a) - (mean_b - mean_a))
    se = math.sqrt(n / (n - 1) * float(influence @ influence)) if n > 1 else math.nan
    estimate = value_b - value_a
    z = normal_quantile(1 - alpha / 2)
    return Difference(metric, value_a, value_b, estimate, se, estimate - z * se, estimate + z * se, 1 - alpha, n)


@dataclass(frozen=True)
class McNemar:
    """The exact McNemar test of two models' hard decisions on the same rows.

    ``n00`` rows both got right, ``n01`` a right and b wrong, ``n10`` a wrong and b right,
    ``n11`` both wrong; ``p_value`` is the two-sided exact binomial test of the discordant
    rows (``2 * P(X <= min(n01, n10))`` for X ~ Bin(n01 + n10, 1/2), at most 1), as
    ``statsmodels.stats.contingency_tables.mcnemar(table, exact=True)``.
    """

    n00: int
    n01: int
    n10: int
    n11: int
    p_value: float
    wrong_means: str = "the decision differs from the label"

    @property
    def table(self) -> list[list[int]]:
        """The 2x2 table: rows a right / wrong, columns b right / wrong."""
        return [[self.n00, self.n01], [self.n10, self.n11]]

    def to_dict(self) -> dict:
        return {"table": self.table, "a_right_b_wrong": self.n01, "a_wrong_b_right": self.n10,
                "p_value": json_number(self.p_value), "wrong_means": self.wrong_means}


def mcnemar_p(n01: int, n10: int) -> float:
    """The exact two-sided McNemar p-value of ``n01`` and ``n10`` discordant rows.

    >>> mcnemar_p(0, 0), round(mcnemar_p(5, 0), 4), round(mcnemar_p(3, 12), 4)
    (1.0, 0.0625, 0.0352)
    """
    n = n01 + n10  # P(X <= min) = P(X >= n - min) for a fair coin
    return min(1.0, 2.0 * fair_coin_tail(n - min(n01, n10), n))


def mcnemar(wrong_a: np.ndarray, wrong_b: np.ndarray, wrong_means: str = "the decision differs from the label"
            ) -> McNemar:
    """The exact McNemar test of two models' per-row errors (booleans, same rows).

    >>> t = mcnemar(np.array([1, 1, 1, 0, 0], bool), np.array([0, 0, 1, 0, 1], bool))
    >>> t.table, round(t.p_value, 4)
    ([[1, 1], [2, 1]], 1.0)
    """
    wrong_a, wrong_b = np.asarray(wrong_a, bool), np.asarray(wrong_b, bool)
    n01 = int(np.count_nonzero(~wrong_a & wrong_b))
    n10 = int(np.count_nonzero(wrong_a & ~wrong_b))
    n11 = int(np.count_nonzero(wrong_a & wrong_b))
    n00 = int(wrong_a.shape[0]) - n01 - n10 - n11
    return McNemar(n00, n01, n10, n11, mcnemar_p(n01, n10), wrong_means)


@dataclass(frozen=True)
class Equivalence:
    """Two one-sided tests (TOST) that ``|b - a| < margin``: both reject at ``alpha`` exactly
    when the ``1 - 2 alpha`` interval ``[ci_low, ci_high]`` lies inside ``(-margin, margin)``."""

    margin: float
    ci_low: float
    ci_high: float
    level: float
    p_value: float
    equivalent: bool

    def to_dict(self) -> dict:
        return {"margin": self.margin, "ci_low": json_number(self.ci_low), "ci_high": json_number(self.ci_high),
                "level": self.level, "p_value": json_number(self.p_value), "equivalent": self.equivalent}


def equivalence(diff: Difference, margin: float, alpha: float = 0.05) -> Equivalence:
    """TOST of ``diff`` against ``+/- margin`` at ``alpha``.

    >>> d = Difference("error_rate", 0.2, 0.21, 0.01, 0.005, 0.0, 0.02, 0.95, 1000)
    >>> equivalence(d, 0.03).equivalent, equivalence(d, 0.015).equivalent
    (True, False)
    """
    z = normal_quantile(1 - alpha)
    low, high = diff.estimate - z * diff.se, diff.estimate + z * diff.se
    if diff.se > 0:
        p = max(normal_sf((diff.estimate + margin) / diff.se), normal_sf((margin - diff.estimate) / diff.se))
    else:
        p = 0.0 if abs(diff.estimate) < margin else 1.0
    ok = bool(math.isfinite(p) and -margin < low and high < margin)
    return Equivalence(float(margin), low, high, 1 - 2 * alpha, p, ok)


def one_sided_worse(diff: Difference, margin: float, alpha: float = 0.05) -> tuple[float, float]:
    """The lower end of the one-sided ``1 - alpha`` interval of ``diff`` and the p-value of
    "b's loss exceeds a's by more than ``margin``".

    >>> d = Difference("mse", 1.0, 1.3, 0.3, 0.1, 0.1, 0.5, 0.95, 500)
    >>> low, p = one_sided_worse(d, 0.1)
    >>> round(low, 4), round(p, 4)
    (0.1355, 0.0228)
    """
    low = diff.estimate - normal_quantile(1 - alpha) * diff.se
    if diff.se > 0:
        p = normal_sf((diff.estimate - margin) / diff.se)
    else:
        p = math.nan if math.isnan(diff.se) else (0.0 if diff.estimate > margin else 1.0)
    return low, p
