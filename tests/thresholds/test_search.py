"""The exact search without a full sort (bound per score bucket, sort only what can win),
against a brute-force sweep written here and against the one-sort sweep."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diagnose.thresholds._search as search
from diagnose.thresholds import (
    ScoreGrid,
    ScoreHistogram,
    ThresholdRule,
    best_threshold,
    candidate_sweep,
    pick_index,
    sweep,
)
from tests.thresholds.helpers import sk_best

RULES = ["f1", "fbeta:2", "fbeta:0.5", "precision>=0.5", "precision>=0.9", "precision>=0", "recall>=0.8",
         "recall>=1", "cost:fp=1,fn=5", "cost:fp=2,fn=1,tp=0.5,tn=3", "cost:fp=0,fn=1"]


def brute_force(y, s, w, rule: str):
    """The rule's pick by testing every distinct score (of rows with weight) as a threshold:
    counts by direct comparison, each rule's objective from its definition, then the tie
    rule of docs/thresholds.md (objective within 1e-12 relative, then the higher F1, then
    the higher threshold). Returns (threshold, TP, PP) or None."""
    w = np.ones(len(s)) if w is None else w
    pos = (y == 1) * w
    t = np.unique(s[w != 0])
    if t.shape[0] == 0:
        return None
    hit = s[None, :] >= t[:, None]
    tp, pp, positives, total = hit @ pos, hit @ w, pos.sum(), w.sum()
    precision = np.where(pp > 0, tp / np.where(pp > 0, pp, 1), 0.0)
    recall = tp / positives if positives > 0 else np.zeros(len(t))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.where(precision + recall > 0,
                                                                             precision + recall, 1), 0.0)
    r = ThresholdRule.parse(rule)
    if r.costs is not None:
        c = r.costs
        fp, fn, tn = pp - tp, positives - tp, total - pp - (positives - tp)
        obj = -(c.fp * fp + c.fn * fn - c.tp * tp - c.tn * tn) / total
    elif r.kind == "fbeta":
        b2 = r.value ** 2
        den = b2 * precision + recall
        obj = np.where(den > 0, (1 + b2) * precision * recall / np.where(den > 0, den, 1), 0.0)
    else:
        have, obj = (precision, recall) if r.kind == "precision" else (recall, precision)
        obj = np.where(have >= r.value - 1e-12, obj, -np.inf)
    best = obj.max()
    if best == -np.inf:
        return None
    tied = np.flatnonzero(obj >= best - 1e-12 * max(abs(best), 1.0))
    tied = tied[f1[tied] >= f1[tied].max() - 1e-12]
    i = tied[-1]
    return float(t[i]), float(tp[i]), float(pp[i])


def searched(y, s, w, rule, **kw):
    c = candidate_sweep(y, s, rule=rule, sample_weight=w, min_rows=0, **kw)
    i = pick_index(c, rule)
    return None if i is None else (float(c.thresholds[i]), c.tp[i], c.pp[i])


def full(y, s, w, rule):
    sw = sweep(y, s, sample_weight=w)
    i = pick_index(sw, rule)
    return None if i is None else (float(sw.thresholds[i]), sw.tp[i], sw.pp[i])


def same(a, b, exact: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if exact:
        return a == b
    return a[0] == b[0] and np.allclose(a[1:], b[1:], rtol=1e-9, atol=1e-12)


scores = st.sampled_from(["ties", "floats", "wide", "narrow"])


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 70), st.sampled_from([0.0, 0.05, 0.4, 0.9, 1.0]), scores,
       st.sampled_from(["none", "ints", "floats"]), st.sampled_from(RULES),
       st.sampled_from([(1, 0), (2, 0), (3, 4), (6, 0), (16, None)]), st.integers(0, 2**32 - 1))
def test_property_search_equals_brute_force_and_full_sweep(n, prevalence, kind, weights, rule, grid, seed):
    g = np.random.default_rng(seed)
    y = (g.random(n) < prevalence).astype(np.int8)
    if kind == "ties":
        s = g.integers(0, 6, n) / 5.0
    elif kind == "floats":
        s = np.clip(g.random(n) * 0.8 + 0.3 * y * g.random(n), 0, 1)
    elif kind == "wide":  # not probabilities: negative and large scores
        s = np.round(g.normal(0, 50, n) + 40 * y, 1)
    else:  # crowded into a sliver of the range beside two outliers: the refine step's work
        s = np.r_[0.5 + np.round(g.random(n) * 1e-9, 12)[: max(n - 2, 0)], [0.0, 1.0][: min(n, 2)]]
    w = {"none": None, "ints": g.integers(0, 4, n).astype(float), "floats": g.random(n) * 2}[weights]
    if w is not None and n:
        w[g.random(n) < 0.15] = 0.0  # zero weights add no threshold
    bits, max_sort = grid
    got = searched(y, s, w, rule, bits=bits, max_sort=max_sort)
    exact = weights != "floats"  # integer counts (and integer weights) are summed exactly
    assert same(got, full(y, s, w, rule), exact)
    oracle = brute_force(y, s, w, rule)
    assert same(got, oracle, exact=False)
    assert np.isnan(best_threshold(y, s, rule=rule, sample_weight=w)) if oracle is None else (
        best_threshold(y, s, rule=rule, sample_weight=w) == oracle[0])


@pytest.mark.parametrize("rule", RULES)
def test_edge_cases_every_rule(rule):
    cases = {
        "empty": (np.zeros(0, np.int8), np.zeros(0)),
        "one row": (np.array([1]), np.array([0.3])),
        "all positive": (np.ones(6, np.int8), np.array([0.1, 0.5, 0.5, 0.9, 0.2, 0.7])),
        "all negative": (np.zeros(6, np.int8), np.array([0.1, 0.5, 0.5, 0.9, 0.2, 0.7])),
        "one score": (np.array([0, 1, 1, 0]), np.full(4, 0.4)),
    }
    for name, (y, s) in cases.items():
        for bits in (1, 6):
            assert same(searched(y, s, None, rule, bits=bits, max_sort=0), full(y, s, None, rule), True), name
            assert same(searched(y, s, None, rule, bits=bits), brute_force(y, s, None, rule), False), name
    w = np.zeros(4)  # every row of weight 0: no threshold
    assert searched(np.array([0, 1, 1, 0]), np.array([0.1, 0.2, 0.3, 0.4]), w, rule) is None


@pytest.mark.parametrize("rule", ["f1", "precision>=0.8", "recall>=0.9", "cost:fp=1,fn=20"])
def test_large_input_prunes_to_few_thresholds_and_agrees(rng, rule, monkeypatch):
    monkeypatch.setattr(search, "CHUNK_ROWS", 1 << 14)  # many chunks, on two threads
    n = 200_000
    y = (rng.random(n) < 0.05).astype(np.int8)
    s = np.clip(rng.random(n) * 0.8 + 0.3 * y * rng.random(n), 0, 1)
    c = candidate_sweep(y, s, rule=rule, min_rows=0)
    f = sweep(y, s)
    assert c.thresholds.shape[0] < f.thresholds.shape[0] / 100  # the bound kept under 1% of them
    assert same(searched(y, s, None, rule), full(y, s, None, rule), True)
    w = rng.random(n) * 3
    assert same(searched(y, s, w, rule), full(y, s, w, rule), False)


def test_weighted_f1_agrees_with_sklearn(rng):
    n = 150_000
    y = (rng.random(n) < 0.1).astype(np.int8)
    s = np.round(np.clip(rng.random(n) * 0.7 + 0.3 * y, 0, 1), 6)
    w = rng.random(n) * 2
    assert best_threshold(y, s, sample_weight=w) == sk_best(y, s, w=w)[0]
    assert best_threshold(y, s) == sk_best(y, s)[0]


def test_refining_a_crowded_bucket_leaves_few_rows(rng):
    # every score but two in a sliver 1e-9 wide: the first grid puts them in one bucket
    n = 50_000
    y = (rng.random(n) < 0.3).astype(np.int8)
    s = 0.5 + (rng.random(n) * 0.5 + 0.5 * y) * 1e-9
    s[:2] = [0.0, 1.0]
    c = candidate_sweep(y, s, min_rows=0, max_sort=1000)
    assert c.thresholds.shape[0] < n / 20
    assert same(searched(y, s, None, "f1", max_sort=1000), full(y, s, None, "f1"), True)


def test_unusual_input_takes_the_full_sweep():
    y, s = np.array([0, 1, 1]), np.array([0.2, 0.9, 0.4])
    for w in (np.array([1.0, -1.0, 2.0]), np.array([1.0, np.inf, 1.0])):
        c = candidate_sweep(y, s, sample_weight=w, min_rows=0)
        assert c.thresholds.tolist() == sweep(y, s, sample_weight=w).thresholds.tolist()
    assert ScoreGrid.spanning(np.array([0.1, np.nan])) is None


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40), st.integers(1, 20),
       st.integers(1, 30))
def test_property_grid_keeps_order_and_nests(values, bits, more):
    s = np.sort(np.array(values))
    grid = ScoreGrid.spanning(s, bits)
    coarse, fine = grid.keys(s), grid.keys(s, bits + more)
    assert (np.diff(coarse) >= 0).all() and (np.diff(fine) >= 0).all()
    assert coarse.min() >= 0 and coarse.max() < grid.buckets
    np.testing.assert_array_equal(fine >> more, coarse)
    np.testing.assert_array_equal(grid.keys(s, bits + more, inside=True), fine)  # no clip needed on its own range


def test_histograms_merge_to_the_histogram_of_all_rows(rng):
    n = 10_000
    y, s, w = rng.integers(0, 2, n), rng.random(n), rng.random(n)
    grid = ScoreGrid(0.0, 1.0, bits=6)
    whole = ScoreHistogram.of(grid, y, s)
    parts = ScoreHistogram.empty(grid)
    for lo in range(0, n, 999):
        parts = parts.merge(ScoreHistogram.of(grid, y[lo:lo + 999], s[lo:lo + 999]))
    np.testing.assert_array_equal(parts.total, whole.total)
    np.testing.assert_array_equal(parts.positive, whole.positive)
    # against a direct count per bucket
    edges = np.minimum(np.floor(s * 64 * (1 - 2.0**-40)), 63).astype(int)
    np.testing.assert_array_equal(whole.total, np.bincount(edges, minlength=64))
    np.testing.assert_array_equal(whole.positive, np.bincount(edges[y == 1], minlength=64))
    weighted = ScoreHistogram.of(grid, y[:5000], s[:5000], w[:5000]).merge(
        ScoreHistogram.of(grid, y[5000:], s[5000:], w[5000:]))
    np.testing.assert_allclose(weighted.total, np.bincount(edges, weights=w, minlength=64), rtol=1e-12)
    with pytest.raises(ValueError):
        whole.merge(ScoreHistogram.empty(ScoreGrid(bits=5)))
