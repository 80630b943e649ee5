"""Learning and validation curves from one table's coded rows: J per run counted over the
rows' group codes, without a copy of the rows per run.

:func:`~diagnose.ingest.coded_rows` validates the whole table at once and gives each row
its (run, split) group. Each row's loss is computed once over all rows; then each group's
statistics finalise as :func:`diagnose.metrics.split_error` does from that group's rows
(:func:`diagnose.metrics.split_error_from`, the finalize every engine shares):

- an error rate (0/1 losses, no weights) needs only its errors and rows per group: two
  ``bincount`` over the codes, :meth:`Moments.of_counts`, the same figures to the last bit;
- any other loss gets each group's :class:`~diagnose.metrics.Moments` from its losses in
  file order (one stable sort of the small codes and one gather of the losses), the same
  sums as the group's own rows give.

The trivial baseline reads the largest run's train and cv rows as their own predictions,
as :func:`learning_curve_from_runs` does; the curve is therefore the curve of
:func:`~diagnose.ingest.load_runs` of the table.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..ingest import CHUNK_ROWS, CodedRows, Predictions, task_type
from ..metrics import (
    PROPORTION,
    Moments,
    SplitError,
    metric,
    metric_for,
    per_sample_loss,
    split_error,
    split_error_from,
    trivial_name,
    trivial_predictions,
)
from ..options import ReportOptions
from ._learning import LearningCurve, build_learning_curve
from ._points import CurvePoint
from ._validation import ValidationCurve, build_validation_curve


class _GroupErrors:
    """J of every group of the coded rows, finalised on first use (in the order asked)."""

    def __init__(self, coded: CodedRows, metric_name: str) -> None:
        self.coded, self.name = coded, metric_name
        pred = coded.pred
        if metric(metric_name, pred.task).interval == PROPORTION and not task_type(pred.task).multi_output:
            self.moments = _rate_moments(coded, metric_name)
        else:
            self.moments = _ordered_moments(coded, metric_name)
        self._done: dict[int, SplitError] = {}

    def __call__(self, key_index: int, split: str) -> SplitError | None:
        coded = self.coded
        g = coded.code(key_index, split)
        if not coded.counts[g]:
            return None
        if g not in self._done:
            self._done[g] = split_error_from(self.moments[g], None, metric_name=self.name, task=coded.pred.task,
                                             split=split, source=coded.pred.source)
        return self._done[g]


def _rate_moments(coded: CodedRows, metric_name: str) -> list[Moments]:
    """0/1 losses: a group's errors and rows are all its statistic. The losses are counted a
    million rows at a time (no loss column as long as the table); whole-number sums of 0/1
    values are exact, so every count equals the whole column's ``bincount``."""
    groups = len(coded.counts)
    errors = np.zeros(groups)
    for start in range(0, coded.pred.n, CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        with np.errstate(over="ignore", invalid="ignore"):
            losses = per_sample_loss(_rows(coded.pred, start, stop), metric_name)
        errors += np.bincount(coded.group[start:stop], weights=losses, minlength=groups)
    return [Moments.of_counts(int(errors[g]), int(coded.counts[g])) for g in range(groups)]


def _ordered_moments(coded: CodedRows, metric_name: str) -> list[Moments]:
    """Any other loss: each group's losses in file order (one stable sort of the small codes
    and one gather), the sums its own rows give."""
    with np.errstate(over="ignore", invalid="ignore"):  # too large: split_error_from refuses the J
        losses = per_sample_loss(coded.pred, metric_name)
    order = np.argsort(coded.group, kind="stable")
    ordered = losses[order]
    del losses, order
    ends, counts = np.cumsum(coded.counts).tolist(), coded.counts.tolist()
    with np.errstate(over="ignore", invalid="ignore"):
        return [Moments.of(ordered[end - n:end]) for end, n in zip(ends, counts)]


def _rows(pred: Predictions, start: int, stop: int) -> Predictions:
    """Rows ``[start, stop)`` of ``pred`` as their own predictions (views, no copy), with
    only what a loss reads (labels, scores, hard predictions, classes).

    >>> p = Predictions("binary", np.array([0, 1, 1], np.int8), y_score=np.array([0.2, 0.4, 0.9]))
    >>> _rows(p, 1, 3).decision.tolist()
    [0, 1]
    """
    def part(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[start:stop]

    return replace(pred, y_true=pred.y_true[start:stop], y_score=part(pred.y_score), y_pred=part(pred.y_pred),
                   ids=None, weight=part(pred.weight), table=None, slice_columns=(), row_numbers=None)


def _points(errors: _GroupErrors) -> list[CurvePoint]:
    out = []
    for i, key in enumerate(errors.coded.keys):
        train, cv = errors(i, "train"), errors(i, "cv")
        assert train is not None and cv is not None  # coded_rows keeps only runs with both
        out.append(CurvePoint(key, train, cv))
    return out


def _class_cells(coded: CodedRows) -> np.ndarray | None:
    """The rows of each (group, class), shape (groups, classes), counted a million rows at a
    time; ``None`` for tasks whose labels are not one class a row (regression, multi-label)."""
    pred = coded.pred
    if not (pred.kind.one_of_classes or pred.task == "binary"):
        return None
    k = len(pred.classes) if pred.kind.one_of_classes else 2
    cells = np.zeros(len(coded.counts) * k, np.int64)
    for start in range(0, pred.n, CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        cells += np.bincount(coded.group[start:stop].astype(np.int64) * k + pred.y_true[start:stop],
                             minlength=len(cells))
    return cells.reshape(len(coded.counts), k)


def _unseen_warnings(coded: CodedRows, by: str, cells: np.ndarray | None = None) -> list[str]:
    """:func:`~diagnose.ingest.runs_from_groups`' warning: cv rows of classes a run's train
    rows never show, from the rows of each (group, class) (``cells``, counted when not given)."""
    if not coded.pred.kind.one_of_classes:
        return []
    cells = _class_cells(coded) if cells is None else cells
    assert cells is not None  # one class a row
    out = []
    for i, key in enumerate(coded.keys):
        seen = cells[coded.code(i, "train")] > 0
        unseen = int(cells[coded.code(i, "cv")][~seen].sum())
        if unseen:
            out.append(f"{by} = {key}: {unseen} cv rows belong to classes the training rows of this run never show")
    return out


def _trivial_error(coded: CodedRows, name: str, cells: np.ndarray | None) -> float:
    """J_cv of the trivial model of the largest run (fit on its train rows, applied to its cv
    rows), as :func:`~diagnose.metrics.trivial_predictions` and ``split_error`` give it. The
    error rate of a majority class needs only the rows of each class (``cells``): the class
    the trivial model decides is the one its prior picks, computed as the task computes it,
    and the cv rows of other classes are its errors; other metrics read the two groups' rows.
    """
    pred = coded.pred
    last = len(coded.keys) - 1
    g_train, g_cv = coded.code(last, "train"), coded.code(last, "cv")
    if name == "error_rate" and cells is not None and pred.weight is None:
        if pred.kind.one_of_classes:  # the first most frequent class (argmax of the prior)
            prior = cells[g_train].astype(np.float64)
            prior /= prior.sum()
            decided = int(np.argmax(prior))
        else:  # binary: positive when the prior score, nudged off 0.5, reaches 0.5
            prior = float(cells[g_train, 1]) / float(coded.counts[g_train])
            decided = int((prior if prior != 0.5 else 0.5 - 1e-12) >= 0.5)
        n_cv = int(coded.counts[g_cv])
        moments = Moments.of_counts(n_cv - int(cells[g_cv, decided]), n_cv)
        return split_error_from(moments, None, metric_name=name, task=pred.task, split="cv",
                                source=pred.source).error
    train, cv = coded.rows_of(g_train), coded.rows_of(g_cv)
    return split_error(trivial_predictions(train, cv), name, split="cv").error


def learning_curve_from_coded(coded: CodedRows, *, by: str = "train_size",
                              baselines: Mapping[str, float] | None = None, options: ReportOptions | None = None,
                              target: float | None = None, **overrides: Any) -> LearningCurve:
    """The learning curve of one table's coded rows: the curve
    :func:`~diagnose.curves.learning_curve_from_runs` gives for the same table's runs.

    >>> import pyarrow as pa
    >>> from diagnose.ingest import Columns, coded_rows, load_runs
    >>> from diagnose.curves import learning_curve_from_runs
    >>> rng = np.random.default_rng(0)
    >>> n = 4000
    >>> t = pa.table({"split": rng.choice(["train", "cv"], n), "train_size": rng.choice([100, 200, 400], n),
    ...               "y_true": rng.integers(0, 2, n), "y_score": rng.random(n).round(3)})
    >>> coded = coded_rows(t, "f.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    >>> runs = load_runs([(t, "f.csv")], by="train_size", splits=("train", "cv"))
    >>> for name in ("error_rate", "log_loss"):
    ...     a = learning_curve_from_coded(coded, metric=name).to_dict()
    ...     assert a == learning_curve_from_runs(runs, metric=name).to_dict()
    >>> [p.value for p in learning_curve_from_coded(coded).points]
    [100, 200, 400]
    """
    opts = ReportOptions.of(options, **overrides)
    pred = coded.pred
    name = metric_for(opts.metric, pred).name  # what it reads (task, scores or not) is the table's
    errors = _GroupErrors(coded, name)
    points = _points(errors)
    cells = _class_cells(coded) if name == "error_rate" or pred.kind.one_of_classes else None
    warnings = _unseen_warnings(coded, by, cells)
    trivial = _trivial_error(coded, name, cells)
    if points[-1].cv.error >= trivial:
        warnings.append(f"J_cv at the largest training set ({points[-1].cv.error:.4g}) is no better than "
                        f"the trivial baseline ({trivial_name(pred.task, name)}: {trivial:.4g})")
    return build_learning_curve(points, metric=name, task=pred.task, baselines=baselines,
                                tolerance=opts.gap_tolerance, target=target, warnings=warnings)


def validation_curve_from_coded(coded: CodedRows, *, param: str, by: str | None = None,
                                options: ReportOptions | None = None, tie: str = "smallest",
                                **overrides: Any) -> ValidationCurve:
    """The validation curve of one table's coded rows (test rows give J_test of the chosen
    value): the curve :func:`~diagnose.curves.validation_curve_from_runs` gives for the
    same table's runs.

    >>> import pyarrow as pa
    >>> from diagnose.ingest import Columns, coded_rows
    >>> t = pa.table({"split": ["train", "cv", "test"] * 2, "param_lambda": [0.1] * 3 + [1.0] * 3,
    ...               "y_true": [1.0, 2.0, 3.0] * 2, "y_pred": [1.0, 2.5, 3.5, 1.5, 2.25, 3.0]})
    >>> coded = coded_rows(t, "f.csv", by="param_lambda", columns=Columns())
    >>> vc = validation_curve_from_coded(coded, param="lambda")
    >>> vc.chosen, vc.test.error
    (1.0, 0.0)
    """
    opts = ReportOptions.of(options, **overrides)
    name = metric_for(opts.metric, coded.pred).name
    errors = _GroupErrors(coded, name)
    points = _points(errors)
    index = {key: i for i, key in enumerate(coded.keys)}

    def test_of(value):
        return errors(index[value], "test") if "test" in coded.splits else None

    return build_validation_curve(points, param=param, metric=name, test_of=test_of, task=coded.pred.task,
                                  tie=tie, warnings=_unseen_warnings(coded, by or f"param_{param}"))
