"""What the streaming engines compute per chunk, and the later passes over the same chunks.

:func:`found_in` is the first pass's kernel: one record batch (or Dask partition) in, per
split its :class:`~diagnose.stats.SplitStats` and, for a binary split's cv and test, its
:class:`~diagnose.thresholds.ScoreStats` (the threshold histogram and the counts at fixed
cuts) and, for a split with scores, its :class:`~diagnose.calibration.CalibrationSums` (when
the plan is a :class:`ScoredPlan` with uniform calibration bins). :func:`job_in` runs a job of the threshold search
(:func:`diagnose.thresholds.streamed_threshold`) on one split's validated rows of a batch.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa

from ..calibration import CalibrationSums
from ..options import ReportOptions
from ..stats import Plan, SplitStats, batch_predictions
from ..thresholds import ScoreStats

SCORED = ("cv", "test")  # the splits whose scores the threshold section reads


@dataclass(frozen=True)
class Found:
    """One split's mergeable statistics: the report's and (binary cv, test) the scores'."""

    stats: SplitStats
    scores: ScoreStats | None = None
    calibration: CalibrationSums | None = None

    def merge(self, other: Found) -> Found:
        scores = self.scores if other.scores is None else other.scores if self.scores is None else \
            self.scores.merge(other.scores)
        calibration = self.calibration if other.calibration is None else other.calibration \
            if self.calibration is None else self.calibration.merge(other.calibration)
        return Found(self.stats.merge(other.stats), scores, calibration)


@dataclass(frozen=True)
class ScoredPlan(Plan):
    """A plan that also counts each scored split's calibration sums on ``calibration_bins``
    uniform bins, the slope's sample drawn with ``seed``."""

    calibration_bins: int = 15
    seed: int = 0


def scored_plan(plan: Plan, opts: ReportOptions) -> Plan:
    """``plan`` counting calibration sums as ``opts`` asks (unchanged with quantile bins,
    whose edges need the whole split: that section is then left out).

    >>> scored_plan(Plan("binary", "error_rate"), ReportOptions(calibration_bins=10)).calibration_bins
    10
    """
    if opts.calibration_strategy != "uniform":
        return plan
    return ScoredPlan(**{f.name: getattr(plan, f.name) for f in fields(plan)},
                      calibration_bins=opts.calibration_bins, seed=opts.seed)


def found_in(batch: pa.RecordBatch | pa.Table, plan: Plan, *, source: str, split: str | None = None,
             first_row: int = 1) -> dict[str, Found]:
    """The statistics of one batch, by split (see :func:`diagnose.stats.batch_predictions`).

    >>> b = pa.record_batch({"split": ["train", "cv", "cv"], "y_true": [1, 0, 1], "y_score": [0.9, 0.6, 0.7]})
    >>> found = found_in(b, Plan("binary", "error_rate"), source="all.parquet")
    >>> found["train"].scores is None, found["cv"].scores.rows, found["cv"].stats.rows
    (True, 2, 2)
    >>> found_in(b, ScoredPlan("binary", "error_rate"), source="all.parquet")["cv"].calibration.n
    2
    """
    out = {}
    for name, pred in batch_predictions(batch, plan, source=source, split=split, first_row=first_row).items():
        stats = SplitStats.of(pred, plan.metric, plan.trivial if name == "cv" else None)
        scored = plan.task == "binary" and name in SCORED and pred.y_score is not None
        calibration = None
        if isinstance(plan, ScoredPlan) and pred.kind.classification and pred.y_score is not None:
            calibration = CalibrationSums.of(pred, bins=plan.calibration_bins, seed=plan.seed)
        out[name] = Found(stats, ScoreStats.of(pred.y_true, pred.y_score, pred.weight) if scored else None,
                          calibration)
    return out


def job_in(batch: pa.RecordBatch | pa.Table, plan: Plan, job: Callable[..., Any], *, source: str, split: str,
           split_column: bool, first_row: int = 1, row_offset: int = 0) -> Any:
    """``job(y_true, y_score, weight)`` on the rows of ``split`` in one batch (``None`` when it
    has none); ``split_column``: the batch's split column says which rows those are. A job
    whose ``keyed`` is true also gets the rows' ids: the id column, else their positions
    among the split's rows, ``row_offset`` + 1, 2, ... (``row_offset``: the split's rows in
    the earlier batches).

    >>> b = pa.record_batch({"split": ["train", "cv", "cv"], "y_true": [1, 0, 1], "y_score": [0.9, 0.6, 0.7]})
    >>> job_in(b, Plan("binary", "error_rate"), lambda y, s, w: s.tolist(), source="x", split="cv",
    ...        split_column=True)
    [0.6, 0.7]
    """
    found = batch_predictions(batch, plan, source=source, split=None if split_column else split, first_row=first_row)
    pred = found.get(split)
    if pred is None:
        return None
    if getattr(job, "keyed", False):
        ids = pred.ids if pred.ids is not None else np.arange(row_offset + 1, row_offset + pred.n + 1)
        return job(pred.y_true, pred.y_score, pred.weight, ids)
    return job(pred.y_true, pred.y_score, pred.weight)
