"""Decision curves: net benefit against a direct computation from the definition."""
from __future__ import annotations

import json

import numpy as np
import pytest

from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions
from diagnose.thresholds import DEFAULT_DECISION_THRESHOLDS, decision_curve
from tests.thresholds.helpers import load, tied_data


def direct(y, s, w, p):
    """NB(p_t) = TP/n - FP/n * p_t / (1 - p_t), counting the rows at each p_t (score >= p_t)."""
    w = np.ones(len(y)) if w is None else w
    n = w.sum()
    out = []
    for t in p:
        hit = s >= t
        tp, fp = w[hit & (y == 1)].sum(), w[hit & (y == 0)].sum()
        out.append(tp / n - fp / n * t / (1 - t))
    return np.array(out)


@pytest.mark.parametrize("weighted", [False, True])
def test_net_benefit_equals_the_definition(rng, weighted):
    for k in range(10):
        n = int(rng.integers(30, 400))
        y, s = tied_data(rng, n, prevalence=rng.uniform(0.02, 0.7), decimals=int(rng.integers(1, 4)))
        w = rng.choice([0.0, 0.5, 1.0, 2.5], n) if weighted else None
        if w is not None:
            w[0] = 1.0
        p = None if k % 2 == 0 else np.sort(np.r_[0.0, rng.random(20) * 0.999, s[:5].clip(0, 0.99)])
        dc = decision_curve(Predictions("binary", y, y_score=s, weight=w), thresholds=p)
        p = DEFAULT_DECISION_THRESHOLDS if p is None else p
        np.testing.assert_array_equal(dc.threshold, p)
        np.testing.assert_allclose(dc.model, direct(y, s, w, p), rtol=1e-12, atol=1e-12)
        ww = np.ones(n) if w is None else w
        prevalence = ww[y == 1].sum() / ww.sum()
        assert dc.prevalence == pytest.approx(prevalence, rel=1e-12)
        np.testing.assert_allclose(dc.treat_all, prevalence - (1 - prevalence) * p / (1 - p), rtol=1e-12, atol=1e-12)


def test_default_grid_is_one_to_ninety_nine_percent():
    assert DEFAULT_DECISION_THRESHOLDS.tolist() == [float(f"0.{k:02d}") for k in range(1, 100)]


def test_scores_equal_to_a_threshold_count_as_positive():
    y = np.array([1, 0, 1, 0], np.int8)
    s = np.array([0.3, 0.3, 0.2, 0.1])
    dc = decision_curve(Predictions("binary", y, y_score=s), thresholds=[0.3, 0.30000001])
    # at 0.3 both rows scored 0.3 are positive: TP 1, FP 1 of 4; just above, none is
    assert dc.model.tolist() == pytest.approx([0.25 - 0.25 * 0.3 / 0.7, 0.0])


def test_sample_curve_json_and_frame():
    cv = load("cv")
    dc = decision_curve(cv)
    d = json.loads(json.dumps(dc.to_dict(), allow_nan=False))
    assert set(d) == {"prevalence", "curve"} and len(d["curve"]) == 99
    assert set(d["curve"][0]) == {"threshold", "model", "treat_all", "treat_none"}
    assert d["curve"][49]["threshold"] == 0.5 and d["curve"][49]["treat_none"] == 0.0
    frame = dc.to_frame()
    assert list(frame.columns) == ["threshold", "model", "treat_all", "treat_none"] and len(frame) == 99
    # at p_t -> 0 the model calls every scored row positive, as treat all does
    assert decision_curve(cv, thresholds=[0.0]).model[0] == pytest.approx(dc.prevalence)


def test_multilabel_gives_one_curve_per_label(rng):
    n = 200
    y = (rng.random((n, 2)) < [0.1, 0.4]).astype(np.int8)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random((n, 2)), 0, 1), 2)
    w = rng.uniform(0.5, 2.0, n)
    dc = decision_curve(Predictions("multilabel", y, y_score=s, classes=("a", "b"), weight=w))
    assert dc.model is None and set(dc.labels) == {"a", "b"}
    for j, name in enumerate(("a", "b")):
        np.testing.assert_allclose(dc.labels[name].model, direct(y[:, j], s[:, j], w, dc.threshold), atol=1e-12)
    d = json.loads(json.dumps(dc.to_dict(), allow_nan=False))
    assert d["curve"] is None and d["prevalence"] is None and len(d["labels"]["b"]["curve"]) == 99
    frame = dc.to_frame()
    assert list(frame.columns) == ["label", "threshold", "model", "treat_all", "treat_none"] and len(frame) == 198


@pytest.mark.parametrize("pred, says", [
    (Predictions("multiclass", np.array([0, 1, 2]), y_score=np.eye(3), classes=("a", "b", "c")),
     "decision curves apply to binary classification (and multi-label, one curve per label), not multiclass"),
    (Predictions("regression", np.array([0.5, 1.0]), y_pred=np.array([0.4, 1.1])), "not regression"),
    (Predictions("binary", np.array([0, 1], np.int8), y_pred=np.array([0, 1], np.int8)), "needs scores (y_score)"),
])
def test_other_tasks_and_hard_predictions_are_refused(pred, says):
    with pytest.raises(UsageError) as err:
        decision_curve(pred)
    assert says in str(err.value)


@pytest.mark.parametrize("thresholds", [[0.5, 1.0], [-0.1], [np.nan], [], [[0.1, 0.2]], ["a"]])
def test_bad_thresholds_are_refused(thresholds):
    pred = Predictions("binary", np.array([0, 1], np.int8), y_score=np.array([0.2, 0.8]))
    with pytest.raises(UsageError, match="decision curve thresholds"):
        decision_curve(pred, thresholds=thresholds)
