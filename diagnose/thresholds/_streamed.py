"""The threshold section from chunks of rows read apart (the streaming engines).

Binary scores lie in [0, 1], so one grid fixed up front (:data:`SCORE_GRID`) serves every
chunk without a first look at the range. The first pass over cv and test counts, per
chunk, a :class:`ScoreStats`: the histogram of the scores on that grid and the rows and
positives between fixed cuts (0.01, ..., 0.99, which hold the default 0.5); chunks merge
by adding. Then, as :func:`~diagnose.thresholds.candidate_sweep` does in memory:

1. the merged histogram bounds the rule per bucket and keeps the buckets that can hold
   the winner or a tie of it;
2. while those buckets hold many rows, another pass over cv counts them on a finer grid
   (the grids nest) and bounds again;
3. a last pass over cv gathers the rows of the buckets left, which are swept exactly; the
   rule and the tie rule pick from them the threshold the full sweep picks, with the same
   counts;
4. one pass over test counts the four cells at that threshold (:class:`ThresholdCells`).

Every pass is a ``scan``: a function that applies a job (one of the picklable classes
below) to every chunk's validated ``(y_true, y_score, weight)`` and returns the results,
so the arrow engine runs it over record batches and the dask engine over partitions.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from ..options import DEFAULT_SEED, Bootstrap
from ._bootstrap import bootstrap_from_counts, bootstrap_reps, bootstrap_without_rows, cell_counts, replicate_job
from ._choice import DEFAULT_THRESHOLD, TEST_HARD_NOTE, ThresholdResult, infeasible_message, threshold_result
from ._decision import DEFAULT_DECISION_THRESHOLDS, curve_from_counts
from ._heldout import ThresholdCells
from ._histogram import MAX_BITS, ScoreGrid, ScoreHistogram
from ._replicates import CELLS_SCHEME
from ._rules import ThresholdRule
from ._search import GRID_BITS, REFINE_BITS, Bounds, exact_sweep, offsets
from ._sweep import PRF, Sweep, pick_index

SCORE_GRID = ScoreGrid(0.0, 1.0, GRID_BITS)
CUTS = np.unique(np.append(DEFAULT_DECISION_THRESHOLDS, DEFAULT_THRESHOLD))
# gather the candidate rows once at most this many are left (else refine with another pass)
GATHER_ROWS = 1 << 22

Scan = Callable[[Callable[..., Any]], Sequence[Any]]
_EDGES = np.concatenate(([-np.inf], CUTS, [np.inf]))


def _cut_bins(s: np.ndarray) -> np.ndarray:
    """``np.searchsorted(CUTS, s, side="right")`` (bin j: scores in [CUTS[j-1], CUTS[j])),
    without a binary search per row: the cuts are k / 100, so ``floor(100 s)`` is the bin or
    next to it, and one comparison on each side settles it exactly.

    >>> s = np.array([0.0, 0.01, 0.0099999, 0.5, 0.29, 0.99, 1.0, np.nextafter(0.07, 0)])
    >>> _cut_bins(s).tolist() == np.searchsorted(CUTS, s, side="right").tolist()
    True
    """
    k = np.multiply(s, 100.0)
    np.floor(k, out=k)
    np.clip(k, 0, CUTS.shape[0], out=k)
    j = k.astype(np.intp)
    j -= _EDGES[j] > s
    j += _EDGES[j + 1] <= s
    return j


def _bucket_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each :data:`SCORE_GRID` bucket lies among the :data:`CUTS`: ``near``, the
    buckets a cut falls strictly inside (their rows are binned one by one); and, for the
    others, whose scores all share one bin, the first and last bucket of every bin.

    Keys never go down as scores go up, so a cut c bounds the buckets: every score of a
    bucket below ``key(c)`` is under c, every score of a bucket above it is at least c, and
    so is every score of bucket ``key(c)`` itself when the score just under c lies in an
    earlier bucket (c is then that bucket's edge).
    """
    at = SCORE_GRID.keys(CUTS)
    below = SCORE_GRID.keys(np.nextafter(CUTS, -np.inf))
    near = np.zeros(SCORE_GRID.buckets, dtype=bool)
    near[at[below == at]] = True
    # bin of a bucket that holds no cut strictly inside: the cuts whose bucket is at most it
    bins = np.searchsorted(at, np.arange(SCORE_GRID.buckets), side="right")
    start = np.searchsorted(bins, np.arange(CUTS.shape[0] + 1), side="left")
    end = np.searchsorted(bins, np.arange(CUTS.shape[0] + 1), side="right")
    return near, start, end


_NEAR, _BIN_START, _BIN_END = _bucket_bins()


def _cut_counts(per_bucket: np.ndarray) -> np.ndarray:
    """Per bin of the :data:`CUTS`, the sum of ``per_bucket`` (integer counts) over its
    buckets (the buckets of :data:`_NEAR` must be zero)."""
    c = np.concatenate(([0], np.cumsum(per_bucket)))
    return c[_BIN_END] - c[_BIN_START]


def _sums(parts: Sequence[Any]) -> Any:
    out = None
    for part in parts:
        out = part if out is None else out.merge(part) if hasattr(out, "merge") else tuple(
            a + b for a, b in zip(out, part))
    return out


@dataclass(frozen=True, eq=False)
class ScoreStats:
    """A binary split's scores, mergeable: ``rows``; ``hist`` on :data:`SCORE_GRID`;
    ``bucket_rows``, the rows per bucket (with weights the histogram holds weight); and the
    (weighted) rows ``cut_total`` and positives ``cut_positive`` between the :data:`CUTS`.

    >>> a = ScoreStats.of(np.array([1, 0]), np.array([0.9, 0.4]))
    >>> b = a.merge(ScoreStats.of(np.array([1]), np.array([0.3])))
    >>> b.rows, b.at(0.5).recall, float(b.decision_curve().model[49])  # at 0.5: 1 TP of 3 rows, no FP
    (3, 0.5, 0.3333333333333333)
    """

    rows: int
    hist: ScoreHistogram
    bucket_rows: np.ndarray
    cut_total: np.ndarray
    cut_positive: np.ndarray

    @classmethod
    def of(cls, y_true, y_score, sample_weight=None) -> ScoreStats:
        s = np.asarray(y_score, dtype=np.float64)
        pos = np.asarray(y_true) == 1
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if w is None:
            return cls._counted(s, pos)
        hist = ScoreHistogram.of(SCORE_GRID, pos, s, w)
        rows = hist.total if w is None else np.bincount(SCORE_GRID.keys(s), minlength=SCORE_GRID.buckets)
        at = _cut_bins(s)
        m = CUTS.shape[0] + 1
        return cls(int(s.shape[0]), hist, rows, np.bincount(at, weights=w, minlength=m),
                   np.bincount(at[pos], weights=None if w is None else w[pos], minlength=m))

    @classmethod
    def _counted(cls, s: np.ndarray, pos: np.ndarray) -> ScoreStats:
        """Unweighted rows: the counts between the cuts come from the histogram's buckets,
        and only the few rows of a bucket a cut falls inside are compared with the cuts."""
        keys = SCORE_GRID.keys(s)
        idx = np.flatnonzero(_NEAR[keys])
        m = CUTS.shape[0] + 1
        near_bins, near_pos = _cut_bins(s[idx]), pos[idx]
        n = SCORE_GRID.buckets
        keys <<= 1
        keys += pos
        both = np.bincount(keys, minlength=2 * n)
        total, positive = both[0::2] + both[1::2], both[1::2].copy()
        hist = ScoreHistogram(SCORE_GRID, total, positive)
        cut_total = _cut_counts(np.where(_NEAR, 0, total)) + np.bincount(near_bins, minlength=m)
        cut_positive = _cut_counts(np.where(_NEAR, 0, positive)) + np.bincount(near_bins[near_pos], minlength=m)
        return cls(int(s.shape[0]), hist, total, cut_total, cut_positive)

    def merge(self, other: ScoreStats) -> ScoreStats:
        return ScoreStats(self.rows + other.rows, self.hist.merge(other.hist), self.bucket_rows + other.bucket_rows,
                          self.cut_total + other.cut_total, self.cut_positive + other.cut_positive)

    def _above(self, cut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j = np.searchsorted(CUTS, cut) + 1  # the bins of scores >= the cut
        suffix = lambda a: np.cumsum(a[::-1])[::-1]  # noqa: E731
        return suffix(self.cut_positive)[j], suffix(self.cut_total)[j]

    def at(self, threshold: float) -> PRF:
        """Precision, recall and F1 at one of the :data:`CUTS`."""
        tp, pp = self._above(np.array([threshold]))
        return PRF.from_counts(tp[0], pp[0], self.hist.positives, float(self.hist.rows))

    def decision_curve(self):
        """The decision curve at the default threshold probabilities."""
        p = DEFAULT_DECISION_THRESHOLDS
        tp, pp = self._above(p)
        return curve_from_counts(p, tp, pp, float(self.hist.positives), float(self.hist.rows))


@dataclass(frozen=True)
class Refine:
    """Job: rows, weight and positives of the rows in ``cells`` (buckets at ``bits``), on the
    grid ``d`` bits finer."""

    cells: np.ndarray
    bits: int
    d: int

    def __call__(self, y, s, w):
        keys = SCORE_GRID.keys(np.asarray(s, dtype=np.float64), self.bits + self.d)
        parent = keys >> self.d
        idx = np.minimum(np.searchsorted(self.cells, parent), self.cells.shape[0] - 1)
        mine = self.cells[idx] == parent
        fine = (idx[mine] << self.d) + (keys[mine] - (parent[mine] << self.d))
        pos = np.asarray(y)[mine] == 1
        wm = None if w is None else np.asarray(w, dtype=np.float64)[mine]
        m = self.cells.shape[0] << self.d
        return (np.bincount(fine, weights=wm, minlength=m),
                np.bincount(fine[pos], weights=None if wm is None else wm[pos], minlength=m),
                np.bincount(fine, minlength=m))


@dataclass(frozen=True)
class Gather:
    """Job: the scores, labels, weights and cell (index into ``cells``) of the rows in ``cells``."""

    cells: np.ndarray
    bits: int

    def __call__(self, y, s, w):
        s = np.asarray(s, dtype=np.float64)
        keys = SCORE_GRID.keys(s, self.bits)
        idx = np.minimum(np.searchsorted(self.cells, keys), self.cells.shape[0] - 1)
        mine = self.cells[idx] == keys
        return (s[mine], np.asarray(y)[mine] == 1, None if w is None else np.asarray(w, dtype=np.float64)[mine],
                idx[mine])


@dataclass(frozen=True)
class Cut:
    """Job: the :class:`ThresholdCells` of the rows at ``threshold``."""

    threshold: float
    rule: ThresholdRule

    def __call__(self, y, s, w):
        return ThresholdCells.of(y, s, self.threshold, sample_weight=w, costs=self.rule.costs)


def streamed_sweep(stats: ScoreStats, rule: ThresholdRule, scan: Scan, *, gather_rows: int = GATHER_ROWS) -> Sweep:
    """The candidate sweep of :func:`~diagnose.thresholds.candidate_sweep` from the merged
    ``stats`` of cv and passes ``scan`` over its chunks.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 3000); s = np.round(rng.random(3000) * 0.6 + 0.4 * y, 3)
    >>> chunks = [(y[i:i + 1000], s[i:i + 1000], None) for i in range(0, 3000, 1000)]
    >>> scan = lambda job: [job(*c) for c in chunks]
    >>> stats = ScoreStats.of(*chunks[0][:2]).merge(ScoreStats.of(*chunks[1][:2])).merge(ScoreStats.of(*chunks[2][:2]))
    >>> from diagnose.thresholds import sweep, pick_index
    >>> got, full = streamed_sweep(stats, ThresholdRule.parse("f1"), scan, gather_rows=10), sweep(y, s)
    >>> float(got.thresholds[pick_index(got)]) == float(full.thresholds[pick_index(full)])
    True
    """
    hist = stats.hist
    positives, total = hist.positives, hist.rows
    bounds = Bounds(rule, float(positives), float(total))
    keep = bounds.keep(hist.total, hist.positive, 0, 0)
    cells = np.flatnonzero(keep)
    out_pp, out_tp = offsets(keep, hist.total, hist.positive, 0, 0)
    left = int(stats.bucket_rows[keep].sum())
    bits = SCORE_GRID.bits
    while cells.shape[0] and left > gather_rows and bits < MAX_BITS:
        d = min(REFINE_BITS - int(cells.shape[0] - 1).bit_length(), MAX_BITS - bits)
        if d < 4:  # too many buckets to cut finer cheaply: gather their rows
            break
        t, p, r = _sums(scan(Refine(cells, bits, d)))
        up_pp, up_tp = np.repeat(out_pp, 1 << d), np.repeat(out_tp, 1 << d)
        keep = bounds.keep(t, p, up_pp, up_tp)
        out_pp, out_tp = offsets(keep, t, p, up_pp, up_tp)
        kept = np.flatnonzero(keep)
        cells = (cells[kept >> d] << d) + (kept & ((1 << d) - 1))
        bits += d
        before, left = left, int(r[keep].sum())
        if 2 * left > before:  # the objective is flat here: cutting finer will not help
            break
    if not cells.shape[0]:
        return exact_sweep(np.zeros(0), np.zeros(0, bool), None, np.zeros(0, np.int64), out_pp, out_tp,
                           positives, total)
    parts = scan(Gather(cells, bits))
    s = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
    pos = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, bool)
    w = None if not parts or parts[0][2] is None else np.concatenate([p[2] for p in parts])
    cell = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, np.int64)
    return exact_sweep(s, pos, w, cell, out_pp, out_tp, positives, total)


def streamed_threshold(rule: str | ThresholdRule, cv: ScoreStats, scan_cv: Scan, test: Optional[ScoreStats] = None,
                       scan_test: Optional[Scan] = None, *, bootstrap: Bootstrap = "auto",
                       seed: int = DEFAULT_SEED, test_hard: bool = False,
                       scan_keyed: Optional[Scan] = None) -> tuple[ThresholdResult, list[str]]:
    """The binary threshold section from merged statistics and passes over the chunks, and
    the keys left out (``curve`` always; ``bootstrap`` for weighted cv rows when no
    ``scan_keyed`` is given and its answer depends on the rows, see
    :func:`~diagnose.thresholds.bootstrap_without_rows`). Every figure given equals
    :func:`~diagnose.thresholds.choose_threshold`'s. The bootstrap of unweighted rows takes
    one more pass over cv (each group's lowest score); of weighted rows, ``scan_keyed``: a
    pass over cv that gives a job whose ``keyed`` is true the rows' ids as a fourth argument
    (their row numbers, counted from 1 over the whole input, without an id column), for the
    replicates' keyed weights. ``test_hard``: test is given but holds only hard predictions
    (the result says so, as in memory).

    >>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
    >>> scan = lambda job: [job(y, s, None, np.arange(1, 5)) if getattr(job, "keyed", False) else job(y, s, None)]
    >>> r, left_out = streamed_threshold("f1", ScoreStats.of(y, s), scan, ScoreStats.of(y, s), scan, bootstrap=20)
    >>> from diagnose.thresholds import threshold_search
    >>> r.value, round(r.cv.f1, 3), round(r.test.f1, 3), left_out
    (0.35, 0.8, 0.8, ['curve'])
    >>> r.bootstrap == threshold_search(y, s, bootstrap=20).bootstrap
    True
    >>> w = np.array([1.0, 2.0, 1.0, 1.0])
    >>> wscan = lambda job: [job(y, s, w, np.arange(1, 5)) if getattr(job, "keyed", False) else job(y, s, w)]
    >>> streamed_threshold("f1", ScoreStats.of(y, s, w), wscan, bootstrap=20)[1]
    ['curve', 'bootstrap']
    >>> r, left_out = streamed_threshold("f1", ScoreStats.of(y, s, w), wscan, bootstrap=20, scan_keyed=wscan)
    >>> r.bootstrap == threshold_search(y, s, weight_cv=w, bootstrap=20).bootstrap, left_out
    (True, ['curve'])
    """
    rule = ThresholdRule.parse(rule)
    sw = streamed_sweep(cv, rule, scan_cv)
    known, boot = bootstrap_without_rows(cv.rows, rule=rule, reps=bootstrap, seed=seed)
    weighted = not np.issubdtype(cv.hist.total.dtype, np.integer)
    if not known and (scan_keyed is not None or not weighted):
        reps = bootstrap_reps(cv.rows, bootstrap, weighted=weighted)
        scan = scan_keyed if weighted and scan_keyed is not None else scan_cv
        known, boot = True, _bootstrap(cv, sw, rule, scan, reps=reps, seed=seed, weighted=weighted)

    def at_test(value: float):
        assert scan_test is not None
        cells = _sums(scan_test(Cut(value, rule)))
        if cells is None:
            cells = ThresholdCells.of(np.zeros(0), np.zeros(0), value, costs=rule.costs)
        return cells.prf(), cells.interval()

    def infeasible() -> str:
        # the best precision (recall) of any threshold: the winner of the other constraint at 0
        other = ThresholdRule.parse("recall>=0" if rule.kind == "precision" else "precision>=0")
        return infeasible_message(streamed_sweep(cv, other, scan_cv), rule)

    result = threshold_result(rule, sw, default_cv=cv.at(DEFAULT_THRESHOLD),
                              default_test=None if test is None else test.at(DEFAULT_THRESHOLD),
                              at_test=at_test if test is not None and scan_test is not None else None,
                              bootstrap=(lambda: boot) if known else None, infeasible=infeasible)
    curves = {"cv": cv.decision_curve(), **({} if test is None else {"test": test.decision_curve()})}
    result = replace(result, decision_curve=curves)
    if test_hard:
        result = replace(result, message=f"{result.message}; {TEST_HARD_NOTE}" if result.message else TEST_HARD_NOTE)
    return result, ["curve"] + ([] if known else ["bootstrap"])


def _bootstrap(cv: ScoreStats, sw: Sweep, rule: ThresholdRule, scan: Scan, *, reps: int, seed: int,
               weighted: bool):
    """The bootstrap of :func:`~diagnose.thresholds.bootstrap_threshold` by one pass over cv:
    the same groups of scores (from the cv rows per bucket of :data:`SCORE_GRID`) and the
    same counts; unweighted, the groups' lowest scores (``scan`` over cv) and replicates
    drawn per cell of the histogram; weighted, the same keyed weights (``scan`` gives ids)."""
    chosen = pick_index(sw, rule) if sw.positives > 0 else None
    cv_f1 = float(sw.fbeta(chosen)) if chosen is not None else float("nan")
    if not weighted:
        cells = cell_counts(SCORE_GRID, cv.hist.total, cv.hist.positive, scan, reps=reps, seed=seed)
        return None if cells is None else bootstrap_from_counts(cells, rule, cv_f1, seed=seed, sampling=CELLS_SCHEME)
    counts = _sums(scan(replicate_job(cv.bucket_rows, SCORE_GRID, reps=reps, seed=seed)))
    if counts is None:
        return None
    return bootstrap_from_counts(counts, rule, cv_f1, seed=seed)
