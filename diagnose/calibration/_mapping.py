"""Recalibration mappings fitted on one split: Platt scaling, isotonic regression and temperature
scaling, as a :class:`Mapping` that applies to scores and round-trips through JSON."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions
from ..options import CALIBRATION_METHODS
from ._bins import EPS, logistic_fit, logit
from ._calibration import binary_problems, check_scores

METHODS = CALIBRATION_METHODS
TASKS = ("binary", "multiclass", "multilabel")


@dataclass(frozen=True, eq=False)
class Mapping:
    """A fitted recalibration: ``apply(scores)`` gives new scores shaped like ``y_score``.

    ``parameters``: one dict per score column (binary: one; multi-label: per label;
    multiclass: per class, one-vs-rest, then rows renormalised to sum to 1 (a row all 0
    becomes uniform); multiclass temperature: one). Platt ``{"a", "b"}``:
    sigmoid(a logit(s) + b); isotonic ``{"x", "y"}``: the knots, linear between them and
    clipped outside (as ``IsotonicRegression(out_of_bounds="clip").predict``); temperature
    ``{"T"}``: softmax(log p / T), which for one score column is sigmoid(logit(s) / T).

    >>> m = Mapping.from_dict({"method": "platt", "task": "binary", "parameters": [{"a": 2.0, "b": 0.0}]})
    >>> m.apply(np.array([0.5, 0.75])).round(3).tolist(), m.to_dict()["parameters"]
    ([0.5, 0.9], [{'a': 2.0, 'b': 0.0}])
    """

    method: str
    task: str
    parameters: tuple[dict[str, Any], ...]
    classes: tuple[str, ...] = ()

    def apply(self, scores) -> np.ndarray:
        from scipy.special import expit, softmax

        s = np.asarray(scores, dtype=np.float64)
        cols = s[:, None] if s.ndim == 1 else s
        if self.method == "temperature" and self.task == "multiclass":
            return softmax(np.log(np.clip(cols, EPS, 1.0)) / self.parameters[0]["T"], axis=1)
        if cols.shape[1] != len(self.parameters):
            raise UsageError(f"this {self.method} mapping was fitted on {len(self.parameters)} score column(s); "
                             f"the scores have {cols.shape[1]}")
        out = np.empty_like(cols)
        for j, par in enumerate(self.parameters):
            if self.method == "platt":
                out[:, j] = expit(par["a"] * logit(cols[:, j]) + par["b"])
            elif self.method == "isotonic":
                out[:, j] = np.interp(cols[:, j], par["x"], par["y"])
            else:
                out[:, j] = expit(logit(cols[:, j]) / par["T"])
        if self.task == "multiclass":
            total = out.sum(axis=1, keepdims=True)
            out = np.where(total > 0, out / np.where(total > 0, total, 1.0), 1.0 / out.shape[1])
        return out[:, 0] if s.ndim == 1 else out

    def to_dict(self) -> dict:
        return {"method": self.method, "task": self.task, "classes": list(self.classes),
                "parameters": [dict(p) for p in self.parameters]}

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        keys = {"platt": {"a", "b"}, "isotonic": {"x", "y"}, "temperature": {"T"}}
        method, task, params = data.get("method"), data.get("task"), data.get("parameters")
        if method not in keys or task not in TASKS or not isinstance(params, list) or not params \
                or not all(isinstance(p, dict) and keys[method] <= set(p) for p in params):
            raise UsageError("a mapping needs method (platt, isotonic or temperature), task (binary, multiclass or "
                             "multilabel) and parameters: a list of {a, b}, {x, y} or {T} per score column")
        return cls(method, task, tuple(params), tuple(data.get("classes", ())))


def _temperature(logp: np.ndarray, codes: np.ndarray, w: np.ndarray) -> float:
    """The T minimising the weighted log loss of softmax(logp / T) (bounded search on log T)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    rows = np.arange(len(codes))

    def loss(log_t: float) -> float:
        return -float(np.dot(w, log_softmax(logp / np.exp(log_t), axis=1)[rows, codes]))

    found = minimize_scalar(loss, bounds=(-6.0, 6.0), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(found.x))


def fit_mapping(pred: Predictions, method: str) -> Mapping:
    """Fit ``method`` (platt, isotonic or temperature) on ``pred`` (the cv split), weighted by
    ``pred.weight``. Platt: unpenalised logistic regression of y on logit(score) (no target
    smoothing); isotonic: ``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")``;
    temperature: one T minimising the log loss of softmax(log p / T), searched on log T in
    [-6, 6] by ``scipy.optimize.minimize_scalar`` (binary and each label: the two-class softmax).

    >>> rng = np.random.default_rng(0)
    >>> s = rng.uniform(0.05, 0.95, 4000)
    >>> y = (rng.random(4000) < s).astype(np.int8)
    >>> t = fit_mapping(Predictions("binary", y, 1 / (1 + ((1 - s) / s) ** 3)), "temperature")
    >>> abs(t.parameters[0]["T"] - 3.0) < 0.3
    True
    """
    check_scores(pred, "recalibration")
    if method not in METHODS:
        raise UsageError(f"method must be one of {', '.join(METHODS)} or all, not {method!r}")
    w = np.ones(pred.n) if pred.weight is None else np.asarray(pred.weight, dtype=np.float64)
    if method == "temperature" and pred.task == "multiclass":
        logp = np.log(np.clip(np.asarray(pred.y_score, dtype=np.float64), EPS, 1.0))
        return Mapping(method, pred.task, ({"T": _temperature(logp, np.asarray(pred.y_true), w)},), pred.classes)
    params: list[dict[str, Any]] = []
    for s, y in zip(*binary_problems(pred)):
        if method == "platt":
            a, b, _ = logistic_fit(s, y, w)
            params.append({"a": a, "b": b})
        elif method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(out_of_bounds="clip").fit(s, y, sample_weight=w)
            params.append({"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()})
        else:
            two = np.log(np.clip(np.column_stack([1.0 - s, s]), EPS, 1.0))
            params.append({"T": _temperature(two, y.astype(np.int64), w)})
    return Mapping(method, pred.task, tuple(params), pred.classes)
