"""What learning and validation curves share: one point of a curve (its training size or
parameter value with J_train and J_cv), the long plotting frame, the metric check, and the
points of validated runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ingest import Runs
from ..metrics import SplitError, metric_for, split_error
from ..values import json_number


@dataclass(frozen=True)
class CurvePoint:
    """One run of a curve: its training size or parameter value and its two errors."""

    value: Any
    train: SplitError
    cv: SplitError
    side: str | None = None

    @property
    def gap(self) -> float:
        return self.cv.error - self.train.error

    def to_dict(self, key: str) -> dict:
        value = self.value.item() if isinstance(self.value, np.generic) else self.value
        out = {key: value}
        for name, s in (("train", self.train), ("cv", self.cv)):
            out[f"{name}_error"] = json_number(s.error)
            out[f"{name}_ci_low"] = json_number(s.ci_low)
            out[f"{name}_ci_high"] = json_number(s.ci_high)
            out[f"n_{name}"] = s.n
        out["gap"] = json_number(self.gap)
        if self.side is not None:
            out["side"] = self.side
        return out


def long_frame(points, key: str):
    """Long format for plotting: one row per (point, curve).

    >>> from diagnose.metrics import SplitError
    >>> def err(split, j):
    ...     return SplitError(split, "mse", 100, j, j, j, 0.0, 0.0, 100.0)
    >>> frame = long_frame([CurvePoint(100, err("train", 0.1), err("cv", 0.3))], "train_size")
    >>> frame[["train_size", "curve", "error"]].values.tolist()
    [[100, 'train', 0.1], [100, 'cv', 0.3]]
    """
    import pandas as pd

    rows = [{key: p.value, "curve": name, "error": s.error, "ci_low": s.ci_low, "ci_high": s.ci_high,
             "n": s.n, "side": p.side} for p in points for name, s in (("train", p.train), ("cv", p.cv))]
    return pd.DataFrame(rows)


def check_metric(metric_name: str | None, runs: Runs) -> str:
    """The metric of a curve over ``runs``: the task's default unless given; it must apply
    to the task, and scores-only metrics need scores.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions, Runs
    >>> p = Predictions("binary", np.array([0, 1]), y_pred=np.array([0, 1]))
    >>> check_metric(None, Runs("binary", "train_size", (10, 20), {10: {"train": p}, 20: {"train": p}}))
    'error_rate'
    """
    return metric_for(metric_name, runs.runs[runs.keys[0]]["train"]).name


def run_points(runs: Runs, metric_name: str) -> list[CurvePoint]:
    """J_train and J_cv of every run, as points in the order of ``runs.keys``.

    >>> from diagnose.ingest import Predictions
    >>> right = Predictions("binary", np.array([0, 1, 1, 0]), y_pred=np.array([0, 1, 1, 0]))
    >>> one_off = Predictions("binary", np.array([0, 1, 1, 0]), y_pred=np.array([0, 1, 0, 0]))
    >>> runs = Runs("binary", "train_size", (10, 20), {10: {"train": right, "cv": one_off},
    ...                                                20: {"train": right, "cv": right}})
    >>> [(p.value, p.train.error, p.cv.error) for p in run_points(runs, "error_rate")]
    [(10, 0.0, 0.25), (20, 0.0, 0.0)]
    """
    return [CurvePoint(key, split_error(r["train"], metric_name, split="train"),
                       split_error(r["cv"], metric_name, split="cv")) for key, r in runs.runs.items()]
