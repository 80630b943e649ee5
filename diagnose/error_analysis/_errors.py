"""Which cv rows are errors, and how a row is named when it has no id.

"Errors" are the rows wrong at the default decision (binary: score >= 0.5; multiclass:
argmax; multi-label: any label wrong) and, for regression, the rows whose absolute error
is above a cut (default: the top decile of |error|). Sample weights are ignored here.
"""
from __future__ import annotations

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions
from ..options import DEFAULT_TOP_SHARE


def error_mask(pred: Predictions, *, cut: float | None = None,
               top_share: float = DEFAULT_TOP_SHARE) -> tuple[np.ndarray, float | None]:
    """The rows in error and, for regression, the |error| cut used (else ``None``).

    >>> p = Predictions("regression", np.arange(10.0), y_pred=np.arange(10.0) + np.r_[np.zeros(9), 5.0])
    >>> mask, cut = error_mask(p, cut=1.0)
    >>> np.flatnonzero(mask).tolist(), cut
    ([9], 1.0)
    """
    if not pred.kind.classification:
        abs_error = np.abs(pred.y_pred - pred.y_true)
        if cut is None:
            if not 0 < top_share < 1:
                raise UsageError(f"top share {top_share} must lie strictly between 0 and 1")
            cut = float(np.quantile(abs_error, 1.0 - top_share))
        return abs_error > cut, float(cut)
    wrong = pred.decision != pred.y_true
    return (wrong.any(axis=1) if wrong.ndim == 2 else wrong), None


def ids_of(pred: Predictions) -> tuple[np.ndarray, list[str]]:
    """The rows' ids, or their row numbers (with a warning saying so) where there is no id column.

    >>> ids, warnings = ids_of(Predictions("binary", np.array([0, 1, 1]), y_pred=np.array([1, 1, 0]), source="cv.csv"))
    >>> ids.tolist(), warnings
    ([1, 2, 3], ['cv.csv has no id column: ids are row numbers (1 = first data row)'])
    """
    if pred.ids is not None:
        return pred.ids, []
    rows = pred.row_numbers if pred.row_numbers is not None else np.arange(1, pred.n + 1)
    return np.asarray(rows), [f"{pred.source} has no id column: ids are row numbers (1 = first data row)"]
