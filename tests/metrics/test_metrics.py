"""Split errors checked against scikit-learn's metrics and hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn import metrics as skm

from diagnose.ingest import Predictions
from diagnose.metrics import split_error, wilson_interval


def binary(y, s, w=None):
    return Predictions("binary", np.asarray(y, np.int8), y_score=np.asarray(s, float),
                       weight=None if w is None else np.asarray(w, float))


def multiclass(y, p, w=None):
    p = np.asarray(p, float)
    return Predictions("multiclass", np.asarray(y), y_score=p,
                       classes=tuple(str(i) for i in range(p.shape[1])),
                       weight=None if w is None else np.asarray(w, float))


def test_course_example_half_mse():
    # J = ((2.4-2.3)^2 + (4.2-4.1)^2) / (2*2) = 0.005
    p = Predictions("regression", np.array([2.3, 4.1]), y_pred=np.array([2.4, 4.2]))
    assert split_error(p, "half_mse").error == pytest.approx(0.005)


def test_wilson_matches_scipy():
    for k, n in [(0, 20), (3, 20), (10, 100), (57, 60), (60, 60)]:
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = wilson_interval(k / n, n)
        assert low == pytest.approx(ci.low, abs=1e-9)
        assert high == pytest.approx(ci.high, abs=1e-9)


def test_binary_metrics_match_sklearn(rng):
    n = 500
    y = rng.integers(0, 2, n)
    s = rng.random(n)
    w = rng.random(n) * 3
    for weight in (None, w):
        p = binary(y, s, weight)
        pred = (s >= 0.5).astype(int)
        assert split_error(p, "error_rate").error == pytest.approx(
            1 - skm.accuracy_score(y, pred, sample_weight=weight))
        assert split_error(p, "log_loss").error == pytest.approx(
            skm.log_loss(y, s, sample_weight=weight, labels=[0, 1]))
        assert split_error(p, "brier").error == pytest.approx(
            skm.brier_score_loss(y, s, sample_weight=weight))


def test_multiclass_metrics_match_sklearn(rng):
    n, k = 400, 5
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 2.0 * np.eye(k)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    w = rng.random(n)
    for weight in (None, w):
        pred = multiclass(y, p, weight)
        assert split_error(pred, "error_rate").error == pytest.approx(
            1 - skm.accuracy_score(y, p.argmax(axis=1), sample_weight=weight))
        assert split_error(pred, "log_loss").error == pytest.approx(
            skm.log_loss(y, p, sample_weight=weight, labels=list(range(k))))
        assert split_error(pred, "brier").error == pytest.approx(
            skm.brier_score_loss(y, p, sample_weight=weight, labels=list(range(k))))


def test_multilabel_error_is_hamming_loss(rng):
    n, labels = 300, 4
    y = rng.integers(0, 2, (n, labels)).astype(np.int8)
    s = rng.random((n, labels))
    pred = Predictions("multilabel", y, y_score=s, classes=("a", "b", "c", "d"))
    assert split_error(pred, "error_rate").error == pytest.approx(
        skm.hamming_loss(y, (s >= 0.5).astype(int)))
    per_label = np.mean([skm.log_loss(y[:, j], s[:, j], labels=[0, 1]) for j in range(labels)])
    assert split_error(pred, "log_loss").error == pytest.approx(per_label)


def test_regression_metrics_match_sklearn(rng):
    y = rng.normal(size=200) * 10
    yhat = y + rng.normal(size=200) * 3
    w = rng.random(200)
    for weight in (None, w):
        p = Predictions("regression", y, y_pred=yhat, weight=weight)
        mse = skm.mean_squared_error(y, yhat, sample_weight=weight)
        assert split_error(p, "mse").error == pytest.approx(mse)
        assert split_error(p, "half_mse").error == pytest.approx(mse / 2)
        assert split_error(p, "rmse").error == pytest.approx(
            skm.root_mean_squared_error(y, yhat, sample_weight=weight))
        assert split_error(p, "mae").error == pytest.approx(
            skm.mean_absolute_error(y, yhat, sample_weight=weight))


def test_error_rate_interval_is_wilson(rng):
    y = np.zeros(200, np.int8)
    s = np.zeros(200)
    s[:30] = 0.9  # 30 errors out of 200
    e = split_error(binary(y, s), "error_rate")
    ci = binomtest(30, 200).proportion_ci(method="wilson")
    assert (e.ci_low, e.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_zero_errors_still_has_a_nonzero_interval():
    e = split_error(binary([0, 1] * 25, [0.1, 0.9] * 25), "error_rate")
    assert e.error == 0 and e.ci_low == 0 and e.ci_high > 0.05 and e.se > 0


def test_normal_interval_covers_the_true_mean_about_95_percent(rng):
    # simulation: the mae interval should cover the population value ~95% of the time
    true_mae = np.sqrt(2 / np.pi)  # E|Z| for a standard normal error
    covered = 0
    reps = 400
    for _ in range(reps):
        y = rng.normal(size=300)
        p = Predictions("regression", y, y_pred=y + rng.normal(size=300))
        e = split_error(p, "mae")
        covered += e.ci_low <= true_mae <= e.ci_high
    assert 0.92 <= covered / reps <= 0.98


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=1, max_size=60))
def test_property_binary_error_and_brier(rows):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows])
    p = binary(y, s)
    assert split_error(p, "error_rate").error == pytest.approx(1 - skm.accuracy_score(y, s >= 0.5))
    assert split_error(p, "brier").error == pytest.approx(skm.brier_score_loss(y, s, pos_label=1))
    e = split_error(p, "error_rate")
    assert e.ci_low <= e.error <= e.ci_high


def test_row_order_does_not_matter(rng):
    y = rng.integers(0, 2, 100)
    s = rng.random(100)
    order = rng.permutation(100)
    for metric in ("error_rate", "log_loss", "brier"):
        a = split_error(binary(y, s), metric)
        b = split_error(binary(y[order], s[order]), metric)
        assert (a.error, a.ci_low, a.ci_high) == pytest.approx((b.error, b.ci_low, b.ci_high))
