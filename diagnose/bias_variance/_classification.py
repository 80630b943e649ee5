"""Classification metrics at the default decision: accuracy, prevalence, precision, recall,
F1 per split; per-class tables, the confusion matrix and the top confusions; skew.

The default decision is score >= 0.5 (binary, multi-label), the argmax (multiclass) or
``y_pred``. Zero-division rule (scikit-learn's ``zero_division=0``): precision is 0 when
nothing is predicted positive, recall 0 when there are no positives, F1 0 when both are
0; a warning says so. Averages follow scikit-learn: multiclass macro and weighted
averages run over the classes present in y_true or in the predictions on any row, rows of
weight 0 included (such a class counts with precision, recall and F1 0, as in
``precision_recall_fscore_support(..., sample_weight=w, zero_division=0)``); multi-label
macro over every label, micro over all label decisions. Multi-label ``accuracy`` is the share
of correct label decisions (1 - Hamming loss), matching the ``error_rate`` metric.
Sample weights are honoured everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

from ..ingest import task_type
from ..options import DEFAULT_SKEW_THRESHOLD
from ..values import Rendered, json_number
from ._paired_test import EXACT_MCNEMAR, PAIRED_Z, AccuracyTest, accuracy_vs_trivial
from ._paired_test import mcnemar_p as mcnemar_p  # re-exported: the package's public name

SKEW_THRESHOLD = DEFAULT_SKEW_THRESHOLD  # skewed when the minority share is below this
TOP_CONFUSIONS = 10
MAX_MATRIX_CLASSES = 50  # larger confusion matrices stay out of the JSON
ALPHA = 0.05  # one-sided level of the accuracy-vs-trivial test
TEST_WORDS = {EXACT_MCNEMAR: "McNemar", PAIRED_Z: "paired z-test, rows as units,"}


def _div(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b > 0)


def _weights(pred) -> np.ndarray:
    return np.ones(pred.n) if pred.weight is None else np.asarray(pred.weight, dtype=np.float64)


def _total(mask: np.ndarray, weight) -> float:
    """The (weighted) number of rows where ``mask`` holds; counting is faster than a dot."""
    return float(np.count_nonzero(mask)) if weight is None else float(np.dot(weight, mask))


@dataclass(frozen=True, eq=False)
class ClassTable:
    """Per-class (multiclass) or per-label (multi-label) precision, recall, F1 and support
    of one split at the default decision, with averages, and for multiclass the confusion
    matrix (rows: true class, columns: predicted class)."""

    split: str
    task: str
    names: tuple[str, ...]
    tp: np.ndarray
    predicted: np.ndarray
    support: np.ndarray
    total: float
    confusion: Optional[np.ndarray] = None
    observed: Optional[np.ndarray] = None  # multiclass: seen in y_true or predicted, any weight


    @property
    def precision(self) -> np.ndarray:
        return _div(self.tp, self.predicted)

    @property
    def recall(self) -> np.ndarray:
        return _div(self.tp, self.support)

    @property
    def f1(self) -> np.ndarray:
        return _div(2.0 * self.tp, self.predicted + self.support)

    def _present(self) -> np.ndarray:
        """The classes averages run over: scikit-learn's labels (every label; multiclass: the
        classes in y_true or the predictions, rows of weight 0 included)."""
        if task_type(self.task).multi_output:
            return np.ones(len(self.names), bool)
        if self.observed is not None:
            return self.observed
        return (self.support > 0) | (self.predicted > 0)

    def average(self, kind: str) -> dict:
        """``macro``, ``weighted`` (by support) or ``micro`` precision/recall/F1."""
        if kind == "micro":
            tp, pp, sup = self.tp.sum(), self.predicted.sum(), self.support.sum()
            vals: tuple[float, ...] = (float(_div(tp, pp)), float(_div(tp, sup)), float(_div(2 * tp, pp + sup)))
        else:
            keep = self._present()
            w = self.support[keep] if kind == "weighted" else np.ones(int(keep.sum()))
            vals = tuple(float(_div(np.dot(w, m[keep]), w.sum())) for m in (self.precision, self.recall, self.f1))
        return dict(zip(("precision", "recall", "f1"), vals))

    def top_confusions(self, k: int = TOP_CONFUSIONS) -> list[tuple[str, str, float]]:
        """The most frequent (true class, predicted class, count) mistakes, largest first."""
        if self.confusion is None:
            return []
        c = self.confusion.copy()
        np.fill_diagonal(c, 0)
        t, p = np.nonzero(c)
        order = np.lexsort((p, t, -c[t, p]))[:k]  # count desc, then class order
        return [(self.names[t[i]], self.names[p[i]], float(c[t[i], p[i]])) for i in order]

    def to_frame(self):
        """Long-format table: one row per class and metric."""
        import pandas as pd

        wide = pd.DataFrame({"class": self.names, "precision": self.precision, "recall": self.recall,
                             "f1": self.f1, "support": self.support})
        return wide.melt(id_vars="class", var_name="metric", value_name="value").assign(split=self.split)

    def to_dict(self) -> dict:
        rows = [{"class": n, "precision": json_number(p), "recall": json_number(r), "f1": json_number(f),
                 "support": json_number(s)}
                for n, p, r, f, s in zip(self.names, self.precision, self.recall, self.f1, self.support)]
        out = {"classes": rows, "macro": self.average("macro")}
        if task_type(self.task).multi_output:
            out["micro"] = self.average("micro")
        else:
            out["weighted"] = self.average("weighted")
            out["top_confusions"] = [{"true": t, "predicted": p, "count": c} for t, p, c in self.top_confusions()]
            if self.confusion is not None and len(self.names) <= MAX_MATRIX_CLASSES:
                out["confusion_matrix"] = {"labels": list(self.names), "matrix": self.confusion.tolist()}
        return out


def class_table(pred, *, split: Optional[str] = None) -> ClassTable:
    """Per-class counts of one multiclass or multi-label split at the default decision.

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("multiclass", np.array([0, 1, 2, 2]), y_pred=np.array([0, 2, 2, 1]),
    ...                 classes=("a", "b", "c"))
    >>> t = class_table(p)
    >>> t.recall.tolist(), t.top_confusions()[0]
    ([1.0, 0.0, 0.5], ('b', 'c', 1.0))
    """
    w = _weights(pred)
    d, y = pred.decision, pred.y_true
    split = split or pred.split or ""
    if pred.kind.multi_output:
        y1, d1 = (y == 1), (d == 1)
        names = pred.classes or tuple(str(j) for j in range(y.shape[1]))
        return ClassTable(split, "multilabel", tuple(names), w @ (y1 & d1), w @ d1, w @ y1, float(w.sum()))
    k = len(pred.classes)
    cm = np.bincount(y * k + d, weights=w, minlength=k * k).reshape(k, k)
    observed = None
    if pred.weight is not None:  # a class only on rows of weight 0 still counts (scikit-learn)
        observed = (np.bincount(y, minlength=k) > 0) | (np.bincount(d, minlength=k) > 0)
    return ClassTable(split, "multiclass", tuple(pred.classes), np.diag(cm).copy(), cm.sum(axis=0),
                      cm.sum(axis=1), float(w.sum()), cm, observed)


@dataclass(frozen=True)
class SplitClassification:
    """Accuracy, prevalence, precision, recall and F1 of one split at the default decision
    (multiclass, multi-label: macro averages); ``extras`` go into ``splits.<split>``."""

    split: str
    accuracy: float
    prevalence: Optional[float]
    precision: float
    recall: float
    f1: float
    extras: Mapping[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"accuracy": json_number(self.accuracy), "prevalence": json_number(self.prevalence),
                "precision": json_number(self.precision), "recall": json_number(self.recall),
                "f1": json_number(self.f1), **self.extras}


def split_classification(pred, *, split: Optional[str] = None) -> SplitClassification:
    """Metrics of one classification split at the default decision.

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([1] * 25 + [0] * 75, np.int8)
    >>> d = np.array([1] * 15 + [0] * 10 + [1] * 5 + [0] * 70, np.int8)
    >>> m = split_classification(Predictions("binary", y, y_pred=d))
    >>> m.accuracy, m.precision, m.recall, round(m.f1, 3)
    (0.85, 0.75, 0.6, 0.667)
    """
    split = split or pred.split or ""
    w = _weights(pred)
    wsum = float(w.sum())
    if not pred.kind.per_class:  # binary
        y, d = pred.y_true == 1, pred.decision == 1
        tp, pp, pos = (_total(m, pred.weight) for m in (y & d, d, y))
        acc = _total(y == d, pred.weight) / wsum
        warnings = []
        if pp == 0:
            warnings.append(f"{split}: no row is predicted positive at the default decision, so precision "
                            "is undefined; it is reported as 0 (zero-division rule)")
        if pos == 0:
            warnings.append(f"{split}: no positive rows, so recall is undefined; it is reported as 0")
        return SplitClassification(split, acc, pos / wsum, float(_div(tp, pp)), float(_div(tp, pos)),
                                   float(_div(2 * tp, pp + pos)), warnings=tuple(warnings))
    table = class_table(pred, split=split)
    macro = table.average("macro")
    idle = [n for n, p, s in zip(table.names, table.predicted, table.support) if p == 0 and s > 0]
    warnings = []
    if idle:
        what = pred.kind.unit
        warnings.append(f"{split}: {what}(es) {', '.join(idle[:10])} are never predicted, so their precision "
                        "is undefined; it is reported as 0 (zero-division rule)")
    shares = {n: json_number(s / wsum) for n, s in zip(table.names, table.support)}
    if pred.kind.multi_output:
        correct = (pred.decision == pred.y_true)
        micro = table.average("micro")
        extras = {"subset_accuracy": float(w @ correct.all(axis=1)) / wsum, "label_prevalence": shares,
                  **{f"micro_{k}": v for k, v in micro.items()}}
        acc = float(w @ correct.mean(axis=1)) / wsum
    else:
        extras = {"class_shares": shares, **{f"weighted_{k}": v for k, v in table.average("weighted").items()}}
        acc = float(table.tp.sum()) / wsum
    return SplitClassification(split, acc, None, macro["precision"], macro["recall"], macro["f1"],
                               extras=extras, warnings=tuple(warnings))


@dataclass(frozen=True, eq=False)
class PerClass(Rendered):
    """The ``per_class`` section of a report: one :class:`ClassTable` per split."""

    tables: Mapping[str, ClassTable]

    def to_dict(self) -> dict:
        return {split: t.to_dict() for split, t in self.tables.items()}

    def to_frame(self):
        import pandas as pd

        return pd.concat([t.to_frame() for t in self.tables.values()], ignore_index=True)


@dataclass(frozen=True)
class Skew(Rendered):
    """How skewed the classes are (on train), and whether the model's cv accuracy beats the
    trivial classifier's (always the majority class of train) by more than noise: a
    one-sided paired test on the cv rows, named by ``test``: ``exact_mcnemar`` (binary and
    multiclass without weights) or ``paired_z`` (weights, multi-label; the row is the unit).
    See :mod:`diagnose.bias_variance._paired_test`."""

    skewed: bool
    minority_share: float
    minority_class: str
    limit: float
    trivial_accuracy: float
    model_accuracy: float
    p_value: float
    significant: bool
    warnings: tuple[str, ...] = ()
    test: str = EXACT_MCNEMAR

    def to_dict(self) -> dict:
        return {"skewed": self.skewed, "minority_share": json_number(self.minority_share),
                "minority_class": self.minority_class, "limit": self.limit,
                "trivial_accuracy": json_number(self.trivial_accuracy),
                "model_accuracy": json_number(self.model_accuracy),
                "p_value": json_number(self.p_value), "test": self.test,
                "significantly_better": self.significant, "warnings": list(self.warnings)}


def skew(train, cv, *, limit: float = SKEW_THRESHOLD) -> Skew:
    """Skew of the classes on train and the cv accuracy of the model vs the trivial one.

    >>> from diagnose.ingest import Predictions
    >>> y = np.zeros(1000, np.int8); y[:5] = 1
    >>> p = Predictions("binary", y, y_score=np.full(1000, 0.1))
    >>> s = skew(p, p)
    >>> s.skewed, s.trivial_accuracy, s.significant
    (True, 0.995, False)
    """
    wt, wc = _weights(train), _weights(cv)
    if train.kind.multi_output:
        names = train.classes or tuple(str(j) for j in range(train.y_true.shape[1]))
        minority, min_name, majority = label_minority(wt @ (train.y_true == 1) / wt.sum(), names)
        trivial_right = cv.y_true == majority
        model_right = cv.decision == cv.y_true
        w2 = np.repeat(wc, cv.y_true.shape[1]).reshape(cv.y_true.shape)
    else:
        binary = not train.kind.per_class
        k = 2 if binary else len(train.classes)
        names = (train.classes or ("0", "1")) if binary else train.classes
        counts = np.bincount(train.y_true, weights=wt, minlength=k)
        minority, min_name, limit, top = class_minority(counts, names, limit)
        trivial_right = cv.y_true == top
        model_right = cv.decision == cv.y_true
        w2 = wc
    total = float(w2.sum())

    def wsum(mask):  # counting is much faster than multiplying by unit weights
        return float(np.count_nonzero(mask)) if cv.weight is None else float((w2 * mask).sum())

    test = accuracy_vs_trivial(~model_right, ~trivial_right, cv.weight)
    return skew_of(minority, min_name, limit, wsum(trivial_right) / total, wsum(model_right) / total, test)


def class_minority(counts: np.ndarray, names, limit: float) -> tuple[float, str, float, int]:
    """Binary and multiclass: the minority class's share of train's (weighted) class
    ``counts`` and its name, the skew limit for ``k`` classes, and the majority class (the
    trivial classifier; the first on ties).

    >>> class_minority(np.array([90.0, 0.0, 10.0]), ("a", "b", "c"), 0.1)
    (0.1, 'c', 0.06666666666666667, 0)
    """
    k = counts.shape[0]
    share = counts / counts.sum()
    present = np.flatnonzero(counts > 0)
    j = int(present[np.argmin(share[present])]) if len(present) > 1 else int(np.argmin(share))
    # with K classes a balanced class holds 1/K: scale the binary limit (a share of
    # the balanced 1/2) to the same fraction of 1/K, so ten balanced digits are not "skewed"
    return float(share[j]), str(names[j]), limit * 2.0 / k, int(np.argmax(counts))


def label_minority(share: np.ndarray, names) -> tuple[float, str, np.ndarray]:
    """Multi-label: the rarer side of the most skewed label (from each label's positive
    ``share`` of train), named ``label=value``, and the per-label majority (ties: negative).

    >>> label_minority(np.array([0.3, 0.95]), ("x", "y"))
    (0.050000000000000044, 'y=0', array([0, 1], dtype=int8))
    """
    minority = np.minimum(share, 1 - share)
    j = int(np.argmin(minority))
    return float(minority[j]), f"{names[j]}={int(share[j] <= 0.5)}", (share > 0.5).astype(np.int8)


def skew_of(minority: float, min_name: str, limit: float, trivial_acc: float, model_acc: float,
            test: AccuracyTest) -> Skew:
    """The skew section from its parts (every engine's one assembly).

    >>> t = AccuracyTest(EXACT_MCNEMAR, 0.0, 0.0, 1.0)
    >>> skew_of(0.04, "1", 0.1, 0.96, 0.96, t).skewed
    True
    """
    p = test.p_value
    significant = p < ALPHA and model_acc > trivial_acc
    skewed = bool(minority < limit)
    warnings = []
    if not significant:
        why = ("on skewed data accuracy misleads: judge by precision, recall and F1"
               if skewed else "the model may not have learned anything useful")
        warnings.append(f"cv accuracy {model_acc:.4g} is not significantly better than the trivial "
                        f"classifier's {trivial_acc:.4g} (always the majority class of train; "
                        f"{TEST_WORDS[test.test]} p = {p:.3g}): {why}")
    return Skew(skewed, float(minority), min_name, float(limit), trivial_acc, model_acc, p,
                bool(significant), tuple(warnings), test.test)
