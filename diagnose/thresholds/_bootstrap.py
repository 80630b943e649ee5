"""How stable a threshold choice is, and what it is worth on unseen data.

The bootstrap gives every cv row a Poisson(1) weight per replicate and applies the rule
again to each replicate. Without sample weights the replicates are drawn per cell of counts
(scheme ``poisson-cells-v1``: per group of scores and label, the multinomial numbers of rows
of each weight); with weights, each row's weight comes from a keyed hash of (seed, id,
replicate) (scheme ``poisson-hash-v1``); see :mod:`._replicates`. Two kinds of figure come out:

* in-sample: the 2.5% and 97.5% percentiles of the chosen threshold and of its F1 on the
  replicate it was chosen on (the cost rule: also of its expected cost per row). That F1 is
  optimistic, as the cv F1 itself is: the threshold was chosen to maximise it.
* out-of-bag (Efron 1983; Efron & Tibshirani 1997): each replicate's threshold is evaluated
  on the cv rows of weight 0 in it (about 36.8% of them), which played no part in its
  choice. ``oob_f1`` pools the out-of-bag counts of every replicate (2 sum TP / sum (PP +
  P)), ``oob_f1_low``/``oob_f1_high`` are the percentiles of the replicates' out-of-bag F1s,
  and ``optimism`` is the cv F1 minus ``oob_f1``. The same for precision and recall (and the
  cost rule's expected cost). Each replicate is chosen from about 63% distinct rows, so the
  out-of-bag figures lean, if anything, pessimistic (a little, at small cv sizes).

A replicate chooses among at most :data:`~._replicates.REPLICATE_GROUPS` thresholds: the
lowest cv score of each group of adjacent scores holding about a 1,024th of the cv rows
(the cv threshold itself is exact). Every engine counts the same groups and weights, so the
figures do not depend on the engine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..options import DEFAULT_SEED, DEFAULT_THRESHOLD_RULE, Bootstrap
from ..values import json_number
from ._histogram import ScoreGrid
from ._replicates import (
    BOOTSTRAP_SCHEME,
    CELLS_SCHEME,
    CountReplicates,
    FindLows,
    GroupLows,
    ReplicateCounts,
    cell_replicates,
    score_groups,
)
from ._rules import ThresholdRule
from ._search import GRID_BITS, candidate_sweep
from ._sweep import Sweep, pick_index

BOOTSTRAP_REPS = 200
# bootstrap="auto" with sample weights: each replicate costs about 10 ns per cv row (see
# benchmarks/RESULTS.md), so large weighted cv sets get fewer replicates (budget / rows, at
# most BOOTSTRAP_REPS), but never fewer than MIN_BOOTSTRAP_REPS (without weights a replicate
# costs about a millisecond whatever the rows: always BOOTSTRAP_REPS); an explicit number is
# always honoured
BOOTSTRAP_BUDGET = 20_000_000
MIN_BOOTSTRAP_REPS = 20
CHUNK_ROWS = 1 << 20  # rows per chunk of the in-memory pass (the replicates' weights: reps x chunk bytes)
_UNIT = ScoreGrid(0.0, 1.0, GRID_BITS)  # the streaming engines' grid (thresholds.SCORE_GRID)
_NAN = math.nan


@dataclass(frozen=True)
class BootstrapInterval:
    """95% percentile intervals over bootstrap replicates of cv (``sampling``: the scheme
    that draws them, ``poisson-cells-v1`` without sample weights, ``poisson-hash-v1`` with).

    In-sample: ``value_low``/``value_high`` of the chosen threshold and ``f1_low``/``f1_high``
    of its F1 on the replicate it was chosen on (optimistic, like the cv F1). ``failed``
    replicates had no positive row (so, as on cv itself, no threshold can be chosen) or no
    threshold that met the rule.

    Out-of-bag (what the rule achieves on unseen data): ``oob_f1`` (pooled over replicates),
    ``oob_f1_low``/``oob_f1_high`` (percentiles of the replicates' out-of-bag F1), the same
    for precision and recall, ``optimism`` (the cv F1 minus ``oob_f1``) and ``oob_reps``,
    the replicates behind them: those that chose a threshold and left a positive row out of
    the bag (a replicate whose out-of-bag rows has no predicted positive is left out of the
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
    sampling: str = BOOTSTRAP_SCHEME

    def to_dict(self) -> dict:
        j = json_number
        out = {"reps": self.reps, "seed": self.seed, "sampling": self.sampling, "value_low": j(self.value_low),
               "value_high": j(self.value_high),
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
    """The out-of-bag fields from one row of counts (TP, PP, P, total) per replicate."""
    tp, pp, pos, total = oob.T if oob.shape[0] else np.zeros((4, 0))
    has_pos, has_pp = pos > 0, pp > 0
    # replicates with no positive out of the bag say nothing of F1 or recall (0 by the
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
        each = [float(per_row(*c)) for c in zip(tp, pp, pos, total)]  # one per replicate, not per row
        out["oob_cost_low"], out["oob_cost_high"] = _percentiles(np.asarray(each))
    return out


def bootstrap_reps(n: int, reps: Bootstrap = "auto", *, weighted: bool = False) -> int:
    """The replicates :func:`bootstrap_threshold` draws for ``n`` cv rows: ``reps`` itself, or
    for ``"auto"`` ``BOOTSTRAP_REPS``, and with sample weights (``weighted``)
    ``BOOTSTRAP_BUDGET / n`` between ``MIN_BOOTSTRAP_REPS`` and ``BOOTSTRAP_REPS``.

    >>> bootstrap_reps(10_000_000), bootstrap_reps(1000, weighted=True), bootstrap_reps(10_000_000, weighted=True)
    (200, 200, 20)
    >>> bootstrap_reps(10_000_000, 50, weighted=True)
    50
    """
    if reps == "auto":
        if not weighted:
            return BOOTSTRAP_REPS
        return max(MIN_BOOTSTRAP_REPS, min(BOOTSTRAP_REPS, BOOTSTRAP_BUDGET // max(n, 1)))
    return int(reps)


def bootstrap_without_rows(n: int, *, rule: ThresholdRule, reps: Bootstrap = "auto",
                           seed: int = DEFAULT_SEED) -> tuple[bool, Optional[BootstrapInterval]]:
    """``(True, result)`` when :func:`bootstrap_threshold` of ``n`` rows gives ``result``
    whatever the rows are (no bootstrap asked for, or no rows), else ``(False, None)``; a
    streaming engine uses it to give the same answer.

    >>> bootstrap_without_rows(600_000, rule=ThresholdRule.parse("f1"), reps=0)
    (True, None)
    >>> bootstrap_without_rows(10_000_000, rule=ThresholdRule.parse("f1"))
    (False, None)
    """
    if bootstrap_reps(n, reps) <= 0 or n == 0:
        return True, None
    return False, None


def replicate_job(bucket_rows: np.ndarray, grid: ScoreGrid, *, reps: int, seed: int) -> CountReplicates:
    """The job that counts the replicates of a chunk, from the cv rows per bucket of ``grid``
    (the groups of scores whose lowest scores are a replicate's candidate thresholds).

    >>> from diagnose.thresholds._replicates import replicate_weights, row_keys
    >>> job = replicate_job(np.array([2, 0, 1, 1]), ScoreGrid(bits=2), reps=3, seed=0)
    >>> c = job(np.array([1, 0, 1, 0]), np.array([0.1, 0.2, 0.6, 0.9]), None, np.arange(1, 5))
    >>> c.inbag.shape, c.low.tolist()  # 3 replicates x 3 groups x (negatives, positives)
    ((3, 3, 2), [0.1, 0.6, 0.9])
    >>> c.inbag.sum(axis=(1, 2)).tolist() == replicate_weights(row_keys(None, 4, 0), 3).sum(axis=1).tolist()
    True
    """
    return CountReplicates(grid, score_groups(bucket_rows), reps, seed)


def cell_counts(grid: ScoreGrid, total: np.ndarray, positive: np.ndarray, scan, *, reps: int,
                seed: int) -> Optional[ReplicateCounts]:
    """The replicates of unweighted cv rows (scheme ``poisson-cells-v1``) from their rows
    ``total`` and positives ``positive`` per bucket of ``grid``, and ``scan``, a pass that
    applies a job to every chunk of cv (for each group's lowest score); ``None`` without rows.

    >>> y, s = np.array([1, 0, 1, 0]), np.array([0.1, 0.2, 0.6, 0.9])
    >>> grid = ScoreGrid(bits=2)
    >>> k = grid.keys(s)
    >>> total, positive = np.bincount(k, minlength=4), np.bincount(k[y == 1], minlength=4)
    >>> c = cell_counts(grid, total, positive, lambda job: [job(y, s, None)], reps=3, seed=0)
    >>> c.inbag.shape, c.low.tolist(), (c.oob <= [[1, 1], [0, 1], [1, 0]]).all().item()
    ((3, 3, 2), [0.1, 0.6, 0.9], True)
    """
    group = score_groups(total)
    lows: Optional[GroupLows] = None
    for part in scan(FindLows.of(grid, group, total)):
        lows = part if lows is None else lows.merge(part)
    if lows is None:
        return None
    g = lows.low.shape[0]
    rows = np.stack([np.bincount(group, total - positive, g), np.bincount(group, positive, g)], axis=1)
    inbag, oob = cell_replicates(rows.astype(np.int64), reps, seed)
    return ReplicateCounts(inbag, oob, lows.low)


def bootstrap_from_counts(counts: ReplicateCounts, rule: ThresholdRule, cv_f1: float, *,
                          seed: int = DEFAULT_SEED, sampling: str = BOOTSTRAP_SCHEME) -> BootstrapInterval:
    """The interval from the merged counts of every chunk's replicates (:class:`ReplicateCounts`)
    and the cv F1 at the threshold chosen on cv (for the optimism).

    >>> from diagnose.thresholds._replicates import ReplicateCounts
    >>> # one replicate, two groups (lowest scores 0.2 and 0.7): in the bag 2 negatives in the
    >>> # first and 1 negative, 3 positives in the second; out of the bag 1 positive in each
    >>> c = ReplicateCounts(np.array([[[2, 0], [1, 3]]]), np.array([[[0, 1], [0, 1]]]), np.array([0.2, 0.7]))
    >>> b = bootstrap_from_counts(c, ThresholdRule.parse("f1"), cv_f1=0.9)
    >>> b.value_low, b.f1_low, b.oob_f1, b.oob_recall, round(b.optimism, 12)  # F1 6/7 at 0.7; OOB: TP 1 of 2
    (0.7, 0.8571428571428571, 0.6666666666666666, 0.5, 0.233333333333)
    """
    nan = _NAN
    no_cost = None if rule.costs is None else nan  # the cost keys: the cost rule only
    reps = counts.inbag.shape[0]
    suffix = lambda a: np.cumsum(a[:, ::-1], axis=1)[:, ::-1]  # noqa: E731  (per replicate, over groups)
    in_tot, in_pos = counts.inbag.sum(axis=2), counts.inbag[:, :, 1]
    out_tot, out_pos = counts.oob.sum(axis=2), counts.oob[:, :, 1]
    s_tot, s_pos, o_tot, o_pos = suffix(in_tot), suffix(in_pos), suffix(out_tot), suffix(out_pos)
    values, f1s, costs, oob = [], [], [], []
    for r in range(reps):  # a loop over replicates, not rows: each one is a few group-sized arrays
        positives, total = in_pos[r].sum().item(), in_tot[r].sum().item()
        # a replicate without positives has no threshold to choose (as threshold_search says
        # for cv); its candidates are the groups it holds weight in (as a sweep's distinct scores)
        if positives <= 0:
            continue
        idx = np.flatnonzero(in_tot[r] > 0)
        sw = Sweep(counts.low[idx], s_pos[r, idx], s_tot[r, idx], positives, total)
        i = pick_index(sw, rule)
        if i is None:
            continue
        values.append(float(sw.thresholds[i]))
        f1s.append(float(sw.fbeta(i)))
        if rule.costs is not None:
            costs.append(rule.costs.per_row(sw.tp[i], sw.pp[i], sw.positives, sw.total))
        j = idx[i]
        oob.append([o_pos[r, j], o_tot[r, j], o_pos[r, 0], o_tot[r, 0]])
    if not values:
        return BootstrapInterval(reps, seed, nan, nan, nan, nan, reps, cost_low=no_cost, cost_high=no_cost,
                                 oob_cost=no_cost, oob_cost_low=no_cost, oob_cost_high=no_cost, sampling=sampling)
    (vlo, vhi), (flo, fhi) = np.percentile(values, [2.5, 97.5]), np.percentile(f1s, [2.5, 97.5])
    clo, chi = (float(c) for c in np.percentile(costs, [2.5, 97.5])) if costs else (None, None)
    return BootstrapInterval(reps, seed, float(vlo), float(vhi), float(flo), float(fhi), reps - len(values),
                             cost_low=clo, cost_high=chi, sampling=sampling,
                             **_out_of_bag(np.asarray(oob, dtype=np.float64), rule, cv_f1))


def bootstrap_threshold(y_true, y_score, *, rule: str | ThresholdRule = DEFAULT_THRESHOLD_RULE, sample_weight=None,
                        reps: Bootstrap = "auto", seed: int = DEFAULT_SEED,
                        ids=None) -> Optional[BootstrapInterval]:
    """Draw ``reps`` replicates of the rows (Poisson(1) weights), redo the choice on each and
    judge it on the rows of weight 0 (out of bag).

    Without ``sample_weight`` (scheme ``poisson-cells-v1``) each replicate draws, per group of
    scores and label, how many rows get each weight: the replicates depend only on the
    counts, not on the rows' order or ids. With weights (scheme ``poisson-hash-v1``) each
    row's weights come from a keyed hash of the seed, its id and the replicate; ``ids``: the
    rows' ids (default: their numbers, 1 = the first row), which the weights follow. Each
    replicate chooses among the lowest scores of about 1,024 groups of adjacent cv scores
    (see :mod:`._replicates`); the same counts as the streaming engines, chunk by chunk.
    ``reps="auto"``: 200 (with weights fewer on large inputs, at least 20: see
    :func:`bootstrap_reps`); ``0``: no bootstrap (``None``).

    >>> from diagnose.thresholds import threshold_search
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); s = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> b = bootstrap_threshold(y, s, reps=50)
    >>> r = threshold_search(y, s, bootstrap=0)
    >>> b.reps, b.sampling, b.value_low <= r.value <= b.value_high, b.oob_f1_low < b.oob_f1 < b.oob_f1_high
    (50, 'poisson-cells-v1', True, True)
    >>> round(r.cv.f1 - b.oob_f1, 12) == round(b.optimism, 12)  # the cv F1 overstates unseen data
    True
    >>> shuffled = rng.permutation(500)  # the rows in another order: the same replicates
    >>> bootstrap_threshold(y[shuffled], s[shuffled], reps=50) == b
    True
    >>> w = np.full(500, 2.0)  # weighted: each row's weights follow its id
    >>> h = bootstrap_threshold(y, s, reps=50, sample_weight=w)
    >>> h.sampling, bootstrap_threshold(y[shuffled], s[shuffled], reps=50, sample_weight=w, ids=shuffled + 1) == h
    ('poisson-hash-v1', True)
    """
    rule = ThresholdRule.parse(rule)
    y_score = np.asarray(y_score, dtype=np.float64)
    n = y_score.shape[0]
    known, early = bootstrap_without_rows(n, rule=rule, reps=reps, seed=seed)
    if known:
        return early
    y_true = np.asarray(y_true)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    full = candidate_sweep(y_true, y_score, rule=rule, sample_weight=w)  # the choice on cv, for the optimism
    chosen = pick_index(full, rule) if full.positives > 0 else None
    cv_f1 = float(full.fbeta(chosen)) if chosen is not None else _NAN
    # scores in [0, 1] (every validated binary score): the streaming engines' grid
    inside = bool(y_score.min() >= 0.0 and y_score.max() <= 1.0)
    grid = _UNIT if inside else ScoreGrid.spanning(y_score, GRID_BITS) or _UNIT
    keys_of = grid.keys(y_score)
    bucket_rows = np.bincount(keys_of, minlength=grid.buckets)
    count = bootstrap_reps(n, reps, weighted=w is not None)
    if w is None:  # poisson-cells-v1: from the counts per bucket, the same pass as the streaming engines
        positive = np.bincount(keys_of[y_true == 1], minlength=grid.buckets)
        cells = cell_counts(grid, bucket_rows, positive, lambda find: [find(y_true, y_score, None)],
                            reps=count, seed=seed)
        assert cells is not None
        return bootstrap_from_counts(cells, rule, cv_f1, seed=seed, sampling=CELLS_SCHEME)
    job = replicate_job(bucket_rows, grid, reps=count, seed=seed)
    keys = np.arange(1, n + 1) if ids is None else np.asarray(ids)
    counts: Optional[ReplicateCounts] = None
    for a in range(0, n, CHUNK_ROWS):  # the streaming engines' kernel, on chunks of the arrays
        b = min(a + CHUNK_ROWS, n)
        part = job(y_true[a:b], y_score[a:b], None if w is None else w[a:b], keys[a:b])
        counts = part if counts is None else counts.merge(part)
    assert counts is not None
    return bootstrap_from_counts(counts, rule, cv_f1, seed=seed)
