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
