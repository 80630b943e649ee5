"""The task types, one strategy object each: how a task's columns are read, what its
default decision is, what the trivial model predicts, and the facts other packages ask
(is it a classification, can a threshold be chosen, are there per-class tables).

Code elsewhere asks the strategy (``pred.kind.thresholds``) instead of comparing the
task's name. A new task type is one class here, registered in :data:`TASK_TYPES`, plus
the metrics that apply to it (:mod:`diagnose.metrics`).

>>> task_type("multilabel").thresholds, task_type("regression").classification
(True, False)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import UsageError
from ..options import TASK_NAMES, Columns
from ._values import PROB_SUM_TOLERANCE

if TYPE_CHECKING:
    from ._checks import Checker
    from ._values import Predictions


@dataclass
class Parsed:
    """What a task's columns gave: the arrays of :class:`Predictions` and the columns used."""

    y_true: np.ndarray
    y_score: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    used: tuple[str, ...] = ()


class TaskType:
    """What every task type says about itself; subclasses fill in the behaviour."""

    name = ""
    classification = True
    multi_output = False  # one 0/1 decision per label of a row (multi-label)
    thresholds = False    # a decision threshold can be chosen on cv
    per_class = False     # per-class (per-label) precision/recall tables
    one_of_classes = False  # each row is one of several classes: labels coded into ``classes``,
    #                         scores a probability row over them (multiclass)
    unit = "class"        # what a column of y_score is called in messages

    def parse(self, check: Checker, cols: Columns, positive_label: str | None,
              classes: tuple[str, ...]) -> Parsed:
        raise NotImplementedError

    def decision(self, pred: Predictions) -> np.ndarray:
        """Hard predictions at the default decision."""
        raise NotImplementedError

    def trivial(self, train: Predictions, target: Predictions) -> Predictions:
        """The trivial model fit on ``train`` (weighted), applied to ``target``'s rows."""
        raise NotImplementedError

    def trivial_name(self, metric: str) -> str:
        return "majority class of train" if metric == "error_rate" else "class prior of train"

    def names(self, pred: Predictions, codes: np.ndarray) -> np.ndarray:
        """Coded labels (or decisions) as the class names people read."""
        return np.asarray(pred.classes, dtype=object)[codes]

    def __repr__(self) -> str:
        return f"<task {self.name}>"


class Binary(TaskType):
    name = "binary"
    thresholds = True

    def parse(self, check, cols, positive_label, classes):
        names = set(check.table.column_names)
        check.require(cols.y_true, "the label", cols)
        y_true = check.binary(cols.y_true, positive_label)
        positive = None if positive_label is None else str(positive_label)
        out_classes = ("0", "1") if positive is None else ("not " + positive, positive)
        if cols.y_score in names:
            return Parsed(y_true, y_score=check.probability(cols.y_score), classes=out_classes,
                          used=(cols.y_true, cols.y_score))
        if cols.y_pred not in names:
            check.require(cols.y_score, "the score of the positive class, or give y_pred", cols)
        y_pred = check.binary(cols.y_pred, positive_label, what="prediction")
        return Parsed(y_true, y_pred=y_pred, classes=out_classes, used=(cols.y_true, cols.y_pred))

    def decision(self, pred):
        if pred.y_score is None:
            return pred.y_pred
        return (pred.y_score >= 0.5).astype(np.int8)

    def trivial(self, train, target):
        prior = float(np.average(train.y_true.astype(np.float64), weights=train.weight))
        # the majority decision is "positive" only when positives are the majority; a score
        # of exactly 0.5 would tie, so nudge it to the majority side
        score = prior if prior != 0.5 else 0.5 - 1e-12
        return replace(target, y_score=np.full(target.n, score), y_pred=None)


class Multiclass(TaskType):
    name = "multiclass"
    per_class = True
    one_of_classes = True

    def parse(self, check, cols, positive_label, classes):
        names = set(check.table.column_names)
        check.require(cols.y_true, "the label", cols)
        index = {c: i for i, c in enumerate(classes)}
        y_true = _encode(check.labels(cols.y_true), index, check, cols.y_true,
                         "holds classes that have no y_prob_<class> column")
        prob_cols = [cols.prob_prefix + c for c in classes]
        if all(c in names for c in prob_cols):
            y_score = np.column_stack([check.probability(c) for c in prob_cols])
            total = y_score.sum(axis=1)
            off = np.abs(total - 1.0) > PROB_SUM_TOLERANCE
            if off.any():
                check.fail(f"probability columns {cols.prob_prefix}* must sum to 1 on each row "
                           f"(within {PROB_SUM_TOLERANCE:g})", column=cols.prob_prefix + "*",
                           mask=off, values=total,
                           fix="Give softmax outputs (predict_proba), one column per class")
            return Parsed(y_true, y_score=y_score, classes=tuple(classes), used=(cols.y_true, *prob_cols))
        check.require(cols.y_pred, "the prediction; or give y_prob_<class> columns", cols)
        y_pred = _encode(check.labels(cols.y_pred), index, check, cols.y_pred, "holds unknown classes")
        return Parsed(y_true, y_pred=y_pred, classes=tuple(classes), used=(cols.y_true, cols.y_pred))

    def decision(self, pred):
        if pred.y_score is None:
            return pred.y_pred
        return np.argmax(pred.y_score, axis=1)

    def trivial(self, train, target):
        k = len(train.classes)
        prior = np.bincount(train.y_true, weights=train.weight, minlength=k).astype(np.float64)
        prior /= prior.sum()
        # argmax of a constant row picks the first most frequent class
        return replace(target, y_score=np.tile(prior, (target.n, 1)), y_pred=None)


class Multilabel(TaskType):
    name = "multilabel"
    multi_output = True
    thresholds = True
    per_class = True
    unit = "label"

    def parse(self, check, cols, positive_label, classes):
        names = set(check.table.column_names)
        labels = multilabel_labels(names, cols)
        if not labels:
            check.fail(f"no multi-label columns: expected pairs {cols.true_prefix}<label> and "
                       f"{cols.score_prefix}<label>", fix="Add one truth and one score column per label")
        for have, need in ((cols.true_prefix, cols.score_prefix), (cols.score_prefix, cols.true_prefix)):
            for c in sorted(names):
                label = c[len(have):]
                if c.startswith(have) and c not in (cols.y_true, cols.y_score) and label and label not in labels:
                    check.fail(f"column '{c}' has no partner '{need}{label}': each label needs a truth and "
                               "a score column", column=c,
                               fix=f"Add column '{need}{label}', or drop '{c}' (labels: {', '.join(labels)})")
        y_true = np.column_stack([check.binary(cols.true_prefix + label, None) for label in labels])
        y_score = np.column_stack([check.probability(cols.score_prefix + label) for label in labels])
        used = tuple(cols.true_prefix + label for label in labels) + tuple(cols.score_prefix + label
                                                                            for label in labels)
        return Parsed(y_true, y_score=y_score, classes=tuple(labels), used=used)

    def decision(self, pred):
        return (pred.y_score >= 0.5).astype(np.int8)

    def trivial(self, train, target):
        prior = np.average(train.y_true.astype(np.float64), axis=0, weights=train.weight)
        score = np.where(prior == 0.5, 0.5 - 1e-12, prior)
        return replace(target, y_score=np.tile(score, (target.n, 1)), y_pred=None)

    def names(self, pred, codes):
        # the labels that are on, joined by '|' (';' separates tags)
        joined = np.full(codes.shape[0], "", dtype=object)
        for j, label in enumerate(pred.classes):  # a loop over labels, not rows
            on = codes[:, j].astype(bool)
            joined[on] = joined[on] + np.where(joined[on] == "", "", "|") + label
        return np.where(joined == "", "(none)", joined)


class Regression(TaskType):
    name = "regression"
    classification = False

    def parse(self, check, cols, positive_label, classes):
        check.require(cols.y_true, "the label", cols)
        check.require(cols.y_pred, "the prediction", cols)
        return Parsed(check.numeric(cols.y_true), y_pred=check.numeric(cols.y_pred),
                      used=(cols.y_true, cols.y_pred))

    def decision(self, pred):
        return pred.y_pred

    def trivial(self, train, target):
        mean = float(np.average(train.y_true, weights=train.weight))
        return replace(target, y_pred=np.full(target.n, mean), y_score=None)

    def trivial_name(self, metric):
        return "mean of train labels"

    def names(self, pred, codes):
        return codes


TASK_TYPES: dict[str, TaskType] = {t.name: t for t in (Binary(), Multiclass(), Multilabel(), Regression())}
assert tuple(TASK_TYPES) == TASK_NAMES, "options.TASK_NAMES lists the task types in this order"
TASKS = TASK_NAMES


def task_type(name: Any) -> TaskType:
    """The strategy of a task, by name (a :class:`TaskType` is returned as it is).

    >>> task_type("binary").name
    'binary'
    """
    if isinstance(name, TaskType):
        return name
    try:
        return TASK_TYPES[name]
    except KeyError:
        raise UsageError(f"unknown task '{name}'; choose one of {', '.join(TASK_TYPES)}") from None


def multilabel_labels(names: set[str], columns: Columns) -> list[str]:
    """The labels that have both a truth and a score column (``y_true_<l>``, ``y_score_<l>``)."""
    labels = []
    for c in sorted(names):
        if c.startswith(columns.true_prefix) and c != columns.y_true:
            label = c[len(columns.true_prefix):]
            if label and columns.score_prefix + label in names:
                labels.append(label)
    return labels


def _encode(labels: np.ndarray, index: dict[str, int], check: Checker, column: str, problem: str):
    uniq, inverse = np.unique(labels.astype(str), return_inverse=True)
    codes = np.array([index.get(u, -1) for u in uniq.tolist()], dtype=np.int64)[inverse]
    bad = codes < 0
    if bad.any():
        from ._checks import same_number_spellings

        fix = "Add a y_prob_<class> column for every class, or correct the labels"
        for label in uniq[np.array([index.get(u) is None for u in uniq.tolist()], dtype=bool)].tolist():
            twin = same_number_spellings([label, *index])
            if twin is not None:  # the same number written another way, e.g. 1.0 for class 1
                other = twin[0] if twin[1] == label else twin[1]
                fix = (f"The labels are compared as text: '{label}' is not the class '{other}' of the "
                       f"columns; write each label as its column name does")
                break
        check.fail(f"column '{column}' {problem}", column=column, mask=bad, values=labels, fix=fix)
    return codes
