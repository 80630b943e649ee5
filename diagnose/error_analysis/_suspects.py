"""Rows whose label may be wrong: confident learning (Northcutt, Jiang and Chuang, "Confident
learning: estimating uncertainty in dataset labels", JAIR 70, 2021; the ``cleanlab`` method,
written here in numpy).

From out-of-sample predicted probabilities ``p`` and the given labels ``y``:

1. per-class thresholds ``t_j``: the mean of ``p_j`` over the rows labelled ``j`` (a class
   nobody is labelled with has no threshold, and no row is counted as truly being it);
2. the confident joint ``C[i][j]``: rows labelled ``i`` whose ``p_j >= t_j``, with ``j`` the
   argmax of ``p`` among the classes at or above their threshold (rows above no threshold
   are not counted);
3. calibration: each row of ``C`` rescaled to sum to the count of rows labelled ``i`` (a
   class whose row of ``C`` is empty is taken as all correctly labelled), then the whole
   rescaled to sum to ``n``;
4. the estimated number of label issues is the off-diagonal sum of the calibrated joint
   (cleanlab's ``estimation_method="off_diagonal_calibrated"``), with a percentile 95%
   interval from a seeded bootstrap over rows that recomputes steps 1-4 per replicate;
5. the suspects are the rows in the off-diagonal of (uncalibrated) ``C`` (cleanlab's
   ``filter_by="confident_learning"``), ranked by self-confidence (``p`` of the given label,
   lowest first), each with the class it was confidently counted as as the suggestion.

Binary scores ``s`` are the two-column problem ``[1 - s, s]``; multi-label predictions are
one binary problem per label (the suspects are row x label cells, with a ``label`` column,
and the estimate counts such cells). Sample weights are ignored.

>>> p = Predictions("binary", np.array([0, 0, 0, 1, 1, 1], np.int8), classes=("0", "1"),
...                 y_score=np.array([0.1, 0.2, 0.95, 0.9, 0.8, 0.7]), ids=np.arange(6))
>>> s = find_suspects(p, reps=20)
>>> s.frame[["id", "given_label", "suggested_label"]].values.tolist(), s.estimated_issues
([[2, '0', '1']], 1.0)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions
from ..values import Rendered, json_number
from ._errors import ids_of

if TYPE_CHECKING:
    import pandas as pd

METHOD = "confident learning (Northcutt et al. 2021): off-diagonal of the calibrated confident joint; " \
         "suspects by confident-joint off-diagonal, ranked by self-confidence"
INTERVAL = 0.95


@dataclass(frozen=True)
class LabelSuspects(Rendered):
    """Rows whose given label confident learning doubts, and the estimated number of label issues.

    ``frame``: the ranked suspects (``id``, for multi-label ``label``, ``given_label``,
    ``suggested_label``, ``self_confidence``, ``suggested_probability``), at most ``top``;
    ``flagged``: how many rows (multi-label: cells) were suspects before ``top`` cut the list;
    ``estimated_issues`` with its bootstrap ``interval`` (95%) ``ci_low``..``ci_high`` (NaN,
    ``None`` in JSON, when ``reps`` is 0); ``thresholds`` per entry of ``classes`` (multi-label: ``<label>=0``,
    ``<label>=1`` per label; NaN where no row is labelled with the class).

    >>> s = LabelSuspects(frame=None, task="binary", n=10, flagged=0, estimated_issues=0.0, ci_low=0.0,
    ...                   ci_high=1.0, classes=("0", "1"), thresholds=(0.8, 0.7), reps=20, seed=0)
    >>> s.to_dict()["thresholds"]
    {'0': 0.8, '1': 0.7}
    """

    frame: pd.DataFrame
    task: str
    n: int
    flagged: int
    estimated_issues: float
    ci_low: float
    ci_high: float
    classes: tuple[str, ...]
    thresholds: tuple[float, ...]
    reps: int
    seed: int
    method: str = METHOD
    interval: float = INTERVAL
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        rows: list[dict] = []
        if self.frame is not None:
            columns = {c: self.frame[c].tolist() for c in self.frame.columns}
            rows = [{c: (json_number(v[i]) if isinstance(v[i], float) else v[i]) for c, v in columns.items()}
                    for i in range(len(self.frame))]
        return {"task": self.task, "n": self.n, "flagged": self.flagged,
                "estimated_issues": json_number(self.estimated_issues), "ci_low": json_number(self.ci_low),
                "ci_high": json_number(self.ci_high), "interval": self.interval,
                "thresholds": {c: json_number(t) for c, t in zip(self.classes, self.thresholds)},
                "method": self.method, "reps": self.reps, "seed": self.seed, "warnings": list(self.warnings),
                "rows": rows}


def thresholds(y: np.ndarray, probs: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Per-class thresholds: the (weighted) mean of ``p_j`` over the rows labelled ``j``; NaN for
    a class no row is labelled with.

    >>> thresholds(np.array([0, 0, 1]), np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])).tolist()
    [0.7, 0.8]
    """
    k = probs.shape[1]
    w = np.ones(len(y)) if weight is None else weight
    counts = np.bincount(y, weights=w, minlength=k)
    sums = np.bincount(y, weights=w * probs[np.arange(len(y)), y], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def confident_classes(probs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The class each row is confidently counted as (argmax of ``p`` among the classes with
    ``p_j >= t_j``), or -1 for a row above no threshold.

    >>> confident_classes(np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]]), np.array([0.7, 0.8])).tolist()
    [0, -1, -1]
    """
    above = probs >= np.where(np.isnan(t), np.inf, t)
    return np.where(above.any(axis=1), np.where(above, probs, -np.inf).argmax(axis=1), -1)


def confident_joint(y: np.ndarray, probs: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """The confident joint ``C[i][j]``: the (weighted) count of rows labelled ``i`` counted as ``j``.

    >>> confident_joint(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.2, .8], [.3, .7], [.1, .9]])).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    k = probs.shape[1]
    j = confident_classes(probs, thresholds(y, probs, weight))
    w = np.ones(len(y)) if weight is None else weight
    has = j >= 0
    return np.bincount(y[has] * k + j[has], weights=w[has], minlength=k * k).reshape(k, k)


def calibrate(joint: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """The confident joint with each row summing to its label count, then the whole to their sum
    (an empty row is taken as all correctly labelled).

    >>> calibrate(np.array([[3.0, 1.0], [0.0, 0.0]]), np.array([8.0, 2.0])).tolist()
    [[6.0, 2.0], [0.0, 2.0]]
    """
    joint = joint.astype(np.float64).copy()
    empty = np.flatnonzero(joint.sum(axis=1) == 0)
    joint[empty, empty] = 1.0
    rows = joint / joint.sum(axis=1, keepdims=True) * label_counts[:, None]
    return rows / rows.sum() * label_counts.sum()


def estimate_issues(y: np.ndarray, probs: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The estimated number of label issues: the off-diagonal sum of the calibrated confident joint.

    >>> estimate_issues(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.2, .8], [.3, .7], [.1, .9]]))
    1.0
    """
    w = np.ones(len(y)) if weight is None else weight
    cal = calibrate(confident_joint(y, probs, w), np.bincount(y, weights=w, minlength=probs.shape[1]))
    return float(cal.sum() - np.trace(cal))


def _problems(pred: Predictions) -> list[tuple[str | None, np.ndarray, np.ndarray, tuple[str, ...]]]:
    """(label or None, given labels, probability matrix, class names) of each problem to check."""
    if not pred.kind.classification:
        raise UsageError(f"{pred.source}: label-noise suspects need a classification task, not {pred.task}; "
                         "they look for rows whose class label disagrees with confident predicted probabilities")
    if pred.y_score is None:
        raise UsageError(f"{pred.source}: suspects need predicted probabilities (y_score columns: y_score for "
                         "binary, y_prob_<class> for multiclass, y_score_<label> for multi-label), not only y_pred")
    score = np.asarray(pred.y_score, dtype=np.float64)
    if pred.kind.multi_output:
        labels = pred.classes or tuple(str(j) for j in range(score.shape[1]))
        return [(label, pred.y_true[:, j].astype(np.int64), np.column_stack([1.0 - score[:, j], score[:, j]]),
                 ("0", "1")) for j, label in enumerate(labels)]
    if score.ndim == 1:
        return [(None, pred.y_true.astype(np.int64), np.column_stack([1.0 - score, score]),
                 pred.classes or ("0", "1"))]
    return [(None, pred.y_true.astype(np.int64), score, pred.classes or tuple(str(j) for j in range(score.shape[1])))]


def find_suspects(pred: Predictions, *, out_of_fold: bool = False, top: int | None = None, reps: int = 200,
                  seed: int = 0) -> LabelSuspects:
    """Rows whose given label confident learning doubts, ranked by self-confidence (lowest first), and
    the estimated number of label issues with a seeded bootstrap 95% interval over ``reps`` replicates.

    The probabilities must be out-of-sample (cv or test, or out-of-fold train predictions with
    ``out_of_fold=True``): a model's own training predictions have fit the labels it should doubt.

    >>> p = Predictions("multiclass", np.array([0, 0, 1, 1, 2, 2]), classes=("a", "b", "c"),
    ...                 y_score=np.array([[.8, .1, .1], [.7, .2, .1], [.1, .8, .1], [.1, .1, .8],
    ...                                   [.1, .1, .8], [.1, .7, .2]]), ids=np.arange(1, 7))
    >>> s = find_suspects(p, reps=50)
    >>> s.frame[["id", "given_label", "suggested_label", "self_confidence"]].values.tolist()
    [[4, 'b', 'c', 0.1], [6, 'c', 'b', 0.2]]
    >>> s.estimated_issues, s.thresholds
    (2.0, (0.75, 0.45, 0.5))
    """
    import pandas as pd

    if pred.split == "train" and not out_of_fold:
        raise UsageError(f"{pred.source}: train predictions are in-sample: the model has fit their labels, so it "
                         "cannot doubt them; give cv or test predictions, or, if these train predictions are "
                         "out-of-fold (cross_val_predict), say so with out_of_fold (--out-of-fold)")
    if top is not None and top < 1:
        raise UsageError(f"top must be at least 1, not {top}")
    if reps < 0:
        raise UsageError(f"the number of bootstrap replicates must be 0 or more, not {reps}")
    problems = _problems(pred)
    ids, warnings = ids_of(pred)
    warnings = list(warnings)
    if pred.split == "train":
        warnings.append(f"{pred.source}: train predictions taken as out-of-fold, on your word (out_of_fold)")
    if pred.weight is not None:
        warnings.append("sample weights are ignored: each row counts once")
    parts, names, cuts, estimate = [], [], [], 0.0
    for label, y, probs, classes in problems:
        t = thresholds(y, probs)
        prefix = "" if label is None else f"{label}="
        names += [prefix + c for c in classes]
        cuts += [float(v) for v in t]
        for c in np.asarray(classes, dtype=object)[np.isnan(t)]:
            warnings.append(f"no row is labelled {prefix}{c}: no row is suggested to be it")
        estimate += estimate_issues(y, probs)
        j = confident_classes(probs, t)
        rows = np.flatnonzero((j >= 0) & (j != y))
        text = (pred.kind.names(pred, np.arange(len(classes))) if label is None and pred.classes
                else np.asarray(classes, dtype=object))
        parts.append(pd.DataFrame({"id": ids[rows], "label": label, "given_label": text[y[rows]],
                                   "suggested_label": text[j[rows]], "self_confidence": probs[rows, y[rows]],
                                   "suggested_probability": probs[rows, j[rows]]}))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.iloc[np.argsort(frame["self_confidence"].to_numpy(), kind="stable")].reset_index(drop=True)
    if not pred.kind.multi_output:
        frame = frame.drop(columns="label")
    flagged = len(frame)
    if top is not None:
        frame = frame.head(top)
    low = high = float("nan")
    if reps:
        rng = np.random.default_rng(seed)
        counts = np.empty(reps)
        for r in range(reps):
            w = np.bincount(rng.integers(0, pred.n, size=pred.n), minlength=pred.n).astype(np.float64)
            counts[r] = sum(estimate_issues(y, probs, w) for _, y, probs, _ in problems)
        low, high = (float(v) for v in np.percentile(counts, [50 * (1 - INTERVAL), 50 * (1 + INTERVAL)]))
    return LabelSuspects(frame=frame, task=pred.task, n=pred.n, flagged=flagged, estimated_issues=float(estimate),
                         ci_low=low, ci_high=high, classes=tuple(names), thresholds=tuple(cuts), reps=reps,
                         seed=seed, warnings=tuple(warnings))
