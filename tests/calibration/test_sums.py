"""Calibration as a mergeable statistic: the sums of chunks merged equal the sums of the whole
split, and the figures finalized from them equal the in-memory ones (which go through the
same finalizer); the bins against scikit-learn's calibration_curve."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.calibration import CalibrationSums, _slope, calibration, calibration_from_sums
from diagnose.ingest import Predictions

CLASSES = {"binary": (), "multiclass": ("a", "b", "c"), "multilabel": ("x", "y", "z")}


def predictions(task: str, rng: np.random.Generator, n: int, weighted: bool, ties: bool) -> Predictions:
    weight = rng.uniform(0.0, 3.0, n) if weighted else None
    if task == "binary":
        s = rng.uniform(0, 1, n)
        if ties:
            s = np.round(s, 1)  # few distinct scores, some on the bin edges
        return Predictions("binary", (rng.random(n) < s).astype(np.int8), s, weight=weight)
    if task == "multiclass":
        p = rng.dirichlet(np.ones(3), n)
        if ties:
            p = np.round(p, 1)
            p[:, 2] = 1.0 - p[:, 0] - p[:, 1]
            p = np.clip(p, 0.0, 1.0)
        return Predictions("multiclass", rng.integers(0, 3, n), p, weight=weight, classes=CLASSES[task])
    s = rng.uniform(0, 1, (n, 3))
    if ties:
        s = np.round(s, 1)
    return Predictions("multilabel", (rng.random((n, 3)) < s).astype(np.int8), s, weight=weight,
                       classes=CLASSES[task])


def part(pred: Predictions, rows: np.ndarray) -> Predictions:
    return Predictions(pred.task, pred.y_true[rows], pred.y_score[rows],
                       weight=None if pred.weight is None else pred.weight[rows], classes=pred.classes)


def same(a, b, path=""):
    """Every figure of two calibration JSONs equal to 1e-12 (NaN as None on both sides)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14), (path, a, b)
    else:
        assert a == b, path


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(task=st.sampled_from(sorted(CLASSES)), n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       chunks=st.integers(1, 6), bins=st.integers(1, 20), weighted=st.booleans(), ties=st.booleans(),
       slope_scores=st.sampled_from([3, 40, 50_000]))
def test_the_sums_of_chunks_merge_to_the_sums_of_the_whole(task, n, seed, chunks, bins, weighted, ties,
                                                           slope_scores):
    rng = np.random.default_rng(seed)
    pred = predictions(task, rng, n, weighted, ties)
    order = rng.permutation(n)  # chunks of shuffled rows, merged in a shuffled tree
    cuts = np.sort(rng.integers(0, n + 1, chunks - 1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_slope, "SLOPE_SCORES", slope_scores)  # the bottom-k sample truncated, or not
        whole = CalibrationSums.of(pred, bins=bins, seed=seed % 7)
        parts = [CalibrationSums.of(part(pred, rows), bins=bins, seed=seed % 7)
                 for rows in np.split(order, cuts) if len(rows)]
        while len(parts) > 1:
            i = int(rng.integers(0, len(parts) - 1))
            parts[i:i + 2] = [parts[i].merge(parts[i + 1])]
        merged = parts[0]
        assert merged.n == whole.n == n
        for a, b in zip(merged.problems, whole.problems):
            np.testing.assert_allclose(a.bins, b.bins, rtol=1e-12, atol=1e-12)
            assert a.brier == pytest.approx(b.brier, rel=1e-12, abs=1e-12)
            assert a.spiegelhalter == pytest.approx(b.spiegelhalter, rel=1e-12, abs=1e-12)
            assert a.sample.score.tolist() == b.sample.score.tolist()  # the same scores, in the same order
            assert len(a.sample.score) == min(slope_scores, len(np.unique(b.sample.score)))
            assert a.sample.rows.tolist() == b.sample.rows.tolist()
            np.testing.assert_allclose(a.sample.weight1, b.sample.weight1, rtol=1e-12, atol=1e-12)
        if task == "multilabel":
            np.testing.assert_allclose(merged.pooled, whole.pooled, rtol=1e-12, atol=1e-12)
        # and the figures: the kept rows (any order) give the same exact bootstrap
        got = calibration_from_sums(merged, reps=20).to_dict()
        same(calibration(pred, bins=bins, reps=20, seed=seed % 7).to_dict(), got)


def test_the_bins_match_scikit_learn_calibration_curve():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(3)
    s = rng.beta(2, 3, 4000)
    y = (rng.random(4000) < s ** 1.4).astype(np.int8)
    halves = [CalibrationSums.of(Predictions("binary", y[rows], s[rows]), bins=10)
              for rows in (slice(0, 1500), slice(1500, None))]
    bins = calibration_from_sums(halves[0].merge(halves[1]), reps=0).bins
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10, strategy="uniform")
    full = [b for b in bins if b.n]
    assert len(full) == len(prob_true)
    assert [b.observed_rate for b in full] == pytest.approx(prob_true, rel=1e-12)
    assert [b.mean_score for b in full] == pytest.approx(prob_pred, rel=1e-12)


def test_a_hand_worked_example():
    # bins [0, .5) and [.5, 1]: scores .2, .4 (outcomes 0, 1) and .6, .8, .9 (1, 1, 0), in two chunks
    y, s = np.array([0, 1, 1, 1, 0], np.int8), np.array([0.2, 0.4, 0.6, 0.8, 0.9])
    a = CalibrationSums.of(Predictions("binary", y[:2], s[:2]), bins=2)
    b = CalibrationSums.of(Predictions("binary", y[2:], s[2:]), bins=2)
    c = calibration_from_sums(b.merge(a), reps=0)
    # bin 0: mean score .3, rate .5; bin 1: mean score 2.3/3, rate 2/3
    assert (c.bins[0].mean_score, c.bins[0].observed_rate) == pytest.approx((0.3, 0.5))
    assert (c.bins[1].mean_score, c.bins[1].observed_rate) == pytest.approx((2.3 / 3, 2 / 3))
    assert c.ece == pytest.approx(2 / 5 * 0.2 + 3 / 5 * (2.3 / 3 - 2 / 3))
    assert c.mce == pytest.approx(0.2)
    assert c.brier == pytest.approx((0.04 + 0.36 + 0.16 + 0.04 + 0.81) / 5)


def test_rows_are_kept_only_up_to_the_limit():
    rng = np.random.default_rng(0)
    pred = predictions("binary", rng, 10, False, False)
    a = CalibrationSums.of(part(pred, np.arange(6)), keep=8)
    b = CalibrationSums.of(part(pred, np.arange(6, 10)), keep=8)
    assert a.rows is not None and b.rows is not None and a.merge(b).rows is None
    # the interval then needs the normal limit: without the rows (and below it) it is NaN, not made up
    c = calibration_from_sums(a.merge(b), reps=10)
    assert math.isnan(c.ece_ci_low) and math.isnan(c.ece_ci_high) and not math.isnan(c.ece)


def test_sums_on_different_bins_do_not_merge():
    pred = predictions("binary", np.random.default_rng(1), 20, False, False)
    with pytest.raises(ValueError):
        CalibrationSums.of(pred, bins=5).merge(CalibrationSums.of(pred, bins=6))


@pytest.mark.parametrize("bins", [2, 3, 7, 10, 15, 100, 1000])
def test_uniform_bins_are_those_of_a_binary_search_of_the_edges(bins):
    from diagnose.calibration._bins import assign

    edges = np.linspace(0, 1, bins + 1)
    rng = np.random.default_rng(bins)
    for s in (np.arange(10 * bins + 1) / (10 * bins), np.round(rng.random(20_000), 3), rng.random(20_000),
              np.nextafter(edges, 2).clip(0, 1), np.nextafter(edges, -1).clip(0, 1), edges,
              rng.integers(0, 2, 20_000).astype(float),  # hard scores: most exactly on the outer edges
              np.r_[rng.integers(0, 2, 20_000).astype(float), edges, np.nextafter(edges, 2).clip(0, 1)]):
        assert assign(s, edges).tolist() == np.searchsorted(edges[1:-1], s, side="right").tolist()


@pytest.mark.parametrize("decimals, weighted", [(None, False), (3, False), (3, True), (5, False)])
def test_the_slope_sample_of_a_big_chunk_is_the_k_smallest_keys_by_brute_force(decimals, weighted):
    # a chunk past 2**18 rows: the prefilter of the key range and pyarrow's hash table of the
    # distinct scores must give what a plain computation gives: np.unique of every score, the
    # SLOPE_SCORES distinct scores of smallest key, their rows and weights of 1 and 0 outcomes
    from diagnose.calibration._slope import HASHED_ROWS, SLOPE_SCORES, SlopeSample, score_keys

    rng = np.random.default_rng(5)
    n = HASHED_ROWS + 40_000
    y = rng.integers(0, 2, n).astype(np.float64)
    s = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    s = s if decimals is None else np.round(s, decimals)
    s[:7] = -0.0 if decimals else s[:7]  # -0.0 counts as 0.0
    w = rng.choice([0.5, 1.0, 3.0], n) if weighted else None
    got = SlopeSample.of(s, y, w, seed=11)
    scores, codes = np.unique(s + 0.0, return_inverse=True)
    keys = score_keys(scores, 11)
    pick = np.argsort(keys)[:SLOPE_SCORES]
    ww = np.ones(n) if w is None else w
    assert got.key.tolist() == keys[pick].tolist() and got.score.tolist() == scores[pick].tolist()
    np.testing.assert_array_equal(got.rows, np.bincount(codes, minlength=len(scores))[pick])
    np.testing.assert_allclose(got.weight1, np.bincount(codes, ww * y, len(scores))[pick], rtol=1e-12)
    np.testing.assert_allclose(got.weight0, np.bincount(codes, ww * (1 - y), len(scores))[pick], rtol=1e-12)
