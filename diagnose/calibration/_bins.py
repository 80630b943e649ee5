"""The figures of one binary problem (scores, 0/1 outcomes, weights): bins (half-open ``[lo, hi)``,
the last closed), ECE, MCE, the binned Brier decomposition, Spiegelhalter's test, the logistic fit
behind the calibration slope and Platt scaling, the ECE bootstrap. scipy loads on use."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ..metrics import wilson_bounds
from ..options import CALIBRATION_STRATEGIES
from ..values import json_value

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


# rows per block of a scan: a block's temporaries stay in the caches (L2, L3), not in main memory
BLOCK = 1 << 16


def uniform_edges(edges: np.ndarray) -> bool:
    """Whether ``edges`` are those of ``uniform`` bins (2 or more): then :func:`assign` multiplies.

    >>> uniform_edges(np.linspace(0, 1, 16)), uniform_edges(np.array([0.0, 0.3, 1.0]))
    (True, False)
    """
    nb = len(edges) - 1
    return nb >= 2 and bool(np.array_equal(edges, np.linspace(0.0, 1.0, nb + 1)))


def block_bins(s: np.ndarray, edges: np.ndarray, uniform: bool) -> np.ndarray:
    """:func:`assign` of one block of scores (``uniform``: :func:`uniform_edges` of ``edges``).

    >>> block_bins(np.array([0.0, 0.29, 1.0]), np.linspace(0, 1, 101), True).tolist()
    [0, 29, 99]
    """
    nb = len(edges) - 1
    if not uniform or not len(s) or not (0.0 <= s.min() and s.max() <= 1.0):
        return np.searchsorted(edges[1:-1], s, side="right")
    scaled = s * nb
    idx = scaled.astype(np.intp)  # floor: the scores are not negative; nb for s = 1, which is near an edge
    scaled -= idx  # in [0, 1)
    scaled -= 0.5
    np.abs(scaled, out=scaled)
    # s * bins and the edges k / bins are each within a few units in the last place of exact
    near = scaled > 0.5 - max(1e-9, nb * 1e-12)
    if np.count_nonzero(near) > len(s) >> 6:  # many scores of exactly 0 or 1 (hard scores): bins right already
        np.minimum(idx, nb - 1, out=idx)
        near &= s != 0.0
        near &= s != 1.0
    at = np.flatnonzero(near)
    if len(at):
        idx[at] = np.searchsorted(edges[1:-1], s[at], side="right")
    return idx


def assign(scores, edges: np.ndarray) -> np.ndarray:
    """The bin of each score: ``i`` where ``edges[i] <= s < edges[i + 1]`` (the last bin closed).
    On uniform edges, ``floor(s * bins)``, which is that bin unless ``s * bins`` lies within a
    rounding of a whole number: those few rows (a score on or next to an edge) by a binary
    search of the edges. The same bins as a binary search of every score, in a few linear
    passes over each block of :data:`BLOCK` rows.

    >>> assign(np.array([0.0, 0.29, 0.5, 1.0]), np.linspace(0, 1, 101)).tolist()
    [0, 29, 50, 99]
    """
    s = np.asarray(scores, dtype=np.float64)
    uniform = uniform_edges(edges)
    if len(s) <= BLOCK:
        return block_bins(s, edges, uniform)
    out = np.empty(len(s), np.intp)
    for lo in range(0, len(s), BLOCK):
        out[lo:lo + BLOCK] = block_bins(s[lo:lo + BLOCK], edges, uniform)
    return out


class BinAdder:
    """The sums :data:`BIN_SUMS` by bin on ``edges``, added a block of rows at a time, each
    sum in row order from the first block on (``np.add.at``): the sums of one ``np.bincount``
    of every row, bit for bit. Two sums share each ``np.add.at``, as the real and imaginary
    parts of complex numbers (added part by part, exactly as two float sums): weighted,
    (w, w s), (w y, w^2), (w^2 (y - s)^2, w^2 (y - s)); unweighted, (s, y) and ((y - s)^2, y - s).

    >>> adder = BinAdder(np.linspace(0, 1, 3), weighted=False)
    >>> _ = adder.add(np.array([0.2, 0.8, 0.9]), np.array([0.0, 1.0, 0.0]), None)
    >>> adder.sums()[:4].tolist()
    [[1.0, 2.0], [1.0, 2.0], [0.2, 1.7000000000000002], [0.0, 1.0]]
    """

    def __init__(self, edges: np.ndarray, weighted: bool, rows: int = BLOCK) -> None:
        self.edges, self.uniform, self.weighted = edges, uniform_edges(edges), weighted
        self.rows = np.zeros(len(edges) - 1, np.intp)
        self.acc = np.zeros((3, len(edges) - 1), np.complex128)
        self.pairs = np.empty((3, min(rows, BLOCK)), np.complex128)  # a block's pairs (``rows``: at most)

    def add(self, s: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Add a block of at most :data:`BLOCK` rows; returns its y - s and w^2 (``None`` unweighted)."""
        idx = block_bins(s, self.edges, self.uniform)
        self.rows += np.bincount(idx, minlength=len(self.rows))
        parts = self.pairs[:, :len(s)].view(np.float64)  # each pair's real then imaginary part
        if w is None:
            resid = np.subtract(y, s, out=parts[2, 1::2])
            parts[0, 0::2], parts[0, 1::2] = s, y
            np.multiply(resid, resid, out=parts[2, 0::2])
            w2 = None
        else:
            resid = y - s
            parts[0, 0::2] = w
            np.multiply(w, s, out=parts[0, 1::2])
            np.multiply(w, y, out=parts[1, 0::2])
            w2 = np.multiply(w, w, out=parts[1, 1::2])
            np.multiply(w2, resid, out=parts[2, 1::2])  # w^2 (y - s), then times (y - s): as w2 * resid * resid
            np.multiply(parts[2, 1::2], resid, out=parts[2, 0::2])
        for j in range(3) if w is not None else (0, 2):
            np.add.at(self.acc[j], idx, self.pairs[j, :len(s)])
        return resid, w2

    def sums(self) -> np.ndarray:
        """The sums :data:`BIN_SUMS`, (7, bins)."""
        rows = self.rows.astype(np.float64)
        (a, b), (c, d), (e, f) = ((x.real, x.imag) for x in self.acc)
        return np.stack([rows, a, b, c, d, e, f] if self.weighted else [rows, rows, a, b, rows, e, f])


def bin_sums(s: np.ndarray, y: np.ndarray, w: np.ndarray | None, edges: np.ndarray) -> np.ndarray:
    """The sums :data:`BIN_SUMS` of each bin: an array (7, bins); ``w`` ``None``: every weight 1.
    Each sum adds its rows in row order (as one ``np.bincount`` of every row), block by block.

    >>> bin_sums(np.array([0.2, 0.8, 0.9]), np.array([0.0, 1.0, 0.0]), None, np.linspace(0, 1, 3))[:4].tolist()
    [[1.0, 2.0], [1.0, 2.0], [0.2, 1.7000000000000002], [0.0, 1.0]]
    """
    s, y = np.asarray(s, np.float64), np.asarray(y, np.float64)
    w = None if w is None else np.asarray(w, np.float64)
    adder = BinAdder(edges, w is not None, len(s))
    for lo in range(0, len(s), BLOCK):
        adder.add(s[lo:lo + BLOCK], y[lo:lo + BLOCK], None if w is None else w[lo:lo + BLOCK])
    return adder.sums()


EPS = 1e-12  # scores are clipped to [EPS, 1 - EPS] before a logit or a log
STRATEGIES = CALIBRATION_STRATEGIES


def as_json(value: Any) -> dict:
    """A result dataclass's fields as JSON (NaN becomes ``None``; nested values their ``to_dict()``)."""
    out = {}
    for f in fields(value):
        v = getattr(value, f.name)
        out[f.name] = ([x.to_dict() for x in v] if isinstance(v, tuple) else
                       {k: x.to_dict() for k, x in v.items()} if isinstance(v, dict) else json_value(v))
    return out


def logit(scores) -> np.ndarray:
    """log(s / (1 - s)) of the scores clipped to [EPS, 1 - EPS]."""
    s = np.clip(np.asarray(scores, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(s) - np.log1p(-s)


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a reliability diagram: its edges, rows, weighted mean score and observed rate,
    and the Wilson 95% interval of the rate (on Kish's effective size with weights).

    >>> CalibrationBin(0.0, 0.5, 0, math.nan, math.nan, 0.0, 1.0).to_dict()["mean_score"] is None
    True
    """

    lo: float
    hi: float
    n: int
    mean_score: float
    observed_rate: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict:
        return as_json(self)


def figures(s: np.ndarray, y: np.ndarray, w: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    """ECE, MCE, Brier and its binned decomposition, and the bins of the rows (see
    :func:`figures_from`).

    >>> f = figures(np.array([0.2, 0.8]), np.array([0.0, 1.0]), np.ones(2), np.linspace(0, 1, 3))
    >>> round(f["ece"], 12), round(f["brier"], 12), f["bins"][1].n
    (0.2, 0.04, 1)
    """
    return figures_from(edges, bin_sums(s, y, w, edges), float(np.dot(w, (s - y) ** 2)))


def figures_from(edges: np.ndarray, sums: np.ndarray, brier_sum: float) -> dict[str, Any]:
    """ECE, MCE, Brier and its binned decomposition, and the bins, from the bin sums
    (:func:`bin_sums`) and ``brier_sum`` = sum w (s - y)^2. With bin
    shares ``W_b / W``, mean score ``c_b``, observed rate ``o_b`` and overall rate ``o``:
    ECE = sum W_b/W |o_b - c_b|; MCE = max |o_b - c_b| over non-empty bins; reliability =
    sum W_b/W (c_b - o_b)^2; resolution = sum W_b/W (o_b - o)^2; uncertainty = o (1 - o);
    ``within_bin`` = brier - (reliability - resolution + uncertainty), which equals
    sum W_b/W (var_b(s) - 2 cov_b(s, y)), so the identity is exact.

    >>> f = figures_from(np.linspace(0, 1, 3), bin_sums(np.array([0.2, 0.8]), np.array([0.0, 1.0]), np.ones(2),
    ...                                                 np.linspace(0, 1, 3)), 0.08)
    >>> round(f["ece"], 12), round(f["brier"], 12), f["bins"][1].n
    (0.2, 0.04, 1)
    """
    nb = len(edges) - 1
    count, wb, sb, yb, w2b = sums[0], sums[1], sums[2], sums[3], sums[4]
    full = wb > 0
    conf = np.divide(sb, wb, out=np.full(nb, math.nan), where=full)
    obs = np.divide(yb, wb, out=np.full(nb, math.nan), where=full)
    total = float(wb.sum())
    rate = float(yb.sum()) / total
    reliability = float(np.sum(wb[full] * (conf[full] - obs[full]) ** 2)) / total
    resolution = float(np.sum(wb[full] * (obs[full] - rate) ** 2)) / total
    uncertainty = rate * (1.0 - rate)
    brier = brier_sum / total
    n_eff = np.divide(wb * wb, w2b, out=np.zeros(nb), where=full)
    low, high = wilson_bounds(np.where(full, obs, 0.0), n_eff)
    bins = tuple(CalibrationBin(float(edges[i]), float(edges[i + 1]), int(count[i]), float(conf[i]),
                                float(obs[i]), float(low[i]), float(high[i])) for i in range(nb))
    return {"ece": float(np.abs(yb - sb).sum()) / total, "mce": float(np.max(np.abs(obs - conf)[full])),
            "brier": brier, "reliability": reliability, "resolution": resolution, "uncertainty": uncertainty,
            "within_bin": brier - (reliability - resolution + uncertainty), "bins": bins}


def spiegelhalter(s: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Spiegelhalter's z (Statistics in Medicine 5, 1986): the Brier score minus its expectation
    under calibration, over its standard deviation, sum w (y - s)(1 - 2s) / sqrt(sum w^2 (1 - 2s)^2
    s (1 - s)), and the two-sided normal p-value. Positive z: outcomes less extreme than the scores.

    >>> z, p = spiegelhalter(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1.0, 0.0, 0.0, 1.0]), np.ones(4))
    >>> round(z, 3), round(p, 4)
    (2.667, 0.0077)
    """
    a = 1.0 - 2.0 * s
    return spiegelhalter_from(float(np.sum(w * (y - s) * a)), float(np.sum(w * w * a * a * s * (1.0 - s))))


def spiegelhalter_from(num: float, var: float) -> tuple[float, float]:
    """Spiegelhalter's z and p from its sums ``num`` = sum w (y - s)(1 - 2s) and ``var`` =
    sum w^2 (1 - 2s)^2 s (1 - s) (see :func:`spiegelhalter`).

    >>> spiegelhalter_from(0.0, 0.0)
    (nan, 1.0)
    """
    if var <= 0:  # scores all 0, 1/2 or 1: no spread under the null
        return math.nan, 1.0 if num == 0 else 0.0
    z = num / math.sqrt(var)
    return z, math.erfc(abs(z) / math.sqrt(2.0))  # 2 P(Z > |z|)


# a calibration slope (or its standard error) beyond this means the scores separate the outcomes
SLOPE_LIMIT = 100.0


def logistic_fit(s: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Maximum-likelihood logistic regression of ``y`` on ``b + a logit(s)`` (no penalty; Newton
    steps with step halving from a = 1, b = 0): ``(a, b, se of a)``, the weights as frequencies;
    NaNs when the scores separate the outcomes (the slope then grows without bound).

    >>> a, b, se = logistic_fit(np.array([.25, .25, .25, .75, .75, .75]), np.array([0., 0, 1, 0, 1, 1]), np.ones(6))
    >>> round(a, 4), round(b, 4) + 0.0
    (0.6309, 0.0)
    """
    # elementwise sums only (a 2x2 system solved by hand): no BLAS call on the long arrays
    x = logit(s)
    a, b = 1.0, 0.0

    def loss(a: float, b: float) -> float:
        eta = a * x + b
        return float((w * (np.logaddexp(0.0, eta) - y * eta)).sum())

    current = loss(a, b)
    h = (1.0, 0.0, 1.0)
    converged = False
    for _ in range(100):
        with np.errstate(over="ignore"):  # exp(-eta) overflows to inf: p = 0, as scipy's expit gives
            p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        r, v = w * (y - p), w * p * (1.0 - p)
        g_a, g_b = float((r * x).sum()), float(r.sum())
        h = (float((v * x * x).sum()), float((v * x).sum()), float(v.sum()))
        det = h[0] * h[2] - h[1] * h[1]
        if not det > 0:
            break
        step_a, step_b = (h[2] * g_a - h[1] * g_b) / det, (h[0] * g_b - h[1] * g_a) / det
        t = 1.0
        # step halving only when the loss really rises (rounding makes a converged step look 1e-15 worse)
        while (value := loss(a + t * step_a, b + t * step_b)) > current + 1e-12 * abs(current) and t > 1e-12:
            t /= 2
        a, b, current = a + t * step_a, b + t * step_b, min(value, current)
        if max(abs(t * step_a), abs(t * step_b)) < 1e-10 * max(1.0, abs(a), abs(b)):
            converged = True
            break
    det = h[0] * h[2] - h[1] * h[1]
    se = math.sqrt(h[2] / det) if det > 0 else math.inf  # [H^-1]_aa
    if not converged or abs(a) > SLOPE_LIMIT or se > SLOPE_LIMIT:
        return math.nan, math.nan, math.nan  # (nearly) separable data: the likelihood has no useful maximum
    return float(a), float(b), se


# above this many rows the bootstrap draws each bin's sums from their normal limit (below)
EXACT_BOOTSTRAP_ROWS = KEEP_ROWS


def bootstrap_eces(problems: list[tuple[np.ndarray, np.ndarray, np.ndarray]], w: np.ndarray, reps: int,
                   seed: int) -> np.ndarray:
    """ECE of each problem ``(s, y, bin edges)`` over ``reps`` resamples of the rows with
    replacement (seeded, shared by the problems; the bins stay those of the data): an array
    (reps, problems). Above ``EXACT_BOOTSTRAP_ROWS`` rows, each replicate draws every bin's
    pair (sum of w (y - s), sum of w) from the normal limit of the Poisson bootstrap
    (:func:`normal_eces`), which needs bin sums only: the cost no longer grows with the rows.

    >>> e = bootstrap_eces([(np.array([.1, .2, .7, .9]), np.array([0., 1, 1, 1]), np.linspace(0, 1, 3))],
    ...                    np.ones(4), 50, 0)
    >>> e.shape, bool((e >= 0).all())
    ((50, 1), True)
    """
    if w.shape[0] > EXACT_BOOTSTRAP_ROWS:
        return normal_eces([bin_sums(s, y, w, edges) for s, y, edges in problems], reps, seed)
    return exact_eces(problems, w, reps, seed)


def exact_eces(problems: list[tuple[np.ndarray, np.ndarray, np.ndarray]], w: np.ndarray, reps: int,
               seed: int) -> np.ndarray:
    """The bootstrap ECEs of :func:`bootstrap_eces` by resampling the rows themselves, in a
    canonical order (by their values), so the row order of the file does not change them. A
    resample whose rows all weigh 0 has no ECE (NaN).

    >>> exact_eces([(np.array([.1, .7]), np.array([0., 1]), np.linspace(0, 1, 3))], np.ones(2), 3, 0).shape
    (3, 1)
    """
    rng = np.random.default_rng(seed)
    n = w.shape[0]
    out = np.empty((reps, len(problems)))
    order = np.lexsort([w, *(y for _, y, _ in problems), *(s for s, _, _ in problems)])
    w = w[order]
    binned = [(assign(s, edges)[order], (y - s)[order], len(edges) - 1) for s, y, edges in problems]
    for r in range(reps):
        wr = w * np.bincount(rng.integers(0, n, n), minlength=n)
        total = wr.sum()
        if total <= 0:  # a resample of zero-weight rows only has no ECE (sparse weights, few rows)
            out[r] = np.nan
            continue
        for j, (idx, resid, nb) in enumerate(binned):
            out[r, j] = np.abs(np.bincount(idx, wr * resid, nb)).sum() / total
    return out


def normal_eces(sums: list[np.ndarray], reps: int, seed: int) -> np.ndarray:
    """The bootstrap ECEs of each problem from its bin sums
    (:func:`bin_sums`): per bin, the pair (S, W) = (sum of
    w (y - s), sum of w) drawn from the normal limit of the Poisson bootstrap, mean the data's
    sums, covariance from the bin's sums of w^2 (y - s)^2, w^2 (y - s) and w^2; one seeded
    generator draws the problems in turn. An array (reps, problems).

    >>> s = np.linspace(0.01, 0.99, 1000)
    >>> e = normal_eces([bin_sums(s, (np.arange(1000) % 7 < 7 * s) * 1.0, np.ones(1000), np.linspace(0, 1, 11))],
    ...                 50, 0)
    >>> e.shape, bool((e >= 0).all())
    ((50, 1), True)
    """
    rng = np.random.default_rng(seed)
    out = np.empty((reps, len(sums)))
    for j, bins in enumerate(sums):
        mean_s, mean_w = bins[3] - bins[2], bins[1]
        var_w, var_s, cov = bins[4], bins[5], bins[6]
        nb = bins.shape[1]
        # per bin, (S, W) = mean + L z with L the Cholesky factor of [[var_s, cov], [cov, var_w]]
        l11 = np.sqrt(var_s)
        l21 = np.divide(cov, l11, out=np.zeros(nb), where=l11 > 0)
        l22 = np.sqrt(np.maximum(var_w - l21 * l21, 0.0))
        z1, z2 = rng.standard_normal((2, reps, nb))
        total = (mean_w + l21 * z1 + l22 * z2).sum(axis=1)
        # a draw is an ECE only where its total weight is positive (sparse weights can draw
        # less), and no ECE exceeds 1 (the limit's tails can): outside, no ECE (NaN) or 1
        gaps = np.abs(mean_s + l11 * z1).sum(axis=1)
        out[:, j] = np.minimum(np.divide(gaps, total, out=np.full(reps, np.nan), where=total > 0), 1.0)
    return out
