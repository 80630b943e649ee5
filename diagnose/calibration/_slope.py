"""The calibration slope's sample, mergeable: the ``SLOPE_SCORES`` distinct scores of smallest
seeded hash (:func:`score_keys`, a bijection of the score), each with its rows and its weight of
0 and 1 outcomes. A bottom-k sample: the k smallest keys of a merge are among the k smallest of
its parts, so chunks' samples merge exactly. A chunk's candidates are the rows whose key is
below a cut (:class:`Hits`, :func:`prefilter_cut`), sorted by key (:func:`key_order`) and
grouped, one group per distinct score (:meth:`SlopeSample.of_rows`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ingest import mix64
from ._bins import BLOCK

# the calibration slope is fitted on the rows of at most this many distinct scores
SLOPE_SCORES = 50_000


class Hits:
    """The rows of key at most ``cut`` (and their keys), gathered block by block."""

    @classmethod
    def of(cls, s: np.ndarray, seed: int, cut: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``s`` whose key is at most ``cut`` (ascending) and their keys."""
        hits = cls(seed, cut)
        for lo in range(0, len(s), BLOCK):
            hits.add(s[lo:lo + BLOCK], lo)
        return hits.rows()

    def __init__(self, seed: int, cut: int) -> None:
        self.mixed, self.cut = _seed_word(seed), np.uint64(cut)
        self.at: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []

    def add(self, s: np.ndarray, first_row: int) -> None:
        k = _keys(s, self.mixed)
        hit = np.flatnonzero(k <= self.cut)
        self.at.append(hit + first_row)
        self.keys.append(k[hit])

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.at:
            return np.zeros(0, np.intp), np.zeros(0, np.uint64)
        return np.concatenate(self.at), np.concatenate(self.keys)


def _seed_word(seed: int) -> np.uint64:
    """The word every score's bits are xored with before the hash: the seed, mixed."""
    return mix64(np.array([seed % 2**64], np.uint64))[0]


def _keys(scores: np.ndarray, mixed: np.uint64) -> np.ndarray:
    bits = (np.asarray(scores, dtype=np.float64) + 0.0).view(np.uint64)  # a fresh array: mixed in place
    bits ^= mixed
    return mix64(bits, copy=False)


def score_keys(scores: np.ndarray, seed: int) -> np.ndarray:
    """The seeded hash of each score (``-0.0`` as ``0.0``) that orders the slope's sample:
    splitmix64 of the float's bits and the seed, a bijection, so distinct scores never share
    a key (numpy only: the streamed report does not import pandas).

    >>> k = score_keys(np.array([0.25, -0.0, 0.0, 0.25]), seed=3)
    >>> bool(k[0] == k[3]), bool(k[1] == k[2]), bool(k[0] != score_keys(np.array([0.25]), seed=4)[0])
    (True, True, True)
    """
    return _keys(scores, _seed_word(seed))


HASHED_ROWS = 1 << 18  # from this many rows, distinct scores are found by a hash table
MAX_KEY = 2**64 - 1


def prefilter_cut(n: int) -> int:
    """The largest key the slope's prefilter keeps among ``n`` rows: about 1.25 ``SLOPE_SCORES``
    rows of uniform keys (with 50,000 of them and distinct scores, fewer than 50,000 is 50
    standard deviations away; then a wider cut); every row when there are not more than that.

    >>> prefilter_cut(10) == MAX_KEY, prefilter_cut(10**9) < 2**60
    (True, True)
    """
    return min(MAX_KEY, (SLOPE_SCORES * 5 << 64) // (4 * max(n, 1)))


def key_order(keys: np.ndarray) -> np.ndarray:
    """A stable argsort of uint64 keys: two radix passes (numpy's stable sort of 16-bit
    digits) on the top 32 bits of their range, then a check, and a merge sort of the few
    keys those bits do not order.

    >>> key_order(np.array([5, 3, 5, 1] * 2000, np.uint64))[:6].tolist()
    [3, 7, 11, 15, 19, 23]
    """
    if len(keys) < 1 << 12:
        return np.argsort(keys, kind="stable")
    bits = max(32, int(keys.max()).bit_length())
    order = np.argsort((keys >> np.uint64(bits - 32)).astype(np.uint16), kind="stable")
    order = order[np.argsort((keys[order] >> np.uint64(bits - 16)).astype(np.uint16), kind="stable")]
    ordered = keys[order]
    if np.any(ordered[1:] < ordered[:-1]):  # keys equal on those 32 bits, out of order (timsort: a run)
        order = order[np.argsort(ordered, kind="stable")]
    return order


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
        s = np.asarray(s, np.float64)
        cut = prefilter_cut(len(s))
        at, keys = Hits.of(s, seed, cut)
        return cls.of_rows(s, y, w, seed, at, keys, cut)

    @classmethod
    def of_rows(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, seed: int, at: np.ndarray,
                keys: np.ndarray, cut: int) -> SlopeSample:
        """The sample of the rows ``s``, ``y``, ``w`` from ``at``, every row whose key is at
        most ``cut`` (ascending), and ``keys``, their keys: the rows sorted by key (stable: by
        row within a score, so each score's sums add in row order, as ``np.bincount`` over
        every row does), grouped by key (a bijection: one group per distinct score), the first
        ``SLOPE_SCORES`` groups kept. Keys are uniform: when fewer distinct scores lie below
        the cut, a wider cut from their density, once; then every row, by :func:`distinct`.

        >>> s = np.array([0.3, 0.3, 0.6])
        >>> x = SlopeSample.of_rows(s, np.array([1.0, 0.0, 1.0]), None, 0, np.arange(3), score_keys(s, 0), MAX_KEY)
        >>> sorted(zip(x.score.tolist(), x.rows.tolist(), x.weight1.tolist()))
        [(0.3, 2.0, 1.0), (0.6, 1.0, 1.0)]
        """
        for wider in (False, True):
            order = key_order(keys)
            keys = keys[order]
            first = np.ones(len(keys), bool)
            first[1:] = keys[1:] != keys[:-1]
            groups = int(np.count_nonzero(first))
            if groups >= SLOPE_SCORES or cut == MAX_KEY:
                return cls._grouped(s, y, w, at[order], keys, first)
            # about groups * 2^64 / cut distinct scores in all: a cut for 1.25 SLOPE_SCORES of them
            cut = min(MAX_KEY, (cut // max(groups, 1)) * (SLOPE_SCORES * 5 // 4 + 1))
            if wider or groups < 100 or cut > MAX_KEY // 2:  # many ties: the hash table of every score
                return cls._of_all(s, y, w, seed)
            at, keys = Hits.of(s, seed, cut)
        raise AssertionError("unreachable")

    @classmethod
    def _grouped(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, rows: np.ndarray, keys: np.ndarray,
                 first: np.ndarray) -> SlopeSample:
        """The sample from rows sorted by key (stable), ``first`` marking each key's first row."""
        starts = np.flatnonzero(first)
        end = int(starts[SLOPE_SCORES]) if len(starts) > SLOPE_SCORES else len(first)
        rows, keys, first = rows[:end], keys[:end], first[:end]
        if min(len(starts), SLOPE_SCORES) == end:  # one row per score: its own sums (0.0 + x, as np.bincount adds)
            y = y[rows] + 0.0
            score = s[rows] + 0.0
            if w is None:
                return cls(keys, score, np.ones(end), 1.0 - y, y)
            wr = w[rows]
            ones_w = wr * y
            return cls(keys, score, np.ones(end), (wr - ones_w) + 0.0, ones_w + 0.0)
        group = np.cumsum(first) - 1
        count = np.bincount(group) * 1.0
        score = s[rows[first]] + 0.0  # -0.0 as 0.0
        if w is None:  # weights of 1: the 1 outcomes' weight is their count, the rest the 0s'
            ones = np.bincount(group, y[rows])
            return cls(keys[first], score, count, count - ones, ones)
        wr = w[rows]
        ones_w = wr * y[rows]
        return cls(keys[first], score, count, np.bincount(group, wr - ones_w), np.bincount(group, ones_w))

    @classmethod
    def _of_all(cls, s: np.ndarray, y: np.ndarray, w: np.ndarray | None, seed: int) -> SlopeSample:
        """The sample from every row, through the distinct scores (few distinct scores: a hash table)."""
        scores, codes = distinct(s)
        key = score_keys(scores, seed)  # distinct scores, distinct keys: any sort is the stable one
        pick = np.argpartition(key, SLOPE_SCORES - 1)[:SLOPE_SCORES] if len(key) > SLOPE_SCORES else np.arange(len(key))
        pick = pick[np.argsort(key[pick])]
        rows = np.bincount(codes, minlength=len(key))[pick] * 1.0
        if w is None:
            ones = np.bincount(codes, y, len(key))[pick]
            return cls(key[pick], scores[pick], rows, rows - ones, ones)
        ones_w = w * y
        return cls(key[pick], scores[pick], rows, np.bincount(codes, w - ones_w, len(key))[pick],
                   np.bincount(codes, ones_w, len(key))[pick])

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
