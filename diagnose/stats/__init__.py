"""Mergeable statistics: what the report is computed from, on any engine.

Every figure the streamed report shows is a function of sums over rows, and sums merge:
a split's loss moments (:class:`~diagnose.metrics.Moments`: the mean, the sandwich
variance and the skewness and kurtosis of the interval), its weight strata
(:class:`~diagnose.metrics.WeightStrata`), its label sums (the trivial model) and its
confusion cells (:class:`Confusion`) and, on cv, the model against the trivial classifier
row by row (:class:`Agreement`). :class:`SplitStats` holds them for one split;
:func:`batch_statistics` is the kernel that turns one Arrow record batch into them, with
the rows validated by ingest's own checks; ``merge`` combines two chunks' statistics and
the finalizers (``SplitStats.error``, ...) call the same formulas as the in-memory path.

>>> import pyarrow as pa
>>> plan = Plan("regression", "half_mse")
>>> a = batch_statistics(pa.record_batch({"y_true": [1.0, 2.0], "y_pred": [1.5, 2.0]}), plan, source="a", split="cv")
>>> b = batch_statistics(pa.record_batch({"y_true": [3.0], "y_pred": [2.0]}), plan, source="b", split="cv")
>>> round(a["cv"].merge(b["cv"]).error("cv").error, 6)  # (0.25 + 0 + 1) / 2 / 3
0.208333
"""
from __future__ import annotations

from ..metrics import Moments, WeightStrata
from ._agreement import Agreement, majority
from ._confusion import Confusion
from ._kernel import Plan, batch_predictions, batch_statistics, chunk_predictions
from ._split import SplitStats, trivial_fit

__all__ = ["Agreement", "Confusion", "Moments", "Plan", "SplitStats", "WeightStrata", "batch_predictions",
           "batch_statistics", "chunk_predictions", "majority", "trivial_fit"]
