"""Choosing a decision threshold on cv and reporting it: on cv, on test, at the default 0.5.

The threshold is chosen on cv only, by a rule, and test is only reported at it (never
chosen on). Around the choice: the precision/recall/F1 curve by threshold, downsampled for
plots and always holding the chosen point; a bootstrap of cv giving the interval of the
chosen threshold, its in-sample cv F1 and (out of bag) the F1, precision and recall the rule
achieves on unseen data; Wilson intervals of the test figures at the chosen threshold
(``test_interval``); and :class:`ThresholdResult`. Multi-label data gets one threshold per
label with micro averages at those thresholds; multiclass gets none (argmax is used). The cost
rule adds the expected cost per row (:class:`ThresholdCost`, a ``cost`` column of the
curve, a cost interval of the bootstrap); the other rules' results and JSON are unchanged.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from ..exceptions import UsageError
from ..options import DEFAULT_CURVE_POINTS, DEFAULT_SEED, DEFAULT_THRESHOLD_RULE, Bootstrap
from ..values import Rendered, json_number
from ._bootstrap import BootstrapInterval, bootstrap_threshold
from ._costs import ThresholdCost
from ._decision import DecisionCurve, decision_curve
from ._heldout import HeldOutInterval, heldout_interval
from ._rules import TIE_TOL, ThresholdRule
from ._sweep import PRF, Sweep, metrics_at, pick_index, sweep

DEFAULT_THRESHOLD = 0.5
TEST_HARD_NOTE = ("test has only hard predictions (y_pred), so the threshold chosen on cv cannot be applied to it "
                  "and no test metrics are given at it; give test scores (y_score)")
MAX_CURVE_POINTS = DEFAULT_CURVE_POINTS


def curve_points(m: int, keep: Optional[int], max_points: int) -> np.ndarray:
    """At most ``max_points`` indices of 0..m-1, evenly spread, always holding ``keep``: the
    points of a plotted curve (the first and the last included).

    >>> curve_points(10, 5, 4).tolist(), curve_points(3, None, 4).tolist()
    ([0, 4, 5, 9], [0, 1, 2])
    """
    if m <= max_points:
        return np.arange(m)
    idx = np.unique(np.linspace(0, m - 1, max(max_points - 1, 2)).round().astype(np.int64))
    if keep is not None:
        idx = np.union1d(idx, [keep])
    return idx


@dataclass(frozen=True, eq=False)
class ThresholdCurve:
    """Precision, recall and F1 by threshold (ascending), downsampled for plots; always
    holds the chosen threshold. The cost rule only: ``cost``, the expected cost per row."""

    threshold: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    cost: Optional[np.ndarray] = None

    def to_frame(self):
        import pandas as pd

        cols = {"threshold": self.threshold, "precision": self.precision, "recall": self.recall, "f1": self.f1}
        return pd.DataFrame(cols if self.cost is None else {**cols, "cost": self.cost})

    def to_dict(self) -> list:
        cols = [a.tolist() for a in (self.threshold, self.precision, self.recall, self.f1)]
        points = [{"threshold": t, "precision": p, "recall": r, "f1": f} for t, p, r, f in zip(*cols)]
        if self.cost is not None:
            for point, c in zip(points, self.cost.tolist()):
                point["cost"] = json_number(c)
        return points


@dataclass(frozen=True, eq=False)
class ThresholdResult(Rendered):
    """A threshold chosen on cv by ``rule`` and the metrics it gives on cv and test, beside
    the metrics at the default 0.5. Multi-label: one result per label in ``labels``, and
    ``cv``/``test`` hold micro averages at those thresholds. ``message`` says why no
    threshold was chosen (a constraint nobody meets, no positives, multiclass argmax).
    ``cost``: the expected cost per row, for the cost rule only (``None`` and no JSON key
    otherwise). ``decision_curve``: net benefit by threshold probability on cv and test (set by
    :func:`choose_threshold` when the splits have scores; no JSON key otherwise).
    ``test_interval``: 95% intervals of the test precision, recall and F1 at the chosen
    threshold (when test has scores and a threshold was chosen; no JSON key otherwise;
    multi-label: per label only)."""

    rule: str
    value: Optional[float] = None
    cv: Optional[PRF] = None
    test: Optional[PRF] = None
    default_cv: Optional[PRF] = None
    default_test: Optional[PRF] = None
    bootstrap: Optional[BootstrapInterval] = None
    curve: Optional[ThresholdCurve] = None
    message: Optional[str] = None
    labels: dict = field(default_factory=dict)
    cost: Optional[ThresholdCost] = None
    decision_curve: Optional[Mapping[str, DecisionCurve]] = None
    test_interval: Optional[HeldOutInterval] = None

    def to_dict(self) -> dict:
        d = lambda v: None if v is None else v.to_dict()  # noqa: E731
        out = {"rule": self.rule, "value": json_number(self.value), "cv": d(self.cv), "test": d(self.test),
               **({} if self.test_interval is None else {"test_interval": self.test_interval.to_dict()}),
               "default": {"threshold": DEFAULT_THRESHOLD, "cv": d(self.default_cv), "test": d(self.default_test)},
               "bootstrap": d(self.bootstrap), "curve": d(self.curve), "message": self.message}
        if self.cost is not None:
            out["cost"] = self.cost.to_dict()
        if self.labels:
            out["labels"] = {name: r.to_dict() for name, r in self.labels.items()}
        if self.decision_curve is not None:
            out["decision_curve"] = {split: c.to_dict() for split, c in self.decision_curve.items()}
        return out


def infeasible_message(sw: Sweep, rule: ThresholdRule) -> str:
    """Why no threshold meets a constraint rule: the best precision (recall) on cv, and where.

    >>> from diagnose.thresholds import sweep
    >>> infeasible_message(sweep([0, 1, 0], [0.2, 0.5, 0.9]), ThresholdRule.parse("precision>=0.9"))
    'no threshold reaches precision >= 0.9 on cv (the best precision is 0.5, at threshold 0.5)'
    """
    have = sw.precision() if rule.kind == "precision" else sw.recall()
    i = int(np.argmax(have))
    return (f"no threshold reaches {rule.kind} >= {rule.value:g} on cv (the best {rule.kind} is "
            f"{have[i]:.4g}, at threshold {sw.thresholds[i]:.6g})")


def threshold_search(y_cv, score_cv, *, y_test=None, score_test=None, weight_cv=None, weight_test=None,
                     rule: str | ThresholdRule = DEFAULT_THRESHOLD_RULE, bootstrap: Bootstrap = "auto",
                     seed: int = DEFAULT_SEED, max_points: int = MAX_CURVE_POINTS, ids_cv=None) -> ThresholdResult:
    """Choose a threshold on cv by ``rule``; report it on test (never chosen there).
    ``ids_cv``: the cv rows' ids, which the bootstrap's weights follow (default: positions 1, 2, ...).

    >>> y = np.array([0, 0, 1, 1, 0, 1]); s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.45])
    >>> r = threshold_search(y, s, y_test=y, score_test=s, bootstrap=0)
    >>> r.value, round(r.cv.f1, 3), round(r.default_cv.f1, 3)
    (0.35, 0.857, 0.5)
    >>> c = threshold_search(y, s, rule="cost:fp=1,fn=5", bootstrap=0)  # per row: 1 FP of 6 rows
    >>> c.value, round(c.cost.cv, 4), c.cost.none_cv, c.cost.all_cv
    (0.35, 0.1667, 2.5, 0.5)
    """
    rule = ThresholdRule.parse(rule)
    sw = sweep(y_cv, score_cv, sample_weight=weight_cv)
    have_test = y_test is not None and score_test is not None
    default_cv = metrics_at(y_cv, score_cv, DEFAULT_THRESHOLD, sample_weight=weight_cv)
    default_test = (metrics_at(y_test, score_test, DEFAULT_THRESHOLD, sample_weight=weight_test)
                    if have_test else None)

    def curve(i: Optional[int]) -> ThresholdCurve:
        idx = curve_points(sw.thresholds.shape[0], i, max_points)
        return ThresholdCurve(sw.thresholds[idx], sw.precision(idx), sw.recall(idx), sw.fbeta(idx),
                              None if rule.costs is None else rule.costs.per_row(sw.tp[idx], sw.pp[idx],
                                                                                 sw.positives, sw.total))

    def at_test(value: float) -> tuple[PRF, Optional[HeldOutInterval]]:
        return (metrics_at(y_test, score_test, value, sample_weight=weight_test),
                heldout_interval(y_test, score_test, value, sample_weight=weight_test, costs=rule.costs))

    return threshold_result(rule, sw, default_cv=default_cv, default_test=default_test,
                            at_test=at_test if have_test else None, curve=curve,
                            bootstrap=lambda: bootstrap_threshold(y_cv, score_cv, rule=rule, sample_weight=weight_cv,
                                                                  reps=bootstrap, seed=seed, ids=ids_cv))


def threshold_result(rule: ThresholdRule, sw: Sweep, *, default_cv: PRF, default_test: Optional[PRF],
                     at_test: Optional[Callable[[float], tuple[PRF, Optional[HeldOutInterval]]]] = None,
                     curve: Optional[Callable[[Optional[int]], ThresholdCurve]] = None,
                     bootstrap: Optional[Callable[[], Optional[BootstrapInterval]]] = None,
                     infeasible: Optional[Callable[[], str]] = None) -> ThresholdResult:
    """The binary threshold section from a sweep of cv: the full one, or a candidate sweep
    holding every threshold that can win or tie (:func:`~diagnose.thresholds.candidate_sweep`),
    which picks the same threshold with the same counts. ``at_test``: the test metrics and
    their interval at the chosen value; ``curve``, ``bootstrap``: built on demand (left out
    when not given); ``infeasible``: the message when no threshold meets the rule (default:
    from ``sw``, which must then be the full sweep).

    >>> from diagnose.thresholds import sweep, metrics_at
    >>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
    >>> r = threshold_result(ThresholdRule.parse("f1"), sweep(y, s), default_cv=metrics_at(y, s, 0.5),
    ...                      default_test=None)
    >>> r.value, round(r.cv.f1, 3), r.bootstrap, r.curve
    (0.35, 0.8, None, None)
    """
    i = pick_index(sw, rule) if sw.positives > 0 else None
    shown = None if curve is None else curve(i)
    if sw.positives <= 0 or i is None:
        why = ("cv has no positive rows: no threshold can be chosen" if sw.positives <= 0
               else infeasible() if infeasible is not None else infeasible_message(sw, rule))
        return ThresholdResult(rule.text, default_cv=default_cv, default_test=default_test, curve=shown,
                               message=why, cost=_costs(rule, None, None, default_cv, default_test))
    value = float(sw.thresholds[i])
    cv = PRF.from_counts(sw.tp[i], sw.pp[i], sw.positives, sw.total)
    test, test_interval = at_test(value) if at_test is not None else (None, None)
    cost = _costs(rule, cv, test, default_cv, default_test)
    message: Optional[str] = None
    if cost is not None and cost.none_cv is not None and cost.cv is not None and (
            cost.none_cv < cost.cv - TIE_TOL * max(abs(cost.cv), 1.0)):
        # no threshold at a cv score calls nobody positive; say when that would be cheaper
        message = (f"calling no row positive costs less on cv ({cost.none_cv:.4g} per row) than the best "
                   f"threshold ({cost.cv:.4g} per row): at these costs no threshold makes the model worth using on cv")
    return ThresholdResult(
        rule.text, default_cv=default_cv, default_test=default_test, value=value, curve=shown, cv=cv, test=test,
        test_interval=test_interval, bootstrap=None if bootstrap is None else bootstrap(), message=message,
        cost=cost)


def _costs(rule: ThresholdRule, cv, test, default_cv, default_test) -> Optional[ThresholdCost]:
    """The expected costs of the cost rule; ``None`` for the other rules."""
    if rule.costs is None:
        return None
    return ThresholdCost.of(rule.costs, cv=cv, test=test, default_cv=default_cv, default_test=default_test)


def _micro(results, attr: str) -> Optional[PRF]:
    parts = [getattr(r, attr) for r in results]
    if not parts or any(p is None for p in parts):
        return None
    return PRF.from_counts(sum(p.tp for p in parts), sum(p.pp for p in parts),
                           sum(p.positives for p in parts), sum(p.total for p in parts))


def choose_threshold(cv, test=None, *, rule: str | ThresholdRule = DEFAULT_THRESHOLD_RULE,
                     bootstrap: Bootstrap = "auto", seed: int = DEFAULT_SEED,
                     max_points: int = MAX_CURVE_POINTS) -> ThresholdResult:
    """The threshold section for validated cv (and test) :class:`~diagnose.ingest.Predictions`.

    Binary: one threshold. Multi-label: one per label. Multiclass: none (argmax is used).

    >>> from diagnose.ingest import Predictions
    >>> cv = Predictions("binary", np.array([0, 0, 1, 1], np.int8), y_score=np.array([0.1, 0.4, 0.35, 0.8]))
    >>> choose_threshold(cv, bootstrap=0).value
    0.35
    """
    rule = ThresholdRule.parse(rule)
    if cv.kind.classification and not cv.kind.thresholds:
        return ThresholdResult(rule="argmax", message=f"{cv.task}: the predicted class is the argmax of the "
                               "probabilities; no threshold is chosen")
    if not cv.kind.thresholds:
        raise UsageError(f"thresholds apply to binary and multi-label classification, not {cv.task}")
    if cv.y_score is None:
        return ThresholdResult(rule=rule.text, message="only hard predictions (y_pred): choosing a "
                               "threshold needs scores (y_score)")
    use_test = test is not None and test.y_score is not None
    # a test split of hard predictions cannot be cut at the cv threshold: say so, not nothing
    note = None if test is None or use_test else TEST_HARD_NOTE
    result = _choose(cv, test if use_test else None, rule=rule, bootstrap=bootstrap, seed=seed,
                     max_points=max_points)
    curves = {"cv": cv, **({"test": test} if use_test else {})}
    result = replace(result, decision_curve={split: decision_curve(pred) for split, pred in curves.items()})
    if note is None:
        return result
    return replace(result, message=f"{result.message}; {note}" if result.message else note)


def _choose(cv, test, *, rule: ThresholdRule, bootstrap, seed: int, max_points: int) -> ThresholdResult:
    """:func:`choose_threshold` for a cv split with scores and a test split with scores or none."""
    use_test = test is not None
    kw = dict(rule=rule, bootstrap=bootstrap, seed=seed, max_points=max_points, weight_cv=cv.weight,
              weight_test=test.weight if use_test else None,
              # the bootstrap's rows: their ids, else their positions among the cv rows (1, 2, ...)
              ids_cv=cv.ids)
    if not cv.kind.multi_output:  # binary: one threshold
        return threshold_search(cv.y_true, cv.y_score, y_test=test.y_true if use_test else None,
                                score_test=test.y_score if use_test else None, **kw)
    names = cv.classes or tuple(str(j) for j in range(cv.y_true.shape[1]))
    labels = {}
    for j, name in enumerate(names):  # a loop over labels; each search is vectorised
        labels[name] = threshold_search(cv.y_true[:, j], cv.y_score[:, j],
                                        y_test=test.y_true[:, j] if use_test else None,
                                        score_test=test.y_score[:, j] if use_test else None, **kw)
    chosen = [r for r in labels.values() if r.value is not None]
    all_chosen = len(chosen) == len(labels)
    micro_cv = _micro(chosen, "cv") if all_chosen else None
    micro_test = _micro(chosen, "test") if all_chosen else None
    default_cv, default_test = _micro(labels.values(), "default_cv"), _micro(labels.values(), "default_test")
    return ThresholdResult(
        rule=rule.text, labels=labels, cv=micro_cv, test=micro_test, default_cv=default_cv, default_test=default_test,
        message=None if all_chosen else "no threshold for some labels (see below): micro averages at the "
        "chosen thresholds are not given",
        # the cost rule: per (row, label) decision, summed over the labels
        cost=_costs(rule, micro_cv, micro_test, default_cv, default_test))
