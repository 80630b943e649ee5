"""The model against the trivial classifier on the same cv rows: the mergeable statistic
behind the skew section's paired test.

Per row, ``D = (label decisions the model gets wrong) - (those the trivial classifier,
train's majority, gets wrong)``: -1, 0 or 1 for binary and multiclass, -L..L over the L
labels of a multi-label row (the row's ``d`` of the paired test is ``D / L``). The test
needs, per value of D, the rows, the rows of positive weight, and the sums of ``w`` and
``w²``: the weighted mean of d is ``Σ_D (D/L)·Σw / Σw`` and the sandwich variance's
``Σ_i (w_i (d_i - d̄))²`` is ``Σ_D (D/L - d̄)² · Σw²``, both sums over the few values of D,
so chunks merge by adding. McNemar's discordant pairs are the rows at D = -1 and D = 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ingest import Predictions


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def majority(fit: Predictions) -> np.ndarray:
    """The trivial classifier's decision from train's fit (:func:`~diagnose.stats.trivial_fit`):
    the first class of largest weight (binary, multiclass; shape ``()``), or per label
    positive when more than half of train's weight is (multi-label; ties go to negative).

    >>> majority(Predictions("binary", np.array([0, 1], np.int8), weight=np.array([3.0, 3.0]))).tolist()
    0
    >>> majority(Predictions("multilabel", np.array([[0.7, 0.5]]))).tolist()
    [1, 0]
    """
    if fit.kind.multi_output:
        return (np.asarray(fit.y_true, dtype=np.float64)[0] > 0.5).astype(np.int8)
    return np.asarray(int(np.argmax(np.asarray(fit.weight, dtype=np.float64))))


@dataclass(frozen=True)
class Agreement:
    """Per value of D (``-labels .. labels``): ``rows``, ``positive`` (rows of weight > 0),
    ``weight`` (Σw) and ``weight2`` (Σw²); the label decisions the model and the trivial
    classifier get right (``model_right``, ``trivial_right``: counts; ``*_weight``: Σ w·count);
    ``low``/``high``: the smallest and largest weight (``weighted``: any weight column).

    >>> p = Predictions("binary", np.array([1, 0, 1, 1], np.int8), y_pred=np.array([1, 0, 0, 1], np.int8))
    >>> a = Agreement.of(p, majority(Predictions("binary", np.array([0, 1], np.int8), weight=np.array([1.0, 5.0]))))
    >>> a.merge(a).rows, a.model_right, a.trivial_right  # D = -1, 0, 1
    ((2, 4, 2), 3, 3)
    """

    labels: int
    rows: tuple[int, ...]
    positive: tuple[int, ...]
    weight: tuple[float, ...]
    weight2: tuple[float, ...]
    model_right: int
    trivial_right: int
    model_right_weight: float
    trivial_right_weight: float
    low: float
    high: float
    weighted: bool

    @classmethod
    def of(cls, pred: Predictions, trivial: np.ndarray) -> Agreement:
        """The statistic of one chunk of cv rows; ``trivial``: :func:`majority` of train."""
        y, decision = pred.y_true, pred.decision
        if pred.kind.multi_output:
            labels = y.shape[1]
            model_wrong = np.count_nonzero(decision != y, axis=1)
            trivial_wrong = np.count_nonzero(y != trivial[None, :], axis=1)
        else:
            labels = 1
            model_wrong = (decision != y).view(np.int8)  # small ints: a cheap D per row
            trivial_wrong = (y != int(trivial)).view(np.int8)
        cell = model_wrong - trivial_wrong
        cell += labels  # D + L: 0 .. 2L
        size = 2 * labels + 1
        w = pred.weight
        rows = np.bincount(cell, minlength=size)
        model_right = pred.n * labels - int(np.count_nonzero(model_wrong) if labels == 1 else model_wrong.sum())
        trivial_right = pred.n * labels - int(np.count_nonzero(trivial_wrong) if labels == 1 else trivial_wrong.sum())
        if w is None:
            weight = rows.astype(np.float64)
            return cls(labels, tuple(rows.tolist()), tuple(rows.tolist()), tuple(weight.tolist()),
                       tuple(weight.tolist()), model_right, trivial_right, float(model_right),
                       float(trivial_right), 1.0, 1.0, False)
        w = np.asarray(w, dtype=np.float64)
        positive = np.bincount(cell[w > 0], minlength=size)
        sums = np.bincount(cell, weights=w, minlength=size)
        squares = np.bincount(cell, weights=w * w, minlength=size)
        return cls(labels, tuple(rows.tolist()), tuple(positive.tolist()), tuple(sums.tolist()),
                   tuple(squares.tolist()), model_right, trivial_right,
                   float(np.dot(w, labels - model_wrong)), float(np.dot(w, labels - trivial_wrong)),
                   float(w.min()) if w.size else np.inf, float(w.max()) if w.size else -np.inf, True)

    def merge(self, other: Agreement) -> Agreement:
        return Agreement(self.labels, _add(self.rows, other.rows), _add(self.positive, other.positive),
                         _add(self.weight, other.weight), _add(self.weight2, other.weight2),
                         self.model_right + other.model_right, self.trivial_right + other.trivial_right,
                         self.model_right_weight + other.model_right_weight,
                         self.trivial_right_weight + other.trivial_right_weight,
                         min(self.low, other.low), max(self.high, other.high), self.weighted or other.weighted)

    @property
    def n(self) -> int:
        return sum(self.rows)
