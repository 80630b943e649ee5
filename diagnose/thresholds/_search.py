"""The exact threshold search without a full sort: bound the rule's objective per score
bucket, then sweep only the rows of the buckets that can hold the winner.

1. One pass counts the rows and the positives of every bucket of a :class:`ScoreGrid`
   (a :class:`ScoreHistogram`, built per chunk and merged).
2. Suffix sums give the exact counts (TP, PP) at the lowest score of every non-empty
   bucket, which is a real threshold: the best objective there is a lower bound of the
   optimum.
3. Every threshold inside a bucket has TP at most the count at the bucket's lowest score
   and FP at least the count above the bucket. Each rule's objective grows with TP and
   falls with FP (F-beta, recall and precision, minus the expected cost; the precision and
   recall constraints only get easier that way), so its value at that corner bounds the
   whole bucket from above. A bucket whose bound is below the lower bound, by more than the
   tie rule's tolerance, cannot hold the winner or a tie of it.
4. A second pass gathers the rows of the remaining buckets. If they are still many, their
   buckets are cut finer (the grid nests) and steps 2-3 run again on those rows alone, with
   the rows outside them summed as per-bucket offsets; finally the few rows left are sorted
   and swept exactly.

The result is a :class:`Sweep` of only the thresholds that can win, with the same counts
as the full sweep at each of them (integers without weights, so the same floats follow), and
:func:`pick_index` on it applies the tie rule as on the full sweep. The exact answer
therefore does not depend on the grid: a coarse one only leaves more rows to sort.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from ..ingest import binary_arrays
from ._histogram import MAX_BITS, ScoreGrid, ScoreHistogram
from ._rules import TIE_TOL, ThresholdRule
from ._sweep import Sweep, objective, pick_index, sweep

# below this many rows the one-sort sweep is as quick; the search is for large inputs
SEARCH_MIN_ROWS = 100_000
GRID_BITS = 16
CHUNK_ROWS = 1 << 18
# a refining level cuts the remaining buckets into at most this many (2**20) finer ones
REFINE_BITS = 20
# buckets are pruned only when their bound is this far (relative) below the lower bound:
# far above the tie rule's 1e-12 and the rounding of weighted sums, so never too eager
_SLACK = 1e-9


def _suffix(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1])[::-1]


class Bounds:
    """The bound step for one rule: the lower bound so far and each bucket's upper bound."""

    def __init__(self, rule: ThresholdRule, positives, total):
        self.rule, self.positives, self.total = rule, positives, total
        self.lower = -math.inf
        costs = rule.costs
        self.scale = 1.0 if costs is None else max(1.0, costs.fp + costs.fn + costs.tp + costs.tn)

    def _sweep(self, tp: np.ndarray, pp: np.ndarray) -> Sweep:
        return Sweep(np.zeros(tp.shape[0]), tp, pp, self.positives, self.total)

    def upper(self, tp: np.ndarray, fp: np.ndarray) -> np.ndarray:
        """The objective at the best corner (most TP, fewest FP); the constraints of the
        precision and recall rules are loosened by the slack, so they never prune a bucket
        that rounding alone would keep."""
        sw = self._sweep(tp, tp + fp)
        kind = self.rule.kind
        if self.rule.costs is not None or kind == "fbeta":
            return objective(sw, self.rule)
        met, obj = (sw.precision(), sw.recall()) if kind == "precision" else (sw.recall(), sw.precision())
        obj[met < self.rule.value - TIE_TOL - _SLACK] = -np.inf
        return obj

    def keep(self, total: np.ndarray, positive: np.ndarray, out_pp, out_tp) -> np.ndarray:
        """Buckets (ascending) with their rows and positives, and the rows and positives above
        each bucket that are not among them: update the lower bound, return the buckets that
        can hold the winner or a tie of it."""
        s_pp, s_tp = _suffix(total) + out_pp, _suffix(positive) + out_tp
        filled = total > 0
        if filled.any():
            edge = objective(self._sweep(s_tp[filled], s_pp[filled]), self.rule)
            self.lower = max(self.lower, float(edge.max()))
        fp_above = (s_pp - total) - (s_tp - positive)  # FP at the next bucket's lowest score
        up = self.upper(s_tp, fp_above)
        lower = self.lower if self.lower > -math.inf else -np.inf
        slack = _SLACK * max(self.scale, abs(lower) if lower > -np.inf else 0.0)
        return filled & (up > -np.inf) & (up >= lower - slack)


def offsets(keep: np.ndarray, total: np.ndarray, positive: np.ndarray, out_pp, out_tp):
    """Per kept bucket: the rows and positives above it that are outside the kept buckets
    (those above the parent bucket, ``out_*``, plus the pruned buckets above it)."""
    pp = _suffix(np.where(keep, 0, total))[keep] + (np.asarray(out_pp)[keep] if np.ndim(out_pp) else out_pp)
    tp = _suffix(np.where(keep, 0, positive))[keep] + (np.asarray(out_tp)[keep] if np.ndim(out_tp) else out_tp)
    return pp, tp


class _Scan:
    """A pass over rows ``start:stop`` of the input, chunk by chunk, in buffers allocated
    once (fresh large arrays per chunk would cost page faults)."""

    def __init__(self, grid: ScoreGrid, s: np.ndarray, y: np.ndarray, w: Optional[np.ndarray], start: int,
                 stop: int):
        self.grid, self.s, self.y, self.w, self.start, self.stop = grid, s, y, w, start, stop
        size = min(CHUNK_ROWS, stop - start)
        self.scratch = (np.empty(size), np.empty(size, np.int64))

    def _spans(self):
        for a in range(self.start, self.stop, CHUNK_ROWS):
            b = min(a + CHUNK_ROWS, self.stop)
            yield a, b, (self.scratch[0][:b - a], self.scratch[1][:b - a])

    def histogram(self) -> ScoreHistogram:
        hist = ScoreHistogram.empty(self.grid, self.w is not None)
        total, positive = hist.total, hist.positive  # accumulated in place: the histogram is new
        for a, b, scratch in self._spans():
            part = ScoreHistogram.of(self.grid, self.y[a:b], self.s[a:b],
                                     None if self.w is None else self.w[a:b], scratch=scratch, inside=True)
            total += part.total
            positive += part.positive
        return hist

    def gather(self, table: np.ndarray) -> np.ndarray:
        """The rows whose bucket ``table`` marks."""
        found = [np.flatnonzero(table[self.grid.keys(self.s[a:b], scratch=scratch, inside=True)]) + a
                 for a, b, scratch in self._spans()]
        return np.concatenate(found) if found else np.zeros(0, np.int64)


def _both(scans: list, job: Callable[[_Scan], object]) -> list:
    """``job`` on every scan; on two threads when there are two (numpy releases the GIL in
    its loops, and this machine class has two cores)."""
    if len(scans) == 1:
        return [job(scans[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(scans)) as pool:
        return list(pool.map(job, scans))


def candidate_sweep(y_true, y_score, *, rule: str | ThresholdRule = "f1", sample_weight=None,
                    bits: int = GRID_BITS, min_rows: int = SEARCH_MIN_ROWS, max_sort: Optional[int] = None,
                    threads: bool = True) -> Sweep:
    """A sweep over only the thresholds that can win under ``rule`` (and tie with the
    winner): ``pick_index`` on it picks the same threshold as on the full sweep.

    Falls back to the full sweep below ``min_rows`` rows, with negative or non-finite
    weights, or with scores that are NaN or infinite. ``bits``: the first grid's
    resolution; ``max_sort``: sort the remaining rows once at most this many are left
    (default: a 64th of the rows, at least 65,536).

    >>> y = np.array([0, 0, 1, 1, 0, 1, 0, 1]); s = np.array([.1, .4, .35, .8, .2, .45, .7, .9])
    >>> c = candidate_sweep(y, s, bits=2, min_rows=0, max_sort=0)
    >>> c.thresholds.tolist(), float(c.thresholds[pick_index(c)])  # two of the eight thresholds are left
    ([0.2, 0.35], 0.35)
    """
    rule = ThresholdRule.parse(rule)
    s = np.asarray(y_score)
    y = np.asarray(y_true)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    n = s.shape[0] if s.ndim == 1 else -1
    ok = (n >= max(min_rows, 1) and y.shape == s.shape and (w is None or w.shape == s.shape)
          and np.issubdtype(s.dtype, np.number) and not np.issubdtype(s.dtype, np.complexfloating))
    if ok and w is not None:
        ok = bool(w.min() >= 0.0) and math.isfinite(float(w.max()))
    if ok:
        s = s.astype(np.float64, copy=False)
    grid = ScoreGrid.spanning(s, bits) if ok else None
    if grid is None:
        return sweep(y_true, y_score, sample_weight=sample_weight)
    half = n // 2 if threads and n >= 4 * CHUNK_ROWS else n
    scans = [_Scan(grid, s, y, w, a, b) for a, b in ((0, half), (half, n)) if b > a]
    parts = _both(scans, _Scan.histogram)
    hist = parts[0] if len(parts) == 1 else parts[0].merge(parts[1])
    positives, total = hist.positives, hist.rows
    bounds = Bounds(rule, float(positives), float(total))
    keep = bounds.keep(hist.total, hist.positive, 0, 0)
    cells = np.flatnonzero(keep)  # bucket keys of the kept buckets, ascending
    out_pp, out_tp = offsets(keep, hist.total, hist.positive, 0, 0)
    rows = np.concatenate(_both(scans, lambda scan: scan.gather(keep))) if cells.shape[0] else np.zeros(0, np.int64)
    del scans
    sr, pr = s[rows], y[rows] == 1
    wr = None if w is None else w[rows]
    cell = np.searchsorted(cells, grid.keys(sr, inside=True))  # each row's kept bucket, as an index into cells
    limit = max(n // 64, 1 << 16) if max_sort is None else max_sort
    level_bits = bits
    while sr.shape[0] > limit and cells.shape[0] and level_bits < MAX_BITS:
        # refine: cut every kept bucket into 2**d finer ones and bound again on these rows
        d = min(REFINE_BITS - int(cells.shape[0] - 1).bit_length(), MAX_BITS - level_bits)
        if d < 4:  # too many buckets left to cut finer cheaply: sort their rows
            break
        level_bits += d
        keys = grid.keys(sr, level_bits, inside=True)
        if not np.array_equal(keys >> d, cells[cell]):  # the grids did not nest (extreme ranges)
            break
        fine = (cell << d) + (keys - (cells[cell] << d))
        m = cells.shape[0] << d
        t = np.bincount(fine, weights=wr, minlength=m)  # int64 counts without weights
        p = np.bincount(fine[pr], weights=None if wr is None else wr[pr], minlength=m)
        up_pp, up_tp = np.repeat(out_pp, 1 << d), np.repeat(out_tp, 1 << d)
        keep = bounds.keep(t, p, up_pp, up_tp)
        out_pp, out_tp = offsets(keep, t, p, up_pp, up_tp)
        kept = np.flatnonzero(keep)
        cells = (cells[kept >> d] << d) + (kept & ((1 << d) - 1))
        mine = keep[fine]
        rank = np.cumsum(keep) - 1
        before = sr.shape[0]
        sr, pr, cell = sr[mine], pr[mine], rank[fine[mine]]
        wr = None if wr is None else wr[mine]
        if 2 * sr.shape[0] > before:  # the objective is flat here: cutting finer will not help
            break
    return exact_sweep(sr, pr, wr, cell, out_pp, out_tp, positives, total)


def exact_sweep(s: np.ndarray, pos: np.ndarray, w: Optional[np.ndarray], cell: np.ndarray, out_pp, out_tp,
           positives, total) -> Sweep:
    """The exact sweep over the remaining rows: their own suffix counts plus, per bucket,
    the rows above it that were set aside."""
    if w is not None:
        nonzero = w != 0  # zero-weight rows add no threshold (as in the full sweep)
        s, pos, w, cell = s[nonzero], pos[nonzero], w[nonzero], cell[nonzero]
    order = np.argsort(s, kind="stable")
    s, pos, cell = s[order], pos[order], cell[order]
    first = np.flatnonzero(np.concatenate(([s.shape[0] > 0], s[1:] != s[:-1])))
    if w is None:
        tp = _suffix(pos.astype(np.int64))[first]
        pp = s.shape[0] - first
    else:
        w = w[order]
        tp, pp = _suffix(w * pos)[first], _suffix(w)[first]
    at = cell[first]
    tp = tp + np.asarray(out_tp)[at] if np.ndim(out_tp) else tp
    pp = pp + np.asarray(out_pp)[at] if np.ndim(out_pp) else pp
    return Sweep(s[first], tp, pp, float(positives), float(total))


def best_threshold(y_true, y_score, *, rule: str | ThresholdRule = "f1", sample_weight=None) -> float:
    """The threshold the rule picks (positive when score >= it); NaN when none qualifies.

    Exact: the same threshold as the full sweep, found by bounding the rule per score bucket
    and sorting only the rows that can win (:func:`candidate_sweep`).

    >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.35
    >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], rule="precision>=0.9")
    0.8
    >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], rule="cost:fp=1,fn=5")  # 1 FP, 0 FN
    0.35
    """
    rule = ThresholdRule.parse(rule)
    # the arrays are checked as a file's columns are (the command line's messages)
    y_true, y_score, sample_weight = binary_arrays(y_true, y_score, sample_weight)
    sw = candidate_sweep(y_true, y_score, rule=rule, sample_weight=sample_weight)
    i = pick_index(sw, rule)
    return float("nan") if i is None else float(sw.thresholds[i])
