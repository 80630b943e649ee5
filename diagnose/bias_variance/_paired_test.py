"""The one-sided paired test of the skew section: is the model's cv accuracy above the
trivial classifier's, on the same rows?

Per row ``d_i = (model wrong) - (trivial wrong)``; multi-label: the mean over the row's
labels, so the row, not the label decision, is the unit (a row's labels are decided
together and are not independent). The accuracy gain of the model is ``-mean(d)``.
Which test (the ``test`` it reports):

* :data:`EXACT_MCNEMAR`, binary and multiclass without sample weights (or with weights all
  equal, which carry no information): the exact binomial tail ``P(X >= b)``,
  ``X ~ Bin(b + c, 1/2)``, of the ``b`` rows only the model gets right and the ``c`` rows
  only the trivial classifier does. Exact there: every row is one paired decision.
* :data:`PAIRED_Z`, sample weights or multi-label: the design-based z-test of the weighted
  mean ``d̄`` with the linearisation ("sandwich") variance
  ``n / (n - 1) * sum (w_i (d_i - d̄))^2 / (sum w)^2`` over the ``n`` rows of positive
  weight; ``p = P(Z <= d̄ / se)``. Unit-free: multiplying the weights by any constant
  changes nothing. When every such row has the same ``d`` (no spread, ``se = 0``), p is the
  sign test's ``0.5 ** n`` if the model wins every row, else 1.

The test it replaces, McNemar on weighted discordant counts rounded to whole rows,
depended on the unit of the weights (x10: a type I error of 26-31%; weights summing to 1:
p = 1 whatever the models) and took each label decision of a multi-label row as a unit of
its own (see ``benchmarks/uncertainty_paired.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..metrics import fair_coin_tail
from ..stats import Agreement

EXACT_MCNEMAR = "exact_mcnemar"
PAIRED_Z = "paired_z"


@dataclass(frozen=True)
class AccuracyTest:
    """The paired test of model vs trivial: which ``test``, the weighted accuracy ``gain``
    of the model (model minus trivial), its design-based ``se`` and the one-sided
    ``p_value`` of "the model is more accurate"."""

    test: str
    gain: float
    se: float
    p_value: float


def mcnemar_p(better: float, worse: float) -> float:
    """One-sided p of ``better`` wins vs ``worse`` losses under a fair coin: the exact
    binomial tail P(X >= better), X ~ Bin(better + worse, 1/2) (:func:`~diagnose.metrics.fair_coin_tail`:
    milliseconds for a billion discordant pairs). Meant for whole counts (others are rounded).

    >>> round(mcnemar_p(3, 0), 3), round(mcnemar_p(10, 2), 4)
    (0.125, 0.0193)
    """
    b, n = int(round(better)), int(round(better + worse))
    if n <= 0 or b <= 0:
        return 1.0
    return min(1.0, fair_coin_tail(b, n))


def paired_z(d: np.ndarray, weight: Optional[np.ndarray] = None) -> tuple[float, float, float]:
    """``(mean d, se, p)`` of the per-row differences ``d`` (negative: the model is better):
    the design-based one-sided z-test of "mean d < 0".

    >>> d = np.array([-1.0, -1.0, 0.0, 1.0, -1.0, 0.0, -1.0, 0.0])
    >>> [round(x, 4) for x in paired_z(d)]
    [-0.375, 0.2631, 0.077]
    >>> paired_z(d, np.full(8, 10.0))[2] == paired_z(d)[2]  # unit-free
    True
    """
    d = np.asarray(d, dtype=np.float64)
    if weight is None:
        n = d.shape[0]
        mean = float(d.mean()) if n else 0.0
        dev = d - mean
        ss = float(dev @ dev) / max(n, 1) ** 2
        spread = n > 0 and bool(np.ptp(d) > 0)
    else:
        w = np.asarray(weight, dtype=np.float64)
        pos = w > 0
        n = int(np.count_nonzero(pos))
        share = w / w.sum()  # the weights as shares: what makes the test unit-free
        mean = float(share @ d)
        u = share * (d - mean)
        ss = float(u @ u)
        spread = n > 0 and bool(np.ptp(d[pos]) > 0)
    return _z(mean, ss, n, spread)


def _z(mean: float, ss: float, n: int, spread: bool) -> tuple[float, float, float]:
    """``(mean, se, p)`` from the mean, ``ss = sum (share_i (d_i - mean))^2``, the rows
    ``n`` (of positive weight) and whether d varies over them."""
    se = math.sqrt(n / (n - 1) * ss) if n > 1 else math.nan
    if not spread:  # every row the same: the sign test of n rows all one way
        return mean, (0.0 if n > 1 else se), (0.5 ** n if mean < 0 else 1.0)
    return mean, se, 0.5 * math.erfc(-mean / se / math.sqrt(2.0))


def accuracy_vs_trivial(model_wrong: np.ndarray, trivial_wrong: np.ndarray,
                        weight: Optional[np.ndarray] = None) -> AccuracyTest:
    """The paired test of the model's accuracy against the trivial classifier's on the same
    rows, from per-row (n,) or per-label (n, labels) booleans; the test as the module says.

    >>> mw = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0, 0], bool)
    >>> tw = np.array([1, 1, 0, 0, 1, 1, 1, 0, 1, 0], bool)
    >>> t = accuracy_vs_trivial(mw, tw)
    >>> t.test, round(t.gain, 2), round(t.p_value, 4)  # 5 rows only the model gets right, 1 the other way
    ('exact_mcnemar', 0.4, 0.1094)
    >>> t = accuracy_vs_trivial(mw, tw, np.arange(1.0, 11.0))
    >>> t.test, round(t.gain, 4), round(t.p_value, 4)
    ('paired_z', 0.3455, 0.0488)
    """
    mw, tw = np.asarray(model_wrong, bool), np.asarray(trivial_wrong, bool)
    if mw.ndim == 2:  # multi-label: the row is the unit
        d = mw.mean(axis=1) - tw.mean(axis=1)
    else:
        d = mw.astype(np.float64) - tw
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    equal = w is None or bool(w.min() == w.max())
    mean, se, p = paired_z(d, None if equal else w)
    if mw.ndim == 1 and equal:
        b, c = int(np.count_nonzero(~mw & tw)), int(np.count_nonzero(mw & ~tw))
        return AccuracyTest(EXACT_MCNEMAR, -mean, se, mcnemar_p(b, c))
    return AccuracyTest(PAIRED_Z, -mean, se, p)


def accuracy_from_agreement(agreement: Agreement) -> AccuracyTest:
    """:func:`accuracy_vs_trivial` from the merged :class:`~diagnose.stats.Agreement` of cv
    (the streaming engines): the same test and formulas, with the sums over rows grouped by
    the row's ``D`` (so ``d = D / labels``).

    >>> from diagnose.ingest import Predictions
    >>> from diagnose.stats import Agreement
    >>> mw = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0, 0], np.int8)
    >>> tw = np.array([1, 1, 0, 0, 1, 1, 1, 0, 1, 0], np.int8)
    >>> p = Predictions("binary", tw, y_pred=(tw ^ mw).astype(np.int8), weight=np.arange(1.0, 11.0))
    >>> t = accuracy_from_agreement(Agreement.of(p, np.asarray(0)))
    >>> t.test, round(t.gain, 4), round(t.p_value, 4)  # as accuracy_vs_trivial's example
    ('paired_z', 0.3455, 0.0488)
    """
    a = agreement
    d = np.arange(-a.labels, a.labels + 1, dtype=np.float64) / a.labels
    rows = np.asarray(a.rows)
    equal = not a.weighted or a.low == a.high
    if equal:
        n = int(rows.sum())
        mean = float(d @ rows) / n if n else 0.0
        ss = float(((d - mean) ** 2) @ rows) / max(n, 1) ** 2
        spread = int(np.count_nonzero(rows)) > 1
    else:
        positive = np.asarray(a.positive)
        n = int(positive.sum())
        sums = np.asarray(a.weight, dtype=np.float64)
        total = float(sums.sum())
        mean = float(d @ sums) / total
        ss = float(((d - mean) ** 2) @ np.asarray(a.weight2, dtype=np.float64)) / total ** 2
        spread = int(np.count_nonzero(positive)) > 1
    mean, se, p = _z(mean, ss, n, spread)
    if a.labels == 1 and equal:
        return AccuracyTest(EXACT_MCNEMAR, -mean, se, mcnemar_p(a.rows[0], a.rows[2]))
    return AccuracyTest(PAIRED_Z, -mean, se, p)
