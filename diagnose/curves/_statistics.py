"""Learning and validation curves from each run's stored statistics, with no row read.

A stored run keeps each split's :class:`~diagnose.stats.SplitStats` (the loss moments, the
weight strata, the label sums, and on cv the trivial model's loss): J and its interval
finalise from those exactly as :func:`diagnose.metrics.split_error` does from the rows
(:func:`diagnose.metrics.split_error_from`, the streaming engines' path). So a curve over
runs that all carry statistics for the curve's metric is the curve of their rows, built
from a few numbers per run. :func:`curve_statistics_usable` says when that holds; the
callers (``diagnose.service``) read the rows otherwise.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..ingest import natural_key
from ..metrics import SplitError, default_metric, metric, trivial_name
from ..options import ReportOptions
from ._learning import LearningCurve, build_learning_curve
from ._points import CurvePoint
from ._validation import ValidationCurve, build_validation_curve


class SplitStatistics(Protocol):
    """What a curve reads of one split's statistics (:class:`diagnose.stats.SplitStats`)."""

    task: str
    metric: str
    classes: tuple[str, ...]
    label_rows: tuple[int, ...]

    def error(self, split: str, source: str | None = None) -> SplitError: ...

    def trivial_error(self) -> float: ...


RunStatistics = Mapping[str, SplitStatistics]  # split -> statistics, one run


def curve_metric(task: str, name: str | None) -> str:
    """The metric a curve over runs of ``task`` uses: ``name``, or the task's default.

    >>> curve_metric("binary", None), curve_metric("regression", "mae")
    ('error_rate', 'mae')
    """
    return metric(name or default_metric(task), task).name


def curve_statistics_usable(runs: Mapping[Any, RunStatistics | None], metric_name: str | None,
                            splits: tuple[str, ...] = ("train", "cv")) -> bool:
    """Whether a curve in ``metric_name`` (``None``: the task's default) can be built from the
    statistics: two runs or more, each with ``splits`` counted in that metric, one task.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> from diagnose.stats import SplitStats
    >>> p = Predictions("binary", np.array([0, 1]), y_score=np.array([0.2, 0.9]))
    >>> run = {"train": SplitStats.of(p, "error_rate"), "cv": SplitStats.of(p, "error_rate")}
    >>> curve_statistics_usable({1: run, 2: run}, None), curve_statistics_usable({1: run, 2: run}, "log_loss")
    (True, False)
    >>> curve_statistics_usable({1: run, 2: None}, None)  # a run stored before statistics were
    False
    """
    if len(runs) < 2 or any(r is None for r in runs.values()):
        return False
    tasks = {r[s].task for r in runs.values() if r is not None for s in splits if s in r}
    if len(tasks) != 1:
        return False
    wanted = curve_metric(next(iter(tasks)), metric_name)
    return all(all(s in r and r[s].metric == wanted for s in splits) for r in runs.values() if r is not None)


def ordered_keys(keys) -> list:
    """The runs' values in curve order, as :func:`diagnose.ingest.runs_from_groups` orders them:
    numbers ascending, or (any text) all as text in natural order.

    >>> ordered_keys([40, 20]), ordered_keys(["rbf", 2, "linear"])
    ([20, 40], ['2', 'linear', 'rbf'])
    """
    keys = list(keys)
    if any(isinstance(k, str) for k in keys):
        return sorted({str(k) for k in keys}, key=natural_key)
    return sorted(set(keys))


def _keyed(runs: Mapping[Any, RunStatistics]) -> dict[Any, RunStatistics]:
    text = any(isinstance(k, str) for k in runs)
    by_key = {(str(k) if text else k): r for k, r in runs.items()}
    return {k: by_key[k] for k in ordered_keys(runs)}


def _unseen_warnings(runs: Mapping[Any, RunStatistics], by: str) -> list[str]:
    """The warning of :func:`~diagnose.ingest.runs_from_groups`: cv rows of classes a run's
    train rows never show, from the label row counts."""
    out = []
    for key, r in runs.items():
        train, cv = r["train"], r["cv"]
        if not cv.label_rows or train.task not in ("binary", "multiclass"):
            continue
        seen = {c for c, rows in zip(train.classes, train.label_rows) if rows > 0}
        unseen = sum(rows for c, rows in zip(cv.classes, cv.label_rows) if c not in seen)
        if unseen:
            out.append(f"{by} = {key}: {unseen} cv rows belong to classes the training rows of this run never show")
    return out


def learning_curve_from_statistics(runs: Mapping[Any, RunStatistics], *, by: str = "train_size",
                                   baselines: Mapping[str, float] | None = None,
                                   options: ReportOptions | None = None, target: float | None = None,
                                   **overrides: Any) -> LearningCurve:
    """The learning curve of runs keyed by training-set size, from each run's train and cv
    statistics (cv's with the trivial model's loss): the same curve as
    :func:`~diagnose.curves.learning_curve_from_runs` of their rows.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions, Runs
    >>> from diagnose.curves import learning_curve_from_runs
    >>> from diagnose.stats import SplitStats, trivial_fit
    >>> y = np.array([0, 1] * 100, np.int8)
    >>> def run(wrong):  # cv rows [0, wrong) are misclassified
    ...     cv = np.where(y == 1, 0.9, 0.1); cv[:wrong] = 1 - cv[:wrong]
    ...     return {"train": Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.1)),
    ...             "cv": Predictions("binary", y, y_score=cv)}
    >>> rows = {100: run(60), 200: run(40)}
    >>> def stats(r):
    ...     train = SplitStats.of(r["train"], "error_rate")
    ...     return {"train": train, "cv": SplitStats.of(r["cv"], "error_rate", trivial_fit(train))}
    >>> lc = learning_curve_from_statistics({m: stats(r) for m, r in rows.items()}, baselines={"human": 0.01})
    >>> lc.to_dict() == learning_curve_from_runs(Runs("binary", "train_size", (100, 200), rows),
    ...                                          baselines={"human": 0.01}).to_dict()
    True
    """
    opts = ReportOptions.of(options, **overrides)
    ordered = _keyed(runs)
    first = next(iter(ordered.values()))
    task = first["train"].task
    name = curve_metric(task, opts.metric)
    points = [CurvePoint(key, r["train"].error("train"), r["cv"].error("cv")) for key, r in ordered.items()]
    warnings = _unseen_warnings(ordered, by)
    trivial = list(ordered.values())[-1]["cv"].trivial_error()
    if points[-1].cv.error >= trivial:
        warnings.append(f"J_cv at the largest training set ({points[-1].cv.error:.4g}) is no better than "
                        f"the trivial baseline ({trivial_name(task, name)}: {trivial:.4g})")
    return build_learning_curve(points, metric=name, task=task, baselines=baselines,
                                tolerance=opts.gap_tolerance, target=target, warnings=warnings)


def validation_curve_from_statistics(runs: Mapping[Any, RunStatistics], *, param: str, by: str | None = None,
                                     options: ReportOptions | None = None, tie: str = "smallest",
                                     **overrides: Any) -> ValidationCurve:
    """The validation curve of runs keyed by a parameter's value, from each run's train and
    cv statistics (test's, when the chosen run has a test split, give J_test): the same
    curve as :func:`~diagnose.curves.validation_curve_from_runs` of their rows.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> from diagnose.stats import SplitStats
    >>> def run(train, cv):
    ...     return {s: SplitStats.of(Predictions("regression", np.zeros(4), y_pred=np.full(4, e)), "half_mse")
    ...             for s, e in (("train", train), ("cv", cv))}
    >>> vc = validation_curve_from_statistics({0.1: run(1.0, 3.0), 1: run(1.5, 2.0), 10: run(2.5, 2.6)},
    ...                                       param="lambda")
    >>> vc.chosen, [p.side for p in vc.points]
    (1, ['variance', 'chosen', 'bias'])
    """
    opts = ReportOptions.of(options, **overrides)
    ordered = _keyed(runs)
    task = next(iter(ordered.values()))["train"].task
    name = curve_metric(task, opts.metric)
    points = [CurvePoint(key, r["train"].error("train"), r["cv"].error("cv")) for key, r in ordered.items()]

    def test_of(value):
        test = ordered[value].get("test")
        return test.error("test") if test is not None else None

    return build_validation_curve(points, param=param, metric=name, test_of=test_of, task=task, tie=tie,
                                  warnings=_unseen_warnings(ordered, by or f"param_{param}"))
