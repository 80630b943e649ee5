"""The validated values ingest returns, the column roles and the input constants."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Union

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

    from ._tasks import TaskType

SPLITS = ("train", "cv", "test")

# A softmax row may be off by rounding: |sum - 1| above this is an error.
PROB_SUM_TOLERANCE = 1e-3
MAX_ROWS_SHOWN = 5

Source = Union[str, os.PathLike, "pd.DataFrame", pa.Table]


@dataclass(frozen=True, eq=False)
class Predictions:
    """The validated predictions of one split.

    ``y_true``: binary 0/1 (int8); multiclass class codes into ``classes`` (int64);
    multi-label an (n, labels) 0/1 matrix; regression floats.
    ``y_score``: binary positive-class scores (n,); multiclass (n, classes)
    probabilities; multi-label (n, labels) scores; ``None`` where only ``y_pred`` exists.
    ``y_pred``: hard predictions coded like ``y_true`` (regression: floats), or ``None``.
    """

    task: str
    y_true: np.ndarray
    y_score: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    ids: np.ndarray | None = None
    weight: np.ndarray | None = None
    source: str = "<data>"
    split: str | None = None
    table: pa.Table | None = field(default=None, repr=False)
    slice_columns: tuple[str, ...] = ()
    row_numbers: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.y_true.shape[0])

    @property
    def kind(self) -> "TaskType":
        """The task's strategy object (see :mod:`diagnose.ingest._tasks`)."""
        from ._tasks import task_type

        return task_type(self.task)

    @cached_property
    def decision(self) -> np.ndarray:
        """Hard predictions at the default decision: score >= 0.5, argmax, or ``y_pred``."""
        return self.kind.decision(self)

    def column(self, name: str) -> np.ndarray:
        """Any other column of the input (slice, tags, parameters) as a numpy array."""
        if self.table is None or name not in self.table.column_names:
            raise KeyError(name)
        from ._numpy import to_numpy

        return to_numpy(self.table.column(name))

    def slices(self):
        """The slice columns as a pandas DataFrame (one row per prediction)."""
        import pandas as pd

        if self.table is None or not self.slice_columns:
            return pd.DataFrame(index=range(self.n))
        return self.table.select(list(self.slice_columns)).to_pandas()


@dataclass(frozen=True)
class Splits:
    """The validated splits of one run, and the warnings found while reading them."""

    task: str
    train: Predictions
    cv: Predictions
    test: Predictions | None = None
    warnings: tuple[str, ...] = ()

    def items(self):
        for name in SPLITS:
            value = getattr(self, name)
            if value is not None:
                yield name, value
