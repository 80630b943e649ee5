"""Learning curves (J_train and J_cv against the training-set size m) and validation
curves (J_train and J_cv against a hyper-parameter such as λ or the polynomial degree).

Learning-curve verdict, read at the largest m with the bias/variance rule of
:mod:`diagnose.bias_variance` (a gap counts when material and significant):

- ``high_bias``: the curves have met (the cv − train gap does not count) and J_train
  sits materially above the reference — more data will not help;
- ``high_variance``: a gap counts at the largest m while J_train is within tolerance
  of the reference (the reference lies between the curves) — more data helps;
- ``high_bias_high_variance``: both; more data narrows the gap but cannot bring J_train
  down to the reference;
- ``good_fit``: neither.

``cv_falling`` says whether J_cv still fell materially over the last step; the
power-law extrapolation (:mod:`diagnose.extrapolation`) estimates how far it can fall.

Validation curve: the chosen value minimises J_cv. Tie rule: among values whose J_cv
equals the minimum, the smallest value is chosen (``tie="largest"`` picks the largest,
e.g. the most regularised λ). Test errors are never looked at to choose; J_test is
measured for the chosen value only. Values that are text (a kernel name) have no order:
the other values are labelled ``other`` and no side or edge is named.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bias_variance import BIAS_REMEDIES, VARIANCE_REMEDIES, Tolerance, diagnose_bias_variance
from .errors import UsageError
from .extrapolation import MIN_POINTS, Extrapolation, fit_power_law
from .metrics import (Z95, default_metric, metrics_for, split_error, trivial_name, trivial_predictions,
                      wilson_interval)
from .results import Gap, SplitError, _num

LEARNING_ADVICE = {
    "high_bias": "Both curves have flattened close together above the reference: more "
                 "training data will not help; change the model",
    "high_variance": "A gap remains at the largest training set with the reference between "
                     "the curves: more training data should help",
    "high_bias_high_variance": "J_train sits above the reference and a gap remains: more data "
                               "narrows the gap but cannot bring J_train down; change the model too",
    "good_fit": "J_cv is close to J_train and to the reference: more data buys little; "
                "look at error categories (diagnose errors) for the next gains",
}
TIE_RULES = ("smallest", "largest")


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


@dataclass(frozen=True)
class LearningCurve:
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
            "baselines": {k: _num(v) for k, v in self.baselines.items()},
            "reference": _num(self.reference), "reference_name": self.reference_name,
            "tolerance": dict(self.tolerance),
            "verdict": self.verdict,
            "gaps": {k: _num(g.value) for k, g in self.gaps.items()},
            "gap_details": {k: g.to_dict() for k, g in self.gaps.items()},
            "cv_drop_last_step": _num(self.cv_drop), "cv_falling": self.cv_falling,
            "more_data_helps": self.more_data_helps,
            "recommendations": list(self.recommendations),
            "extrapolation": self.extrapolation.to_dict() if self.extrapolation else None,
            "warnings": list(self.warnings),
        }

    def to_frame(self):
        """Long format for plotting: one row per (train_size, curve)."""
        return _long_frame(self.points, "train_size")

    def to_text(self) -> str:
        from .curve_render import learning_text

        return learning_text(self, markdown=False)

    def to_markdown(self) -> str:
        from .curve_render import learning_text

        return learning_text(self, markdown=True)


@dataclass(frozen=True)
class ValidationCurve:
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
            best.update(test_error=_num(self.test.error), test_ci_low=_num(self.test.ci_low),
                        test_ci_high=_num(self.test.ci_high), n_test=self.test.n)
        return {
            "kind": self.kind, "task": self.task, "metric": self.metric, "param": self.param,
            "points": [p.to_dict("value") for p in self.points],
            "chosen": best, "tie_rule": self.tie_rule, "verdict": self.verdict,
            "recommendations": list(self.recommendations), "warnings": list(self.warnings),
            "extrapolation": None,
        }

    def to_frame(self):
        """Long format for plotting: one row per (value, curve)."""
        return _long_frame(self.points, "value")

    def to_text(self) -> str:
        from .curve_render import validation_text

        return validation_text(self, markdown=False)

    def to_markdown(self) -> str:
        from .curve_render import validation_text

        return validation_text(self, markdown=True)


def _long_frame(points, key: str):
    import pandas as pd

    rows = [{key: p.value, "curve": name, "error": s.error, "ci_low": s.ci_low, "ci_high": s.ci_high,
             "n": s.n, "side": p.side} for p in points for name, s in (("train", p.train), ("cv", p.cv))]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- learning


def build_learning_curve(
    points: Sequence[CurvePoint],
    *,
    metric: str,
    task: str | None = None,
    baselines: Mapping[str, float] | None = None,
    tolerance: Tolerance | None = None,
    target: float | None = None,
    warnings: Sequence[str] = (),
) -> LearningCurve:
    """The learning-curve verdict and extrapolation from points sorted by training size.

    >>> from diagnose.results import SplitError
    >>> def err(p, n, split):
    ...     return SplitError(split, "mse", n, p, p, p, 0.001, 0.0, n)
    >>> pts = [CurvePoint(m, err(0.0, m, "train"), err(cv, 500, "cv"))
    ...        for m, cv in [(100, 0.4), (200, 0.3), (400, 0.22), (800, 0.17)]]
    >>> lc = build_learning_curve(pts, metric="mse", baselines={"human": 0.05})
    >>> lc.verdict, lc.cv_falling, lc.more_data_helps
    ('high_variance', True, True)
    """
    tolerance = tolerance or Tolerance()
    warnings = list(warnings)
    user = {}
    for name, value in (baselines or {}).items():
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise UsageError(f"baseline '{name}' must be a non-negative number in the {metric} metric")
        user[name] = value
    ref_name = min(user, key=user.get) if user else None
    last = points[-1]
    verdict = diagnose_bias_variance({"train": last.train, "cv": last.cv},
                                     reference=user[ref_name] if user else None,
                                     reference_name=ref_name, tolerance=tolerance)
    warnings += [f"at train_size = {last.value}: {w}" if "gap" in w else w for w in verdict.warnings]
    tol = verdict.gaps["variance"].tolerance
    cv_drop = points[-2].cv.error - last.cv.error if len(points) > 1 else None
    cv_falling = cv_drop is not None and cv_drop > tol
    more_data_helps = verdict.gaps["variance"].counted
    word = verdict.verdict
    remedies = [LEARNING_ADVICE[word]]
    if word == "high_bias":
        remedies += BIAS_REMEDIES
    elif word == "high_variance":
        remedies += VARIANCE_REMEDIES
    elif word == "high_bias_high_variance":
        remedies += BIAS_REMEDIES + VARIANCE_REMEDIES

    extrapolation = None
    if target is None:
        target = verdict.reference + tol
    if len(points) >= MIN_POINTS:
        sizes = np.array([p.value for p in points], dtype=np.float64)
        cv = np.array([p.cv.error for p in points])
        se = np.array([p.cv.se for p in points])
        extrapolation = fit_power_law(sizes, cv, se=se if np.all(se > 0) else None, target=target)
        warnings += [f"extrapolation: {c}" for c in extrapolation.caveats]
        if more_data_helps and extrapolation.status in ("reachable", "unreachable"):
            remedies.insert(1, f"Extrapolation: {extrapolation.message}")
    else:
        warnings.append(f"no extrapolation: it needs runs at {MIN_POINTS} or more training-set "
                        f"sizes, and there are {len(points)}")
    return LearningCurve(
        task=task, metric=metric, points=tuple(points), baselines=user, reference=verdict.reference,
        reference_name=verdict.reference_name, tolerance=tolerance.to_dict(), verdict=word,
        gaps=verdict.gaps, cv_drop=cv_drop, cv_falling=cv_falling, more_data_helps=more_data_helps,
        recommendations=tuple(remedies), extrapolation=extrapolation, warnings=tuple(warnings))


def learning_curve(
    *sources,
    baselines: Mapping[str, float] | None = None,
    metric: str | None = None,
    task: str | None = None,
    columns: Mapping[str, str] | None = None,
    positive_label: str | None = None,
    tolerance: Tolerance | None = None,
    target: float | None = None,
    encoding: str = "utf-8",
) -> LearningCurve:
    """A learning curve from prediction tables with ``split`` and ``train_size`` columns
    (one file or many), or from one summary table (``train_size, train_error, cv_error``
    and optional ``n_train, n_cv``). Test rows are ignored.

    >>> lc = learning_curve("sample_data/curves/learning_summary.csv", baselines={"human": 0.01})
    >>> lc.verdict, [p.value for p in lc.points][:3]
    ('high_variance', [50, 100, 200])
    """
    from .ingest import Columns, is_curve_summary, load_curve_summary, load_runs, read_table

    if not sources:
        raise UsageError("give at least one table of learning-curve runs")
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    tables = [read_table(s, encoding=encoding) for s in sources]
    if is_curve_summary(tables[0][0]):
        if len(tables) > 1:
            raise UsageError(f"{tables[0][1]} is a summary table (train_error, cv_error); give it alone")
        summary = load_curve_summary(tables[0], columns=cols)
        points, metric, warnings = _summary_points(summary, metric)
        return build_learning_curve(points, metric=metric, baselines=baselines, tolerance=tolerance,
                                    target=target, warnings=warnings)
    runs = load_runs(tables, by=cols.train_size, task=task, columns=cols, positive_label=positive_label,
                     splits=("train", "cv"))
    metric = _check_metric(metric, runs)
    points = [CurvePoint(m, split_error(r["train"], metric, split="train"), split_error(r["cv"], metric, split="cv"))
              for m, r in runs.runs.items()]
    warnings = list(runs.warnings)
    last = runs.runs[runs.keys[-1]]
    trivial = split_error(trivial_predictions(last["train"], last["cv"]), metric, split="cv").error
    if points[-1].cv.error >= trivial:
        warnings.append(f"J_cv at the largest training set ({points[-1].cv.error:.4g}) is no better than "
                        f"the trivial baseline ({trivial_name(runs.task, metric)}: {trivial:.4g})")
    return build_learning_curve(points, metric=metric, task=runs.task, baselines=baselines,
                                tolerance=tolerance, target=target, warnings=warnings)


def _summary_points(summary, metric: str | None):
    """Points from a summary table; Wilson intervals when the errors are error rates with n."""
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
            if with_n and metric == "error_rate":
                low, high = wilson_interval(p, n)
                # same se as metrics.split_error gives for an unweighted error rate
                pair.append(SplitError(split, metric, n, p, low, high, (high - low) / (2 * Z95),
                                       p * (1 - p), float(n)))
            else:
                pair.append(SplitError(split, metric, n, p, p, p, 0.0, 0.0, float(n)))
        points.append(CurvePoint(m, *pair))
    return points, metric, warnings


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


# ------------------------------------------------------------------------- validation


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

    >>> from diagnose.results import SplitError
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


def validation_curve(
    *sources,
    param: str,
    metric: str | None = None,
    task: str | None = None,
    columns: Mapping[str, str] | None = None,
    positive_label: str | None = None,
    tie: str = "smallest",
    encoding: str = "utf-8",
) -> ValidationCurve:
    """A validation curve from prediction tables with ``split`` and ``param_<param>``
    columns; test rows, if any, give J_test of the chosen value.

    >>> vc = validation_curve("sample_data/curves/validation_lambda.csv", param="lambda")
    >>> float(vc.chosen), round(vc.test.error)
    (1000.0, 1414)
    """
    from .ingest import Columns, load_runs, read_table

    if not sources:
        raise UsageError("give at least one table of validation-curve runs")
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    name = param[len(cols.param_prefix):] if param.startswith(cols.param_prefix) else param
    tables = [read_table(s, encoding=encoding) for s in sources]
    runs = load_runs(tables, by=cols.param_prefix + name, task=task, columns=cols,
                     positive_label=positive_label)
    metric = _check_metric(metric, runs)
    points = [CurvePoint(v, split_error(r["train"], metric, split="train"), split_error(r["cv"], metric, split="cv"))
              for v, r in runs.runs.items()]

    def test_of(value):
        pred = runs.runs[value].get("test")
        return split_error(pred, metric, split="test") if pred is not None else None

    return build_validation_curve(points, param=name, metric=metric, test_of=test_of, task=runs.task,
                                  tie=tie, warnings=runs.warnings)


def _show(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
