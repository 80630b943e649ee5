"""The exact decision-threshold sweep: counts, precision, recall and F-beta at every
distinct score, and the threshold a rule picks.

A row is predicted positive when its score is >= t, as in scikit-learn's
``precision_recall_curve``. The sweep is exact over every distinct score: one sort of all
scores and one of the positives' scores, then ``searchsorted`` counts the positives at or
above each distinct score (no argsort, which is several times slower on large arrays).
With sample weights the counts become suffix sums of the weights in score order.
Zero-division rule: precision is 0 when nothing is predicted positive, recall is 0 when
there are no positives, F-beta is 0 when both are 0 (scikit-learn's ``zero_division=0``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..values import json_number
from ._rules import TIE_TOL, ThresholdRule

# from this many rows on, the two sorts of a sweep run on two threads
PARALLEL_SORT_ROWS = 200_000


@dataclass(frozen=True, eq=False)
class Sweep:
    """(Weighted) counts at every distinct score ``t`` (ascending): ``tp`` positives and
    ``pp`` rows with score >= t; ``positives`` and ``total`` over all rows."""

    thresholds: np.ndarray
    tp: np.ndarray
    pp: np.ndarray
    positives: float
    total: float

    def precision(self, idx=slice(None)) -> np.ndarray:
        tp, pp = self.tp[idx], self.pp[idx]
        return np.divide(tp, pp, out=np.zeros(np.shape(tp)), where=pp > 0)

    def recall(self, idx=slice(None)) -> np.ndarray:
        tp = np.asarray(self.tp[idx], dtype=np.float64)
        return tp / self.positives if self.positives > 0 else np.zeros(tp.shape)

    def fbeta(self, idx=slice(None), beta: float = 1.0) -> np.ndarray:
        # F-beta = (1 + b^2) TP / (b^2 P + PP): counts only, no precision/recall arrays
        b2 = beta * beta
        den = self.pp[idx] + b2 * self.positives
        return np.divide((1.0 + b2) * self.tp[idx], den, out=np.zeros(np.shape(den)), where=den > 0)

    def at(self, threshold: float) -> "PRF":
        """Precision, recall, F1 and the confusion counts when scores >= ``threshold`` are
        positive: one ``searchsorted``, so a slider can ask for any threshold cheaply.

        >>> s = sweep(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
        >>> m = s.at(0.36)
        >>> (m.tp, m.fp, m.fn, m.tn), round(m.f1, 3)
        ((1.0, 1.0, 1.0, 1.0), 0.5)
        """
        # the first distinct score >= threshold; above the top score nothing is positive
        i = int(np.searchsorted(self.thresholds, threshold, side="left"))
        if i >= len(self.thresholds):
            return PRF.from_counts(0.0, 0.0, self.positives, self.total)
        return PRF.from_counts(self.tp[i], self.pp[i], self.positives, self.total)


def sweep(y_true, y_score, *, sample_weight=None) -> Sweep:
    """Exact counts at every distinct score, in one sort (weights: suffix sums).

    >>> s = sweep(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> s.thresholds.tolist(), s.precision().round(3).tolist(), s.recall().tolist()
    ([0.1, 0.35, 0.4, 0.8], [0.5, 0.667, 0.5, 1.0], [1.0, 1.0, 0.5, 0.5])
    """
    y_score = np.asarray(y_score, dtype=np.float64)
    y_true = np.asarray(y_true)
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        keep = w != 0  # zero-weight rows must not add thresholds (as scikit-learn)
        if not keep.all():
            y_true, y_score, w = y_true[keep], y_score[keep], w[keep]
        # the order among tied scores does not matter (they share a threshold), so the
        # faster unstable argsort will do; each array is gathered once
        order = np.argsort(y_score)
        w = w[order]
        return sweep_sorted(y_score[order], w * (y_true[order] == 1), w)
    is_pos = y_true == 1
    n = y_score.shape[0]
    n_pos = int(np.count_nonzero(is_pos))
    if min(n_pos, n - n_pos) * 4 >= n:
        # balanced: sort the positives' and the negatives' scores apart (two half sorts,
        # on two threads), then merge the runs, which the stable sort does in linear time
        pos, neg = _two_sorts(lambda: y_score[is_pos], lambda: y_score[~is_pos], n)
        del is_pos
        s = np.concatenate((pos, neg))
        del neg
        s.sort(kind="stable")
    else:
        # skewed: sort every score and, beside it, the few positives' scores
        s, pos = _two_sorts(lambda: y_score, lambda: y_score[is_pos], n)
        del is_pos
    first = np.flatnonzero(np.concatenate(([n > 0], s[1:] != s[:-1])))  # no rows: no threshold
    thresholds = s[first]
    del s
    # rows at or above s[first[i]] are the n - first[i] rows from there to the end;
    # positives at or above t are those from t's place in the sorted positives on
    np.subtract(n, first, out=first)
    tp = pos.shape[0] - np.searchsorted(pos, thresholds, side="left")
    return Sweep(thresholds, tp, first, float(pos.shape[0]), float(n))


def _two_sorts(a, b, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted copies of the arrays ``a()`` and ``b()``; on two threads when large (numpy
    releases the GIL while sorting, and this machine class has two cores)."""
    if n < PARALLEL_SORT_ROWS:
        return np.sort(a()), np.sort(b())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(lambda: np.sort(a()))
        second = pool.submit(lambda: np.sort(b()))
        return first.result(), second.result()


def sweep_sorted(s: np.ndarray, wpos: np.ndarray, w: np.ndarray) -> Sweep:
    """Sweep over scores already sorted ascending, with per-row positive and total weight.

    >>> weight = np.array([1.0, 2.0, 1.0, 1.0])  # the second row counts twice; it and the last are positive
    >>> sw = sweep_sorted(np.array([0.1, 0.4, 0.4, 0.8]), weight * [0, 1, 0, 1], weight)
    >>> sw.thresholds.tolist(), sw.tp.tolist(), sw.pp.tolist(), sw.positives, sw.total
    ([0.1, 0.4, 0.8], [3.0, 3.0, 1.0], [5.0, 4.0, 1.0], 3.0, 5.0)
    """
    first = np.flatnonzero(np.concatenate(([len(s) > 0], s[1:] != s[:-1])))  # no rows (all of weight 0): none
    # suffix sums: the weight of every row from i to the end
    pp = np.cumsum(w[::-1])[::-1]
    tp = np.cumsum(wpos[::-1])[::-1]
    total, positives = (float(pp[0]), float(tp[0])) if len(pp) else (0.0, 0.0)
    return Sweep(s[first], tp[first], pp[first], positives, total)


def objective(sw: Sweep, rule: ThresholdRule) -> np.ndarray:
    """The rule's score per threshold (higher is better); -inf where the rule's constraint
    fails. Cost: minus the expected cost per row."""
    if rule.costs is not None:
        return -rule.costs.per_row(sw.tp, sw.pp, sw.positives, sw.total)
    if rule.kind == "fbeta":
        if sw.positives <= 0:
            return sw.fbeta(beta=rule.value)
        # fast path for the big sweep, one float array: the denominator b^2 P + PP is
        # positive here; (1 + b^2) is a constant factor, so it cannot change the argmax
        b2 = rule.value * rule.value
        obj = sw.pp + b2 * sw.positives
        np.divide(sw.tp, obj, out=obj)
        obj *= 1.0 + b2
        return obj
    if rule.kind == "precision":
        ok, obj = sw.precision() >= rule.value - TIE_TOL, sw.recall()
    else:
        ok, obj = sw.recall() >= rule.value - TIE_TOL, sw.precision()
    obj[~ok] = -np.inf
    return obj


def pick_index(sw: Sweep, rule: str | ThresholdRule = "f1") -> Optional[int]:
    """Index into ``sw.thresholds`` of the threshold the rule picks, or ``None`` when no
    threshold meets the rule's constraint (or there are no thresholds).

    >>> sw = sweep(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> i = pick_index(sw, "f1")
    >>> i, float(sw.thresholds[i]), pick_index(sw, "precision>=0.9")
    (1, 0.35, 3)
    """
    rule = ThresholdRule.parse(rule)
    if sw.thresholds.shape[0] == 0:
        return None
    obj = objective(sw, rule)
    best = obj.max()
    if best == -np.inf:
        return None
    cand = np.flatnonzero(obj >= best - TIE_TOL * max(abs(best), 1.0))
    if cand.shape[0] > 1:
        f1 = sw.fbeta(cand)
        cand = cand[f1 >= f1.max() - TIE_TOL]
    return int(cand[-1])  # thresholds ascend: the last is the highest


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 at one threshold, with the (weighted) counts behind them."""

    precision: float
    recall: float
    f1: float
    tp: float
    pp: float
    positives: float
    total: float

    @classmethod
    def from_counts(cls, tp: float, pp: float, positives: float, total: float) -> "PRF":
        tp, pp, positives, total = float(tp), float(pp), float(positives), float(total)
        # zero-division rule: 0 (see the module docstring)
        precision = tp / pp if pp > 0 else 0.0
        recall = tp / positives if positives > 0 else 0.0
        den = pp + positives
        return cls(precision, recall, 2.0 * tp / den if den > 0 else 0.0, tp, pp, positives, total)

    @property
    def fp(self) -> float:
        return self.pp - self.tp

    @property
    def fn(self) -> float:
        return self.positives - self.tp

    @property
    def tn(self) -> float:
        return self.total - self.pp - self.fn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total > 0 else 0.0

    def to_dict(self) -> dict:
        return {"precision": json_number(self.precision), "recall": json_number(self.recall),
                "f1": json_number(self.f1),
                "predicted_positive": json_number(self.pp), "positives": json_number(self.positives)}


def metrics_at(y_true, y_score, threshold: float, *, sample_weight=None) -> PRF:
    """Precision, recall and F1 when rows with score >= ``threshold`` are positive.

    >>> m = metrics_at(np.array([1] * 25 + [0] * 75), np.r_[[0.9] * 15, [0.1] * 10, [0.9] * 5, [0.1] * 70], 0.5)
    >>> round(m.precision, 3), round(m.recall, 3), round(m.f1, 3)
    (0.75, 0.6, 0.667)
    """
    y = np.asarray(y_true) == 1
    hit = np.asarray(y_score) >= threshold
    if sample_weight is None:
        return PRF.from_counts(int(np.count_nonzero(hit & y)), int(np.count_nonzero(hit)),
                               int(np.count_nonzero(y)), float(y.shape[0]))
    w = np.asarray(sample_weight, dtype=np.float64)
    return PRF.from_counts(float(w[hit & y].sum()), float(w[hit].sum()), float(w[y].sum()), float(w.sum()))
