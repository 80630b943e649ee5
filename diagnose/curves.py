"""What learning and validation curves share: one point of a curve (its training size or
parameter value with J_train and J_cv), the long plotting frame, and the metric check.

Learning curves (J_train and J_cv against the training-set size m) live in
:mod:`diagnose.curve_learning`; validation curves (J_train and J_cv against a
hyper-parameter such as λ or the polynomial degree) in :mod:`diagnose.curve_validation`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .exceptions import UsageError
from .metrics import SplitError, default_metric, metrics_for
from .values import json_number as _num


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
            out[f"{name}_error"] = _num(s.error)
            out[f"{name}_ci_low"] = _num(s.ci_low)
            out[f"{name}_ci_high"] = _num(s.ci_high)
            out[f"n_{name}"] = s.n
        out["gap"] = _num(self.gap)
        if self.side is not None:
            out["side"] = self.side
        return out


def _long_frame(points, key: str):
    import pandas as pd

    rows = [{key: p.value, "curve": name, "error": s.error, "ci_low": s.ci_low, "ci_high": s.ci_high,
             "n": s.n, "side": p.side} for p in points for name, s in (("train", p.train), ("cv", p.cv))]
    return pd.DataFrame(rows)


def _check_metric(metric: str | None, runs) -> str:
    metric = metric or default_metric(runs.task)
    if metric not in metrics_for(runs.task):
        raise UsageError(f"metric '{metric}' does not apply to a {runs.task} task; "
                         f"choose one of {', '.join(metrics_for(runs.task))}")
    first = runs.runs[runs.keys[0]]["train"]
    if metric in ("log_loss", "brier") and first.y_score is None:
        raise UsageError(f"metric '{metric}' needs scores or probabilities; these files only hold "
                         "hard predictions (y_pred). Use --metric error_rate")
    return metric
