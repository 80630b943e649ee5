"""Platt, isotonic and temperature scaling against scikit-learn and scipy, the mapping's JSON,
and recalibration judged on test."""
from __future__ import annotations

import json

import numpy as np
import pytest

from diagnose.calibration import Mapping, calibration, fit_mapping, recalibrate
from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions


def logit(s):
    s = np.clip(s, 1e-12, 1 - 1e-12)
    return np.log(s) - np.log1p(-s)


def overconfident(rng, n, *, weighted=False):
    p = rng.uniform(0.01, 0.99, n)
    y = (rng.random(n) < p).astype(np.int8)
    return Predictions("binary", y, 1 / (1 + ((1 - p) / p) ** 3),
                       weight=rng.uniform(0.5, 2.0, n) if weighted else None)


@pytest.mark.parametrize("weighted", [False, True])
def test_platt_is_logistic_regression_on_the_logit(weighted):
    from sklearn.linear_model import LogisticRegression

    cv = overconfident(np.random.default_rng(0), 3000, weighted=weighted)
    mapping = fit_mapping(cv, "platt")
    x = logit(cv.y_score)[:, None]
    ref = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(x, cv.y_true, sample_weight=cv.weight)
    a, b = mapping.parameters[0]["a"], mapping.parameters[0]["b"]
    assert (a, b) == pytest.approx((ref.coef_[0, 0], ref.intercept_[0]), abs=1e-6)
    grid = np.linspace(0.001, 0.999, 101)
    assert mapping.apply(grid) == pytest.approx(ref.predict_proba(logit(grid)[:, None])[:, 1], abs=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_isotonic_is_isotonic_regression(weighted):
    from sklearn.isotonic import IsotonicRegression

    cv = overconfident(np.random.default_rng(1), 3000, weighted=weighted)
    ref = IsotonicRegression(out_of_bounds="clip").fit(cv.y_score, cv.y_true, sample_weight=cv.weight)
    grid = np.concatenate([np.linspace(0, 1, 501), cv.y_score[:50]])
    assert fit_mapping(cv, "isotonic").apply(grid) == pytest.approx(ref.predict(grid), abs=1e-6)


def test_temperature_minimises_the_softmax_log_loss():
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    rng = np.random.default_rng(2)
    logits = rng.normal(0, 1, (2000, 3))
    prob = np.exp(log_softmax(logits, axis=1))
    y = np.array([rng.choice(3, p=row) for row in prob])
    sharp = np.exp(log_softmax(2.5 * logits, axis=1))  # overconfident: T near 2.5 undoes it
    mapping = fit_mapping(Predictions("multiclass", y, sharp, classes=("a", "b", "c")), "temperature")

    def loss(t):
        return -log_softmax(np.log(sharp) / t, axis=1)[np.arange(len(y)), y].mean()

    best = minimize_scalar(loss, bounds=(0.1, 20), method="bounded", options={"xatol": 1e-10}).x
    assert mapping.parameters[0]["T"] == pytest.approx(best, abs=1e-6)
    assert 2.0 < best < 3.0
    out = mapping.apply(sharp)
    assert out == pytest.approx(np.exp(log_softmax(np.log(sharp) / best, axis=1)), abs=1e-6)


def test_binary_temperature_is_the_two_class_softmax():
    cv = overconfident(np.random.default_rng(3), 4000)
    t = fit_mapping(cv, "temperature").parameters[0]["T"]
    a = fit_mapping(cv, "platt").parameters[0]["a"]
    assert t == pytest.approx(3.0, abs=0.3) and 1 / t == pytest.approx(a, abs=0.05)


@pytest.mark.parametrize("method", ["platt", "isotonic", "temperature"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_mappings_round_trip_through_json(method, task):
    rng = np.random.default_rng(4)
    if task == "binary":
        pred = overconfident(rng, 500)
    elif task == "multiclass":
        prob = rng.dirichlet(np.ones(3), 500)
        pred = Predictions(task, rng.integers(0, 3, 500), prob, classes=("a", "b", "c"))
    else:
        s = rng.random((500, 2))
        pred = Predictions(task, (rng.random((500, 2)) < s).astype(np.int8), s, classes=("u", "v"))
    mapping = fit_mapping(pred, method)
    again = Mapping.from_dict(json.loads(json.dumps(mapping.to_dict(), allow_nan=False)))
    out = mapping.apply(pred.y_score)
    assert out.shape == pred.y_score.shape
    assert again.apply(pred.y_score) == pytest.approx(out, abs=1e-12)
    if task == "multiclass":
        assert out.sum(axis=1) == pytest.approx(np.ones(500))


def test_recalibration_helps_the_overconfident_model_and_is_recommended():
    rng = np.random.default_rng(5)
    cv, test = overconfident(rng, 10_000), overconfident(rng, 10_000)
    r = recalibrate(cv, test)
    assert r.recommended in ("platt", "temperature", "isotonic")
    best = next(x for x in r.results if x.method == r.recommended)
    assert best.significant and best.ece_after < best.ece_before / 2
    assert best.log_loss_after < best.log_loss_before and best.brier_after < best.brier_before
    assert best.ece_before == pytest.approx(calibration(test, reps=0).ece)
    assert r.mapping() is best.mapping
    assert set(r.to_dict()["methods"]) == {"platt", "isotonic", "temperature"}
    json.dumps(r.to_dict(), allow_nan=False)


def test_nothing_is_recommended_for_a_calibrated_model():
    rng = np.random.default_rng(6)

    def split(n):
        p = rng.uniform(0.01, 0.99, n)
        return Predictions("binary", (rng.random(n) < p).astype(np.int8), p)

    r = recalibrate(split(5000), split(5000))
    assert r.recommended == "none" and r.mapping() is None


def test_multiclass_and_multilabel_recalibrate():
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 1.2, (6000, 3))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in prob])
    sharp = prob ** 3 / (prob ** 3).sum(axis=1, keepdims=True)
    cv = Predictions("multiclass", y[:3000], sharp[:3000], classes=("a", "b", "c"))
    test = Predictions("multiclass", y[3000:], sharp[3000:], classes=("a", "b", "c"))
    r = recalibrate(cv, test)
    assert r.recommended != "none"
    s = rng.uniform(0.01, 0.99, (4000, 2))
    y2 = (rng.random((4000, 2)) < s).astype(np.int8)
    over = 1 / (1 + ((1 - s) / s) ** 3)
    ml = recalibrate(Predictions("multilabel", y2[:2000], over[:2000], classes=("u", "v")),
                     Predictions("multilabel", y2[2000:], over[2000:], classes=("u", "v")), method="platt")
    assert ml.recommended == "platt" and ml.results[0].ece_after < ml.results[0].ece_before


def test_bad_recalibration_requests_are_refused():
    rng = np.random.default_rng(8)
    binary = overconfident(rng, 100)
    multi = Predictions("multiclass", rng.integers(0, 3, 100), rng.dirichlet(np.ones(3), 100), classes=("a", "b", "c"))
    with pytest.raises(UsageError, match="method"):
        recalibrate(binary, binary, method="beta")
    with pytest.raises(UsageError, match="share the task"):
        recalibrate(binary, multi)
    with pytest.raises(UsageError, match="regression"):
        recalibrate(Predictions("regression", np.ones(3), y_pred=np.ones(3)), binary)
    with pytest.raises(UsageError, match="parameters"):
        Mapping.from_dict({"method": "platt", "task": "binary", "parameters": [{"T": 2}]})
    with pytest.raises(UsageError, match="score column"):
        fit_mapping(multi, "platt").apply(np.ones((4, 2)) / 2)
