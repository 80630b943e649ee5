"""The paired bootstrap: rows resampled jointly for both models (fixed seed), each figure
computed on a and on b from the same resample, and the percentile interval of ``b - a``.

Every figure is a function of weighted sums over rows (true and false positives per
class, the sums of a per-row loss), so a resample is a vector of row counts and all
figures of all resamples come from one matrix product per block of resamples.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..values import json_number

# counts matrices of at most this many cells are built at once (reps x rows)
BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class BootstrapDifference:
    """A figure of a and of b on the rows, and the percentile interval at ``level`` of
    ``b - a`` over ``reps`` joint resamples; ``failed`` resamples left the figure undefined
    (no positive row and no positive decision, say). ``higher_is_better`` says which sign
    favours b (F1: higher; log loss, Brier: lower)."""

    figure: str
    a: float
    b: float
    difference: float
    ci_low: float
    ci_high: float
    level: float
    higher_is_better: bool
    reps: int
    seed: int
    failed: int = 0

    def to_dict(self) -> dict:
        return {"a": json_number(self.a), "b": json_number(self.b), "difference": json_number(self.difference),
                "ci_low": json_number(self.ci_low), "ci_high": json_number(self.ci_high), "level": self.level,
                "higher_is_better": self.higher_is_better, "reps": self.reps, "seed": self.seed,
                "failed": self.failed}


@dataclass(frozen=True)
class Figure:
    """A figure of weighted row sums: ``columns`` (rows x q, per model) and ``value`` turning
    the (resamples x q) sums and the (resamples,) total weight into the figure."""

    name: str
    columns_a: np.ndarray
    columns_b: np.ndarray
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    higher_is_better: bool = False


def mean_figure(name: str, loss_a: np.ndarray, loss_b: np.ndarray) -> Figure:
    """The (weighted) mean of a per-row loss.

    >>> f = mean_figure("brier", np.array([0.1, 0.3]), np.array([0.2, 0.2]))
    >>> f.value(np.array([[0.4]]), np.array([2.0])).tolist()
    [0.2]
    """
    return Figure(name, loss_a[:, None], loss_b[:, None], lambda sums, total: sums[:, 0] / total)


def _confusion(truth: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Per-row 0/1 columns tp, fp, fn of each class (rows x 3k)."""
    t, d = truth.astype(np.float64), decided.astype(np.float64)
    return np.hstack([t * d, (1 - t) * d, t * (1 - d)])


def _f1_of_sums(sums: np.ndarray, total: np.ndarray) -> np.ndarray:
    k = sums.shape[1] // 3
    tp, fp, fn = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:]
    denom = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denom > 0, 2 * tp / denom, np.nan)
    # macro: over the classes present in the labels or the decisions (as scikit-learn)
    present = ~np.isnan(f1)
    count = present.sum(axis=1)
    return np.where(count > 0, np.where(present, f1, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)


def f1_figure(truth: np.ndarray, decided_a: np.ndarray, decided_b: np.ndarray, name: str = "f1") -> Figure:
    """F1 (one column of 0/1 indicators) or macro F1 (one column per class or label).

    >>> truth = np.array([[1], [1], [0]]); f = f1_figure(truth, np.array([[1], [0], [0]]), truth)
    >>> f.value(f.columns_a.sum(axis=0)[None, :], np.array([3.0])).round(4).tolist()
    [0.6667]
    """
    return Figure(name, _confusion(truth, decided_a), _confusion(truth, decided_b), _f1_of_sums, True)


def paired_bootstrap(figures: list[Figure], weight: np.ndarray | None = None, *, reps: int = 1000, seed: int = 0,
                     alpha: float = 0.05) -> list[BootstrapDifference]:
    """Each figure on a and b, and the percentile interval of ``b - a`` over ``reps`` joint
    resamples of the rows (seeded).

    >>> rng = np.random.default_rng(1)
    >>> la, lb = rng.random(200), rng.random(200) + 0.2
    >>> (d,) = paired_bootstrap([mean_figure("loss", la, lb)], reps=200)
    >>> d.ci_low > 0, d.reps
    (True, 200)
    """
    if not figures:
        return []
    n = figures[0].columns_a.shape[0]
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    parts, bounds = [], []
    start = 0
    for f in figures:
        for cols in (f.columns_a, f.columns_b):
            parts.append(cols * w[:, None])
            bounds.append((start, start + cols.shape[1]))
            start += cols.shape[1]
    matrix = np.hstack([*parts, w[:, None]])

    def evaluate(sums: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        total = sums[:, -1]
        out = []
        for i, f in enumerate(figures):
            (a0, a1), (b0, b1) = bounds[2 * i], bounds[2 * i + 1]
            out.append((f.value(sums[:, a0:a1], total), f.value(sums[:, b0:b1], total)))
        return out

    point = evaluate(matrix.sum(axis=0)[None, :])
    diffs = [np.empty(reps) for _ in figures]
    rng = np.random.default_rng(seed)
    block = max(1, min(reps, BLOCK_CELLS // max(n, 1)))
    for first in range(0, reps, block):  # a loop over blocks of resamples, not rows
        size = min(block, reps - first)
        picks = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        for i, (va, vb) in enumerate(evaluate(counts @ matrix)):
            diffs[i][first:first + size] = vb - va
    results = []
    for f, (va, vb), d in zip(figures, point, diffs):
        ok = d[~np.isnan(d)]
        low, high = (np.percentile(ok, [100 * alpha / 2, 100 * (1 - alpha / 2)]) if ok.size
                     else (math.nan, math.nan))
        a_value, b_value = float(va[0]), float(vb[0])
        results.append(BootstrapDifference(f.name, a_value, b_value, b_value - a_value, float(low), float(high),
                                           1 - alpha, f.higher_is_better, reps, seed, int(reps - ok.size)))
    return results
