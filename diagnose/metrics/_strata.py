"""Mergeable weight strata: per distinct weight value, its rows and the sum of their losses.

Class weights take a few distinct values; each value is a stratum. The interval of a
class-weighted error rate (:func:`._intervals.strata_interval`) and the caveat about a heavy
stratum resting on few rows (:func:`._split.thin_weight_strata`) read only these counts, so
chunks counted apart merge by adding. More than ``MAX_STRATA`` distinct values are no
strata: the statistic then only remembers that (``values`` is ``None``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_STRATA = 20  # weights with at most this many distinct values are read as strata


@dataclass(frozen=True)
class WeightStrata:
    """Rows (``counts``) and summed losses (``losses``) per distinct positive weight
    (``values``, ascending); ``values`` is ``None`` beyond ``MAX_STRATA`` values.

    >>> a = WeightStrata.of(np.array([1.0, 0.0, 1.0]), np.array([5.0, 1.0, 1.0]))
    >>> b = WeightStrata.of(np.array([1.0]), np.array([2.0]))
    >>> m = a.merge(b)
    >>> m.values, m.counts, m.losses
    ((1.0, 2.0, 5.0), (2, 1, 1), (1.0, 1.0, 1.0))
    """

    values: tuple[float, ...] | None
    counts: tuple[int, ...] = ()
    losses: tuple[float, ...] = ()

    @classmethod
    def of(cls, losses: np.ndarray, weight: np.ndarray) -> WeightStrata:
        """The strata of one chunk (rows of weight 0 count for nothing)."""
        keep = weight > 0
        w = weight[keep]
        if w.shape[0] and w.min() == w.max():  # one value: no sort needed
            return cls((float(w[0]),), (int(w.shape[0]),), (float(np.sum(losses[keep])),))
        values, codes = np.unique(w, return_inverse=True)
        m = values.shape[0]
        if m > MAX_STRATA:
            return cls(None)
        counts = np.bincount(codes, minlength=m)
        sums = np.bincount(codes, weights=np.asarray(losses, dtype=np.float64)[keep], minlength=m)
        return cls(tuple(values.tolist()), tuple(counts.tolist()), tuple(sums.tolist()))

    def merge(self, other: WeightStrata) -> WeightStrata:
        if self.values is None or other.values is None:
            return WeightStrata(None)
        acc: dict[float, list] = {}
        for values, counts, losses in ((self.values, self.counts, self.losses),
                                       (other.values, other.counts, other.losses)):
            for v, c, k in zip(values, counts, losses):
                slot = acc.setdefault(v, [0, 0.0])
                slot[0] += c
                slot[1] += k
        if len(acc) > MAX_STRATA:
            return WeightStrata(None)
        keys = sorted(acc)
        return WeightStrata(tuple(keys), tuple(acc[k][0] for k in keys), tuple(acc[k][1] for k in keys))
