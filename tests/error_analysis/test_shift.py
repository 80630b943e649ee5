"""Why test differs from cv: the tests against independent oracles, and the issue's scenarios.

Oracles: scipy's chi-square test of homogeneity and two-sample KS on the same data, the PSI
and Benjamini-Hochberg written out from their definitions, the Cochran-Mantel-Haenszel
statistic from its textbook definition and from statsmodels' ``StratifiedTable``, and the
standardised decomposition recomputed with pandas.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency, ks_2samp

from diagnose.error_analysis import error_mask
from diagnose.error_analysis._shift import PSI_EPS, explain_shift
from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions, load_predictions

REGIONS = np.array(["east", "north", "south", "west"])
EVEN = {"east": 0.25, "north": 0.25, "south": 0.25, "west": 0.25}


def binary_split(rng, n, mix=EVEN, rates=None, default_rate=0.10, prevalence=0.3, extra=None):
    """Binary predictions with slices region (drawn from ``mix``), device and age; a row is an
    error with its region's rate in ``rates`` (else ``default_rate``)."""
    region = rng.choice(list(mix), n, p=list(mix.values()))
    rate = np.array([(rates or {}).get(r, default_rate) for r in mix])[pd.Index(list(mix)).get_indexer(region)]
    wrong = rng.random(n) < rate
    y = (rng.random(n) < prevalence).astype(int)
    # the score sits on the side of the label when right, on the other side when wrong
    side = y ^ wrong
    score = np.where(side == 1, 0.5 + 0.5 * rng.random(n), 0.5 * rng.random(n) * 0.999)
    frame = pd.DataFrame({"y_true": y, "y_score": score, "region": region,
                          "device": rng.choice(["mobile", "desktop"], n, p=[0.6, 0.4]),
                          "age": rng.normal(40, 12, n).round(1), **(extra or {})})
    return load_predictions(frame)


def psi_by_hand(cv_values, test_values, edges):
    """PSI = sum over bins of (test share - cv share) * ln(test share / cv share)."""
    total = 0.0
    bounds = [-np.inf, *edges, np.inf]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        c = max(np.mean((cv_values >= lo) & (cv_values < hi)), PSI_EPS)
        t = max(np.mean((test_values >= lo) & (test_values < hi)), PSI_EPS)
        total += (t - c) * np.log(t / c)
    return total


def bh_qvalues(p):
    m = len(p)
    return np.array([min(min(p[j] * m / np.sum(p <= p[j]) for j in range(m) if p[j] >= p[i]), 1.0)
                     for i in range(m)])


def cmh_by_hand(tables):
    """CMH without continuity correction, from the definition: tables are [[a, b], [c, d]]."""
    num, var = 0.0, 0.0
    for (a, b), (c, d) in tables:
        n = a + b + c + d
        num += a - (a + b) * (a + c) / n
        var += (a + b) * (c + d) * (a + c) * (b + d) / (n ** 2 * (n - 1))
    return num ** 2 / var


@pytest.fixture(scope="module")
def mix_shift():
    """Scenario (a): errors 10% everywhere but north (30%); test oversamples north."""
    rng = np.random.default_rng(20240611)
    cv = binary_split(rng, 20_000, rates={"north": 0.30})
    test = binary_split(rng, 10_000, mix={"east": 0.15, "north": 0.55, "south": 0.15, "west": 0.15},
                        rates={"north": 0.30})
    return cv, test, explain_shift(cv, test)


@pytest.fixture(scope="module")
def worse_model():
    """Scenario (b): the same mix, errors 10% -> 18% everywhere."""
    rng = np.random.default_rng(7)
    cv = binary_split(rng, 20_000)
    test = binary_split(rng, 10_000, default_rate=0.18)
    return cv, test, explain_shift(cv, test)


def test_label_prior_is_scipy_chi_square_with_cramers_v(rng):
    cv = binary_split(rng, 3000, prevalence=0.3)
    test = binary_split(rng, 2000, prevalence=0.4)
    e = explain_shift(cv, test)
    table = [[np.sum(cv.y_true == 0), np.sum(cv.y_true == 1)], [np.sum(test.y_true == 0), np.sum(test.y_true == 1)]]
    stat, p, _, _ = chi2_contingency(table, correction=False)
    assert e.labels.statistic == pytest.approx(stat) and e.labels.p_value == pytest.approx(p)
    assert e.labels.effect == pytest.approx(np.sqrt(stat / 5000))
    assert e.labels.flagged and "the labels shifted" in e.conclusion
    assert "y_true=1: 30" in e.labels.detail and "of test" in e.labels.detail


def test_scores_are_scipy_ks_and_the_written_out_psi(rng):
    cv = binary_split(rng, 3000)
    test = binary_split(rng, 2000, default_rate=0.25)
    e = explain_shift(cv, test)
    ks = ks_2samp(cv.y_score, test.y_score)
    assert e.scores.statistic == pytest.approx(ks.statistic) and e.scores.p_value == pytest.approx(ks.pvalue)
    edges = np.quantile(cv.y_score, np.linspace(0, 1, 11))[1:-1]
    assert e.scores.psi == pytest.approx(psi_by_hand(cv.y_score, test.y_score, edges))
    assert e.scores.detail.startswith("positive-class score")


def test_psi_of_an_empty_bin_uses_the_epsilon():
    cv = Predictions("regression", np.arange(100.0), y_pred=np.arange(100.0))
    test = Predictions("regression", np.arange(100.0), y_pred=np.full(100, 1000.0))
    e = explain_shift(cv, test)
    # every test score lies in cv's top decile: nine bins of 10% against PSI_EPS, one of 10% against 100%
    expected = 9 * (PSI_EPS - 0.1) * np.log(PSI_EPS / 0.1) + 0.9 * np.log(1 / 0.1)
    assert e.scores.psi == pytest.approx(expected)


def test_slice_columns_chi_square_psi_and_bh(rng):
    cv = binary_split(rng, 4000)
    test = binary_split(rng, 3000, mix={"east": 0.15, "north": 0.5, "south": 0.2, "west": 0.15})
    e = explain_shift(cv, test)
    by_name = {s.name: s for s in e.slices}
    assert set(by_name) == {"region", "device", "age"} and set(e.strata) == set(by_name)
    counts = pd.crosstab(np.r_[np.zeros(cv.n), np.ones(test.n)],
                         np.r_[cv.slices()["region"], test.slices()["region"]])
    stat, p, _, _ = chi2_contingency(counts.to_numpy(), correction=False)
    region = by_name["region"]
    assert region.statistic == pytest.approx(stat) and region.p_value == pytest.approx(p)
    shares = counts.div(counts.sum(axis=1), axis=0).to_numpy()
    assert region.psi == pytest.approx(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0])))
    q = bh_qvalues(np.array([s.p_value for s in e.slices]))
    assert np.allclose([s.q_value for s in e.slices], q)
    assert region.flagged and not by_name["device"].flagged
    assert region.detail.startswith("region=north: 25")
    # most shifted first
    assert e.slices[0].name == "region"


def test_numeric_slices_share_one_binning_across_splits(rng):
    # the same spread, moved up: binned apart, each split would fill its four quartiles alike
    cv = binary_split(rng, 2000, extra={"load": rng.normal(0, 1, 2000)})
    test = binary_split(rng, 2000, extra={"load": rng.normal(3, 1, 2000)})
    load = {s.name: s for s in explain_shift(cv, test).slices}["load"]
    assert load.flagged and load.psi > 1


def test_cmh_statistic_and_decomposition_against_the_definition(rng):
    cv = binary_split(rng, 3000, rates={"north": 0.3})
    test = binary_split(rng, 2000, rates={"north": 0.35}, default_rate=0.15)
    e = explain_shift(cv, test)
    err_cv, err_test = error_mask(cv)[0], error_mask(test)[0]
    frame = pd.concat([pd.DataFrame({"test": 0, "err": err_cv}).join(cv.slices()),
                       pd.DataFrame({"test": 1, "err": err_test}).join(test.slices())], ignore_index=True)
    # cells as documented: region x device x age quartiles of both splits pooled, bins [e_i, e_i+1)
    edges = np.quantile(frame["age"], [0.25, 0.5, 0.75])
    frame["age"] = (frame["age"].to_numpy()[:, None] >= edges).sum(axis=1)
    tables = []
    for _, cell in frame.groupby(["region", "device", "age"]):
        t, c = cell[cell.test == 1], cell[cell.test == 0]
        if len(t) and len(c):
            tables.append([[t.err.sum(), len(t) - t.err.sum()], [c.err.sum(), len(c) - c.err.sum()]])
    assert e.decomposition.cells == len(tables)
    assert e.within.statistic == pytest.approx(cmh_by_hand(tables))
    assert e.within.p_value == pytest.approx(chi2.sf(cmh_by_hand(tables), 1))
    # direct standardisation: test's mix of cells at cv's rates
    arr = np.array(tables, dtype=float)
    test_n, cv_n = arr[:, 0].sum(axis=1), arr[:, 1].sum(axis=1)
    expected = np.sum(test_n / test_n.sum() * arr[:, 1, 0] / cv_n)
    d = e.decomposition
    assert d.expected_test_error == pytest.approx(expected)
    assert d.mix + d.within == pytest.approx(d.test_error - d.cv_error)
    assert d.cv_error == pytest.approx(arr[:, 1, 0].sum() / cv_n.sum())


def test_cmh_equals_statsmodels(rng):
    from statsmodels.stats import contingency_tables as sm

    cv = binary_split(rng, 3000, rates={"north": 0.3})
    test = binary_split(rng, 2000, rates={"north": 0.2})
    frame = pd.concat([pd.DataFrame({"test": 1, "err": error_mask(test)[0], "r": test.slices()["region"]}),
                       pd.DataFrame({"test": 0, "err": error_mask(cv)[0], "r": cv.slices()["region"]})])
    cv1 = load_predictions(pd.DataFrame({"y_true": cv.y_true, "y_score": cv.y_score, "region": cv.slices()["region"]}))
    test1 = load_predictions(pd.DataFrame({"y_true": test.y_true, "y_score": test.y_score,
                                           "region": test.slices()["region"]}))
    e = explain_shift(cv1, test1)
    tables = [np.array([[g.err[g.test == 1].sum(), (~g.err[g.test == 1]).sum()],
                        [g.err[g.test == 0].sum(), (~g.err[g.test == 0]).sum()]]) for _, g in frame.groupby("r")]
    ref = sm.StratifiedTable(tables).test_null_odds(correction=False)
    assert e.within.statistic == pytest.approx(ref.statistic) and e.within.p_value == pytest.approx(ref.pvalue)
    assert f"odds ratio {sm.StratifiedTable(tables).oddsratio_pooled:.3g}" in e.within.detail


def test_cells_in_one_split_only_are_set_aside(rng):
    cv = binary_split(rng, 1000)
    test = binary_split(rng, 1000, mix={"east": 0.5, "moon": 0.5})
    e = explain_shift(cv, test)
    d = e.decomposition
    assert d.test_rows_set_aside == np.sum(test.slices()["region"] == "moon")
    assert d.cv_rows_set_aside == np.sum(cv.slices()["region"] != "east")
    assert d.cells_set_aside > 0 and any("set aside" in w for w in e.warnings)


def test_scenario_mix_shift(mix_shift):
    cv, test, e = mix_shift
    region = e.slices[0]
    assert region.name == "region" and region.flagged and region.q_value < 1e-10
    assert region.detail.startswith("region=north: 25") and "of cv, 54.9% of test" in region.detail
    assert [s.name for s in e.shifted_slices] == ["region"]
    assert not e.labels.flagged and not e.within.flagged
    assert e.test_error - e.cv_error > 0.04
    d = e.decomposition
    assert d.mix == pytest.approx(d.gap, abs=0.01) and abs(d.within) < 0.01
    assert e.conclusion.startswith("test has more region=north (25")
    assert "errors within slices are unchanged" in e.conclusion and e.conclusion.endswith("is a mix shift")


def test_scenario_worse_model_same_mix(worse_model):
    cv, test, e = worse_model
    assert not e.shifted_slices and not e.labels.flagged
    assert e.within.flagged and e.within.p_value < 1e-10
    d = e.decomposition
    assert abs(d.mix) < 0.005 and d.within == pytest.approx(0.08, abs=0.015)
    assert re.match(r"the mix is unchanged; errors within slices rose from (9\.\d+|10\.?\d*)% to 1[78]", e.conclusion)
    assert e.conclusion.endswith("the model does worse on the same kinds of rows")
    assert "mix shift" not in e.conclusion


def test_both_and_neither():
    rng = np.random.default_rng(3)
    cv = binary_split(rng, 20_000, rates={"north": 0.30})
    both = explain_shift(cv, binary_split(rng, 10_000, mix={"east": 0.15, "north": 0.55, "south": 0.15, "west": 0.15},
                                          rates={"north": 0.38}, default_rate=0.18))
    assert both.conclusion.startswith("test has more region=north")
    assert "errors within slices rose" in both.conclusion and "is part mix shift (+" in both.conclusion
    d = both.decomposition
    assert d.mix == pytest.approx(0.06, abs=0.01) and d.within == pytest.approx(0.08, abs=0.015)
    neither = explain_shift(cv, binary_split(rng, 10_000, rates={"north": 0.30}))
    assert neither.conclusion.startswith("no shift found in the labels, scores or slice columns; "
                                         "errors within slices are unchanged")
    assert neither.conclusion.endswith("is within chance")


def test_scenario_regression_uses_the_cut_of_cv(rng):
    n = 4000
    frame = {"region": rng.choice(REGIONS, n), "y_true": rng.normal(0, 1, n)}
    cv = load_predictions(pd.DataFrame({**frame, "y_pred": frame["y_true"] + rng.normal(0, 1, n)}),
                          task="regression")
    test = load_predictions(pd.DataFrame({**frame, "y_pred": frame["y_true"] + rng.normal(0, 1.5, n)}),
                            task="regression")
    e = explain_shift(cv, test)
    cut = error_mask(cv)[1]
    assert e.cut == pytest.approx(cut)
    assert e.cv_error == pytest.approx(0.1, abs=1e-3)
    assert e.test_error == pytest.approx(np.mean(np.abs(test.y_pred - test.y_true) > cut))
    ks = ks_2samp(cv.y_true, test.y_true)
    assert e.labels.statistic == pytest.approx(ks.statistic) and e.labels.statistic == 0
    assert e.scores.detail.startswith("y_pred")
    assert e.within.flagged and "does worse on the same kinds of rows" in e.conclusion
    assert explain_shift(cv, test, cut=10.0).test_error == 0.0


def test_multiclass_and_multilabel_run(rng):
    n = 600
    probs = rng.dirichlet([1, 1, 1], n)
    mc = load_predictions(pd.DataFrame({"y_true": rng.choice(["a", "b", "c"], n), "y_prob_a": probs[:, 0],
                                        "y_prob_b": probs[:, 1], "y_prob_c": probs[:, 2]}))
    e = explain_shift(mc, mc)
    assert e.scores.detail.startswith("max probability") and e.labels.statistic == 0
    assert e.strata == () and "no shift found" in e.conclusion and "errors are unchanged" in e.conclusion
    ml = load_predictions(pd.DataFrame({"y_true_x": rng.integers(0, 2, n), "y_score_x": rng.random(n),
                                        "y_true_y": rng.integers(0, 2, n), "y_score_y": rng.random(n)}))
    e = explain_shift(ml, ml)
    assert e.scores.detail.startswith("mean label score") and e.labels.p_value == 1.0


def test_to_dict_is_json_safe_and_complete(mix_shift):
    d = mix_shift[2].to_dict()
    json.dumps(d, allow_nan=False)
    assert set(d) == {"task", "n", "error", "cut", "fdr", "bins", "labels", "scores", "slices", "within",
                      "decomposition", "strata", "conclusion", "warnings"}
    assert {"mix", "within", "gap", "expected_test_error", "cells_set_aside"} <= set(d["decomposition"])
    assert d["slices"][0]["name"] == "region" and d["slices"][0]["flagged"] is True


def test_bad_usage(rng):
    binary = binary_split(rng, 100)
    regression = Predictions("regression", np.arange(5.0), y_pred=np.arange(5.0))
    with pytest.raises(UsageError, match="cannot be compared"):
        explain_shift(binary, regression)
    with pytest.raises(UsageError, match="fdr"):
        explain_shift(binary, binary, fdr=0)
