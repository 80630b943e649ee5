"""The precision/recall curve and F1 by threshold from a score histogram, exact at the
lower edges of its buckets.

A :class:`ScoreHistogram` holds, per bucket, the rows (or their weight) and the positives
(or their weight). A bucket holds one interval of scores, so at its lower edge (the
smallest float64 score that falls in it) the rows with score >= the edge are exactly the
rows of that bucket and of the buckets above: suffix sums of the histogram give the counts
there, with no row read and nothing interpolated. :func:`edge_sweep` gives those counts at
the lower edge of every occupied bucket (as a :class:`Sweep`), and :func:`histogram_curve`
the :class:`ThresholdCurve` of a report from them: downsampled to ``max_points`` and always
holding the bucket of the chosen threshold. This is the curve for a run whose report was
computed by streaming (it leaves ``threshold.curve`` out) but whose stored statistics hold
the cv histogram. Between two edges the histogram cannot tell where a row lies: a point at
the edge is exact, a threshold inside a bucket is not on the curve.

The edges assume the scores lie in the grid's range (binary scores in [0, 1] on
:data:`SCORE_GRID`): a score under ``lo`` goes to bucket 0 and would be counted at edge 0.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Optional

import numpy as np

from ._choice import MAX_CURVE_POINTS, ThresholdCurve, curve_points
from ._costs import Costs
from ._histogram import ScoreGrid, ScoreHistogram
from ._streamed import SCORE_GRID
from ._sweep import Sweep


@lru_cache(maxsize=4)
def grid_edges(grid: ScoreGrid = SCORE_GRID) -> np.ndarray:
    """The lower edge of every bucket of ``grid``: the smallest float64 score whose bucket
    is k (edge 0 is ``lo``). Read-only (cached). ``ValueError`` when a bucket holds no
    float64 (a grid too fine for its range).

    >>> e = grid_edges()
    >>> len(e), float(e[0]), bool(np.all(SCORE_GRID.keys(e) == np.arange(len(e))))
    (65536, 0.0, True)
    >>> bool(np.all(SCORE_GRID.keys(np.nextafter(e[1:], -1.0)) == np.arange(len(e) - 1)))  # just under: one lower
    True
    >>> g = ScoreGrid(0.2, 0.9, bits=3)
    >>> bool(np.all(g.keys(grid_edges(g)) == np.arange(8)))
    True
    """
    k = np.arange(grid.buckets, dtype=np.int64)
    width = grid.hi - grid.lo
    # the grid's scale, as ScoreGrid.keys computes it; the edge lies a few ulps from lo + k / scale
    scale = math.ldexp((1.0 / width) * (1.0 - 2.0**-40), grid.bits) if width > 0 else 0.0
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"the grid {grid} puts every score in bucket 0: its buckets have no edges")
    e = grid.lo + k.astype(np.float64) / scale
    for _ in range(64):  # step up while the score still falls below bucket k
        low = grid.keys(e) < k
        if not low.any():
            break
        e[low] = np.nextafter(e[low], np.inf)
    for _ in range(64):  # step down while the score just under is still in bucket k or above
        under = np.nextafter(e, -np.inf)
        high = (grid.keys(under) >= k) & (k > 0)
        if not high.any():
            break
        e[high] = under[high]
    e[0] = grid.lo
    under = grid.keys(np.nextafter(e[1:], -np.inf))
    if not (np.array_equal(grid.keys(e), k) and np.all(under < k[1:])):
        raise ValueError(f"the grid {grid} is too fine for its range: some buckets hold no float64 score")
    e.flags.writeable = False
    return e


def edge_sweep(hist: ScoreHistogram) -> Sweep:
    """The (weighted) counts at the lower edge of every occupied bucket of ``hist``
    (ascending): ``tp`` positives and ``pp`` rows with score >= the edge, exact there
    (suffix sums of the histogram). A bucket of rows of weight 0 only is not occupied.

    >>> from diagnose.thresholds import ScoreStats, sweep
    >>> y, s = np.array([0, 1, 1, 0, 1]), grid_edges()[[0, 16384, 32768, 32768, 65535]]  # scores on edges
    >>> got, exact = edge_sweep(ScoreStats.of(y, s).hist), sweep(y, s)
    >>> got.thresholds.tolist() == exact.thresholds.tolist(), got.tp.tolist(), got.pp.tolist()
    (True, [3, 3, 2, 1], [5, 4, 3, 1])
    """
    suffix = lambda a: np.cumsum(a[::-1])[::-1]  # noqa: E731
    occupied = np.flatnonzero(hist.total != 0)
    tp, pp = suffix(hist.positive)[occupied], suffix(hist.total)[occupied]
    return Sweep(grid_edges(hist.grid)[occupied], tp, pp, float(hist.positives), float(hist.rows))


def histogram_curve(hist: ScoreHistogram, *, chosen: Optional[float] = None, max_points: int = MAX_CURVE_POINTS,
                    costs: Optional[Costs] = None) -> ThresholdCurve:
    """Precision, recall and F1 at the lower edge of the occupied buckets of ``hist`` (see
    :func:`edge_sweep`), as a report's curve: at most ``max_points`` points, evenly spread,
    always holding the bucket of ``chosen`` (the threshold chosen on cv); ``costs``: add the
    expected cost per row (the cost rule's ``cost`` column). With weights the histogram holds
    weight, and precision and recall are ratios of weight, as in the sweep.

    >>> from diagnose.thresholds import ScoreStats
    >>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
    >>> c = histogram_curve(ScoreStats.of(y, s).hist, chosen=0.35)
    >>> [round(t, 4) for t in c.threshold.tolist()], c.precision.round(3).tolist(), c.recall.tolist()
    ([0.1, 0.35, 0.4, 0.8], [0.5, 0.667, 0.5, 1.0], [1.0, 1.0, 0.5, 0.5])
    >>> w = histogram_curve(ScoreStats.of(y, s, np.array([1.0, 3.0, 1.0, 1.0])).hist)  # the 0.4 row counts 3 times
    >>> w.precision.round(3).tolist(), list(w.to_frame().columns)
    ([0.333, 0.4, 0.25, 1.0], ['threshold', 'precision', 'recall', 'f1'])
    >>> rng = np.random.default_rng(0)
    >>> big = ScoreStats.of(rng.integers(0, 2, 50_000), rng.random(50_000)).hist
    >>> c = histogram_curve(big, chosen=0.123456, max_points=100)
    >>> len(c.threshold) <= 101, bool(SCORE_GRID.keys(np.array([0.123456]))[0] in SCORE_GRID.keys(c.threshold))
    (True, True)
    """
    sw = edge_sweep(hist)
    keep = None
    if chosen is not None and sw.thresholds.shape[0]:
        occupied = hist.grid.keys(sw.thresholds)
        bucket = hist.grid.keys(np.array([float(chosen)]))[0]
        i = int(np.searchsorted(occupied, bucket))
        keep = i if i < occupied.shape[0] and occupied[i] == bucket else None
    idx = curve_points(sw.thresholds.shape[0], keep, max_points)
    cost = None if costs is None else costs.per_row(sw.tp[idx], sw.pp[idx], sw.positives, sw.total)
    return ThresholdCurve(sw.thresholds[idx], sw.precision(idx), sw.recall(idx), sw.fbeta(idx), cost)
