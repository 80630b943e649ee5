"""Helpers of the threshold tests: scikit-learn's curve and best threshold, tied random data."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

from diagnose.ingest import load_predictions

SKEWED = "sample_data/skewed"


def sk_curve(y, s, w=None):
    """scikit-learn's curve without its appended (precision 1, recall 0) end point."""
    p, r, t = precision_recall_curve(y, s, sample_weight=w)
    return p[:-1], r[:-1], t


def sk_best(y, s, *, beta=1.0, w=None):
    """Oracle for the F-beta rule: the largest threshold among the (near-)tied maxima."""
    p, r, t = sk_curve(y, s, w)
    b2 = beta * beta
    den = b2 * p + r
    f = np.divide((1 + b2) * p * r, den, out=np.zeros_like(p), where=den > 0)
    tied = np.flatnonzero(f >= f.max() - 1e-9)
    return float(t[tied].max()), float(f.max())


def tied_data(rng, n, *, prevalence=0.2, decimals=2):
    y = (rng.random(n) < prevalence).astype(np.int8)
    s = np.round(np.clip(0.25 * y + rng.random(n) * 0.75, 0, 1), decimals)  # many ties
    return y, s


def load(split):
    return load_predictions(f"{SKEWED}/{split}.csv", split=split)


def poisson_resamples(n, seed, reps):
    """The bootstrap's replicates as explicit resamples: row i repeated as often as its
    Poisson(1) weight in each replicate (scheme poisson-hash-v1, rows keyed by their numbers)."""
    from diagnose.thresholds._replicates import replicate_weights, row_keys

    weights = replicate_weights(row_keys(None, n, seed), reps)
    return [np.repeat(np.arange(n), c) for c in weights]


def cell_resamples(y, s, seed, reps):
    """The unweighted bootstrap's replicates (scheme poisson-cells-v1) as explicit resamples of
    row indices, for scores whose every distinct value is its own group (up to 1,024 rows).

    Each replicate draws, per (score, label) cell of n rows, the in-bag weight K and the
    out-of-bag rows z; a resample with those totals leaves the cell's first z rows out and
    gives the others counts 1, ..., 1, K - (n - z - 1) (each in-bag row has a weight >= 1, so
    K >= n - z). The figures depend only on the totals, so any such resample is an oracle."""
    from diagnose.thresholds import ScoreGrid
    from diagnose.thresholds._replicates import cell_replicates, score_groups

    y, s = np.asarray(y), np.asarray(s, dtype=np.float64)
    keys = ScoreGrid(0.0, 1.0, 16).keys(s)
    group = score_groups(np.bincount(keys, minlength=1 << 16))
    row_group = group[keys]
    g = int(group[-1]) + 1
    assert all(len(np.unique(s[row_group == k])) <= 1 for k in range(g)), "a group holds two scores"
    cell = row_group * 2 + (y == 1)
    rows = np.bincount(cell, minlength=2 * g).reshape(g, 2)
    inbag, oob = cell_replicates(rows, reps, seed)
    out = []
    for r in range(reps):
        counts = np.zeros(len(s), np.int64)
        for c in np.flatnonzero(rows.ravel()):
            members = np.flatnonzero(cell == c)
            z, k = int(oob[r].ravel()[c]), int(inbag[r].ravel()[c])
            kept = members[z:]
            if kept.shape[0]:
                counts[kept] = 1
                counts[kept[-1]] = k - (kept.shape[0] - 1)
            else:
                assert k == 0
        out.append(np.repeat(np.arange(len(s)), counts))
    return out
