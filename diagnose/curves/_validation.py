"""Validation curves: J_train and J_cv against one hyper-parameter such as λ or the
polynomial degree.

The chosen value minimises J_cv. Tie rule: among values whose J_cv equals the minimum,
the smallest value is chosen (``tie="largest"`` picks the largest, e.g. the most
regularised λ). Test errors are never looked at to choose; J_test is measured for the
chosen value only. Values that are text (a kernel name) have no order: the other values
are labelled ``other`` and no side or edge is named.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import UsageError
from ..ingest import Runs
from ..metrics import SplitError, split_error
from ..options import ReportOptions
from ..values import Rendered, json_number
from ._points import CurvePoint, check_metric, long_frame, run_points

TIE_RULES = ("smallest", "largest")


@dataclass(frozen=True)
class ValidationCurve(Rendered):
    """J_train and J_cv against one hyper-parameter; the value chosen on cv and its J_test."""

    task: str | None
    metric: str
    param: str
    points: tuple[CurvePoint, ...]
    chosen: Any
    tie_rule: str
    test: SplitError | None
    verdict: str
    recommendations: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    kind = "validation"

    @property
    def chosen_point(self) -> CurvePoint:
        return next(p for p in self.points if p.side == "chosen")

    def to_dict(self) -> dict:
        best = self.chosen_point.to_dict("value")
        best.pop("side", None)
        for key in ("test_error", "test_ci_low", "test_ci_high", "n_test"):
            best[key] = None
        if self.test is not None:
            best.update(test_error=json_number(self.test.error), test_ci_low=json_number(self.test.ci_low),
                        test_ci_high=json_number(self.test.ci_high), n_test=self.test.n)
        return {
            "kind": self.kind, "task": self.task, "metric": self.metric, "param": self.param,
            "points": [p.to_dict("value") for p in self.points],
            "chosen": best, "tie_rule": self.tie_rule, "verdict": self.verdict,
            "recommendations": list(self.recommendations), "warnings": list(self.warnings),
            "extrapolation": None,
        }

    def to_frame(self):
        """Long format for plotting: one row per (value, curve)."""
        return long_frame(self.points, "value")


def build_validation_curve(
    points: Sequence[CurvePoint],
    *,
    param: str,
    metric: str,
    test_of=None,
    task: str | None = None,
    tie: str = "smallest",
    warnings: Sequence[str] = (),
) -> ValidationCurve:
    """Choose the value with the lowest J_cv and label the bias and variance sides.

    ``test_of(value)`` returns the test :class:`SplitError` of a value (or ``None``); it
    is called once, for the chosen value, after the choice is made.

    >>> from diagnose.metrics import SplitError
    >>> def err(p):
    ...     return SplitError("", "mse", 100, p, p, p, 0.0, 0.0, 100.0)
    >>> pts = [CurvePoint(lam, err(tr), err(cv)) for lam, tr, cv in
    ...        [(0.1, 1.0, 9.0), (1, 2.0, 4.0), (10, 3.0, 3.5), (100, 6.0, 6.5)]]
    >>> vc = build_validation_curve(pts, param="lambda", metric="mse")
    >>> vc.chosen, [p.side for p in vc.points]
    (10, ['variance', 'variance', 'chosen', 'bias'])
    """
    if tie not in TIE_RULES:
        raise UsageError(f"unknown tie rule '{tie}'; choose {' or '.join(TIE_RULES)}")
    warnings = list(warnings)
    cv = np.array([p.cv.error for p in points])
    train = np.array([p.train.error for p in points])
    tied = np.flatnonzero(cv <= cv.min() + 1e-12 * max(abs(cv.min()), 1.0))
    best = int(tied[0] if tie == "smallest" else tied[-1])
    # text values (a kernel name) have no order, so no sides and no edges
    ordered = all(isinstance(p.value, (int, float, np.number)) for p in points)
    sides = np.full(len(points), "other" if not ordered else None, dtype=object)
    sides[best] = "chosen"
    for part in (slice(0, best), slice(best + 1, None)) if ordered else ():
        if len(train[part]):
            # the more flexible side fits training data better: lower J_train means variance
            sides[part] = "variance" if np.median(train[part]) < train[best] else "bias"
    points = [CurvePoint(p.value, p.train, p.cv, side) for p, side in zip(points, sides)]
    chosen = points[best].value
    if ordered and len(points) > 2 and best in (0, len(points) - 1):
        edge = "smallest" if best == 0 else "largest"
        verdict = f"minimum_at_{edge}"
        advice = (f"The lowest J_cv is at the {edge} {param} tried ({_show(chosen)}): extend the "
                  f"sweep beyond it, if such values exist, to be sure the minimum is inside")
    else:
        verdict = "minimum_inside"
        advice = f"Use {param} = {_show(chosen)}; report its J_test as the final estimate"
    test = test_of(chosen) if test_of is not None else None
    if test is None:
        warnings.append(f"no test rows for {param} = {_show(chosen)}: the final estimate is missing")
    return ValidationCurve(task=task, metric=metric, param=param, points=tuple(points), chosen=chosen,
                           tie_rule=tie, test=test, verdict=verdict, recommendations=(advice,),
                           warnings=tuple(warnings))


def validation_curve_from_runs(runs: Runs, *, param: str, options: ReportOptions | None = None,
                               tie: str = "smallest", **overrides: Any) -> ValidationCurve:
    """The validation curve of validated runs, one per value of ``param``; test rows, if
    any, give J_test of the chosen value.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions, Runs
    >>> def run(train, cv):
    ...     return {s: Predictions("regression", np.zeros(4), y_pred=np.full(4, e)) for s, e in
    ...             (("train", train), ("cv", cv))}
    >>> runs = Runs("regression", "param_lambda", (0.1, 1, 10),
    ...             {0.1: run(1.0, 3.0), 1: run(1.5, 2.0), 10: run(2.5, 2.6)})
    >>> validation_curve_from_runs(runs, param="lambda").chosen
    1
    """
    opts = ReportOptions.of(options, **overrides)
    name = check_metric(opts.metric, runs)
    points = run_points(runs, name)

    def test_of(value):
        pred = runs.runs[value].get("test")
        return split_error(pred, name, split="test") if pred is not None else None

    return build_validation_curve(points, param=param, metric=name, test_of=test_of, task=runs.task,
                                  tie=tie, warnings=runs.warnings)


def _show(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
