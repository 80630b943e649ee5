"""Confusion counts at the default decision: the mergeable statistic behind the
classification figures (accuracy, precision, recall, F1) and the per-class tables."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ingest import Predictions


@dataclass(frozen=True)
class Confusion:
    """Rows (``rows``) and weight (``weight``) of each (true class, decision) cell, row-major
    over ``k`` classes, of a binary or multiclass split.

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("binary", np.array([1, 0, 1], np.int8), y_pred=np.array([1, 1, 0], np.int8))
    >>> c = Confusion.of(p).merge(Confusion.of(p))
    >>> c.rows  # (0,0) (0,1) (1,0) (1,1)
    (0, 2, 2, 2)
    """

    k: int
    rows: tuple[int, ...]
    weight: tuple[float, ...]

    @classmethod
    def of(cls, pred: Predictions) -> Confusion:
        k = 2 if not pred.kind.per_class else len(pred.classes)
        cells = pred.y_true.astype(np.int64) * k + np.asarray(pred.decision, dtype=np.int64)
        rows = np.bincount(cells, minlength=k * k)
        weight = rows.astype(np.float64) if pred.weight is None else np.bincount(cells, weights=pred.weight,
                                                                                 minlength=k * k)
        return cls(k, tuple(rows.tolist()), tuple(weight.tolist()))

    def merge(self, other: Confusion) -> Confusion:
        return Confusion(self.k, tuple(a + b for a, b in zip(self.rows, other.rows)),
                         tuple(a + b for a, b in zip(self.weight, other.weight)))

    def as_predictions(self, task: str, classes: tuple[str, ...], split: str = "") -> Predictions:
        """One weighted row per non-empty cell: every figure that is a (weighted) count of
        cells, and the set of classes seen on any row, is the same as on the rows counted.

        >>> c = Confusion(2, (3, 0, 1, 2), (3.0, 0.0, 1.0, 2.0))
        >>> p = c.as_predictions("binary", ("0", "1"))
        >>> p.y_true.tolist(), p.y_pred.tolist(), p.weight.tolist()
        ([0, 1, 1], [0, 0, 1], [3.0, 1.0, 2.0])
        """
        cells = np.flatnonzero(np.asarray(self.rows) > 0)
        dtype = np.int8 if self.k == 2 and task == "binary" else np.int64
        return Predictions(task, (cells // self.k).astype(dtype), y_pred=(cells % self.k).astype(dtype),
                           classes=classes, weight=np.asarray(self.weight, dtype=np.float64)[cells], split=split)
