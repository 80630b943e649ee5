"""Counts by threshold from a run's stored score histogram, exact at the grid's edges.

A binary run stores, for cv and test, the histogram of its scores on
:data:`diagnose.thresholds.SCORE_GRID` (65,536 buckets over [0, 1]). A bucket holds one
interval of scores, so at the lower edge of a bucket (the smallest score that falls in it)
the rows with score >= the edge are exactly the rows of that bucket and the ones above:
the counts there are exact, with no row read. Between two edges the histogram cannot tell
where a row lies, so the page moves its slider on the edges and says which edge the counts
are at; it never interpolates. A report computed by streaming stores no precision/recall
curve: the page then draws it from the histogram too, at the occupied buckets' lower edges
(:meth:`EdgeCounts.curve`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from diagnose.thresholds import (
    PRF,
    SCORE_GRID,
    ScoreHistogram,
    ScoreStats,
    ThresholdCurve,
    ThresholdRule,
    grid_edges,
    histogram_curve,
)

BUCKETS = SCORE_GRID.buckets
STEP = 1.0 / BUCKETS  # the slider's step: slider value k * STEP stands for edge k


def edges() -> np.ndarray:
    """The lower edge of every bucket: the smallest float64 score whose bucket is k (edge 0
    is 0.0, the lowest binary score); :func:`diagnose.thresholds.grid_edges` of the grid.

    >>> e = edges()
    >>> len(e), float(e[0]), bool(np.all(SCORE_GRID.keys(e) == np.arange(len(e))))
    (65536, 0.0, True)
    >>> bool(np.all(SCORE_GRID.keys(np.nextafter(e[1:], -1.0)) == np.arange(len(e) - 1)))  # just under: one lower
    True
    """
    return grid_edges(SCORE_GRID)


def nearest_edge(value: float) -> int:
    """The edge a slider value stands for: the nearest ``k * STEP``, within the grid.

    >>> nearest_edge(0.5), nearest_edge(1.0), nearest_edge(-3.0)
    (32768, 65535, 0)
    """
    return int(min(max(round(value * BUCKETS), 0), BUCKETS - 1))


@dataclass(frozen=True, eq=False)
class EdgeCounts:
    """Per edge k: the rows (or weight) ``pp`` and positives ``tp`` with score >= edge k, of
    one split's stored :class:`~diagnose.thresholds.ScoreStats` (its histogram: ``hist``).

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
    hist: ScoreHistogram

    @classmethod
    def of(cls, stats: ScoreStats) -> EdgeCounts:
        hist = stats.hist
        suffix = lambda a: np.cumsum(a[::-1])[::-1]  # noqa: E731
        return cls(suffix(hist.positive), suffix(hist.total), float(hist.positives), float(hist.rows), hist)

    def at(self, k: int) -> PRF:
        """Precision, recall, F1 and the confusion counts at edge ``k`` (scores >= the edge positive)."""
        return PRF.from_counts(self.tp[k], self.pp[k], self.positives, self.total)

    def curve(self, chosen: Optional[float], rule: Optional[str] = None) -> ThresholdCurve:
        """The precision/recall curve and F1 by threshold at the occupied buckets' lower edges
        (exact there; :func:`diagnose.thresholds.histogram_curve`), with as many points as a
        report's curve and the chosen threshold's bucket; ``rule``: the report's rule (the
        cost rule adds the ``cost`` column, as in a report).

        >>> from diagnose.thresholds import sweep
        >>> y, s = np.array([0, 1, 1, 0, 1]), edges()[[5, 9, 9, 30000, 65535]]
        >>> c, exact = EdgeCounts.of(ScoreStats.of(y, s)).curve(float(s[1]), "cost:fp=1,fn=2"), sweep(y, s)
        >>> c.threshold.tolist() == exact.thresholds.tolist(), c.f1.tolist() == exact.fbeta().tolist(), c.cost is None
        (True, True, False)
        """
        costs = None
        if rule is not None:
            try:
                costs = ThresholdRule.parse(rule).costs
            except ValueError:  # a rule this version does not read: the curve without costs
                costs = None
        return histogram_curve(self.hist, chosen=chosen, costs=costs)
