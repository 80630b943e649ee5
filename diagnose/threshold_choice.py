"""Choosing a decision threshold on cv and reporting it: on cv, on test, at the default 0.5.

The threshold is chosen on cv only, by a rule, and test is only reported at it (never
chosen on). Around the choice: the precision/recall/F1 curve by threshold, downsampled for
plots and always holding the chosen point; a bootstrap interval of the chosen threshold and
its cv F1 (resamples of cv rows, fixed seed); and :class:`ThresholdResult`, which renders as
text, Markdown and JSON. Multi-label data gets one threshold per label with micro averages
at those thresholds; multiclass gets none (argmax is used).

The exact sweep, the rules, the tie rule and the zero-division rule live in
:mod:`diagnose.thresholds`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from .exceptions import UsageError
from .thresholds import PRF, Rule, Sweep, _f, _sweep_sorted, metrics_at, pick_index, sweep

DEFAULT_THRESHOLD = 0.5
MAX_CURVE_POINTS = 1000
BOOTSTRAP_REPS = 200
# bootstrap="auto": each replicate costs a pass over cv, so large cv sets get fewer
# replicates (budget / rows, at most BOOTSTRAP_REPS) and none below MIN_BOOTSTRAP_REPS,
# which keeps the report within about half a second; an explicit number is always honoured
BOOTSTRAP_BUDGET = 10_000_000
MIN_BOOTSTRAP_REPS = 20


def _downsample(m: int, keep: Optional[int], max_points: int) -> np.ndarray:
    """At most ``max_points`` indices of 0..m-1, evenly spread, always holding ``keep``."""
    if m <= max_points:
        return np.arange(m)
    idx = np.unique(np.linspace(0, m - 1, max(max_points - 1, 2)).round().astype(np.int64))
    if keep is not None:
        idx = np.union1d(idx, [keep])
    return idx


@dataclass(frozen=True, eq=False)
class ThresholdCurve:
    """Precision, recall and F1 by threshold (ascending), downsampled for plots; always
    holds the chosen threshold."""

    threshold: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"threshold": self.threshold, "precision": self.precision,
                             "recall": self.recall, "f1": self.f1})

    def to_dict(self) -> list:
        cols = [a.tolist() for a in (self.threshold, self.precision, self.recall, self.f1)]
        return [{"threshold": t, "precision": p, "recall": r, "f1": f} for t, p, r, f in zip(*cols)]


@dataclass(frozen=True)
class BootstrapInterval:
    """95% percentile intervals, over bootstrap resamples of cv, of the chosen threshold and
    of its cv F1; ``failed`` resamples had no positive row (so, as on cv itself, no
    threshold can be chosen) or no threshold that met the rule."""

    reps: int
    seed: int
    value_low: float
    value_high: float
    f1_low: float
    f1_high: float
    failed: int = 0
    note: Optional[str] = None

    def to_dict(self) -> dict:
        return {"reps": self.reps, "seed": self.seed, "value_low": _f(self.value_low),
                "value_high": _f(self.value_high), "f1_low": _f(self.f1_low),
                "f1_high": _f(self.f1_high), "failed": self.failed, "note": self.note}


def bootstrap_threshold(y_true, y_score, *, rule: "str | Rule" = "f1", sample_weight=None,
                        reps: "int | str" = "auto", seed: int = 0) -> Optional[BootstrapInterval]:
    """Resample the rows with replacement ``reps`` times (fixed seed) and redo the choice.

    Sorts once; each resample is a vector of row counts (multinomial), so it only needs
    cumulative sums. ``reps="auto"``: 200, fewer on large inputs, none (with a note) on very
    large ones (see ``BOOTSTRAP_BUDGET``); ``0``: no bootstrap (``None``).

    >>> from diagnose.thresholds import best_threshold
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); s = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> b = bootstrap_threshold(y, s, reps=50)
    >>> b.reps, b.value_low <= best_threshold(y, s) <= b.value_high
    (50, True)
    """
    rule = Rule.parse(rule)
    y_score = np.asarray(y_score, dtype=np.float64)
    n = y_score.shape[0]
    if reps == "auto":
        reps = min(BOOTSTRAP_REPS, BOOTSTRAP_BUDGET // max(n, 1))
        if reps < MIN_BOOTSTRAP_REPS:
            nan = math.nan
            return BootstrapInterval(0, seed, nan, nan, nan, nan, note=(
                f"bootstrap skipped: cv has {n:,} rows, too many for a quick interval (with so many rows "
                "the choice is usually stable); ask for it with --bootstrap N"))
    if reps <= 0 or n == 0:
        return None
    reps = int(reps)
    order = np.argsort(y_score, kind="stable")
    s = y_score[order]
    pos = (np.asarray(y_true)[order] == 1)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[order]
    rng = np.random.default_rng(seed)
    values, f1s = [], []
    for _ in range(reps):  # a loop over replicates, not rows: each one is vectorised
        # rows are exchangeable, so multinomial counts can be laid on the sorted order
        counts = np.bincount(rng.integers(0, n, n), minlength=n)
        keep = counts > 0
        ww = (counts * w)[keep]
        sw = _sweep_sorted(s[keep], ww * pos[keep], ww)
        # a resample without positives has no threshold to choose (as threshold_search
        # says for cv); picking one would drag the interval to the top score at F1 0
        i = pick_index(sw, rule) if sw.positives > 0 else None
        if i is not None:
            values.append(sw.thresholds[i])
            f1s.append(sw.fbeta(i))
    if not values:
        return BootstrapInterval(reps, seed, math.nan, math.nan, math.nan, math.nan, reps)
    (vlo, vhi), (flo, fhi) = np.percentile(values, [2.5, 97.5]), np.percentile(f1s, [2.5, 97.5])
    return BootstrapInterval(reps, seed, float(vlo), float(vhi), float(flo), float(fhi), reps - len(values))


@dataclass(frozen=True, eq=False)
class ThresholdResult:
    """A threshold chosen on cv by ``rule`` and the metrics it gives on cv and test, beside
    the metrics at the default 0.5. Multi-label: one result per label in ``labels``, and
    ``cv``/``test`` hold micro averages at those thresholds. ``message`` says why no
    threshold was chosen (a constraint nobody meets, no positives, multiclass argmax)."""

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

    def to_dict(self) -> dict:
        d = lambda v: None if v is None else v.to_dict()  # noqa: E731
        out = {"rule": self.rule, "value": _f(self.value), "cv": d(self.cv), "test": d(self.test),
               "default": {"threshold": DEFAULT_THRESHOLD, "cv": d(self.default_cv), "test": d(self.default_test)},
               "bootstrap": d(self.bootstrap), "curve": d(self.curve), "message": self.message}
        if self.labels:
            out["labels"] = {name: r.to_dict() for name, r in self.labels.items()}
        return out

    def _rows(self, name: str = "") -> list:
        rows = []
        for split, at, m in (("cv", self.value, self.cv), ("test", self.value, self.test),
                             ("cv", DEFAULT_THRESHOLD, self.default_cv), ("test", DEFAULT_THRESHOLD, self.default_test)):
            if m is not None:
                where = "per label" if self.labels and at is self.value else at
                rows.append([*([name] if name else []), split, where, m.precision, m.recall, m.f1])
        return rows

    def _interval(self) -> str:
        """``; bootstrap 95% interval [...] ...`` for the text, or "" without a bootstrap."""
        from .render import fmt

        b = self.bootstrap
        if b is None or b.reps <= b.failed:
            return ""
        failed = f", {b.failed} with no threshold to choose" if b.failed else ""
        return (f"; bootstrap 95% interval [{fmt(b.value_low)}, {fmt(b.value_high)}], cv F1 "
                f"[{fmt(b.f1_low)}, {fmt(b.f1_high)}] ({b.reps} resamples of cv{failed}, seed {b.seed})")

    def _lines(self, markdown: bool) -> list[str]:
        from .render import fmt, table

        head = (f"Threshold (rule {self.rule}, chosen on cv; positive when score >= threshold)"
                if self.rule != "argmax" else "Threshold")
        lines = [f"### {head}" if markdown else head, ""]
        if self.value is not None:
            lines += [f"Chosen threshold: {fmt(self.value)}{self._interval()}", ""]
            if self.bootstrap is not None and self.bootstrap.note:
                lines += [self.bootstrap.note, ""]
        if self.message:
            lines += [self.message, ""]
        headers = ["split", "threshold", "precision", "recall", "f1"]
        rows = self._rows()
        if self.labels:
            rows = [["micro", *r] for r in rows]
            for name, r in self.labels.items():
                rows += r._rows(name)
                # each label's own choice, with how stable it is
                if r.value is not None:
                    lines += [f"{name}: threshold {fmt(r.value)}{r._interval()}", ""]
                if r.message:
                    lines += [f"{name}: {r.message}", ""]
            headers = ["label", *headers]
        if rows:
            lines.append(table(headers, rows, markdown=markdown))
        return lines

    def to_text(self) -> str:
        return "\n".join(self._lines(False)).rstrip() + "\n"

    def to_markdown(self) -> str:
        return "\n".join(self._lines(True)).rstrip() + "\n"


def _infeasible(sw: Sweep, rule: Rule) -> str:
    have = sw.precision() if rule.kind == "precision" else sw.recall()
    i = int(np.argmax(have))
    return (f"no threshold reaches {rule.kind} >= {rule.value:g} on cv (the best {rule.kind} is "
            f"{have[i]:.4g}, at threshold {sw.thresholds[i]:.6g})")


def threshold_search(y_cv, score_cv, *, y_test=None, score_test=None, weight_cv=None,
                     weight_test=None, rule: "str | Rule" = "f1", bootstrap: "int | str" = "auto",
                     seed: int = 0, max_points: int = MAX_CURVE_POINTS) -> ThresholdResult:
    """Choose a threshold on cv by ``rule``; report it on test (never chosen there).

    >>> y = np.array([0, 0, 1, 1, 0, 1]); s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.45])
    >>> r = threshold_search(y, s, y_test=y, score_test=s, bootstrap=0)
    >>> r.value, round(r.cv.f1, 3), round(r.default_cv.f1, 3)
    (0.35, 0.857, 0.5)
    """
    rule = Rule.parse(rule)
    sw = sweep(y_cv, score_cv, sample_weight=weight_cv)
    have_test = y_test is not None and score_test is not None
    base = dict(rule=rule.text, default_cv=metrics_at(y_cv, score_cv, DEFAULT_THRESHOLD, sample_weight=weight_cv),
                default_test=metrics_at(y_test, score_test, DEFAULT_THRESHOLD, sample_weight=weight_test)
                if have_test else None)
    i = pick_index(sw, rule) if sw.positives > 0 else None
    idx = _downsample(sw.thresholds.shape[0], i, max_points)
    curve = ThresholdCurve(sw.thresholds[idx], sw.precision(idx), sw.recall(idx), sw.fbeta(idx))
    if sw.positives <= 0:
        return ThresholdResult(**base, curve=curve, message="cv has no positive rows: no threshold can be chosen")
    if i is None:
        return ThresholdResult(**base, curve=curve, message=_infeasible(sw, rule))
    value = float(sw.thresholds[i])
    return ThresholdResult(
        **base, value=value, curve=curve,
        cv=PRF.from_counts(sw.tp[i], sw.pp[i], sw.positives, sw.total),
        test=metrics_at(y_test, score_test, value, sample_weight=weight_test) if have_test else None,
        bootstrap=bootstrap_threshold(y_cv, score_cv, rule=rule, sample_weight=weight_cv, reps=bootstrap, seed=seed),
    )


def _micro(results, attr: str) -> Optional[PRF]:
    parts = [getattr(r, attr) for r in results]
    if not parts or any(p is None for p in parts):
        return None
    return PRF.from_counts(sum(p.tp for p in parts), sum(p.pp for p in parts),
                           sum(p.positives for p in parts), sum(p.total for p in parts))


def choose_threshold(cv, test=None, *, rule: "str | Rule" = "f1", bootstrap: "int | str" = "auto",
                     seed: int = 0, max_points: int = MAX_CURVE_POINTS) -> ThresholdResult:
    """The threshold section for validated cv (and test) :class:`~diagnose.ingest.Predictions`.

    Binary: one threshold. Multi-label: one per label. Multiclass: none (argmax is used).

    >>> from diagnose.ingest import Predictions
    >>> cv = Predictions("binary", np.array([0, 0, 1, 1], np.int8), y_score=np.array([0.1, 0.4, 0.35, 0.8]))
    >>> choose_threshold(cv, bootstrap=0).value
    0.35
    """
    rule = Rule.parse(rule)
    if cv.task == "multiclass":
        return ThresholdResult(rule="argmax", message="multiclass: the predicted class is the argmax of the "
                               "probabilities; no threshold is chosen")
    if cv.task not in ("binary", "multilabel"):
        raise UsageError(f"thresholds apply to binary and multi-label classification, not {cv.task}")
    if cv.y_score is None:
        return ThresholdResult(rule=rule.text, message="only hard predictions (y_pred): choosing a "
                               "threshold needs scores (y_score)")
    use_test = test is not None and test.y_score is not None
    # a test split of hard predictions cannot be cut at the cv threshold: say so, not nothing
    note = None if test is None or use_test else (
        "test has only hard predictions (y_pred), so the threshold chosen on cv cannot be applied to it "
        "and no test metrics are given at it; give test scores (y_score)")
    result = _choose(cv, test if use_test else None, rule=rule, bootstrap=bootstrap, seed=seed,
                     max_points=max_points)
    if note is None:
        return result
    return replace(result, message=f"{result.message}; {note}" if result.message else note)


def _choose(cv, test, *, rule: Rule, bootstrap, seed: int, max_points: int) -> ThresholdResult:
    """:func:`choose_threshold` for a cv split with scores and a test split with scores or none."""
    use_test = test is not None
    kw = dict(rule=rule, bootstrap=bootstrap, seed=seed, max_points=max_points, weight_cv=cv.weight,
              weight_test=test.weight if use_test else None)
    if cv.task == "binary":
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
    return ThresholdResult(
        rule=rule.text, labels=labels,
        cv=_micro(chosen, "cv") if all_chosen else None,
        test=_micro(chosen, "test") if all_chosen else None,
        default_cv=_micro(labels.values(), "default_cv"), default_test=_micro(labels.values(), "default_test"),
        message=None if all_chosen else "no threshold for some labels (see below): micro averages at the "
        "chosen thresholds are not given")
