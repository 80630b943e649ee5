"""ECE, MCE, the Brier decomposition and the tests against direct numpy computations written
here from the definitions (and statsmodels / scikit-learn where they have the figure)."""
from __future__ import annotations

import numpy as np
import pytest

from diagnose.calibration import calibration
from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions

TOL = 1e-12


def oracle(s, y, w, bins, strategy):
    """The binned figures straight from the definitions, one bin at a time."""
    w = np.ones_like(s) if w is None else w
    if strategy == "uniform":
        edges = np.linspace(0, 1, bins + 1)
    else:
        edges = np.quantile(s, np.linspace(0, 1, bins + 1))
        edges[0], edges[-1] = 0.0, 1.0
        edges = np.unique(edges)
    total, rate = w.sum(), np.sum(w * y) / w.sum()
    ece = mce = rel = res = within = 0.0
    rows = []
    for i in range(len(edges) - 1):
        last = i == len(edges) - 2
        inside = (s >= edges[i]) & ((s <= edges[i + 1]) if last else (s < edges[i + 1]))
        rows.append(int(inside.sum()))
        if not inside.any():
            continue
        wb, sb, yb = w[inside], s[inside], y[inside]
        share = wb.sum() / total
        conf, obs = np.average(sb, weights=wb), np.average(yb, weights=wb)
        ece += share * abs(obs - conf)
        mce = max(mce, abs(obs - conf))
        rel += share * (conf - obs) ** 2
        res += share * (obs - rate) ** 2
        var_s = np.average((sb - conf) ** 2, weights=wb)
        cov = np.average((sb - conf) * (yb - obs), weights=wb)
        within += share * (var_s - 2 * cov)
    brier = np.sum(w * (s - y) ** 2) / total
    return {"ece": ece, "mce": mce, "brier": brier, "reliability": rel, "resolution": res,
            "uncertainty": rate * (1 - rate), "within_bin": within, "rows": rows}


def spiegelhalter_z(s, y, w):
    w = np.ones_like(s) if w is None else w
    return np.sum(w * (y - s) * (1 - 2 * s)) / np.sqrt(np.sum(w ** 2 * (1 - 2 * s) ** 2 * s * (1 - s)))


def check(result, expected):
    for key in ("ece", "mce", "brier", "reliability", "resolution", "uncertainty", "within_bin"):
        assert getattr(result, key) == pytest.approx(expected[key], abs=TOL), key
    assert [b.n for b in result.bins] == expected["rows"]
    assert result.brier == pytest.approx(result.reliability - result.resolution + result.uncertainty
                                         + result.within_bin, abs=TOL)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n = 3000
    p = rng.beta(2, 3, n)
    s = np.clip(p + rng.normal(0, 0.08, n), 0, 1)
    y = (rng.random(n) < p).astype(np.int8)
    return s, y, rng.uniform(0.2, 3.0, n)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("bins", [15, 7])
def test_binary_figures_match_the_definitions(data, strategy, weighted, bins):
    s, y, w = data
    w = w if weighted else None
    c = calibration(Predictions("binary", y, s, weight=w), bins=bins, strategy=strategy, reps=0)
    check(c, oracle(s, y.astype(float), w, bins, strategy))
    assert c.z == pytest.approx(spiegelhalter_z(s, y, w), abs=1e-9)
    assert c.n == len(s) and c.bins_strategy == strategy


def test_bins_hold_weighted_means_and_wilson_intervals(data):
    from statsmodels.stats.proportion import proportion_confint

    s, y, _ = data
    c = calibration(Predictions("binary", y, s), bins=10, reps=0)
    for b in c.bins:
        inside = (s >= b.lo) & ((s <= b.hi) if b.hi == 1.0 else (s < b.hi))
        assert b.n == inside.sum()
        assert b.mean_score == pytest.approx(s[inside].mean(), abs=TOL)
        assert b.observed_rate == pytest.approx(y[inside].mean(), abs=TOL)
        low, high = proportion_confint(int(y[inside].sum()), b.n, alpha=0.05, method="wilson")
        assert (b.ci_low, b.ci_high) == pytest.approx((low, high), abs=1e-9)


def test_slope_and_intercept_match_an_unpenalised_logistic_regression(data):
    import statsmodels.api as sm

    s, y, w = data
    c = calibration(Predictions("binary", y, s, weight=w), reps=0)
    x = np.log(np.clip(s, 1e-12, 1 - 1e-12) / (1 - np.clip(s, 1e-12, 1 - 1e-12)))
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial(), freq_weights=w * len(w) / w.sum()).fit()
    assert (c.intercept, c.slope) == pytest.approx(tuple(fit.params), abs=1e-8)
    assert c.slope_se == pytest.approx(fit.bse[1], rel=1e-6)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_top_label_and_classwise(strategy, weighted):
    rng = np.random.default_rng(3)
    n, k = 2000, 4
    prob = rng.dirichlet(np.ones(k) * 0.7, n)
    y = np.array([rng.choice(k, p=row) for row in prob])
    w = rng.uniform(0.5, 2, n) if weighted else None
    c = calibration(Predictions("multiclass", y, prob, classes=("a", "b", "c", "d"), weight=w),
                    strategy=strategy, reps=0)
    conf, correct = prob.max(axis=1), (prob.argmax(axis=1) == y).astype(float)
    check(c, oracle(conf, correct, w, 15, strategy))
    per = [oracle(prob[:, j], (y == j).astype(float), w, 15, strategy) for j in range(k)]
    for name, expected in zip("abcd", per):
        check(c.classes[name], expected)
    assert c.classwise_ece == pytest.approx(np.mean([e["ece"] for e in per]), abs=TOL)
    assert c.task == "multiclass" and c.labels == {}


def test_multilabel_is_the_mean_over_labels():
    rng = np.random.default_rng(4)
    s = rng.uniform(0.02, 0.98, (1500, 3))
    y = (rng.random((1500, 3)) < s ** 1.3).astype(np.int8)
    c = calibration(Predictions("multilabel", y, s, classes=("x", "y", "z")), reps=30)
    per = [oracle(s[:, j], y[:, j].astype(float), None, 15, "uniform") for j in range(3)]
    for name, expected in zip("xyz", per):
        check(c.labels[name], expected)
    assert c.ece == pytest.approx(np.mean([e["ece"] for e in per]), abs=TOL)
    assert c.brier == pytest.approx(np.mean([e["brier"] for e in per]), abs=TOL)
    assert c.mce == pytest.approx(max(e["mce"] for e in per), abs=TOL)
    assert c.p_value == pytest.approx(min(1.0, 3 * min(v.p_value for v in c.labels.values())))
    assert sum(b.n for b in c.bins) == s.size  # the pooled reliability diagram


def test_bootstrap_is_seeded_and_the_json_is_complete(data):
    import json

    s, y, _ = data
    pred = Predictions("binary", y, s)
    a, b = calibration(pred, reps=40, seed=3), calibration(pred, reps=40, seed=3)
    assert (a.ece_ci_low, a.ece_ci_high) == (b.ece_ci_low, b.ece_ci_high)
    assert a.ece_ci_low < a.ece_ci_high
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert {"ece", "ece_ci_low", "ece_ci_high", "mce", "brier", "reliability", "resolution", "uncertainty",
            "bins", "verdict", "test", "z", "p_value", "n", "bins_strategy", "method"} <= set(d)
    assert set(d["bins"][0]) == {"lo", "hi", "n", "mean_score", "observed_rate", "ci_low", "ci_high"}
    assert calibration(pred, reps=0).to_dict()["ece_ci_low"] is None


@pytest.mark.parametrize("pred, options, message", [
    (Predictions("regression", np.array([1.0, 2.0]), y_pred=np.array([1.0, 2.5])), {}, "regression"),
    (Predictions("binary", np.array([0, 1], np.int8), y_pred=np.array([0, 1], np.int8)), {}, "hard predictions"),
    (Predictions("binary", np.array([], np.int8), np.array([])), {}, "at least one row"),
    (Predictions("binary", np.array([0, 1], np.int8), np.array([.2, .8])), {"bins": 0}, "bins"),
    (Predictions("binary", np.array([0, 1], np.int8), np.array([.2, .8])), {"strategy": "kmeans"}, "strategy"),
    (Predictions("binary", np.array([0, 1], np.int8), np.array([.2, .8])), {"reps": -1}, "reps"),
    (Predictions("binary", np.array([0, 1], np.int8), np.array([.2, .8])), {"alpha": 1.5}, "alpha"),
])
def test_bad_input_is_refused(pred, options, message):
    with pytest.raises(UsageError, match=message):
        calibration(pred, **options)


def test_a_tiny_alpha_gives_an_infinite_critical_value_not_an_error():
    # 1 - alpha / 2 rounds to 1 below alpha ~ 1e-16: the normal quantile is then infinite
    from diagnose.calibration import calibration
    from diagnose.ingest import Predictions

    y = np.random.default_rng(0).integers(0, 2, 20_000).astype(np.int8)
    result = calibration(Predictions("binary", y, y_score=np.where(y == 1, 0.05, 0.95)), alpha=1e-17, reps=0)
    assert result.p_value == 0.0 and result.verdict == "miscalibrated"
