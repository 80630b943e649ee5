"""Decision thresholds chosen on cv: an exact precision/recall/F-beta sweep, rules, bootstrap.

A row is predicted positive when its score is >= t, as in scikit-learn's
``precision_recall_curve``. The sweep is exact over every distinct score: one sort of all
scores and one of the positives' scores, then ``searchsorted`` counts the positives at or
above each distinct score (no argsort, which is several times slower on large arrays).
With sample weights the counts become suffix sums of the weights in score order.

Rules: ``f1`` (default), ``fbeta:B``, ``precision>=P`` (the best recall among thresholds
whose precision is at least P) and ``recall>=R`` (the best precision with recall at least
R). Tie rule: among thresholds whose objective is equal (within 1e-12, relative), the
one with the higher F1 wins, then the higher threshold (fewer positive predictions).
Zero-division rule: precision is 0 when nothing is predicted positive, recall is 0 when
there are no positives, F-beta is 0 when both are 0 (scikit-learn's ``zero_division=0``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from .errors import UsageError

RULES_HELP = "f1 | fbeta:B | precision>=P | recall>=R"
TIE_TOL = 1e-12
DEFAULT_THRESHOLD = 0.5
MAX_CURVE_POINTS = 1000
BOOTSTRAP_REPS = 200
# bootstrap="auto": each replicate costs a pass over cv, so large cv sets get fewer
# replicates (budget / rows, at most BOOTSTRAP_REPS) and none below MIN_BOOTSTRAP_REPS,
# which keeps the report within about half a second; an explicit number is always honoured
BOOTSTRAP_BUDGET = 10_000_000
MIN_BOOTSTRAP_REPS = 20
_RULE = re.compile(r"^\s*(f1|fbeta\s*:\s*(?P<beta>[^\s]+)|(?P<kind>precision|recall)\s*>=\s*(?P<min>[^\s]+))\s*$")


@dataclass(frozen=True)
class Rule:
    """A parsed threshold rule: ``kind`` is fbeta, precision or recall.

    >>> Rule.parse("precision>=0.9")
    Rule(kind='precision', value=0.9, text='precision>=0.9')
    >>> Rule.parse("f1").value
    1.0
    """

    kind: str
    value: float
    text: str

    @classmethod
    def parse(cls, text: "str | Rule") -> "Rule":
        if isinstance(text, Rule):
            return text
        m = _RULE.match(str(text).lower())
        bad = UsageError(f"unknown threshold rule '{text}'; use {RULES_HELP} (e.g. fbeta:2, precision>=0.9)")
        if m is None:
            raise bad
        try:
            number = float(m.group("min") or m.group("beta") or 1.0)
        except ValueError:
            raise bad from None
        if m.group("kind"):
            if not 0.0 <= number <= 1.0:
                raise UsageError(f"threshold rule '{text}': the minimum must lie in [0, 1]")
            return cls(m.group("kind"), number, f"{m.group('kind')}>={number:g}")
        beta = number
        if not (beta > 0 and math.isfinite(beta)):
            raise UsageError(f"threshold rule '{text}': beta must be a positive number")
        return cls("fbeta", beta, "f1" if beta == 1.0 else f"fbeta:{beta:g}")


# from this many rows on, the two sorts of a sweep run on two threads
PARALLEL_SORT_ROWS = 200_000


@dataclass(frozen=True, eq=False)
class Sweep:
    """(Weighted) counts at every distinct score ``t`` (ascending): ``tp`` positives and
    ``pp`` rows with score >= t; ``positives`` and ``total`` over all rows."""

    thresholds: np.ndarray
    tp: np.ndarray
    pp: np.ndarray
    positives: float
    total: float

    def precision(self, idx=slice(None)) -> np.ndarray:
        tp, pp = self.tp[idx], self.pp[idx]
        return np.divide(tp, pp, out=np.zeros(np.shape(tp)), where=pp > 0)

    def recall(self, idx=slice(None)) -> np.ndarray:
        tp = np.asarray(self.tp[idx], dtype=np.float64)
        return tp / self.positives if self.positives > 0 else np.zeros(tp.shape)

    def fbeta(self, idx=slice(None), beta: float = 1.0) -> np.ndarray:
        # F-beta = (1 + b^2) TP / (b^2 P + PP): counts only, no precision/recall arrays
        b2 = beta * beta
        den = self.pp[idx] + b2 * self.positives
        return np.divide((1.0 + b2) * self.tp[idx], den, out=np.zeros(np.shape(den)), where=den > 0)


def sweep(y_true, y_score, *, sample_weight=None) -> Sweep:
    """Exact counts at every distinct score, in one sort (weights: suffix sums).

    >>> s = sweep(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> s.thresholds.tolist(), s.precision().round(3).tolist(), s.recall().tolist()
    ([0.1, 0.35, 0.4, 0.8], [0.5, 0.667, 0.5, 1.0], [1.0, 1.0, 0.5, 0.5])
    """
    y_score = np.asarray(y_score, dtype=np.float64)
    y_true = np.asarray(y_true)
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        keep = w != 0  # zero-weight rows must not add thresholds (as scikit-learn)
        if not keep.all():
            y_true, y_score, w = y_true[keep], y_score[keep], w[keep]
        # the order among tied scores does not matter (they share a threshold), so the
        # faster unstable argsort will do; each array is gathered once
        order = np.argsort(y_score)
        w = w[order]
        return _sweep_sorted(y_score[order], w * (y_true[order] == 1), w)
    is_pos = y_true == 1
    n = y_score.shape[0]
    n_pos = int(np.count_nonzero(is_pos))
    if min(n_pos, n - n_pos) * 4 >= n:
        # balanced: sort the positives' and the negatives' scores apart (two half sorts,
        # on two threads), then merge the runs, which the stable sort does in linear time
        pos, neg = _two_sorts(lambda: y_score[is_pos], lambda: y_score[~is_pos], n)
        del is_pos
        s = np.concatenate((pos, neg))
        del neg
        s.sort(kind="stable")
    else:
        # skewed: sort every score and, beside it, the few positives' scores
        s, pos = _two_sorts(lambda: y_score, lambda: y_score[is_pos], n)
        del is_pos
    first = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    thresholds = s[first]
    del s
    # rows at or above s[first[i]] are the n - first[i] rows from there to the end;
    # positives at or above t are those from t's place in the sorted positives on
    np.subtract(n, first, out=first)
    tp = pos.shape[0] - np.searchsorted(pos, thresholds, side="left")
    return Sweep(thresholds, tp, first, float(pos.shape[0]), float(n))


def _two_sorts(a, b, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted copies of the arrays ``a()`` and ``b()``; on two threads when large (numpy
    releases the GIL while sorting, and this machine class has two cores)."""
    if n < PARALLEL_SORT_ROWS:
        return np.sort(a()), np.sort(b())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(lambda: np.sort(a()))
        second = pool.submit(lambda: np.sort(b()))
        return first.result(), second.result()


def _sweep_sorted(s: np.ndarray, wpos: np.ndarray, w: np.ndarray) -> Sweep:
    """Sweep over scores already sorted ascending, with per-row positive and total weight."""
    first = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    # suffix sums: the weight of every row from i to the end
    pp = np.cumsum(w[::-1])[::-1]
    tp = np.cumsum(wpos[::-1])[::-1]
    total, positives = (float(pp[0]), float(tp[0])) if len(pp) else (0.0, 0.0)
    return Sweep(s[first], tp[first], pp[first], positives, total)


def _objective(sw: Sweep, rule: Rule) -> np.ndarray:
    """The rule's score per threshold; -inf where the rule's constraint fails."""
    if rule.kind == "fbeta":
        if sw.positives <= 0:
            return sw.fbeta(beta=rule.value)
        # fast path for the big sweep, one float array: the denominator b^2 P + PP is
        # positive here; (1 + b^2) is a constant factor, so it cannot change the argmax
        b2 = rule.value * rule.value
        obj = sw.pp + b2 * sw.positives
        np.divide(sw.tp, obj, out=obj)
        obj *= 1.0 + b2
        return obj
    if rule.kind == "precision":
        ok, obj = sw.precision() >= rule.value - TIE_TOL, sw.recall()
    else:
        ok, obj = sw.recall() >= rule.value - TIE_TOL, sw.precision()
    obj[~ok] = -np.inf
    return obj


def pick_index(sw: Sweep, rule: "str | Rule" = "f1") -> Optional[int]:
    """Index into ``sw.thresholds`` of the threshold the rule picks, or ``None`` when no
    threshold meets the rule's constraint (or there are no thresholds)."""
    rule = Rule.parse(rule)
    if sw.thresholds.shape[0] == 0:
        return None
    obj = _objective(sw, rule)
    best = obj.max()
    if best == -np.inf:
        return None
    cand = np.flatnonzero(obj >= best - TIE_TOL * max(abs(best), 1.0))
    if cand.shape[0] > 1:
        f1 = sw.fbeta(cand)
        cand = cand[f1 >= f1.max() - TIE_TOL]
    return int(cand[-1])  # thresholds ascend: the last is the highest


def best_threshold(y_true, y_score, *, rule: "str | Rule" = "f1", sample_weight=None) -> float:
    """The threshold the rule picks (positive when score >= it); NaN when none qualifies.

    >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.35
    >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], rule="precision>=0.9")
    0.8
    """
    sw = sweep(y_true, y_score, sample_weight=sample_weight)
    i = pick_index(sw, rule)
    return float("nan") if i is None else float(sw.thresholds[i])


def _downsample(m: int, keep: Optional[int], max_points: int) -> np.ndarray:
    """At most ``max_points`` indices of 0..m-1, evenly spread, always holding ``keep``."""
    if m <= max_points:
        return np.arange(m)
    idx = np.unique(np.linspace(0, m - 1, max(max_points - 1, 2)).round().astype(np.int64))
    if keep is not None:
        idx = np.union1d(idx, [keep])
    return idx


# ----------------------------------------------------------------------------- results


def _f(x) -> Optional[float]:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 at one threshold, with the (weighted) counts behind them."""

    precision: float
    recall: float
    f1: float
    tp: float
    pp: float
    positives: float
    total: float

    @classmethod
    def from_counts(cls, tp: float, pp: float, positives: float, total: float) -> "PRF":
        tp, pp, positives, total = float(tp), float(pp), float(positives), float(total)
        # zero-division rule: 0 (see the module docstring)
        precision = tp / pp if pp > 0 else 0.0
        recall = tp / positives if positives > 0 else 0.0
        den = pp + positives
        return cls(precision, recall, 2.0 * tp / den if den > 0 else 0.0, tp, pp, positives, total)

    def to_dict(self) -> dict:
        return {"precision": _f(self.precision), "recall": _f(self.recall), "f1": _f(self.f1),
                "predicted_positive": _f(self.pp), "positives": _f(self.positives)}


def metrics_at(y_true, y_score, threshold: float, *, sample_weight=None) -> PRF:
    """Precision, recall and F1 when rows with score >= ``threshold`` are positive.

    >>> m = metrics_at(np.array([1] * 25 + [0] * 75), np.r_[[0.9] * 15, [0.1] * 10, [0.9] * 5, [0.1] * 70], 0.5)
    >>> round(m.precision, 3), round(m.recall, 3), round(m.f1, 3)
    (0.75, 0.6, 0.667)
    """
    y = np.asarray(y_true) == 1
    hit = np.asarray(y_score) >= threshold
    if sample_weight is None:
        return PRF.from_counts(int(np.count_nonzero(hit & y)), int(np.count_nonzero(hit)),
                               int(np.count_nonzero(y)), float(y.shape[0]))
    w = np.asarray(sample_weight, dtype=np.float64)
    return PRF.from_counts(float(w[hit & y].sum()), float(w[hit].sum()), float(w[y].sum()), float(w.sum()))


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
