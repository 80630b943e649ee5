"""The statistics of one split: everything the streamed report reads, mergeable.

:class:`SplitStats` is built from one chunk of validated rows (:meth:`SplitStats.of`) and
merged with another chunk's; the figures come out of the merged value only. Integer
counts are exact; float sums are numpy's pairwise sums within a chunk, merged with
compensation (the loss moments) or plain addition of few partial sums (labels, cells).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..ingest import Predictions, task_type
from ..metrics import Moments, SplitError, WeightStrata, metric, per_sample_loss, split_error_from, thin_strata
from ._agreement import Agreement, majority
from ._confusion import Confusion


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _label_sums(pred: Predictions) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Weighted and unweighted label sums: per class (binary, multiclass), per label
    (multi-label: its positives) or the sum of y (regression; no row counts)."""
    w = pred.weight
    kind = pred.kind
    if not kind.classification:
        y = pred.y_true.astype(np.float64)
        return (float(y.sum()) if w is None else float(np.dot(w, y)),), ()
    if kind.multi_output:
        y = pred.y_true.astype(np.float64)
        rows = y.sum(axis=0)
        weighted = rows if w is None else w @ y
        return tuple(weighted.tolist()), tuple(int(r) for r in rows.tolist())
    k = 2 if not kind.per_class else len(pred.classes)
    if k == 2 and w is None:  # labels 0 and 1: one count, no cast of the labels
        ones = int(np.count_nonzero(pred.y_true))
        counts = (int(pred.y_true.shape[0]) - ones, ones)
        return tuple(float(c) for c in counts), counts
    y = pred.y_true.astype(np.int64)
    rows = np.bincount(y, minlength=k)
    weighted = rows.astype(np.float64) if w is None else np.bincount(y, weights=w, minlength=k)
    return tuple(weighted.tolist()), tuple(rows.tolist())


def _as_bool(a: np.ndarray) -> np.ndarray:
    """A validated 0/1 array as booleans: a view when its items are one byte."""
    return a.view(np.bool_) if a.dtype in (np.bool_, np.int8, np.uint8) else a != 0


def _binary_cells(pred: Predictions) -> tuple[int, int, int, int]:
    """The rows of each (label, default decision) cell of a binary chunk, (0, 0), (0, 1),
    (1, 0), (1, 1), from three counts: labels 1, decisions 1, and both."""
    y = _as_bool(pred.y_true)
    decision = pred.__dict__.get("decision")  # cached already, or made here as booleans
    if decision is None:
        decision = pred.y_score >= 0.5 if pred.y_score is not None else pred.y_pred
    d = _as_bool(np.asarray(decision))
    n, ones, said = int(y.shape[0]), int(np.count_nonzero(y)), int(np.count_nonzero(d))
    both = int(np.count_nonzero(np.logical_and(y, d)))
    return n - ones - said + both, said - both, ones - both, both


def _binary_agreement(cells: tuple[int, int, int, int], majority_class: int) -> Agreement:
    """:meth:`Agreement.of` of an unweighted binary chunk from its cells: the trivial
    classifier says ``majority_class`` on every row, so D (-1, 0, 1) follows from the cell."""
    c00, c01, c10, c11 = cells
    if majority_class == 0:  # the trivial classifier is wrong on the 1s
        rows, trivial_right = (c11, c00 + c10, c01), c00 + c01
    else:
        rows, trivial_right = (c00, c01 + c11, c10), c10 + c11
    model_right = c00 + c11
    weight = tuple(float(r) for r in rows)
    return Agreement(1, rows, rows, weight, weight, model_right, trivial_right, float(model_right),
                     float(trivial_right), 1.0, 1.0, False)


def _moments(losses: np.ndarray, w: np.ndarray | None, zero_one: bool) -> Moments:
    """The loss moments of a chunk; unweighted 0/1 losses (``zero_one``) by one count."""
    if w is None and zero_one:
        return Moments.of_counts(int(np.count_nonzero(losses)), int(losses.shape[0]))
    return Moments.of(losses, w)


@dataclass(frozen=True)
class SplitStats:
    """The mergeable statistics of one split for one metric.

    ``loss``: the moments of the per-row loss; ``strata``: its weight strata (with
    weights); ``labels``/``label_rows``: weighted and unweighted label sums (the trivial
    model's fit, class shares); ``trivial``: the moments of the trivial model's loss on
    these rows (cv, once train is known); ``confusion``: cells at the default decision
    (binary and multiclass); ``agreement``: the model against the trivial classifier, row by
    row (cv of a classification task, once train is known).

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([0, 1, 1, 0], np.int8)
    >>> p = Predictions("binary", y, y_score=np.array([0.2, 0.9, 0.4, 0.6]))
    >>> halves = [SplitStats.of(Predictions("binary", y[i:i + 2], y_score=p.y_score[i:i + 2]), "error_rate")
    ...           for i in (0, 2)]
    >>> merged = halves[0].merge(halves[1])
    >>> merged.error("cv").error == SplitStats.of(p, "error_rate").error("cv").error == 0.5
    True
    """

    task: str
    metric: str
    classes: tuple[str, ...]
    weighted: bool
    loss: Moments
    strata: WeightStrata | None
    labels: tuple[float, ...]
    label_rows: tuple[int, ...]
    trivial: Moments | None = None
    confusion: Confusion | None = None
    agreement: Agreement | None = None

    @classmethod
    def of(cls, pred: Predictions, metric_name: str, trivial: Predictions | None = None) -> SplitStats:
        """The kernel: the statistics of one chunk of validated rows. ``trivial`` is the
        trivial model's fit (:func:`trivial_fit`), when its loss on these rows is wanted."""
        if pred.task == "binary" and pred.weight is None and pred.n:
            return cls._binary(pred, metric_name, trivial)
        with np.errstate(over="ignore", invalid="ignore"):  # too large: split_error_from refuses the J
            losses = per_sample_loss(pred, metric_name)
        w = pred.weight
        labels, label_rows = _label_sums(pred)
        kind = pred.kind
        zero_one = metric_name == "error_rate" and not kind.multi_output  # each row's loss is 0 or 1
        trivial_moments = agreement = None
        if trivial is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                trivial_moments = _moments(per_sample_loss(kind.trivial(trivial, pred), metric_name), w, zero_one)
            if kind.classification:
                agreement = Agreement.of(pred, majority(trivial))
        confusion = Confusion.of(pred) if kind.classification and not kind.multi_output else None
        return cls(pred.task, metric_name, tuple(pred.classes), w is not None, _moments(losses, w, zero_one),
                   None if w is None else WeightStrata.of(losses, w), labels, label_rows, trivial_moments,
                   confusion, agreement)

    @classmethod
    def _binary(cls, pred: Predictions, metric_name: str, trivial: Predictions | None) -> SplitStats:
        """:meth:`of` of an unweighted binary chunk: the confusion cells, the label sums,
        the agreement and (error rate) the 0/1 losses' moments all follow from the four
        cells, so the chunk is read by three counts instead of per-row arrays."""
        cells = _binary_cells(pred)
        n, ones = pred.n, cells[2] + cells[3]
        zero_one = metric_name == "error_rate"
        if zero_one:
            loss = Moments.of_counts(cells[1] + cells[2], n)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                loss = Moments.of(per_sample_loss(pred, metric_name))
        trivial_moments = agreement = None
        if trivial is not None:
            kind = pred.kind
            if zero_one:  # the trivial model decides one class on every row: its own rule, on one row
                one_row = Predictions("binary", pred.y_true[:1], y_score=np.zeros(1))
                said = int(kind.trivial(trivial, one_row).decision[0])
                trivial_moments = Moments.of_counts(ones if said == 0 else n - ones, n)
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    trivial_moments = Moments.of(per_sample_loss(kind.trivial(trivial, pred), metric_name))
            agreement = _binary_agreement(cells, int(majority(trivial)))
        counts = (n - ones, ones)
        return cls(pred.task, metric_name, tuple(pred.classes), False, loss, None, (float(n - ones), float(ones)),
                   counts, trivial_moments, Confusion(2, cells, tuple(float(c) for c in cells)), agreement)

    def merge(self, other: SplitStats) -> SplitStats:
        """Both chunks' statistics together."""
        def both(a, b):
            return a if b is None else b if a is None else a.merge(b)

        return SplitStats(self.task, self.metric, self.classes, self.weighted or other.weighted,
                          self.loss.merge(other.loss), both(self.strata, other.strata),
                          _add(self.labels, other.labels), _add(self.label_rows, other.label_rows),
                          both(self.trivial, other.trivial), both(self.confusion, other.confusion),
                          both(self.agreement, other.agreement))

    @property
    def rows(self) -> int:
        return self.loss.rows

    def error(self, split: str, source: str | None = None) -> SplitError:
        """The split error J with its interval: :func:`diagnose.metrics.split_error` of the
        rows counted (refused, naming ``source``, when it is not finite)."""
        return split_error_from(self.loss, self.strata, metric_name=self.metric, task=self.task, split=split,
                                source=source)

    def trivial_error(self) -> float:
        """The trivial model's error on these rows (NaN when it was not counted)."""
        if self.trivial is None:
            return math.nan
        mean = self.trivial.mean
        return math.sqrt(mean) if metric(self.metric).root else mean

    def thin_strata(self) -> str | None:
        """The caveat of :func:`diagnose.metrics.thin_weight_strata`, from the strata."""
        return thin_strata(self.strata, self.metric, self.task)

    def decisions(self, split: str = "") -> Predictions | None:
        """The confusion cells as weighted rows (see :meth:`Confusion.as_predictions`)."""
        if self.confusion is None:
            return None
        return self.confusion.as_predictions(self.task, self.classes, split)


def trivial_fit(train: SplitStats) -> Predictions:
    """A tiny stand-in for train that gives the same trivial model as train's rows: the
    trivial models read only train's weighted label sums (prior, majority, mean).

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([1, 0, 0, 0], np.int8)
    >>> train = SplitStats.of(Predictions("binary", y, y_score=np.full(4, 0.3)), "log_loss")
    >>> cv = Predictions("binary", np.array([1, 0], np.int8), y_score=np.array([0.9, 0.1]))
    >>> cv.kind.trivial(trivial_fit(train), cv).y_score.tolist()
    [0.25, 0.25]
    """
    kind = task_type(train.task)
    sums = np.asarray(train.labels, dtype=np.float64)
    total = train.loss.weight[0] + train.loss.weight[1]
    if not kind.classification or kind.multi_output:
        mean = sums / total
        y = mean[None, :] if kind.multi_output else mean
        return Predictions(train.task, y, classes=train.classes)
    k = sums.shape[0]
    dtype = np.int8 if train.task == "binary" else np.int64
    return Predictions(train.task, np.arange(k, dtype=dtype), classes=train.classes, weight=sums)
