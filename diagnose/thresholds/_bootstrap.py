"""How stable a threshold choice is, and what it is worth on unseen data.

cv rows are resampled with replacement (fixed seed) and the rule is applied again to each
resample. Two kinds of figure come out:

* in-sample: the 2.5% and 97.5% percentiles of the chosen threshold and of its F1 on the
  resample it was chosen on (the cost rule: also of its expected cost per row). That F1 is
  optimistic, as the cv F1 itself is: the threshold was chosen to maximise it.
* out-of-bag (Efron 1983; Efron & Tibshirani 1997): each resample's threshold is evaluated
  on the cv rows the resample did not draw (about 36.8% of them), which played no part in
  its choice. ``oob_f1`` pools the out-of-bag counts of every resample (2 sum TP / sum (PP +
  P)), ``oob_f1_low``/``oob_f1_high`` are the percentiles of the resamples' out-of-bag F1s,
  and ``optimism`` is the cv F1 minus ``oob_f1``. The same for precision and recall (and the
  cost rule's expected cost). Each resample is chosen from about 63% distinct rows, so the
  out-of-bag figures lean, if anything, pessimistic (a little, at small cv sizes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..options import DEFAULT_SEED, DEFAULT_THRESHOLD_RULE, Bootstrap
from ..values import json_number
from ._rules import ThresholdRule
from ._sweep import pick_index, sweep_sorted

BOOTSTRAP_REPS = 200
# bootstrap="auto": each replicate costs a pass over cv, so large cv sets get fewer
# replicates (budget / rows, at most BOOTSTRAP_REPS) and none below MIN_BOOTSTRAP_REPS,
# which keeps the report within about half a second; an explicit number is always honoured
BOOTSTRAP_BUDGET = 10_000_000
MIN_BOOTSTRAP_REPS = 20
_NAN = math.nan


@dataclass(frozen=True)
class BootstrapInterval:
    """95% percentile intervals over bootstrap resamples of cv.

    In-sample: ``value_low``/``value_high`` of the chosen threshold and ``f1_low``/``f1_high``
    of its F1 on the resample it was chosen on (optimistic, like the cv F1). ``failed``
    resamples had no positive row (so, as on cv itself, no threshold can be chosen) or no
    threshold that met the rule.

    Out-of-bag (what the rule achieves on unseen data): ``oob_f1`` (pooled over resamples),
    ``oob_f1_low``/``oob_f1_high`` (percentiles of the resamples' out-of-bag F1), the same
    for precision and recall, ``optimism`` (the cv F1 minus ``oob_f1``) and ``oob_reps``,
    the resamples behind them: those that chose a threshold and left a positive row out of
    the bag (a resample whose out-of-bag rows has no predicted positive is left out of the
    precision interval only).

    The cost rule only: ``cost_low``/``cost_high``, the in-sample interval of the chosen
    threshold's expected cost per row, and ``oob_cost``, ``oob_cost_low``/``oob_cost_high``
    out of bag (``None``, and no JSON key, for the other rules)."""

    reps: int
    seed: int
    value_low: float
    value_high: float
    f1_low: float
    f1_high: float
    failed: int = 0
    note: Optional[str] = None
    cost_low: Optional[float] = None
    cost_high: Optional[float] = None
    oob_reps: int = 0
    oob_f1: float = _NAN
    oob_f1_low: float = _NAN
    oob_f1_high: float = _NAN
    optimism: float = _NAN
    oob_precision: float = _NAN
    oob_precision_low: float = _NAN
    oob_precision_high: float = _NAN
    oob_recall: float = _NAN
    oob_recall_low: float = _NAN
    oob_recall_high: float = _NAN
    oob_cost: Optional[float] = None
    oob_cost_low: Optional[float] = None
    oob_cost_high: Optional[float] = None

    def to_dict(self) -> dict:
        j = json_number
        out = {"reps": self.reps, "seed": self.seed, "value_low": j(self.value_low), "value_high": j(self.value_high),
               "oob_f1": j(self.oob_f1), "oob_f1_low": j(self.oob_f1_low), "oob_f1_high": j(self.oob_f1_high),
               "optimism": j(self.optimism), "oob_precision": j(self.oob_precision),
               "oob_precision_low": j(self.oob_precision_low), "oob_precision_high": j(self.oob_precision_high),
               "oob_recall": j(self.oob_recall), "oob_recall_low": j(self.oob_recall_low),
               "oob_recall_high": j(self.oob_recall_high), "oob_reps": self.oob_reps,
               "f1_low": j(self.f1_low), "f1_high": j(self.f1_high), "failed": self.failed, "note": self.note}
        if self.cost_low is not None or self.cost_high is not None:
            out.update(cost_low=j(self.cost_low), cost_high=j(self.cost_high), oob_cost=j(self.oob_cost),
                       oob_cost_low=j(self.oob_cost_low), oob_cost_high=j(self.oob_cost_high))
        return out


def _percentiles(x: np.ndarray) -> tuple[float, float]:
    if x.shape[0] == 0:
        return _NAN, _NAN
    lo, hi = np.percentile(x, [2.5, 97.5])
    return float(lo), float(hi)


def _out_of_bag(oob: np.ndarray, rule: ThresholdRule, cv_f1: float) -> dict:
    """The out-of-bag fields from one row of counts (TP, PP, P, total) per resample."""
    tp, pp, pos, total = oob.T if oob.shape[0] else np.zeros((4, 0))
    has_pos, has_pp = pos > 0, pp > 0
    # resamples with no positive out of the bag say nothing of F1 or recall (0 by the
    # zero-division rule would drag the interval down); none predicted positive: of precision
    tp, pp, pos, total = tp[has_pos], pp[has_pos], pos[has_pos], total[has_pos]
    n = tp.shape[0]
    f1 = 2.0 * tp / (pp + pos)
    sum_tp, sum_pp, sum_pos = float(tp.sum()), float(pp.sum()), float(pos.sum())
    oob_f1 = 2.0 * sum_tp / (sum_pp + sum_pos) if n else _NAN
    prec_tp, prec_pp = oob[has_pp, 0], oob[has_pp, 1]
    out = dict(oob_reps=n, oob_f1=oob_f1, optimism=cv_f1 - oob_f1,
               oob_precision=float(prec_tp.sum() / prec_pp.sum()) if prec_pp.shape[0] else _NAN,
               oob_recall=sum_tp / sum_pos if n else _NAN)
    out["oob_f1_low"], out["oob_f1_high"] = _percentiles(f1)
    out["oob_precision_low"], out["oob_precision_high"] = _percentiles(prec_tp / prec_pp)
    out["oob_recall_low"], out["oob_recall_high"] = _percentiles(tp / pos)
    if rule.costs is not None:
        per_row = rule.costs.per_row
        out["oob_cost"] = float(per_row(sum_tp, sum_pp, sum_pos, float(total.sum()))) if n else _NAN
        each = [float(per_row(*c)) for c in zip(tp, pp, pos, total)]  # one per resample, not per row
        out["oob_cost_low"], out["oob_cost_high"] = _percentiles(np.asarray(each))
    return out


def bootstrap_without_rows(n: int, *, rule: ThresholdRule, reps: Bootstrap = "auto",
                           seed: int = DEFAULT_SEED) -> tuple[bool, Optional[BootstrapInterval]]:
    """``(True, result)`` when :func:`bootstrap_threshold` of ``n`` rows gives ``result``
    whatever the rows are (no bootstrap asked for, no rows, or ``"auto"`` and too many rows:
    a note), else ``(False, None)``; a streaming engine uses it to give the same answer.

    >>> known, b = bootstrap_without_rows(600_000, rule=ThresholdRule.parse("f1"))
    >>> known, b.reps, b.note[:40]
    (True, 0, 'bootstrap skipped: cv has 600,000 rows, ')
    >>> bootstrap_without_rows(1000, rule=ThresholdRule.parse("f1"))
    (False, None)
    """
    nan = _NAN
    no_cost = None if rule.costs is None else nan  # the cost keys: the cost rule only
    if reps == "auto":
        count: int = min(BOOTSTRAP_REPS, BOOTSTRAP_BUDGET // max(n, 1))
        if count < MIN_BOOTSTRAP_REPS:
            return True, BootstrapInterval(0, seed, nan, nan, nan, nan, note=(
                f"bootstrap skipped: cv has {n:,} rows, too many for a quick interval (with so many rows "
                "the choice is usually stable); ask for it with --bootstrap N"), cost_low=no_cost, cost_high=no_cost,
                oob_cost=no_cost, oob_cost_low=no_cost, oob_cost_high=no_cost)
    else:
        count = reps
    if count <= 0 or n == 0:
        return True, None
    return False, None


def bootstrap_threshold(y_true, y_score, *, rule: str | ThresholdRule = DEFAULT_THRESHOLD_RULE, sample_weight=None,
                        reps: Bootstrap = "auto", seed: int = DEFAULT_SEED) -> Optional[BootstrapInterval]:
    """Resample the rows with replacement ``reps`` times (fixed seed), redo the choice on each
    resample and judge it on the rows the resample left out (out of bag).

    Sorts once; each resample is a vector of row counts (multinomial), so it only needs
    cumulative sums, and its out-of-bag rows are those with count 0 (weights: the row's
    weight times [count == 0]), counted at its threshold by four sums of products.
    ``reps="auto"``: 200, fewer on large inputs, none (with a note) on very large ones (see
    ``BOOTSTRAP_BUDGET``); ``0``: no bootstrap (``None``).

    >>> from diagnose.thresholds import threshold_search
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); s = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> b = bootstrap_threshold(y, s, reps=50)
    >>> r = threshold_search(y, s, bootstrap=0)
    >>> b.reps, b.value_low <= r.value <= b.value_high, b.oob_f1_low < b.oob_f1 < b.oob_f1_high
    (50, True, True)
    >>> round(r.cv.f1 - b.oob_f1, 12) == round(b.optimism, 12)  # the cv F1 overstates unseen data
    True
    """
    rule = ThresholdRule.parse(rule)
    y_score = np.asarray(y_score, dtype=np.float64)
    n = y_score.shape[0]
    known, early = bootstrap_without_rows(n, rule=rule, reps=reps, seed=seed)
    if known:
        return early
    count = min(BOOTSTRAP_REPS, BOOTSTRAP_BUDGET // max(n, 1)) if reps == "auto" else int(reps)
    nan = _NAN
    no_cost = None if rule.costs is None else nan  # the cost keys: the cost rule only
    order = np.argsort(y_score, kind="stable")
    s = y_score[order]
    pos = (np.asarray(y_true)[order] == 1)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[order]
    wpos = w * pos
    full = sweep_sorted(s, wpos, w)  # the choice on cv itself, for the optimism
    chosen = pick_index(full, rule) if full.positives > 0 else None
    cv_f1 = float(full.fbeta(chosen)) if chosen is not None else nan
    rng = np.random.default_rng(seed)
    values, f1s, costs, oob = [], [], [], []
    for _ in range(count):  # a loop over replicates, not rows: each one is vectorised
        # rows are exchangeable, so multinomial counts can be laid on the sorted order
        counts = np.bincount(rng.integers(0, n, n), minlength=n)
        keep = counts > 0
        ww = (counts * w)[keep]
        sw = sweep_sorted(s[keep], ww * pos[keep], ww)
        # a resample without positives has no threshold to choose (as threshold_search
        # says for cv); picking one would drag the interval to the top score at F1 0
        i = pick_index(sw, rule) if sw.positives > 0 else None
        if i is not None:
            values.append(sw.thresholds[i])
            f1s.append(sw.fbeta(i))
            if rule.costs is not None:
                costs.append(rule.costs.per_row(sw.tp[i], sw.pp[i], sw.positives, sw.total))
            # out of bag: the rows not drawn, at or above the threshold (s ascends, so from j on);
            # einsum, not the BLAS dot, whose threads stall on a busy machine
            out = (~keep).astype(np.float64)
            j = int(np.searchsorted(s, sw.thresholds[i], side="left"))
            oob.append([np.einsum("i,i", a[j:] if above else a, out[j:] if above else out)
                        for a, above in ((wpos, True), (w, True), (wpos, False), (w, False))])
    if not values:
        return BootstrapInterval(count, seed, nan, nan, nan, nan, count, cost_low=no_cost, cost_high=no_cost,
                                 oob_cost=no_cost, oob_cost_low=no_cost, oob_cost_high=no_cost)
    (vlo, vhi), (flo, fhi) = np.percentile(values, [2.5, 97.5]), np.percentile(f1s, [2.5, 97.5])
    clo, chi = (float(c) for c in np.percentile(costs, [2.5, 97.5])) if costs else (None, None)
    return BootstrapInterval(count, seed, float(vlo), float(vhi), float(flo), float(fhi), count - len(values),
                             cost_low=clo, cost_high=chi, **_out_of_bag(np.asarray(oob, dtype=np.float64), rule, cv_f1))
