"""The fast DeLong test against the O(m n) definition of its structural components, and
the AUCs against scikit-learn."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from diagnose.paired import delong_cov, delong_test, midranks


def direct_delong(y, scores, weight=None):
    """DeLong et al. (1988) written out: psi over every (positive, negative) pair, V10 and
    V01 its row and column means, S = S10 / m + S01 / n (weighted: pairs weigh w_i w_j and
    the covariances are m/(m-1) sum (w_i/W)^2 (V - AUC)(V - AUC)')."""
    pos = y == 1
    w = np.ones(y.shape[0]) if weight is None else weight
    wp, wn = w[pos], w[~pos]
    m, n = wp.shape[0], wn.shape[0]
    v10, v01 = [], []
    for s in scores:
        x, z = s[pos], s[~pos]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        v10.append(psi @ wn / wn.sum())
        v01.append(wp @ psi / wp.sum())
    v10, v01 = np.array(v10), np.array(v01)
    auc = v10 @ wp / wp.sum()
    d10 = (v10 - auc[:, None]) * (wp / wp.sum())
    d01 = (v01 - auc[:, None]) * (wn / wn.sum())
    cov = m / (m - 1) * d10 @ d10.T + n / (n - 1) * d01 @ d01.T
    return auc, cov


def tied_scores(rng, n):
    y = rng.integers(0, 2, n)
    a = np.round(0.3 * y + rng.random(n), 1)      # rounding makes many ties
    b = np.round(0.5 * y + rng.random(n), 1)
    return y, a, b


def test_unweighted_direct_formula_is_the_classic_delong():
    rng = np.random.default_rng(0)
    y, a, b = tied_scores(rng, 80)
    auc, cov = direct_delong(y, np.vstack([a, b]))
    # the textbook form: S10 = sample covariance (ddof 1) of V10, S = S10/m + S01/n
    pos = y == 1
    psi = [(s[pos][:, None] > s[~pos][None, :]) + 0.5 * (s[pos][:, None] == s[~pos][None, :]) for s in (a, b)]
    v10 = np.array([p.mean(axis=1) for p in psi])
    v01 = np.array([p.mean(axis=0) for p in psi])
    textbook = np.cov(v10) / pos.sum() + np.cov(v01) / (~pos).sum()
    assert cov == pytest.approx(textbook, rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_delong_equals_the_direct_formula_with_ties(seed):
    rng = np.random.default_rng(seed)
    y, a, b = tied_scores(rng, 300)
    aucs, cov = delong_cov(y, np.vstack([a, b]))
    want_auc, want_cov = direct_delong(y, np.vstack([a, b]))
    assert aucs == pytest.approx(want_auc, rel=1e-12)
    assert cov == pytest.approx(want_cov, rel=1e-9)
    assert aucs[0] == pytest.approx(roc_auc_score(y, a), rel=1e-12)
    assert aucs[1] == pytest.approx(roc_auc_score(y, b), rel=1e-12)
    t = delong_test(y, a, b)
    var = want_cov[0, 0] + want_cov[1, 1] - 2 * want_cov[0, 1]
    assert t.variance == pytest.approx(var, rel=1e-9)
    assert t.se == pytest.approx(math.sqrt(var), rel=1e-9)
    assert t.z == pytest.approx((t.auc_b - t.auc_a) / math.sqrt(var), rel=1e-9)
    assert t.p_value == pytest.approx(math.erfc(abs(t.z) / math.sqrt(2)), rel=1e-9)


def test_weighted_delong_equals_the_direct_formula_and_sklearn_and_is_unit_free():
    rng = np.random.default_rng(7)
    y, a, b = tied_scores(rng, 250)
    w = rng.uniform(0.1, 4.0, 250)
    aucs, cov = delong_cov(y, np.vstack([a, b]), w)
    want_auc, want_cov = direct_delong(y, np.vstack([a, b]), w)
    assert aucs == pytest.approx(want_auc, rel=1e-10)
    assert cov == pytest.approx(want_cov, rel=1e-9)
    assert aucs[0] == pytest.approx(roc_auc_score(y, a, sample_weight=w), rel=1e-10)
    assert aucs[1] == pytest.approx(roc_auc_score(y, b, sample_weight=w), rel=1e-10)
    t, t10 = delong_test(y, a, b, w), delong_test(y, a, b, 10 * w)
    assert (t10.variance, t10.p_value) == pytest.approx((t.variance, t.p_value), rel=1e-9)


def test_midranks_are_scipy_midranks_less_a_half():
    from scipy.stats import rankdata

    x = np.round(np.random.default_rng(1).random(100), 1)
    assert midranks(x) == pytest.approx(rankdata(x) - 0.5)


def test_no_positives_gives_nan():
    t = delong_test(np.zeros(10), np.arange(10.0), np.arange(10.0))
    assert math.isnan(t.auc_a) and math.isnan(t.p_value)
    assert t.to_dict()["auc_a"] is None


def test_identical_models_have_zero_difference_and_p_one():
    rng = np.random.default_rng(2)
    y, a, _ = tied_scores(rng, 100)
    t = delong_test(y, a, a.copy())
    assert t.difference == 0 and t.p_value == 1.0
