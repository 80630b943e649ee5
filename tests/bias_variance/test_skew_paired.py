"""The skew section's paired test of model vs trivial accuracy: exact McNemar without weights
(binary, multiclass), the design-based paired z-test (rows as units) with weights or
multi-label; unit-free in the weights, with the right type I error (simulated)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.contingency_tables import mcnemar

import diagnose
from diagnose.bias_variance import skew
from diagnose.ingest import Predictions

LABELS = 4


def draw(rng, q, *, n=400, weights="none", multilabel=False):
    """Rows the model flags positive (30%) have y = 1 with probability ``q``: with q = 0.5 the
    model and the trivial classifier (always 0) are equally accurate; the rest have y ~ B(0.2).
    Multi-label: a flagged row's labels copy one coin (probability 0.8): clustered in rows."""
    flag = rng.random(n) < 0.3
    w = None
    if weights == "lognormal":
        w = np.exp(rng.normal(0, 1, n))
    elif weights in ("x10", "sum1"):
        w = rng.uniform(0.5, 1.5, n)
        w = w * 10 if weights == "x10" else w / w.sum()
    if multilabel:
        coin = rng.random(n) < q
        own = rng.random((n, LABELS)) < q
        flagged_y = np.where(rng.random((n, LABELS)) < 0.8, coin[:, None], own)
        y = np.where(flag[:, None], flagged_y, rng.random((n, LABELS)) < 0.2).astype(np.int8)
        score = np.repeat(flag, LABELS).reshape(n, LABELS).astype(np.float64)
        return Predictions("multilabel", y, y_score=score, weight=w, classes=tuple("abcd"))
    y = np.where(flag, rng.random(n) < q, rng.random(n) < 0.2).astype(np.int8)
    return Predictions("binary", y, y_pred=flag.astype(np.int8), weight=w)


def rejection_rate(q, redraws, seed, **kw):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(redraws):
        p = draw(rng, q, **kw)
        hits += skew(p, p).significant
    return hits / redraws


@pytest.mark.parametrize("kw", [{"weights": "x10"}, {"weights": "lognormal"}, {"weights": "sum1"},
                                {"multilabel": True}, {"multilabel": True, "weights": "lognormal"}],
                         ids=["x10", "lognormal", "sum1", "multilabel", "multilabel-lognormal"])
def test_type_one_error_is_nominal_whatever_the_weights_and_clustering(kw):
    # the old test (rounded weighted McNemar, label decisions as units) rejected 19-35% here
    assert rejection_rate(0.5, 2000, 11, **kw) <= 0.07


@pytest.mark.parametrize("kw", [{"weights": "x10"}, {"weights": "lognormal"}, {"weights": "sum1"},
                                {"multilabel": True}], ids=["x10", "lognormal", "sum1", "multilabel"])
def test_a_clearly_better_model_is_found(kw):
    assert rejection_rate(0.75, 100, 12, **kw) >= 0.9


def test_the_weights_unit_does_not_change_p(rng):
    for multilabel in (False, True):
        p = draw(rng, 0.6, weights="lognormal", multilabel=multilabel)
        base = skew(p, p)
        assert base.test == "paired_z"
        for factor in (10.0, 1e-6, 1 / p.weight.sum()):
            q = Predictions(p.task, p.y_true, y_score=p.y_score, y_pred=p.y_pred, classes=p.classes,
                            weight=p.weight * factor)
            assert skew(q, q).p_value == pytest.approx(base.p_value, rel=1e-12)
        q = Predictions(p.task, p.y_true, y_score=p.y_score, y_pred=p.y_pred, classes=p.classes, weight=p.weight * 8)
        assert skew(q, q).p_value == base.p_value  # a power of 2: bit for bit


def test_the_z_test_is_the_design_based_formula(rng):
    p = draw(rng, 0.6, weights="lognormal")
    d = (p.decision != p.y_true).astype(float) - (p.y_true != 0)
    w = p.weight
    n = len(d)
    mean = np.average(d, weights=w)
    se = math.sqrt(n / (n - 1) * np.sum((w * (d - mean)) ** 2)) / w.sum()
    s = skew(p, p)
    assert s.p_value == pytest.approx(norm.cdf(mean / se), rel=1e-9)
    # multi-label, unweighted: the row's mean over labels is the unit; the paired t-statistic's s / sqrt(n)
    m = draw(rng, 0.6, multilabel=True)
    d = (m.decision != m.y_true).mean(axis=1) - (m.y_true != 0).mean(axis=1)
    z = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    assert skew(m, m).p_value == pytest.approx(norm.cdf(z), rel=1e-9)


def _table(model_wrong, trivial_wrong):
    return [[int(np.sum(~model_wrong & ~trivial_wrong)), int(np.sum(~model_wrong & trivial_wrong))],
            [int(np.sum(model_wrong & ~trivial_wrong)), int(np.sum(model_wrong & trivial_wrong))]]


@pytest.mark.parametrize("seed", range(5))
def test_unweighted_exact_mcnemar_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    for task in ("binary", "multiclass"):
        n = int(rng.integers(40, 400))
        if task == "binary":
            y = (rng.random(n) < 0.3).astype(np.int64)
            d = np.where(rng.random(n) < 0.85, y, 1 - y)
            p = Predictions("binary", y.astype(np.int8), y_pred=d.astype(np.int8))
        else:
            y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
            d = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
            p = Predictions("multiclass", y, y_pred=d, classes=("a", "b", "c"))
        s = skew(p, p)
        assert s.test == "exact_mcnemar" and s.to_dict()["test"] == "exact_mcnemar"
        table = _table(d != y, y != 0)
        b, c = table[0][1], table[1][0]  # only the model right, only the trivial classifier right
        two_sided = mcnemar(table, exact=True).pvalue
        if b > c and two_sided < 1:  # the one-sided tail is half the symmetric two-sided p
            assert s.p_value == pytest.approx(two_sided / 2, rel=1e-9)
        elif b < c:
            assert s.p_value >= 0.5
        # weights all equal carry no information: the same exact test
        e = Predictions(p.task, p.y_true, y_pred=p.y_pred, classes=p.classes, weight=np.full(n, 2.5))
        assert skew(e, e).test == "exact_mcnemar" and skew(e, e).p_value == s.p_value


def test_every_row_won_gives_the_sign_test_p():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], np.int8)
    w = np.array([1, 2, 3, 1, 1, 1, 1, 1, 1, 1.0])
    train = Predictions("binary", y, y_pred=np.zeros(10, np.int8), weight=w)  # majority 0
    cv_y = np.ones(5, np.int8)
    cv = Predictions("binary", cv_y, y_pred=cv_y, weight=np.array([1, 2, 3, 4, 5.0]))
    s = skew(train, cv)
    assert s.test == "paired_z" and s.p_value == 0.5 ** 5 and s.significant
    same = Predictions("binary", cv_y, y_pred=np.zeros(5, np.int8), weight=np.array([1, 2, 3, 4, 5.0]))
    assert skew(train, same).p_value == 1.0


def test_weighted_and_multilabel_reports_name_the_paired_test(sample_dir):
    ml = diagnose.report(*(sample_dir / "multilabel" / f"{s}.csv" for s in ("train", "cv", "test")))
    assert ml.to_dict()["skew"]["test"] == "paired_z"
    assert "paired z-test, rows as units, p =" in ml.to_text()
    binary = diagnose.report(*(sample_dir / "breast_cancer" / f"{s}.csv" for s in ("train", "cv", "test")))
    assert binary.to_dict()["skew"]["test"] == "exact_mcnemar" and "(McNemar p =" in binary.to_text()
