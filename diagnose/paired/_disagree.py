"""The rows where exactly one of two models is right: where to look when comparing them."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..ingest import Predictions
from ._join import align

if TYPE_CHECKING:
    import pandas as pd


def _wrong(pred: Predictions) -> np.ndarray:
    wrong = pred.decision != pred.y_true
    return wrong.any(axis=1) if wrong.ndim == 2 else wrong


def disagreements(a: Predictions, b: Predictions, *, n: int = 50, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """A uniform random sample (seeded, at most ``n``) of the rows exactly one model gets right
    at the default decision (joined by id), and how many such rows there are. Columns:
    ``id``, ``y_true``, ``a``, ``b`` (the two decisions) and ``right`` (``a`` or ``b``).

    >>> y, ids = np.array([0, 1, 1, 0]), np.array([5, 6, 7, 8])
    >>> a = Predictions("binary", y, y_pred=np.array([0, 1, 0, 1]), ids=ids, classes=("0", "1"))
    >>> b = Predictions("binary", y, y_pred=np.array([0, 0, 1, 0]), ids=ids, classes=("0", "1"))
    >>> rows, total = disagreements(a, b)
    >>> total, sorted(rows["id"].tolist()), rows.set_index("id").loc[7, "right"]
    (3, [6, 7, 8], 'b')
    """
    import pandas as pd

    a, b, _ = align(a, b)
    a_wrong, b_wrong = _wrong(a), _wrong(b)
    rows = np.flatnonzero(a_wrong != b_wrong)
    picked = np.sort(np.random.default_rng(seed).choice(rows, size=min(n, len(rows)), replace=False))
    assert a.ids is not None  # align needs ids

    def names(pred: Predictions, codes: np.ndarray) -> np.ndarray:
        return np.asarray(pred.kind.names(pred, codes), dtype=object)

    frame = pd.DataFrame({"id": a.ids[picked], "y_true": names(a, a.y_true[picked]),
                          "a": names(a, a.decision[picked]), "b": names(b, b.decision[picked]),
                          "right": np.where(a_wrong[picked], "b", "a")})
    return frame, int(len(rows))
