"""Decision curves (Vickers & Elkin 2006): the net benefit of acting on the model's scores
at each threshold probability, beside acting on everyone and on no one.

At a threshold probability p_t a row is called positive when its score is >= p_t (as for
every threshold here), and with (weighted) counts over n rows (the total weight)

    NB(p_t) = TP / n - FP / n * p_t / (1 - p_t)

"treat all" calls every row positive, NB = prevalence - (1 - prevalence) p_t / (1 - p_t),
and "treat none" calls none, NB = 0. The scores are read as probabilities (they are
validated to lie in [0, 1]). The counts come from the exact sweep: one sort, then one
``searchsorted`` of all thresholds into the distinct scores. Binary classification; for
multi-label data one curve per label (each label's own prevalence); other tasks are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..exceptions import UsageError
from ..values import Rendered, json_number
from ._sweep import sweep

# 0.01, 0.02, ..., 0.99: k / 100 is the same float as the literal 0.0k
DEFAULT_DECISION_THRESHOLDS = np.arange(1, 100) / 100.0


@dataclass(frozen=True, eq=False)
class DecisionCurve(Rendered):
    """Net benefit by threshold probability: ``model`` (acting on the scores), ``treat_all``
    (everyone positive) and treat none (0), with the ``prevalence`` (weighted share of
    positives). Multi-label: ``labels`` holds one curve per label and the top-level
    ``model``, ``treat_all`` and ``prevalence`` are ``None``.

    >>> from diagnose.ingest import Predictions
    >>> pred = Predictions("binary", np.array([0, 0, 1, 1], np.int8), y_score=np.array([0.1, 0.4, 0.35, 0.8]))
    >>> dc = decision_curve(pred, thresholds=[0.2, 0.5])
    >>> dc.model.round(4).tolist(), dc.treat_all.round(4).tolist()
    ([0.4375, 0.25], [0.375, 0.0])
    >>> dc.to_dict()["curve"][1]
    {'threshold': 0.5, 'model': 0.25, 'treat_all': 0.0, 'treat_none': 0.0}
    """

    threshold: np.ndarray
    model: Optional[np.ndarray] = None
    treat_all: Optional[np.ndarray] = None
    prevalence: Optional[float] = None
    labels: dict = field(default_factory=dict)

    def to_frame(self):
        """A table with columns threshold, model, treat_all, treat_none (multi-label: and
        label, one block of rows per label)."""
        import pandas as pd

        if self.labels:
            return pd.concat([c.to_frame().assign(label=name) for name, c in self.labels.items()],
                             ignore_index=True)[["label", "threshold", "model", "treat_all", "treat_none"]]
        return pd.DataFrame({"threshold": self.threshold, "model": self.model, "treat_all": self.treat_all,
                             "treat_none": np.zeros_like(self.threshold)})

    def to_dict(self) -> dict:
        curve = None
        if self.model is not None and self.treat_all is not None:
            cols = zip(self.threshold.tolist(), self.model.tolist(), self.treat_all.tolist())
            curve = [{"threshold": t, "model": json_number(m), "treat_all": json_number(a), "treat_none": 0.0}
                     for t, m, a in cols]
        out: dict = {"prevalence": json_number(self.prevalence), "curve": curve}
        if self.labels:
            out["labels"] = {name: c.to_dict() for name, c in self.labels.items()}
        return out


def _thresholds(thresholds) -> np.ndarray:
    if thresholds is None:
        return DEFAULT_DECISION_THRESHOLDS.copy()
    try:
        p = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"decision curve thresholds must be numbers, not {thresholds!r}") from None
    if p.ndim != 1 or p.shape[0] == 0:
        raise UsageError("decision curve thresholds must be a non-empty list of probabilities")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p < 1).all()):
        raise UsageError("decision curve thresholds must be probabilities in [0, 1) (the net benefit "
                         "weighs false positives by p_t / (1 - p_t), infinite at 1)")
    return p


def _binary(y_true, y_score, weight, p: np.ndarray) -> DecisionCurve:
    sw = sweep(y_true, y_score, sample_weight=weight)
    # the first distinct score >= p_t; past the top score nothing is positive (the 0 appended)
    i = np.searchsorted(sw.thresholds, p, side="left")
    return curve_from_counts(p, np.append(sw.tp, 0.0)[i], np.append(sw.pp, 0.0)[i], sw.positives, sw.total)


def curve_from_counts(p, tp, pp, positives: float, n: float) -> DecisionCurve:
    """The binary decision curve from the (weighted) true and predicted positives at each
    threshold probability ``p``, with the positives and rows of the split: what every engine
    finishes with.

    >>> dc = curve_from_counts(np.array([0.5]), np.array([2]), np.array([3]), 2.0, 4.0)
    >>> dc.model.tolist(), dc.treat_all.tolist(), dc.prevalence  # 2/4 - 1/4; 1/2 - 1/2
    ([0.25], [0.0], 0.5)
    """
    if n <= 0:
        raise UsageError("a decision curve needs rows with a positive total weight")
    p = np.asarray(p, dtype=np.float64)
    tp = np.asarray(tp, dtype=np.float64)
    fp = np.asarray(pp, dtype=np.float64) - tp
    odds = p / (1.0 - p)
    prevalence = positives / n
    return DecisionCurve(p, tp / n - fp / n * odds, prevalence - (1.0 - prevalence) * odds, prevalence)


def decision_curve(pred, *, thresholds=None) -> DecisionCurve:
    """The decision curve of validated :class:`~diagnose.ingest.Predictions` with scores:
    net benefit of the model, of treating all and of treating none at each threshold
    probability (default 0.01, 0.02, ..., 0.99; or ``thresholds``, each in [0, 1), in the
    order given). Sample weights are honoured. Binary; multi-label gives one curve per
    label; multiclass and regression are refused (:class:`~diagnose.exceptions.UsageError`).

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0], np.int8)
    >>> s = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    >>> dc = decision_curve(Predictions("binary", y, y_score=s))
    >>> len(dc.threshold), round(float(dc.model[49]), 4), round(float(dc.treat_all[49]), 4)  # p_t = 0.5
    (99, 0.1, -0.4)
    """
    if not pred.kind.thresholds:
        raise UsageError(f"decision curves apply to binary classification (and multi-label, one curve per "
                         f"label), not {pred.task}")
    if pred.y_score is None:
        raise UsageError("only hard predictions (y_pred): a decision curve needs scores (y_score)")
    p = _thresholds(thresholds)
    if not pred.kind.multi_output:
        return _binary(pred.y_true, pred.y_score, pred.weight, p)
    names = pred.classes or tuple(str(j) for j in range(pred.y_true.shape[1]))
    # a loop over labels; each curve is vectorised
    labels = {name: _binary(pred.y_true[:, j], pred.y_score[:, j], pred.weight, p) for j, name in enumerate(names)}
    return DecisionCurve(p, labels=labels)
