"""DeLong's test of two correlated ROC AUCs, in the fast form of Sun & Xu (2014).

AUC is the Mann-Whitney statistic: the share of (positive, negative) pairs the score
orders correctly, ties counting one half. Its structural components are, per positive i,
``V10_i`` = the share of negatives it beats and, per negative j, ``V01_j`` = the share of
positives that beat it; DeLong's covariance of the models' AUCs is
``S10 / m + S01 / n`` with S10, S01 the sample covariances of the components over the m
positives and n negatives (DeLong, DeLong & Clarke-Pearson 1988). Sun & Xu get the
components from mid-ranks, ``V10_i = (rank of x_i among all - rank among positives) / n``,
in O(N log N) instead of O(m n).

With sample weights, pairs weigh ``w_i w_j`` (as scikit-learn's weighted AUC), mid-ranks
are weighted, and the covariances are the design-based ones
``m / (m - 1) * sum (w_i / W)^2 (V10_i - AUC)(...)``: unit-free in the weights and equal
to DeLong's with none.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..values import json_number
from ._stats import normal_quantile, normal_sf


def midranks(x: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Weighted mid-ranks of ``x``: the weight below each value plus half the weight tied
    with it (itself included); with no weights, the usual mid-rank minus 1/2.

    >>> midranks(np.array([0.3, 0.1, 0.3, 0.7])).tolist()
    [2.0, 0.5, 2.0, 3.5]
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.ones(x.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cum = np.concatenate(([0.0], np.cumsum(w[order])))
    left, right = np.searchsorted(xs, xs, "left"), np.searchsorted(xs, xs, "right")
    out = np.empty(x.shape[0])
    out[order] = cum[left] + 0.5 * (cum[right] - cum[left])
    return out


def _share_cov(v: np.ndarray, w: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Design-based covariance of weighted means: ``m/(m-1) sum (w/W)^2 (v - mean)(v - mean)'``."""
    m = v.shape[1]
    if m < 2:
        return np.full((v.shape[0], v.shape[0]), math.nan)
    dev = (v - mean[:, None]) * (w / w.sum())
    return m / (m - 1) * (dev @ dev.T)


def delong_cov(y_true: np.ndarray, scores: np.ndarray, weight: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of the rows of ``scores`` (models x samples) and DeLong's covariance of them.

    >>> y = np.array([1, 1, 0, 0, 1]); s = np.array([[0.9, 0.4, 0.5, 0.1, 0.8], [0.7, 0.7, 0.2, 0.7, 0.6]])
    >>> aucs, cov = delong_cov(y, s)
    >>> aucs.round(4).tolist(), cov.shape
    ([0.8333, 0.6667], (2, 2))
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    pos = np.asarray(y_true) == 1
    w = np.ones(pos.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
    w_pos, w_neg = w[pos], w[~pos]
    total_pos, total_neg = w_pos.sum(), w_neg.sum()
    k = scores.shape[0]
    if not pos.any() or pos.all():
        return np.full(k, math.nan), np.full((k, k), math.nan)
    v10 = np.empty((k, int(pos.sum())))
    v01 = np.empty((k, int((~pos).sum())))
    for r in range(k):  # a loop over the models, not the rows
        both = midranks(scores[r], w)
        v10[r] = (both[pos] - midranks(scores[r, pos], w_pos)) / total_neg
        v01[r] = 1.0 - (both[~pos] - midranks(scores[r, ~pos], w_neg)) / total_pos
    aucs = v10 @ w_pos / total_pos
    return aucs, _share_cov(v10, w_pos, aucs) + _share_cov(v01, w_neg, aucs)


@dataclass(frozen=True)
class DeLong:
    """DeLong's test of ``auc_b - auc_a`` (positive: b ranks better) on one label
    (``label`` is ``None`` for a binary task), with its normal interval at ``level``."""

    label: str | None
    auc_a: float
    auc_b: float
    difference: float
    variance: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    positives: int
    negatives: int

    def to_dict(self) -> dict:
        out: dict = {"label": self.label}
        for key in ("auc_a", "auc_b", "difference", "variance", "se", "z", "p_value", "ci_low", "ci_high"):
            out[key] = json_number(getattr(self, key))
        out.update(level=self.level, positives=self.positives, negatives=self.negatives)
        return out


def delong_test(y_true: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, weight: np.ndarray | None = None,
                *, label: str | None = None, alpha: float = 0.05) -> DeLong:
    """DeLong's two-sided test that two models' AUCs on the same rows are equal.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300); a = y + rng.normal(0, 1.0, 300); b = y + rng.normal(0, 0.5, 300)
    >>> t = delong_test(y, a, b)
    >>> t.auc_b > t.auc_a, t.p_value < 0.05
    (True, True)
    """
    aucs, cov = delong_cov(y_true, np.vstack([score_a, score_b]), weight)
    diff = float(aucs[1] - aucs[0])
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    var = max(var, 0.0) if math.isfinite(var) else math.nan
    se = math.sqrt(var) if math.isfinite(var) else math.nan
    if se > 0:
        z = diff / se
    elif se == 0:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    else:
        z = math.nan
    p = 2.0 * normal_sf(abs(z)) if not math.isnan(z) else math.nan
    half = normal_quantile(1 - alpha / 2) * se
    positives = int(np.count_nonzero(np.asarray(y_true) == 1))
    return DeLong(label, float(aucs[0]), float(aucs[1]), diff, var, se, z, p, diff - half, diff + half,
                  1 - alpha, positives, int(np.asarray(y_true).shape[0]) - positives)
