"""The precision/recall curve from a score histogram (``histogram_curve``, ``edge_sweep``):
exact at the lower edge of every occupied bucket. Oracle: scikit-learn's
``precision_recall_curve`` on scores that are bucket edges (then every distinct score is a
point of the curve), and ``precision_score``/``recall_score``/``f1_score`` at the edges for
scores anywhere; weighted and not."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

from diagnose.options import DEFAULT_CURVE_POINTS
from diagnose.thresholds import (
    SCORE_GRID,
    ScoreGrid,
    ScoreStats,
    ThresholdRule,
    edge_sweep,
    grid_edges,
    histogram_curve,
    threshold_search,
)

ALL = 1 << 20  # more points than any histogram has buckets: no downsampling


def _on_edges(rng, n: int, buckets: int, weighted: bool):
    """Labels, scores that are bucket lower edges (``buckets`` distinct ones, with ties), weights."""
    e = grid_edges()
    ks = rng.choice(SCORE_GRID.buckets, buckets, replace=False)
    s = e[rng.choice(ks, n)]
    y = (rng.random(n) < s).astype(np.int8)
    w = rng.choice([0.0, 0.5, 1.0, 3.0], n) if weighted else None
    return y, s, w


@pytest.mark.parametrize("weighted", [False, True])
def test_on_edge_scores_the_curve_is_sklearns(rng, weighted):
    y, s, w = _on_edges(rng, 5000, 700, weighted)
    curve = histogram_curve(ScoreStats.of(y, s, w).hist, max_points=ALL)
    precision, recall, thresholds = precision_recall_curve(y, s, sample_weight=w)
    # every distinct score (of weight > 0) is a point, at the score itself
    assert curve.threshold.tolist() == thresholds.tolist()
    np.testing.assert_allclose(curve.precision, precision[:-1], rtol=1e-12)
    np.testing.assert_allclose(curve.recall, recall[:-1], rtol=1e-12)
    for k in rng.choice(len(thresholds), 25, replace=False):
        predicted = (s >= thresholds[k]).astype(int)
        assert curve.f1[k] == pytest.approx(f1_score(y, predicted, sample_weight=w), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_on_edge_scores_the_frame_is_the_memory_engines(rng, weighted):
    """Scores on edges and at most the default points: the same frame as a report's curve
    (downsampled the same way, the chosen point held), the cost column included."""
    y, s, w = _on_edges(rng, 8000, 3000, weighted)
    hist = ScoreStats.of(y, s, w).hist
    for rule in ("f1", "cost:fp=1,fn=4"):
        memory = threshold_search(y, s, weight_cv=w, rule=rule, bootstrap=0)
        got = histogram_curve(hist, chosen=memory.value, costs=ThresholdRule.parse(rule).costs)
        assert memory.curve is not None and memory.value in got.threshold.tolist()
        mine, theirs = got.to_frame(), memory.curve.to_frame()
        assert list(mine.columns) == list(theirs.columns)
        assert mine["threshold"].tolist() == theirs["threshold"].tolist()
        np.testing.assert_allclose(mine.drop(columns="threshold"), theirs.drop(columns="threshold"), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_any_scores_the_points_are_exact_at_bucket_edges(rng, weighted):
    n = 20_000
    y = rng.integers(0, 2, n)
    s = np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    s[:500] = np.round(s[:500], 2)  # ties, and scores on 0.01 steps (not edges)
    w = rng.choice([0.5, 1.0, 2.0], n) if weighted else None
    hist = ScoreStats.of(y, s, w).hist
    chosen = threshold_search(y, s, weight_cv=w, bootstrap=0).value
    curve = histogram_curve(hist, chosen=chosen)
    t = curve.threshold
    assert len(t) <= DEFAULT_CURVE_POINTS and np.all(np.diff(t) > 0)
    keys = SCORE_GRID.keys(t)
    assert np.all(hist.total[keys] > 0)  # occupied buckets only
    assert np.all(SCORE_GRID.keys(np.nextafter(t, -1.0))[t > 0] < keys[t > 0])  # each at its bucket's lower edge
    occupied = np.flatnonzero(hist.total)
    assert keys[0] == occupied[0] and keys[-1] == occupied[-1]
    assert SCORE_GRID.keys(np.array([chosen]))[0] in keys  # the chosen threshold's bucket is kept
    for i in rng.choice(len(t), 30, replace=False):
        predicted = (s >= t[i]).astype(int)
        assert curve.precision[i] == pytest.approx(precision_score(y, predicted, sample_weight=w), rel=1e-12)
        assert curve.recall[i] == pytest.approx(recall_score(y, predicted, sample_weight=w), rel=1e-12)
        assert curve.f1[i] == pytest.approx(f1_score(y, predicted, sample_weight=w), rel=1e-12)


def test_edge_sweep_counts_every_occupied_bucket_and_skips_weight_zero_ones():
    s = grid_edges()[[10, 10, 20, 30, 40]]
    sw = edge_sweep(ScoreStats.of(np.array([1, 0, 1, 0, 1]), s, np.array([1.0, 2.0, 0.0, 1.0, 0.5])).hist)
    assert sw.thresholds.tolist() == s[[0, 3, 4]].tolist()  # bucket 20 holds weight 0 only
    assert sw.tp.tolist() == [1.5, 0.5, 0.5] and sw.pp.tolist() == [4.5, 1.5, 0.5]
    assert (sw.positives, sw.total) == (1.5, 4.5)


def test_no_rows_no_points():
    curve = histogram_curve(ScoreStats.of(np.zeros(0), np.zeros(0)).hist, chosen=0.5)
    assert curve.threshold.shape == (0,)


def test_grid_edges_of_other_grids_and_degenerate_ones():
    g = ScoreGrid(0.2, 0.9, bits=10)
    e = grid_edges(g)
    k = np.arange(g.buckets)
    assert np.array_equal(g.keys(e), k) and np.all(g.keys(np.nextafter(e[1:], -np.inf)) == k[:-1])
    with pytest.raises(ValueError, match="bucket 0"):
        grid_edges(ScoreGrid(0.5, 0.5, bits=4))
    with pytest.raises(ValueError, match="too fine"):
        grid_edges(ScoreGrid(1.0, float(np.nextafter(1.0, 2.0)), bits=4))
