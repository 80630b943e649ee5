"""Calibration as a mergeable statistic: :class:`CalibrationSums`, what every figure of the
calibration section is computed from, on any engine.

Per binary problem (binary: the positive-class score; multiclass: the top label, then each
class one-vs-rest; multi-label: each label) and per bin, the rows, sum w, sum w s, sum w y,
sum w^2 and the sums of w^2 (y - s)^2 and w^2 (y - s) behind the bootstrap's normal limit;
per problem the sums behind the Brier score and Spiegelhalter's test, and the sample behind
the calibration slope: the ``SLOPE_SCORES`` distinct scores of smallest seeded hash, each with
its rows and its weight of 0 and 1 outcomes (a bottom-k sample: the k smallest of a merge
are among the k smallest of its parts, so it merges exactly). While a split has at most
``KEEP_ROWS`` rows its rows themselves are kept too, for the exact bootstrap of the ECE; past
that the bootstrap draws from the bin sums. Two chunks' sums ``merge``; the figures come from
:func:`~diagnose.calibration.calibration_from_sums`, which the in-memory path calls as well.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..ingest import Predictions, mix64

# the calibration slope is fitted on the rows of at most this many distinct scores
SLOPE_SCORES = 50_000
# the rows of a split are kept (for the exact bootstrap of the ECE) up to this many
KEEP_ROWS = 100_000
# the sums per bin, in this order (rows as a float: exact up to 2^53)
BIN_SUMS = ("rows", "weight", "weight_score", "weight_label", "weight2", "weight2_resid2", "weight2_resid")


def bin_edges(scores, bins: int, strategy: str) -> np.ndarray:
    """``uniform``: ``bins`` equal widths on [0, 1]; ``quantile``: equal counts of rows
    (unweighted quantiles of the scores, first and last edges 0 and 1, repeated edges merged).

    >>> bin_edges(np.array([0.1, 0.2, 0.3, 0.9]), 2, "quantile").tolist()
    [0.0, 0.25, 1.0]
    """
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, bins + 1)
    edges = np.quantile(np.asarray(scores, dtype=np.float64), np.linspace(0.0, 1.0, bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return np.unique(edges)


def assign(scores, edges: np.ndarray) -> np.ndarray:
    """The bin of each score: ``i`` where ``edges[i] <= s < edges[i + 1]`` (the last bin closed).
    On uniform edges, ``floor(s * bins)``, which is that bin unless ``s * bins`` lies within a
    rounding of a whole number: those few rows (a score on or next to an edge) by a binary
    search of the edges. The same bins as a binary search of every score, in a few linear passes.

    >>> assign(np.array([0.0, 0.29, 0.5, 1.0]), np.linspace(0, 1, 101)).tolist()
    [0, 29, 50, 99]
    """
    nb = len(edges) - 1
    s = np.asarray(scores, dtype=np.float64)
    if nb < 2 or not np.array_equal(edges, np.linspace(0.0, 1.0, nb + 1)) or not len(s) or not (
            0.0 <= s.min() and s.max() <= 1.0):
        return np.searchsorted(edges[1:-1], s, side="right")
    scaled = s * nb
    idx = scaled.astype(np.intp)  # floor: the scores are not negative
    np.minimum(idx, nb - 1, out=idx)
    scaled -= idx  # in [0, 1], and 1 only for s = 1 (the last bin closed)
    scaled -= 0.5
    np.abs(scaled, out=scaled)
    # s * bins and the edges k / bins are each within a few units in the last place of exact
    near = scaled > 0.5 - max(1e-9, nb * 1e-12)
    if np.count_nonzero(near) > len(s) >> 6:  # many scores of exactly 0 or 1 (hard scores): bins right already
        near &= s != 0.0
        near &= s != 1.0
    at = np.flatnonzero(near)
    idx[at] = np.searchsorted(edges[1:-1], s[at], side="right")
    return idx


def bin_sums(s: np.ndarray, y: np.ndarray, w: np.ndarray | None, edges: np.ndarray,
             resid: np.ndarray | None = None) -> np.ndarray:
    """The sums :data:`BIN_SUMS` of each bin: an array (7, bins); ``w`` ``None``: every weight 1;
    ``resid``: ``y - s`` when the caller already has it.

    >>> bin_sums(np.array([0.2, 0.8, 0.9]), np.array([0.0, 1.0, 0.0]), None, np.linspace(0, 1, 3))[:4].tolist()
    [[1.0, 2.0], [1.0, 2.0], [0.2, 1.7000000000000002], [0.0, 1.0]]
    """
    nb = len(edges) - 1
    idx = assign(s, edges)
    if resid is None:
        resid = y - s
    rows = np.bincount(idx, minlength=nb).astype(np.float64)
    if w is None:  # the products by w = 1 are exact: the same sums as with weights of 1
        return np.stack([rows, rows, np.bincount(idx, s, nb), np.bincount(idx, y, nb), rows,
                         np.bincount(idx, resid * resid, nb), np.bincount(idx, resid, nb)])
    w2 = w * w
    return np.stack([rows, np.bincount(idx, w, nb), np.bincount(idx, w * s, nb), np.bincount(idx, w * y, nb),
                     np.bincount(idx, w2, nb), np.bincount(idx, w2 * resid * resid, nb),
                     np.bincount(idx, w2 * resid, nb)])


def score_keys(scores: np.ndarray, seed: int) -> np.ndarray:
    """The seeded hash of each score (``-0.0`` as ``0.0``) that orders the slope's sample:
    splitmix64 of the float's bits and the seed, a bijection, so distinct scores never share
    a key (numpy only: the streamed report does not import pandas).

    >>> k = score_keys(np.array([0.25, -0.0, 0.0, 0.25]), seed=3)
    >>> bool(k[0] == k[3]), bool(k[1] == k[2]), bool(k[0] != score_keys(np.array([0.25]), seed=4)[0])
    (True, True, True)
    """
    bits = (np.asarray(scores, dtype=np.float64) + 0.0).view(np.uint64)  # a fresh array: mixed in place
    bits ^= mix64(np.array([seed % 2**64], np.uint64))[0]
    return mix64(bits, copy=False)


HASHED_ROWS = 1 << 18  # from this many rows, distinct scores are found by a hash table


def distinct(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct scores (``-0.0`` as ``0.0``) and each row's index among them: sorted, by
    ``np.unique``, below :data:`HASHED_ROWS` rows; from there in order of first appearance,
    by pyarrow's hash table (``dictionary_encode``), linear in the rows (a sort-based
    ``np.unique`` is ten times slower on a million rows with ties). The Arrow array is built
    on the numpy buffer (``pa.array`` would import pandas).

    >>> d, codes = distinct(np.array([0.5, -0.0, 0.5, 0.0, 0.25]))
    >>> d.tolist(), codes.tolist()
    ([0.0, 0.25, 0.5], [2, 0, 2, 0, 1])
    >>> big = np.tile([0.5, -0.0, 0.25], HASHED_ROWS)
    >>> d, codes = distinct(big)
    >>> d.tolist(), codes[:4].tolist(), bool((d[codes] == big).all())
    ([0.5, 0.0, 0.25], [0, 1, 2, 0], True)
    """
    x = np.ascontiguousarray(scores, dtype=np.float64) + 0.0
    if len(x) < HASHED_ROWS:
        values, codes = np.unique(x, return_inverse=True)
        return values, codes.reshape(-1)
    import pyarrow as pa

    encoded = pa.Array.from_buffers(pa.float64(), len(x), [None, pa.py_buffer(x)]).dictionary_encode()
    return encoded.dictionary.to_numpy(), encoded.indices.to_numpy().astype(np.intp)


def by_key(key: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The order of (key, score) pairs by key, then score (a stable sort by key, which only
    needs the scores when two scores share a key: a 2^-64 chance).

    >>> by_key(np.array([3, 1, 3], np.uint64), np.array([0.5, 0.1, 0.2])).tolist()
    [1, 2, 0]
    """
    order = np.argsort(key, kind="stable")
    k, s = key[order], score[order]
    if np.any((k[1:] == k[:-1]) & (s[1:] != s[:-1])):
        return np.lexsort([score, key])
    return order


@dataclass(frozen=True)
class SlopeSample:
    """The distinct scores of smallest key (at most ``SLOPE_SCORES``), sorted by (key, score),
    each with its rows and the weight of its 0 and of its 1 outcomes."""

    key: np.ndarray
    score: np.ndarray
    rows: np.ndarray
    weight0: np.ndarray
    weight1: np.ndarray

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, seed: int) -> SlopeSample:
        """The sample of one chunk's rows (``w`` ``None``: every weight 1).

        >>> x = SlopeSample.of(np.array([0.3, 0.3, 0.6]), np.array([1.0, 0.0, 1.0]), np.ones(3), 0)
        >>> sorted(zip(x.score.tolist(), x.rows.tolist(), x.weight1.tolist()))
        [(0.3, 2.0, 1.0), (0.6, 1.0, 1.0)]
        """
        unique = None
        if len(s) > 2 * SLOPE_SCORES:  # the rows of the smallest keys, if they hold enough distinct scores
            key = score_keys(s, seed)
            # keys are uniform: the rows below 4k/n of the key range hold about 4k rows, so the
            # k-th smallest key is found among them (else, among all the rows)
            near = np.flatnonzero(key < np.uint64(min(2**64 - 1, (4 * SLOPE_SCORES << 64) // len(s))))
            if len(near) >= SLOPE_SCORES:
                cut = np.partition(key[near], SLOPE_SCORES - 1)[SLOPE_SCORES - 1]
                near = near[key[near] <= cut]
            else:
                near = np.flatnonzero(key <= np.partition(key, SLOPE_SCORES - 1)[SLOPE_SCORES - 1])
            # distinct keys are distinct scores (a bijection): count the scores, kept for below
            unique = distinct(s[near])
            if len(unique[0]) >= SLOPE_SCORES:
                s, y, w = s[near], y[near], None if w is None else w[near]
            else:
                unique = None
        scores, codes = unique or distinct(s)
        n = len(scores)
        key = score_keys(scores, seed)
        pick = np.arange(n)
        if n > SLOPE_SCORES:  # the smallest keys (more than SLOPE_SCORES only if keys collide at the cut)
            pick = np.flatnonzero(key <= np.partition(key, SLOPE_SCORES - 1)[SLOPE_SCORES - 1])
        order = np.argsort(key[pick])  # distinct scores: distinct keys, so any sort is the stable one
        if np.any(np.diff(key[pick][order]) == 0):  # unless keys collide: ordered by score too
            order = by_key(key[pick], np.asarray(scores)[pick])
        pick = pick[order][:SLOPE_SCORES]
        rows = np.bincount(codes, minlength=n)[pick] * 1.0
        if w is None:  # weights of 1: the 1 outcomes' weight is their count, the rest the 0s'
            ones = np.bincount(codes, y, n)[pick]
            return cls(key[pick], np.asarray(scores, np.float64)[pick], rows, rows - ones, ones)
        ones_w = w * y
        return cls(key[pick], np.asarray(scores, np.float64)[pick], rows, np.bincount(codes, w - ones_w, n)[pick],
                   np.bincount(codes, ones_w, n)[pick])

    def merge(self, other: SlopeSample) -> SlopeSample:
        """Both chunks' sample: equal scores' sums added, the ``SLOPE_SCORES`` smallest keys kept."""
        a, b = self._below(other), other._below(self)
        key = np.concatenate([a.key, b.key])
        score = np.concatenate([a.score, b.score])
        order = by_key(key, score)  # two sorted runs: a linear merge
        key, score = key[order], score[order]
        first = np.ones(len(score), bool)
        first[1:] = score[1:] != score[:-1]  # equal scores have equal keys: they are neighbours
        group = np.cumsum(first) - 1
        keep = slice(0, min(SLOPE_SCORES, int(first.sum())))

        def add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.bincount(group, np.concatenate([x, y])[order])[keep]

        return SlopeSample(key[first][keep], score[first][keep], add(a.rows, b.rows), add(a.weight0, b.weight0),
                           add(a.weight1, b.weight1))

    def _below(self, other: SlopeSample) -> SlopeSample:
        """This sample without the keys above a full ``other``'s largest: they cannot be kept."""
        if len(other.key) < SLOPE_SCORES or not len(self.key) or self.key[-1] <= other.key[-1]:
            return self
        n = int(np.searchsorted(self.key, other.key[-1], side="right"))
        return SlopeSample(self.key[:n], self.score[:n], self.rows[:n], self.weight0[:n], self.weight1[:n])


@dataclass(frozen=True)
class ProblemSums:
    """One binary problem's sums: ``bins`` (:data:`BIN_SUMS` by bin, on ``edges``), ``brier``
    (sum w (s - y)^2), ``spiegelhalter`` (sum w (y - s)(1 - 2s) and sum w^2 (1 - 2s)^2 s (1 - s))
    and the slope's :class:`SlopeSample`."""

    edges: np.ndarray
    bins: np.ndarray
    brier: float
    spiegelhalter: tuple[float, float]
    sample: SlopeSample

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, edges: np.ndarray, seed: int) -> ProblemSums:
        """The sums of one chunk's rows of the problem (``w`` ``None``: every weight 1)."""
        resid, a = y - s, 1.0 - 2.0 * s
        spread = a * a  # a * a * s * (1 - s), the same products, in place
        spread *= s
        rest = 1.0 - s
        spread *= rest
        if w is None:
            sums = float(np.dot(resid, resid)), float(np.dot(resid, a)), float(spread.sum())
        else:
            sums = float(np.dot(w, resid * resid)), float(np.dot(w, resid * a)), float(np.dot(w * w, spread))
        del a, spread, rest
        return cls(edges, bin_sums(s, y, w, edges, resid), sums[0], sums[1:], SlopeSample.of(s, y, w, seed))

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
        out.insert(0, (score.max(axis=1), (score.argmax(axis=1) == y_true).astype(np.float64)))
    return out


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
            if pred.task == "multilabel":
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
