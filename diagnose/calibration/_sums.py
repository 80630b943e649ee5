"""Calibration as a mergeable statistic: :class:`CalibrationSums`, what every figure of the
calibration section is computed from, on any engine.

Per binary problem (binary: the positive-class score; multiclass: the top label, then each
class one-vs-rest; multi-label: each label) and per bin, the rows, sum w, sum w s, sum w y,
sum w^2 and the sums of w^2 (y - s)^2 and w^2 (y - s) behind the bootstrap's normal limit;
per problem the sums behind the Brier score and Spiegelhalter's test, and the sample behind
the calibration slope (``._slope``): the ``SLOPE_SCORES`` distinct scores of smallest seeded hash, each with
its rows and its weight of 0 and 1 outcomes (a bottom-k sample: the k smallest of a merge
are among the k smallest of its parts, so it merges exactly). While a split has at most
``KEEP_ROWS`` rows its rows themselves are kept too, for the exact bootstrap of the ECE; past
that the bootstrap draws from the bin sums. Two chunks' sums ``merge``; the figures come from
:func:`~diagnose.calibration.calibration_from_sums`, which the in-memory path calls as well.

A problem's sums take one pass over its rows, a block at a time (:class:`Scan`): the bins' sums
(in row order, as one ``np.bincount``), the dot products, and the rows of the slope's
prefilter, sorted and grouped by key afterwards (:meth:`SlopeSample.of_rows`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..ingest import Predictions
from ._bins import BLOCK, KEEP_ROWS, BinAdder, bin_edges, bin_sums
from ._slope import Hits, SlopeSample, prefilter_cut


@dataclass
class Scan:
    """What one pass over a problem's rows, block by block (:data:`BLOCK` rows: the temporaries
    stay in the caches), adds up: ``bins`` (:func:`~diagnose.calibration._bins.bin_sums`: each
    sum in row order), ``brier`` and ``spiegelhalter`` (as in :class:`ProblemSums`, added block
    by block) and the rows whose :func:`score_keys` are at most ``cut`` (``at``, ascending) and
    their ``keys``."""

    bins: np.ndarray
    brier: float
    spiegelhalter: tuple[float, float]
    at: np.ndarray
    keys: np.ndarray

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, edges: np.ndarray, cut: int, seed: int) -> Scan:
        """The scan of ``s``, ``y`` and ``w`` (``None``: every weight 1) on ``edges``.

        >>> x = Scan.of(np.array([0.2, 0.8, 0.9]), np.array([0.0, 1.0, 0.0]), None, np.linspace(0, 1, 3), 2**64 - 1, 0)
        >>> x.bins[0].tolist(), round(x.brier, 12), x.at.tolist()
        ([1.0, 2.0], 0.89, [0, 1, 2])
        """
        adder = BinAdder(edges, w is not None, len(s))
        brier = num = var = 0.0
        hits = Hits(seed, cut)
        for lo in range(0, len(s), BLOCK):
            sb, wb = s[lo:lo + BLOCK], None if w is None else w[lo:lo + BLOCK]
            resid, w2 = adder.add(sb, y[lo:lo + BLOCK], wb)
            b, n, v = _dots(sb, resid, wb, w2)
            brier, num, var = brier + b, num + n, var + v
            hits.add(sb, lo)
        return cls(adder.sums(), brier, (num, var), *hits.rows())


def _dots(s: np.ndarray, resid: np.ndarray, w: np.ndarray | None, w2: np.ndarray | None) -> tuple[float, ...]:
    """sum w (y - s)^2, sum w (y - s)(1 - 2s), sum w^2 (1 - 2s)^2 s (1 - s) of one block."""
    a = s * -2.0
    a += 1.0  # 1 - 2s
    spread = a * a  # a * a * s * (1 - s), the same products, in place
    spread *= s
    spread *= 1.0 - s
    if w is None or w2 is None:
        return float(np.dot(resid, resid)), float(np.dot(resid, a)), float(spread.sum())
    return float(np.dot(w, resid * resid)), float(np.dot(w, resid * a)), float(np.dot(w2, spread))


@dataclass(frozen=True)
class ProblemSums:
    """One binary problem's sums: ``bins`` (:data:`~diagnose.calibration._bins.BIN_SUMS` by
    bin, on ``edges``), ``brier`` (sum w (s - y)^2), ``spiegelhalter`` (sum w (y - s)(1 - 2s)
    and sum w^2 (1 - 2s)^2 s (1 - s)) and the slope's :class:`SlopeSample`."""

    edges: np.ndarray
    bins: np.ndarray
    brier: float
    spiegelhalter: tuple[float, float]
    sample: SlopeSample

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, edges: np.ndarray, seed: int) -> ProblemSums:
        """The sums of one chunk's rows of the problem (``w`` ``None``: every weight 1): one
        :class:`Scan` of its rows, then the slope's sample from the rows its prefilter kept."""
        cut = prefilter_cut(len(s))
        scan = Scan.of(s, y, w, edges, cut, seed)
        return cls(edges, scan.bins, scan.brier, scan.spiegelhalter,
                   SlopeSample.of_rows(s, y, w, seed, scan.at, scan.keys, cut))

    def merge(self, other: ProblemSums) -> ProblemSums:
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("calibration sums on different bins do not merge")
        return ProblemSums(self.edges, self.bins + other.bins, self.brier + other.brier,
                           (self.spiegelhalter[0] + other.spiegelhalter[0],
                            self.spiegelhalter[1] + other.spiegelhalter[1]), self.sample.merge(other.sample))


def problems_of(task: str, y_true: np.ndarray, y_score: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (scores, 0/1 outcomes) of each binary problem: binary its one; multiclass the top
    label (largest probability, argmax right) then each class; multi-label each label.

    >>> [(s.tolist(), y.tolist()) for s, y in problems_of("binary", np.array([1, 0]), np.array([0.7, 0.2]))]
    [([0.7, 0.2], [1.0, 0.0])]
    """
    score = np.asarray(y_score, dtype=np.float64)
    if task == "binary":
        return [(score, np.asarray(y_true).astype(np.float64))]
    by_column = np.ascontiguousarray(score.T)  # each problem's scores contiguous: faster arithmetic
    cols = range(score.shape[1])
    hits = [(y_true == k) if task == "multiclass" else y_true[:, k] for k in cols]
    out = [(by_column[k], np.asarray(h).astype(np.float64)) for k, h in zip(cols, hits)]
    if task == "multiclass":
        out.insert(0, top_label(score, by_column, y_true))
    return out


def top_label(score: np.ndarray, by_column: np.ndarray, y_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top-label problem of multiclass scores (rows; ``by_column`` the same, transposed):
    each row's largest score and whether its label is the first column holding it, as
    ``max`` and ``argmax`` along the rows give, column by column for a few classes (``max``
    along rows of a few scores costs tens of nanoseconds a row).

    >>> p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    >>> [x.tolist() for x in top_label(p, np.ascontiguousarray(p.T), np.array([1, 2]))]
    [[0.5, 0.5], [0.0, 1.0]]
    """
    if by_column.shape[0] > 32 or not by_column.shape[1]:
        return score.max(axis=1), (score.argmax(axis=1) == y_true).astype(np.float64)
    top = np.maximum.reduce(by_column, axis=0)
    if np.isnan(top).any():  # argmax's choice among NaNs (refused scores, but not here)
        return top, (score.argmax(axis=1) == y_true).astype(np.float64)
    first = np.zeros(len(top), np.int16)  # the columns before the first that holds the largest score
    before = np.ones(len(top), bool)
    for column in by_column[:-1]:
        before &= column != top
        first += before
    return top, (first == y_true).astype(np.float64)


@dataclass(frozen=True)
class CalibrationSums:
    """A split's calibration statistic (see the module): ``problems`` in the order of
    :func:`problems_of`; ``pooled`` the bin sums of every (row, label) cell (multi-label);
    ``rows`` the split's ``(y_true, y_score, weight)`` while it has at most ``keep`` rows.

    >>> y, s = np.array([0, 1, 1, 0], np.int8), np.array([.2, .7, .9, .4])
    >>> a = CalibrationSums.of(Predictions("binary", y[:2], s[:2]), bins=5)
    >>> b = CalibrationSums.of(Predictions("binary", y[2:], s[2:]), bins=5)
    >>> whole = CalibrationSums.of(Predictions("binary", y, s), bins=5)
    >>> merged = a.merge(b)
    >>> merged.n, bool(np.allclose(merged.problems[0].bins, whole.problems[0].bins)), merged.rows is not None
    (4, True, True)
    """

    task: str
    classes: tuple[str, ...]
    n: int
    seed: int
    problems: tuple[ProblemSums, ...]
    pooled: np.ndarray | None = None
    pooled_edges: np.ndarray | None = None
    rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    keep: int | None = KEEP_ROWS

    @classmethod
    def of(cls, pred: Predictions, *, bins: int = 15, strategy: str = "uniform", seed: int = 0,
           keep: int | None = KEEP_ROWS) -> CalibrationSums:
        """The sums of one chunk of a split (the whole split in memory; ``keep=None`` keeps its
        rows however many). ``strategy`` ``quantile`` places each problem's edges at the
        chunk's quantiles: only the whole split's sums are then meaningful."""
        assert pred.y_score is not None
        w = None if pred.weight is None else np.asarray(pred.weight, dtype=np.float64)
        truth = np.asarray(pred.y_true)
        problems = problems_of(pred.task, truth, np.asarray(pred.y_score))
        pooled = pooled_edges = None
        # weights too large to square: the split's weight check refuses them, with its message
        with np.errstate(over="ignore", invalid="ignore"):
            each = tuple(ProblemSums.of(s, y, w, bin_edges(s, bins, strategy), seed) for s, y in problems)
            if pred.task == "multilabel" and strategy == "uniform":  # every label's bins: their sums added
                pooled_edges = bin_edges(None, bins, strategy)
                pooled = np.sum([p.bins for p in each], axis=0)
            elif pred.task == "multilabel":
                cells = np.asarray(pred.y_score, np.float64).T.ravel()  # every (row, label) cell, label after label
                pooled_edges = bin_edges(cells, bins, strategy)
                pooled = bin_sums(cells, truth.astype(np.float64).T.ravel(), None if w is None else
                                  np.tile(w, len(problems)), pooled_edges)
        rows = None
        if keep is None or pred.n <= keep:
            rows = (truth, np.asarray(pred.y_score), np.ones(pred.n) if w is None else w)
        return cls(pred.task, tuple(pred.classes), pred.n, seed, each, pooled, pooled_edges, rows, keep)

    def merge(self, other: CalibrationSums) -> CalibrationSums:
        """Both chunks' sums (the rows kept while both have them and there are at most ``keep``)."""
        if (self.task, self.classes, self.seed) != (other.task, other.classes, other.seed):
            raise ValueError("calibration sums of different problems do not merge")
        n = self.n + other.n
        rows = None
        if self.rows is not None and other.rows is not None and (self.keep is None or n <= self.keep):
            rows = (np.concatenate([self.rows[0], other.rows[0]]), np.concatenate([self.rows[1], other.rows[1]]),
                    np.concatenate([self.rows[2], other.rows[2]]))
        pooled = None if self.pooled is None or other.pooled is None else self.pooled + other.pooled
        return replace(self, n=n, problems=tuple(a.merge(b) for a, b in zip(self.problems, other.problems)),
                       pooled=pooled, rows=rows)
