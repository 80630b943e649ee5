"""Score histograms: the one-pass statistic behind the exact threshold search.

A :class:`ScoreGrid` cuts a score range into ``2**bits`` equal buckets. The bucket of a
score never goes down when the score goes up: it is a rounded subtraction, a rounded
multiplication by a positive number, a clip and a floor, and each of those keeps order.
So a bucket holds one interval of scores, equal scores share a bucket, and every
threshold (a distinct score) lies in exactly one bucket. The grid is also nested: the
bucket at ``bits + d`` bits, shifted right by ``d``, is the bucket at ``bits`` bits (the
scale factor only gains a power of two, which multiplies without rounding), so a bucket
can be cut finer later without reading the rows it does not hold.

A :class:`ScoreHistogram` holds, per bucket, the rows (or the weight) and the positives
(or their weight) of a chunk of rows. Two histograms on the same grid merge by adding, so
chunks, files or partitions can be counted apart and combined in any order; with integer
counts the result does not depend on that order at all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

# the finest grid: 2**52 buckets still have exactly representable edges as float64
MAX_BITS = 52


@dataclass(frozen=True)
class ScoreGrid:
    """``2**bits`` equal buckets over [``lo``, ``hi``]; scores outside the range go to the
    first or the last bucket (which keeps order, so a search stays exact, only slower).

    >>> g = ScoreGrid(0.0, 1.0, bits=2)  # four buckets, each (a hair over) 0.25 wide
    >>> g.keys(np.array([0.0, 0.1, 0.3, 0.6, 1.0, 7.0])).tolist()
    [0, 0, 1, 2, 3, 3]
    >>> g.keys(np.array([0.1, 0.3, 0.6]), bits=4).tolist()  # finer: the same buckets, cut in four
    [1, 4, 9]
    """

    lo: float = 0.0
    hi: float = 1.0
    bits: int = 16

    @classmethod
    def spanning(cls, y_score: np.ndarray, bits: int = 16) -> Optional[ScoreGrid]:
        """The grid from the smallest to the largest score; ``None`` when a score is NaN or
        infinite, or the range overflows (no grid then keeps order).

        >>> ScoreGrid.spanning(np.array([0.2, 0.9, 0.4]), bits=8)
        ScoreGrid(lo=0.2, hi=0.9, bits=8)
        """
        if y_score.shape[0] == 0:
            return cls(0.0, 1.0, bits)
        lo, hi = float(y_score.min()), float(y_score.max())
        if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
            return None
        return cls(lo, hi, bits)

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    def keys(self, y_score: np.ndarray, bits: Optional[int] = None, scratch: Optional[tuple] = None,
             inside: bool = False) -> np.ndarray:
        """The bucket of every score (int64), on this grid or on the finer one of ``bits``.

        ``scratch``: a float64 and an int64 array of the scores' length to work in (the
        result is the second), so that a pass over many chunks allocates nothing.
        ``inside``: the caller knows every score lies in [lo, hi] (the grid spans them), so
        the clip is skipped: the scale is a hair (2**-40) under ``2**bits / (hi - lo)``,
        which keeps even the top score, rounding included, below the last bucket's end."""
        bits = self.bits if bits is None else bits
        width = self.hi - self.lo
        # the same base scaled by a power of two at every resolution, so that the grids nest;
        # a single-valued (or unrepresentably narrow) range puts every row in bucket 0
        scale = math.ldexp((1.0 / width) * (1.0 - 2.0**-40), bits) if width > 0 else 0.0
        scale = scale if math.isfinite(scale) else 0.0
        x = np.subtract(y_score, self.lo, dtype=np.float64, out=None if scratch is None else scratch[0])
        x *= scale
        if not inside:
            np.clip(x, 0.0, float((1 << bits) - 1), out=x)
        if scratch is None:
            return x.astype(np.int64)
        np.copyto(scratch[1], x, casting="unsafe")  # truncation: the floor of a number >= 0
        return scratch[1]


@dataclass(frozen=True, eq=False)
class ScoreHistogram:
    """Per bucket of ``grid``: ``total``, the rows (int64) or their weight (float64), and
    ``positive``, the rows with label 1 or their weight. Rows of weight 0 count for
    nothing, as in the sweep.

    >>> g = ScoreGrid(0.0, 1.0, bits=2)
    >>> a = ScoreHistogram.of(g, np.array([0, 1, 1]), np.array([0.1, 0.3, 0.9]))
    >>> b = ScoreHistogram.of(g, np.array([1, 0]), np.array([0.2, 0.8]))
    >>> h = a.merge(b)
    >>> h.total.tolist(), h.positive.tolist(), h.rows, h.positives
    ([2, 1, 0, 2], [1, 1, 0, 1], 5, 3)
    """

    grid: ScoreGrid
    total: np.ndarray
    positive: np.ndarray

    @classmethod
    def of(cls, grid: ScoreGrid, y_true, y_score, sample_weight=None, scratch: Optional[tuple] = None,
           inside: bool = False) -> ScoreHistogram:
        """The histogram of one chunk of rows (labels: 1 is positive, anything else is not);
        ``scratch`` and ``inside`` as for :meth:`ScoreGrid.keys`."""
        is_pos = np.asarray(y_true) == 1
        keys = grid.keys(np.asarray(y_score, dtype=np.float64), scratch=scratch, inside=inside)
        n = grid.buckets
        if sample_weight is None:
            # one count of (bucket, label) pairs gives both columns
            keys <<= 1
            keys += is_pos
            both = np.bincount(keys, minlength=2 * n)
            return cls(grid, both[0::2] + both[1::2], both[1::2].copy())
        w = np.asarray(sample_weight, dtype=np.float64)
        return cls(grid, np.bincount(keys, weights=w, minlength=n),
                   np.bincount(keys[is_pos], weights=w[is_pos], minlength=n))

    @classmethod
    def empty(cls, grid: ScoreGrid, weighted: bool = False) -> ScoreHistogram:
        """The histogram of no rows (the start of a reduction).

        >>> ScoreHistogram.empty(ScoreGrid(bits=1)).total.tolist()
        [0, 0]
        """
        dtype = np.float64 if weighted else np.int64
        return cls(grid, np.zeros(grid.buckets, dtype), np.zeros(grid.buckets, dtype))

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        """The histogram of both chunks' rows (the grids must be the same)."""
        if other.grid != self.grid:
            raise ValueError(f"cannot merge histograms on different grids ({self.grid} and {other.grid})")
        return ScoreHistogram(self.grid, self.total + other.total, self.positive + other.positive)

    @property
    def rows(self):
        """All rows (or all weight)."""
        return self.total.sum().item()

    @property
    def positives(self):
        """All positive rows (or their weight)."""
        return self.positive.sum().item()
