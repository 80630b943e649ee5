"""Counts by threshold from a run's stored score histogram, exact at the grid's edges.

A binary run stores, for cv and test, the histogram of its scores on
:data:`diagnose.thresholds.SCORE_GRID` (65,536 buckets over [0, 1]). A bucket holds one
interval of scores, so at the lower edge of a bucket (the smallest score that falls in it)
the rows with score >= the edge are exactly the rows of that bucket and the ones above:
the counts there are exact, with no row read. Between two edges the histogram cannot tell
where a row lies, so the page moves its slider on the edges and says which edge the counts
are at; it never interpolates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from diagnose.thresholds import PRF, SCORE_GRID, ScoreStats

BUCKETS = SCORE_GRID.buckets
STEP = 1.0 / BUCKETS  # the slider's step: slider value k * STEP stands for edge k


@lru_cache(maxsize=1)
def edges() -> np.ndarray:
    """The lower edge of every bucket: the smallest float64 score whose bucket is k (edge 0
    is 0.0, the lowest binary score).

    >>> e = edges()
    >>> len(e), float(e[0]), bool(np.all(SCORE_GRID.keys(e) == np.arange(len(e))))
    (65536, 0.0, True)
    >>> bool(np.all(SCORE_GRID.keys(np.nextafter(e[1:], -1.0)) == np.arange(len(e) - 1)))  # just under: one lower
    True
    """
    k = np.arange(BUCKETS, dtype=np.int64)
    # the grid's scale (as ScoreGrid.keys computes it for [0, 1]); the edge lies a few ulps from k / scale
    scale = math.ldexp(1.0 - 2.0**-40, SCORE_GRID.bits)
    e = k.astype(np.float64) / scale
    for _ in range(64):  # step up while the score still falls below bucket k
        low = SCORE_GRID.keys(e) < k
        if not low.any():
            break
        e[low] = np.nextafter(e[low], np.inf)
    for _ in range(64):  # step down while the score just under is still in bucket k or above
        under = np.nextafter(e, -np.inf)
        high = (SCORE_GRID.keys(under) >= k) & (k > 0)
        if not high.any():
            break
        e[high] = under[high]
    e[0] = 0.0
    return e


def nearest_edge(value: float) -> int:
    """The edge a slider value stands for: the nearest ``k * STEP``, within the grid.

    >>> nearest_edge(0.5), nearest_edge(1.0), nearest_edge(-3.0)
    (32768, 65535, 0)
    """
    return int(min(max(round(value * BUCKETS), 0), BUCKETS - 1))


@dataclass(frozen=True, eq=False)
class EdgeCounts:
    """Per edge k: the rows (or weight) ``pp`` and positives ``tp`` with score >= edge k, of
    one split's stored :class:`~diagnose.thresholds.ScoreStats`.

    >>> from diagnose.thresholds import sweep
    >>> y, s = np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.5, 0.7, 0.7, 1.0])
    >>> c = EdgeCounts.of(ScoreStats.of(y, s))
    >>> k = nearest_edge(0.7)
    >>> m, exact = c.at(k), sweep(y, s).at(float(edges()[k]))
    >>> (m.tp, m.pp, m.total) == (exact.tp, exact.pp, exact.total)
    True
    """

    tp: np.ndarray
    pp: np.ndarray
    positives: float
    total: float

    @classmethod
    def of(cls, stats: ScoreStats) -> EdgeCounts:
        hist = stats.hist
        suffix = lambda a: np.cumsum(a[::-1])[::-1]  # noqa: E731
        return cls(suffix(hist.positive), suffix(hist.total), float(hist.positives), float(hist.rows))

    def at(self, k: int) -> PRF:
        """Precision, recall, F1 and the confusion counts at edge ``k`` (scores >= the edge positive)."""
        return PRF.from_counts(self.tp[k], self.pp[k], self.positives, self.total)
