"""Learning curves: J_train and J_cv against the training-set size m.

Verdict, read at the largest m with the bias/variance rule of
the report (:mod:`diagnose.bias_variance`) (a gap counts when material and significant):

- ``high_bias``: the curves have met (the cv − train gap does not count) and J_train
  sits materially above the reference — more data will not help;
- ``high_variance``: a gap counts at the largest m while J_train is within tolerance
  of the reference (the reference lies between the curves) — more data helps;
- ``high_bias_high_variance``: both; more data narrows the gap but cannot bring J_train
  down to the reference;
- ``good_fit``: neither.

``cv_falling`` says whether J_cv still fell materially over the last step; the
power-law extrapolation (:mod:`._extrapolation`) estimates how far it can fall.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..bias_variance import (
    Gap,
    check_baselines,
    diagnose_bias_variance,
)
from ..ingest import CurveSummary, Runs
from ..metrics import SplitError, rate_error, split_error, trivial_name, trivial_predictions
from ..options import ReportOptions, Tolerance
from ..values import Rendered, json_number
from ._extrapolation import MIN_POINTS, Extrapolation, fit_power_law
from ._points import CurvePoint, check_metric, long_frame, run_points

LEARNING_ADVICE = {
    "high_bias": "Both curves have flattened close together above the reference: more "
                 "training data will not help; change the model",
    "high_variance": "A gap remains at the largest training set with the reference between "
                     "the curves: more training data should help",
    "high_bias_high_variance": "J_train sits above the reference and a gap remains: more data "
                               "narrows the gap but cannot bring J_train down; change the model too",
    "good_fit": "J_cv is close to J_train and to the reference: more data buys little; "
                "look at error categories (diagnose errors) for the next gains",
    "inconclusive": "At the largest training set the data cannot tell whether a gap remains: "
                    "more cv (and train) rows would decide it",
}


@dataclass(frozen=True)
class LearningCurve(Rendered):
    """J_train and J_cv against m, the verdict from the curve's shape, the extrapolation."""

    task: str | None
    metric: str
    points: tuple[CurvePoint, ...]
    baselines: Mapping[str, float]
    reference: float
    reference_name: str
    tolerance: Mapping[str, float]
    verdict: str
    gaps: Mapping[str, Gap]
    cv_drop: float | None
    cv_falling: bool
    more_data_helps: bool
    recommendations: tuple[str, ...]
    extrapolation: Extrapolation | None
    warnings: tuple[str, ...] = ()

    kind = "learning"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "task": self.task, "metric": self.metric,
            "points": [p.to_dict("train_size") for p in self.points],
            "baselines": {k: json_number(v) for k, v in self.baselines.items()},
            "reference": json_number(self.reference), "reference_name": self.reference_name,
            "tolerance": dict(self.tolerance),
            "verdict": self.verdict,
            "gaps": {k: json_number(g.value) for k, g in self.gaps.items()},
            "gap_details": {k: g.to_dict() for k, g in self.gaps.items()},
            "cv_drop_last_step": json_number(self.cv_drop), "cv_falling": self.cv_falling,
            "more_data_helps": self.more_data_helps,
            "recommendations": list(self.recommendations),
            "extrapolation": self.extrapolation.to_dict() if self.extrapolation else None,
            "warnings": list(self.warnings),
        }

    def to_frame(self):
        """Long format for plotting: one row per (train_size, curve)."""
        return long_frame(self.points, "train_size")


def build_learning_curve(
    points: Sequence[CurvePoint],
    *,
    metric: str,
    task: str | None = None,
    baselines: Mapping[str, float] | None = None,
    tolerance: Tolerance | float | None = None,
    target: float | None = None,
    warnings: Sequence[str] = (),
) -> LearningCurve:
    """The learning-curve verdict and extrapolation from points sorted by training size.

    >>> from diagnose.metrics import SplitError
    >>> def err(p, n, split):
    ...     return SplitError(split, "mse", n, p, p, p, 0.001, 0.0, n)
    >>> pts = [CurvePoint(m, err(0.0, m, "train"), err(cv, 500, "cv"))
    ...        for m, cv in [(100, 0.4), (200, 0.3), (400, 0.22), (800, 0.17)]]
    >>> lc = build_learning_curve(pts, metric="mse", baselines={"human": 0.05})
    >>> lc.verdict, lc.cv_falling, lc.more_data_helps
    ('high_variance', True, True)
    """
    tolerance = Tolerance.coerce(tolerance)  # a number is the relative tolerance; 0 means 0
    warnings = list(warnings)
    user = check_baselines(baselines, metric)
    ref_name = min(user, key=lambda name: user[name]) if user else None
    last = points[-1]
    verdict = diagnose_bias_variance({"train": last.train, "cv": last.cv},
                                     reference=user[ref_name] if ref_name is not None else None,
                                     reference_name=ref_name, tolerance=tolerance)
    warnings += [f"at train_size = {last.value}: {w}" if "gap" in w else w for w in verdict.warnings]
    tol = verdict.gaps["variance"].tolerance
    cv_drop = points[-2].cv.error - last.cv.error if len(points) > 1 else None
    cv_falling = cv_drop is not None and cv_drop > tol
    more_data_helps = verdict.gaps["variance"].counted
    word = verdict.verdict
    # the curve's own reading first, then the verdict's remedies (a good fit's advice is the reading)
    remedies = [LEARNING_ADVICE[word], *(verdict.recommendations if word != "good_fit" else ())]

    extrapolation = None
    if target is None:  # without a baseline, within the tolerance of zero
        target = (verdict.reference if verdict.reference == verdict.reference else 0.0) + tol
    if len(points) >= MIN_POINTS:
        sizes = np.array([p.value for p in points], dtype=np.float64)
        cv = np.array([p.cv.error for p in points])
        se = np.array([p.cv.se for p in points])
        extrapolation = fit_power_law(sizes, cv, se=se if np.all(se > 0) else None, target=target)
        warnings += [f"extrapolation: {c}" for c in extrapolation.caveats]
        if more_data_helps and extrapolation.status in ("reachable", "unreachable", "cannot_tell", "flat"):
            remedies.insert(1, f"Extrapolation: {extrapolation.message}")
    else:
        warnings.append(f"no extrapolation: it needs runs at {MIN_POINTS} or more training-set "
                        f"sizes, and there are {len(points)}")
    return LearningCurve(
        task=task, metric=metric, points=tuple(points), baselines=user, reference=verdict.reference,
        reference_name=verdict.reference_name, tolerance=tolerance.to_dict(), verdict=word,
        gaps=verdict.gaps, cv_drop=cv_drop, cv_falling=cv_falling, more_data_helps=more_data_helps,
        recommendations=tuple(remedies), extrapolation=extrapolation, warnings=tuple(warnings))


def learning_curve_from_runs(runs: Runs, *, baselines: Mapping[str, float] | None = None,
                             options: ReportOptions | None = None, target: float | None = None,
                             **overrides: Any) -> LearningCurve:
    """The learning curve of validated runs, one per training-set size (test rows are ignored).

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions, Runs
    >>> y = np.array([0, 1] * 100, np.int8)
    >>> def run(wrong):  # cv rows [0, wrong) are misclassified
    ...     cv = np.where(y == 1, 0.9, 0.1); cv[:wrong] = 1 - cv[:wrong]
    ...     return {"train": Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.1)),
    ...             "cv": Predictions("binary", y, y_score=cv)}
    >>> runs = Runs("binary", "train_size", (100, 200), {100: run(60), 200: run(40)})
    >>> lc = learning_curve_from_runs(runs, baselines={"human": 0.01})
    >>> lc.verdict, lc.more_data_helps, lc.cv_falling
    ('high_variance', True, True)
    """
    opts = ReportOptions.of(options, **overrides)
    name = check_metric(opts.metric, runs)
    points = run_points(runs, name)
    warnings = list(runs.warnings)
    last = runs.runs[runs.keys[-1]]
    trivial = split_error(trivial_predictions(last["train"], last["cv"]), name, split="cv").error
    if points[-1].cv.error >= trivial:
        warnings.append(f"J_cv at the largest training set ({points[-1].cv.error:.4g}) is no better than "
                        f"the trivial baseline ({trivial_name(runs.task, name)}: {trivial:.4g})")
    return build_learning_curve(points, metric=name, task=runs.task, baselines=baselines,
                                tolerance=opts.gap_tolerance, target=target, warnings=warnings)


def learning_curve_from_summary(summary: CurveSummary, *, baselines: Mapping[str, float] | None = None,
                                options: ReportOptions | None = None, target: float | None = None,
                                **overrides: Any) -> LearningCurve:
    """The learning curve of a validated summary table (errors per training-set size).

    >>> import numpy as np
    >>> from diagnose.ingest import CurveSummary
    >>> s = CurveSummary("s", np.array([50, 100]), np.array([0.0, 0.0]), np.array([0.4, 0.3]))
    >>> learning_curve_from_summary(s, baselines={"human": 0.01}).verdict
    'high_variance'
    """
    opts = ReportOptions.of(options, **overrides)
    points, name, warnings = summary_points(summary, opts.metric)
    return build_learning_curve(points, metric=name, baselines=baselines, tolerance=opts.gap_tolerance,
                                target=target, warnings=warnings)


def summary_points(summary: CurveSummary, metric: str | None):
    """Points from a summary table; Wilson intervals when the errors are error rates with n.

    >>> s = CurveSummary("curve.csv", train_size=np.array([50, 100]), train_error=np.array([0.1, 0.05]),
    ...                  cv_error=np.array([0.4, 0.3]), n_train=np.array([50, 100]), n_cv=np.array([200, 200]))
    >>> points, metric, warnings = summary_points(s, None)
    >>> metric, [(p.value, p.cv.error, round(p.cv.ci_low, 3)) for p in points]
    ('error_rate', [(50, 0.4, 0.335), (100, 0.3, 0.241)])
    """
    warnings = []
    rates = bool(np.all(summary.train_error <= 1) and np.all(summary.cv_error <= 1))
    metric = metric or ("error_rate" if rates else "error")
    with_n = summary.n_train is not None and summary.n_cv is not None
    if not (with_n and metric == "error_rate"):
        warnings.append("the summary table gives no row counts (n_train, n_cv) for an error rate, so "
                        "the curves carry no intervals and gaps are judged by the tolerance alone")
    points = []
    for i, m in enumerate(summary.train_size.tolist()):
        pair = []
        for split, errors, counts in (("train", summary.train_error, summary.n_train),
                                      ("cv", summary.cv_error, summary.n_cv)):
            p = float(errors[i])
            n = int(counts[i]) if counts is not None else 0
            if with_n and metric == "error_rate":  # as split_error gives for an unweighted error rate
                pair.append(rate_error(split, metric, p, n))
            else:
                pair.append(SplitError(split, metric, n, p, p, p, 0.0, 0.0, float(n)))
        train, cv = pair
        points.append(CurvePoint(m, train, cv))
    return points, metric, warnings
