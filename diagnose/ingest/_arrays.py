"""Arrays handed to a library function (``best_threshold(y_true, y_score)``) checked as the
columns of a file are, so that the library refuses them with the command line's messages."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError, UsageError
from ..options import Columns
from ._checks import Checker
from ._read import read_table

ARRAYS = "<arrays>"


def binary_arrays(y_true: Any, y_score: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray | None]:
    """0/1 labels, finite scores and (optional) sample weights, all of one length.

    Refusals are :class:`~diagnose.exceptions.InputError` with the messages a file's
    columns get (``y_true``, ``y_score``, ``weight``).

    >>> y, s, w = binary_arrays([0, 1, 1], [0.2, 0.9, 0.4])
    >>> y.tolist(), s.tolist(), w
    ([0, 1, 1], [0.2, 0.9, 0.4], None)
    >>> binary_arrays([0, 1, 1], [0.2, 0.9])
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: <arrays>: y_true has 3 values but y_score has 2. Give one score per label
    """
    import pandas as pd

    cols = Columns()
    arrays = {cols.y_true: y_true, cols.y_score: y_score}
    if sample_weight is not None:
        arrays[cols.weight] = sample_weight
    given = {}
    for name, value in arrays.items():
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            arr = np.asarray(value, dtype=object)
        if arr.ndim != 1:
            raise UsageError(f"{name} must be one-dimensional (one value per row), not of shape {arr.shape}")
        given[name] = arr
    sizes = {name: len(arr) for name, arr in given.items()}
    for name, size in sizes.items():
        if size != sizes[cols.y_true]:
            what = "score per label" if name == cols.y_score else "weight per row"
            raise InputError(f"{cols.y_true} has {sizes[cols.y_true]} values but {name} has {size}", file=ARRAYS,
                             fix=f"Give one {what}")
    fast = _plain(given, cols)
    if fast is not None:
        return fast
    if sizes[cols.y_true] == 0:  # no rows: no threshold, nothing to check
        empty = np.empty(0)
        return empty.astype(np.int8), empty, None if sample_weight is None else empty
    table, _ = read_table(pd.DataFrame({name: arr if arr.dtype != object else list(arr)
                                        for name, arr in given.items()}))
    check = Checker(table, ARRAYS)
    labels = check.binary(cols.y_true, None)
    scores = check.numeric(cols.y_score, kind="score")
    weights = check.weights(cols.weight) if sample_weight is not None else None
    return labels, scores, weights


def _plain(given: dict[str, np.ndarray], cols: Columns):
    """Numeric arrays that pass every check, tested by reductions (no copy into a table);
    ``None`` when any check may fail, so that the table checks name the rows."""
    y, s = given[cols.y_true], given[cols.y_score]
    w = given.get(cols.weight)
    if any(a.dtype.kind not in "biuf" for a in (y, s)) or (w is not None and w.dtype.kind not in "biuf"):
        return None
    if len(y) == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        if not (y.min() >= 0 and y.max() <= 1 and np.isfinite(s.sum()) and (y.dtype.kind in "biu" or
                                                                             np.all((y == 0) | (y == 1)))):
            return None
        if w is not None:
            w = w.astype(np.float64, copy=False)
            if not (w.min() >= 0 and w.sum() > 0 and np.isfinite(np.dot(w, w))):
                return None
    return y.astype(np.int8, copy=False), s.astype(np.float64, copy=False), w  # no copy when already so
