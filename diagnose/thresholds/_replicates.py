"""The bootstrap's replicates: Poisson(1) weights, drawn per cell of counts or keyed per row.

Sampling scheme ``poisson-hash-v1`` (:data:`BOOTSTRAP_SCHEME`):

* a row's key is the keyed hash of (seed, id) of the error sample (scheme ``hash-v1``,
  :func:`diagnose.ingest.sample_keys`); without an id column, the id is the row's position
  among the cv rows (1 = the first cv row; in file order over a folder's parts, and counted
  among the cv rows only when one file holds every split);
* replicates come in pairs: ``mix64(key + (p + 1) * C)`` (splitmix64's finaliser) gives 64
  bits for pair ``p``, whose low 32 bits are replicate ``2p``'s uniform and high 32 bits
  replicate ``2p + 1``'s;
* the weight is the inverse CDF of Poisson(1) at that uniform: the number of cuts
  ``round(2**32 * P(X <= j))`` at or below it (:data:`POISSON_CUTS`). Each weight value
  therefore has its Poisson(1) probability to within 2**-32, and the tail above
  :data:`POISSON_CAP` (probability 1e-10) is folded into it.

Scheme ``poisson-cells-v1`` (:data:`CELLS_SCHEME`), for rows without sample weights: a
replicate's figures depend on the rows only through, per group and label, the in-bag weight
(the sum of the rows' Poisson(1) weights) and the out-of-bag rows (those of weight 0). For
``n`` rows each drawn alone, the numbers of rows of weight 0, 1, ..., 12 are multinomial
(``n``; the Poisson(1) probabilities, the tail folded into 12 as above), and the cells are
independent. So each replicate draws those multinomial counts per cell
(:func:`cell_replicates`, seeded by (seed, replicate) alone): the same joint distribution as
the hash scheme's, from the counts of the exact search's histogram instead of a hash per row
and replicate, and the same figures on every engine (the counts are exact integers). A
replicate's draws do not depend on how many replicates are drawn, nor on the rows' order or
ids. Weighted rows keep ``poisson-hash-v1`` (a sum of weights times Poisson counts has no
such closed form).

The draws of ``poisson-cells-v1`` are numpy's (``PCG64`` and ``Generator.multinomial``):
numpy keeps a generator's stream from release to release but does not promise it, so the
scheme is pinned to that algorithm; ``tests/thresholds/test_replicates.py`` holds a few draws
by value and fails if a numpy release changes them.

Poisson weights (Hanley & MacGibbon 2006; Chamandy et al. 2012) are the streaming form of
the resample with replacement: each row's weight is drawn alone. With ``poisson-hash-v1``,
any chunk of rows, in any order, on any engine, gets the same weights. The out-of-bag rows
of a replicate are its rows of weight 0 (a share of e**-1, as in the multinomial bootstrap).

Each replicate's threshold is chosen among :data:`REPLICATE_GROUPS` (at most) thresholds:
the lowest cv score of each group of adjacent score buckets (the 2**16 buckets of the exact
search) holding about ``1 / REPLICATE_GROUPS`` of the cv rows. Per replicate, with
``poisson-hash-v1``, a chunk of rows gives, per group and label, the in-bag weight and the
out-of-bag weight (:class:`CountReplicates`); chunks merge by adding, so every engine gets
the same counts. With ``poisson-cells-v1`` the counts are drawn once, from the merged
histogram (:func:`cell_replicates`), and a pass finds each group's lowest score
(:class:`FindLows`).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..ingest import mix64, sample_keys
from ._histogram import ScoreGrid

BOOTSTRAP_SCHEME = "poisson-hash-v1"  # how a seed draws the replicates: changes only with a new name
CELLS_SCHEME = "poisson-cells-v1"  # the same for rows without weights, from counts per cell
_CELLS_TAG = 0x63656C6C  # the first word of every poisson-cells-v1 seed sequence
REPLICATE_GROUPS = 1024  # at most this many candidate thresholds per replicate
POISSON_CAP = 12  # the largest weight (P(X > 12) is 1e-10 under Poisson(1))
_PAIR = np.uint64(0xD1B54A32D192ED03)  # an odd constant: pair p hashes key + (p + 1) * _PAIR
_LOW = np.uint64(0xFFFFFFFF)
_LITTLE = sys.byteorder == "little"
_EXACT = np.uint8(0x80)  # in the inverse CDF's table: a bucket holding a cut (8 of the 65,536)
BLOCK_ROWS = 1 << 16  # rows hashed and counted at a time: every array of a replicate stays in cache


def _poisson_cuts() -> np.ndarray:
    """``round(2**32 * P(X <= j))`` for X ~ Poisson(1), j = 0 .. POISSON_CAP - 1."""
    cdf, term, out = 0.0, math.exp(-1.0), []
    for j in range(POISSON_CAP):
        cdf += term
        term /= j + 1
        out.append(min(round(cdf * 2.0**32), 2**32 - 1))
    return np.array(out, dtype=np.uint32)


POISSON_CUTS = _poisson_cuts()


def _poisson_probabilities() -> np.ndarray:
    """P(X = j) for X ~ Poisson(1), j = 0 .. POISSON_CAP, the tail above the cap folded into it."""
    p = [math.exp(-1.0) / math.factorial(j) for j in range(POISSON_CAP)]
    return np.array([*p, max(0.0, 1.0 - math.fsum(p))])


POISSON_PROBABILITIES = _poisson_probabilities()


def _poisson_table() -> np.ndarray:
    """The weight at the start of every bucket of 2**16 uniforms (the top 16 bits), plus
    :data:`_EXACT` where a cut falls inside the bucket (its rows need a comparison)."""
    table = np.searchsorted(POISSON_CUTS, np.arange(1 << 16, dtype=np.uint32) << 16, side="right").astype(np.uint8)
    table[POISSON_CUTS[(POISSON_CUTS & 0xFFFF) != 0] >> 16] |= _EXACT
    return table


_TABLE = _poisson_table()


def poisson_weights(u: np.ndarray, top: Optional[np.ndarray] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """The Poisson(1) inverse CDF at 32-bit uniforms ``u`` (uint32): weights 0 .. 12 (uint8).

    By a table on the top 16 bits of ``u`` (``top``, uint16, if the caller has them), and a
    search for the rows (8 in 65,536) whose bucket holds a cut; ``out``: a uint8 buffer.

    >>> u = np.array([0, POISSON_CUTS[0] - 1, POISSON_CUTS[0], POISSON_CUTS[1], 2**32 - 1], np.uint32)
    >>> poisson_weights(u).tolist()
    [0, 0, 1, 2, 12]
    """
    if top is None:
        top = (u >> np.uint32(16)).astype(np.uint16)
    c = np.take(_TABLE, top, out=out, mode="clip")  # top < 2**16: clip never clips, and skips the buffer
    odd = np.flatnonzero(c >= _EXACT)
    if odd.shape[0]:
        c[odd] = np.searchsorted(POISSON_CUTS, u[odd], side="right")
    return c


def _halves(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The low and the high 32 bits of every 64-bit word (views, on a little-endian machine)."""
    if _LITTLE:
        v = h.view(np.uint32)
        return v[0::2], v[1::2]
    return (h & _LOW).astype(np.uint32), (h >> np.uint64(32)).astype(np.uint32)


def _tops(h: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """The top 16 bits of the low and the high 32 bits of every 64-bit word (views, on a
    little-endian machine; ``None`` elsewhere: :func:`poisson_weights` shifts)."""
    if _LITTLE:
        v = h.view(np.uint16)
        return v[1::4], v[3::4]
    return None, None


def _pair(p: int) -> np.uint64:
    return np.uint64((p + 1) * int(_PAIR) % 2**64)


def replicate_weights(keys: np.ndarray, stop: int, start: int = 0) -> np.ndarray:
    """The weights of rows with keyed hashes ``keys`` (uint64, from
    :func:`diagnose.ingest.sample_keys`) in replicates ``start`` (even) .. ``stop - 1``:
    shape (stop - start, rows).

    >>> w = replicate_weights(np.arange(100_000, dtype=np.uint64), 2)
    >>> w.shape, round(float(w.mean()), 2), round(float((w == 0).mean()), 2)
    ((2, 100000), 1.0, 0.37)
    >>> bool((replicate_weights(np.arange(9, dtype=np.uint64), 5, start=2) == replicate_weights(
    ...     np.arange(9, dtype=np.uint64), 5)[2:]).all())
    True
    """
    assert start % 2 == 0
    out = np.empty((stop - start, keys.shape[0]), np.uint8)
    for p in range(start // 2, (stop + 1) // 2):
        h = mix64(keys + _pair(p), copy=False)
        (low, high), (top_low, top_high) = _halves(h), _tops(h)
        poisson_weights(low, top_low, out=out[2 * p - start])
        if 2 * p + 1 < stop:
            poisson_weights(high, top_high, out=out[2 * p + 1 - start])
    return out


def row_keys(ids: Optional[np.ndarray], n: int, seed: int) -> np.ndarray:
    """The keyed hash of (seed, id) of every row; ``ids`` ``None``: the positions 1 .. n.

    >>> bool((row_keys(None, 3, 0) == row_keys(np.array([1, 2, 3]), 3, 0)).all())
    True
    """
    return sample_keys(np.arange(1, n + 1) if ids is None else np.asarray(ids), seed)


def score_groups(bucket_rows: np.ndarray, groups: int = REPLICATE_GROUPS) -> np.ndarray:
    """The group of every score bucket: runs of adjacent buckets holding about
    ``1 / groups`` of the rows each: a bucket is never split, and falls in group
    ``floor(rows below it * groups / rows)``, renumbered 0, 1, ... upward.

    >>> score_groups(np.array([3, 0, 1, 1, 5, 0, 2, 0]), groups=4).tolist()
    [0, 1, 1, 1, 1, 2, 2, 3]
    """
    rows = np.asarray(bucket_rows, dtype=np.int64)
    n = int(rows.sum())
    before = np.cumsum(rows) - rows
    raw = before * groups // max(n, 1)
    return np.unique(raw, return_inverse=True)[1].astype(np.int64)


@dataclass(frozen=True, eq=False)
class ReplicateCounts:
    """Per replicate, group and label (negative, positive): the in-bag weight (``inbag``)
    and the out-of-bag weight (``oob``), arrays of shape (reps, groups, 2); and ``low``,
    each group's lowest score (inf when it has no row). Chunks merge by adding."""

    inbag: np.ndarray
    oob: np.ndarray
    low: np.ndarray

    def merge(self, other: ReplicateCounts) -> ReplicateCounts:
        return ReplicateCounts(self.inbag + other.inbag, self.oob + other.oob, np.minimum(self.low, other.low))


@dataclass(frozen=True)
class CountReplicates:
    """Job: the :class:`ReplicateCounts` of a chunk of rows, from their labels, scores,
    weights and ids (``keyed``: a pass gives it the ids, or the rows' positions among the cv
    rows without an id column). ``group``: the group of every bucket of ``grid``."""

    grid: ScoreGrid
    group: np.ndarray
    reps: int
    seed: int
    keyed = True

    @property
    def groups(self) -> int:
        return int(self.group[-1]) + 1 if self.group.shape[0] else 0

    def __call__(self, y, s, w, ids) -> ReplicateCounts:
        s = np.asarray(s, dtype=np.float64)
        pos = np.asarray(y) == 1
        w = None if w is None else np.asarray(w, dtype=np.float64)
        g, width = self.groups, POISSON_CAP + 1
        cell = self.group[self.grid.keys(s)]
        low = np.full(g, np.inf)
        np.minimum.at(low, cell, s)
        base = (cell * 2 + pos) * width
        keys = row_keys(ids, s.shape[0], self.seed)
        dtype = np.int64 if w is None else np.float64
        times: np.ndarray = np.arange(width, dtype=dtype)
        rows = s.shape[0]
        cells = g * 2 * width
        inbag, oob = np.zeros((self.reps, g, 2), dtype), np.zeros((self.reps, g, 2), dtype)
        block = min(rows, BLOCK_ROWS)  # buffers reused by every block and replicate
        idx, hashed, weight = np.empty(block, np.int64), np.empty(block, np.uint64), np.empty(block, np.uint8)
        for a in range(0, rows, BLOCK_ROWS):  # blocks of rows, then replicates: a loop over neither row
            b = min(a + BLOCK_ROWS, rows)
            kb, bb, wb = keys[a:b], base[a:b], None if w is None else w[a:b]
            ib, hb, vb = idx[:b - a], hashed[:b - a], weight[:b - a]
            for p in range((self.reps + 1) // 2):
                h = mix64(np.add(kb, _pair(p), out=hb), copy=False)
                for r, u, top in zip((2 * p, 2 * p + 1), _halves(h), _tops(h)):
                    if r < self.reps:
                        # per (group, label, weight value) the rows (or their weight)
                        np.add(bb, poisson_weights(u, top, out=vb), out=ib)
                        per = np.bincount(ib, weights=wb, minlength=cells).reshape(g, 2, width)
                        inbag[r] += per @ times  # in the bag: the sum of weight value x rows
                        oob[r] += per[:, :, 0]  # out of the bag: the rows of weight 0
        return ReplicateCounts(inbag, oob, low)


def cell_replicates(rows: np.ndarray, reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scheme ``poisson-cells-v1``: per replicate and cell of ``rows`` (integer rows per
    cell, any shape), the in-bag weight and the out-of-bag rows of a Poisson(1) resample of
    the rows; arrays of shape ``(reps, *rows.shape)``. Replicate ``r`` is drawn from the
    seed sequence (tag, seed, r) alone.

    >>> inbag, oob = cell_replicates(np.array([[100_000, 0], [3, 2]]), 200, seed=0)
    >>> inbag.shape, int(inbag[:, 0, 1].max()), int(oob[:, 0, 1].max())  # an empty cell stays empty
    ((200, 2, 2), 0, 0)
    >>> # per row: weight mean 1 and variance 1, out of the bag with probability e**-1 (0.368)
    >>> x = inbag[:, 0, 0] / 100_000
    >>> round(float(x.mean()), 2), 0.8 < float(x.var() * 100_000) < 1.2, round(float(oob[:, 0, 0].mean() / 100_000), 3)
    (1.0, True, 0.368)
    >>> three, two = cell_replicates(np.array([7, 9]), 3, seed=5), cell_replicates(np.array([7, 9]), 2, seed=5)
    >>> bool((three[0][:2] == two[0]).all())  # replicate r: the same draws however many are drawn
    True
    """
    n = np.asarray(rows, dtype=np.int64)
    inbag = np.zeros((reps, *n.shape), np.int64)
    oob = np.zeros((reps, *n.shape), np.int64)
    times = np.arange(POISSON_CAP + 1, dtype=np.int64)
    for r in range(reps):  # a loop over replicates: each draws one multinomial per cell
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([_CELLS_TAG, int(seed) % 2**64, r])))
        drawn = rng.multinomial(n, POISSON_PROBABILITIES)
        inbag[r] = drawn @ times
        oob[r] = drawn[..., 0]
    return inbag, oob


@dataclass(frozen=True, eq=False)
class GroupLows:
    """The lowest score of every group of buckets (inf where none); chunks merge by the minimum."""

    low: np.ndarray

    def merge(self, other: GroupLows) -> GroupLows:
        return GroupLows(np.minimum(self.low, other.low))


@dataclass(frozen=True)
class FindLows:
    """Job: the :class:`GroupLows` of a chunk of rows. ``group``: the group of every bucket of
    ``grid``; ``first``: true for the first bucket of each group that holds a row (its
    rows are below the group's other rows, so only they are looked at).

    >>> job = FindLows.of(ScoreGrid(bits=2), np.array([0, 0, 1, 1]), np.array([0, 3, 1, 1]))
    >>> job(None, np.array([0.3, 0.26, 0.6, 0.9, 0.45]), None).low.tolist()
    [0.26, 0.6]
    """

    grid: ScoreGrid
    group: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, grid: ScoreGrid, group: np.ndarray, bucket_rows: np.ndarray) -> FindLows:
        occupied = np.flatnonzero(np.asarray(bucket_rows) > 0)
        g = group[occupied]
        first = np.zeros(group.shape[0], bool)
        first[occupied[np.r_[True, g[1:] != g[:-1]]] if occupied.shape[0] else occupied] = True
        return cls(grid, group, first)

    def __call__(self, y, s, w) -> GroupLows:
        s = np.asarray(s, dtype=np.float64)
        keys = self.grid.keys(s)
        at = np.flatnonzero(self.first[keys])
        low = np.full(int(self.group[-1]) + 1 if self.group.shape[0] else 0, np.inf)
        np.minimum.at(low, self.group[keys[at]], s[at])
        return GroupLows(low)
