"""How sure the test figures at the cv threshold are: Wilson intervals over the test rows.

The threshold is chosen on cv, so on test it is a fixed cut, and the test rows are an
independent sample of unseen data: each row falls in one of four cells (TP, FP, FN, TN)
with fixed probabilities. So, given how many rows fall where,

* precision is a binomial proportion: TP among the PP predicted positives;
* recall is one: TP among the P positives;
* F1 is a monotone function of one: F1 = 2J / (1 + J), where J = TP / (TP + FP + FN) is the
  share of true positives among the rows that are not true negatives (the Jaccard index;
  on the population F1 = 2J / (1 + J) too), so the Wilson interval of J, mapped through
  2J / (1 + J), is an interval for F1.

Each gets the Wilson score interval (Wilson 1927; :func:`diagnose.metrics.wilson_bounds`),
which keeps its coverage with few positives where a percentile bootstrap of test rows falls
short (see ``benchmarks/uncertainty_threshold.py``). Weighted rows: the weighted share, with
Kish's effective number of rows (sum w)^2 / sum w^2 of the rows it is a share of. A share of
no rows (nothing predicted positive, no positives) gets [0, 1]. The cost rule adds a normal
interval of the expected cost per row (the mean of the per-row costs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..metrics import Z95, Moments, wilson_bounds
from ..values import json_number
from ._costs import Costs
from ._sweep import PRF


@dataclass(frozen=True)
class HeldOutInterval:
    """95% Wilson intervals of precision, recall and F1 at a fixed threshold over held-out
    rows. The cost rule only: ``cost_low``/``cost_high``, a normal interval of the expected
    cost per row (``None``, and no JSON key, otherwise)."""

    f1_low: float
    f1_high: float
    precision_low: float
    precision_high: float
    recall_low: float
    recall_high: float
    cost_low: Optional[float] = None
    cost_high: Optional[float] = None

    def to_dict(self) -> dict:
        j = json_number
        out = {"f1_low": j(self.f1_low), "f1_high": j(self.f1_high), "precision_low": j(self.precision_low),
               "precision_high": j(self.precision_high), "recall_low": j(self.recall_low),
               "recall_high": j(self.recall_high)}
        if self.costs_given:
            out.update(cost_low=j(self.cost_low), cost_high=j(self.cost_high))
        return out

    @property
    def costs_given(self) -> bool:
        return self.cost_low is not None or self.cost_high is not None


def _share(cells: "ThresholdCells", hits: tuple[int, ...], of: tuple[int, ...]) -> tuple[float, float]:
    """The (weighted) share of the cells ``hits`` among the cells ``of`` and its effective
    number of rows (cells: 0 TN, 1 FN, 2 FP, 3 TP)."""
    if not cells.weighted:
        n = float(sum(cells.rows[c] for c in of))
        return (float(sum(cells.rows[c] for c in hits)) / n if n else 0.0), n
    total, square = sum(cells.weight[c] for c in of), sum(cells.square[c] for c in of)
    if total <= 0:
        return 0.0, 0.0
    return sum(cells.weight[c] for c in hits) / total, total * total / square


@dataclass(frozen=True)
class ThresholdCells:
    """The four cells (0 TN, 1 FN, 2 FP, 3 TP) of rows cut at a fixed ``threshold``: their
    rows, weight and squared weight, and (the cost rule) the moments of the per-row cost.
    Mergeable, so a streaming engine counts chunks apart; :meth:`interval` and :meth:`prf`
    give what :func:`heldout_interval` and :func:`~diagnose.thresholds.metrics_at` give.

    >>> y = np.array([1, 1, 0, 0]); s = np.array([0.9, 0.2, 0.8, 0.1])
    >>> c = ThresholdCells.of(y[:2], s[:2], 0.5).merge(ThresholdCells.of(y[2:], s[2:], 0.5))
    >>> c.rows, c.prf().f1
    ((1, 1, 1, 1), 0.5)
    """

    threshold: float
    rows: tuple[int, ...]
    weight: tuple[float, ...]
    square: tuple[float, ...]
    weighted: bool = False
    cost: Optional[Moments] = None

    @classmethod
    def of(cls, y_true, y_score, threshold: float, *, sample_weight=None,
           costs: Optional[Costs] = None) -> ThresholdCells:
        pos = np.asarray(y_true) == 1
        hit = np.asarray(y_score, dtype=np.float64) >= threshold
        cell = hit.astype(np.int64) * 2 + pos
        rows = np.bincount(cell, minlength=4)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        weight = rows.astype(np.float64) if w is None else np.bincount(cell, weights=w, minlength=4)
        square = weight if w is None else np.bincount(cell, weights=w * w, minlength=4)
        moments = None
        if costs is not None:
            # the cost of each row by its cell (a linear form of its tp and pp, as per_row)
            per_row = np.asarray(costs.per_row((hit & pos).astype(np.float64), hit.astype(np.float64),
                                               pos.astype(np.float64), 1.0))
            moments = Moments.of(per_row, w)
        return cls(float(threshold), tuple(rows.tolist()), tuple(weight.tolist()), tuple(square.tolist()),
                   w is not None, moments)

    def merge(self, other: ThresholdCells) -> ThresholdCells:
        add = lambda a, b: tuple(x + y for x, y in zip(a, b))  # noqa: E731
        cost = self.cost if other.cost is None else other.cost if self.cost is None else self.cost.merge(other.cost)
        return ThresholdCells(self.threshold, add(self.rows, other.rows), add(self.weight, other.weight),
                              add(self.square, other.square), self.weighted or other.weighted, cost)

    def prf(self) -> PRF:
        """Precision, recall and F1 at the threshold (counts without weights)."""
        c = self.weight if self.weighted else self.rows
        return PRF.from_counts(c[3], c[2] + c[3], c[1] + c[3], float(sum(c)))

    def interval(self) -> Optional[HeldOutInterval]:
        """The Wilson intervals (see :func:`heldout_interval`); ``None`` without rows."""
        if sum(self.rows) == 0 or math.isnan(self.threshold):
            return None
        shares = [_share(self, (3,), (2, 3)), _share(self, (3,), (1, 3)), _share(self, (3,), (1, 2, 3))]
        low, high = wilson_bounds([p for p, _ in shares], [n for _, n in shares])  # precision, recall, Jaccard
        # F1 = 2J / (1 + J) is increasing in J, so it maps J's interval onto F1's
        f1_low, f1_high = (2.0 * low[2] / (1.0 + low[2])), (2.0 * high[2] / (1.0 + high[2]))
        clo = chi = None
        if self.cost is not None:
            mean, var, n_eff = self.cost.mean_var()
            half = Z95 * math.sqrt(var / n_eff) if n_eff > 0 else math.nan
            clo, chi = mean - half, mean + half
        return HeldOutInterval(float(f1_low), float(f1_high), float(low[0]), float(high[0]), float(low[1]),
                               float(high[1]), cost_low=clo, cost_high=chi)


def heldout_interval(y_true, y_score, threshold: float, *, sample_weight=None,
                     costs: Optional[Costs] = None) -> Optional[HeldOutInterval]:
    """Wilson 95% intervals of precision, recall and F1 when rows with score >= ``threshold``
    are positive (``threshold`` fixed, chosen elsewhere); ``None`` without rows or threshold.

    >>> y = np.array([1] * 30 + [0] * 70); s = np.r_[[0.9] * 20, [0.1] * 10, [0.9] * 10, [0.1] * 60]
    >>> b = heldout_interval(y, s, 0.5)  # TP 20, FP 10, FN 10: precision 2/3, recall 2/3, F1 2/3
    >>> round(b.precision_low, 3), round(b.precision_high, 3), round(b.f1_low, 3), round(b.f1_high, 3)
    (0.488, 0.808, 0.521, 0.786)
    """
    if np.shape(y_score)[0] == 0 or math.isnan(threshold):
        return None
    return ThresholdCells.of(y_true, y_score, threshold, sample_weight=sample_weight, costs=costs).interval()
