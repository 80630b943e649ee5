"""The cost rule: parsing, the choice against a brute-force scan, the expected costs, the bootstrap."""
from __future__ import annotations

import json

import numpy as np
import pytest

from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions
from diagnose.thresholds import (
    TIE_TOL,
    Costs,
    ThresholdRule,
    best_threshold,
    bootstrap_threshold,
    choose_threshold,
    threshold_search,
)
from tests.thresholds.helpers import cell_resamples, load, tied_data

# ----------------------------------------------------------------------------- the oracle


def counts(y, s, w, t):
    """(TP, FP, FN, TN) when score >= t is positive, by counting the rows."""
    pos, hit = y == 1, s >= t
    return (w[hit & pos].sum(), w[hit & ~pos].sum(), w[~hit & pos].sum(), w[~hit & ~pos].sum())


def cost_of(c, tp, fp, fn, tn):
    return (c["fp"] * fp + c["fn"] * fn - c["tp"] * tp - c["tn"] * tn) / (tp + fp + fn + tn)


def brute_force(y, s, w, c):
    """The documented choice, one threshold at a time: the lowest expected cost per row
    among every distinct score (of rows with non-zero weight); among costs equal within
    TIE_TOL (relative, at least absolute) the higher F1, then the higher threshold.
    Returns (threshold, cost, number of thresholds tied on cost, the highest of them)."""
    w = np.ones(len(y)) if w is None else w
    candidates = np.unique(s[w != 0])
    costs, f1s = [], []
    for t in candidates:
        tp, fp, fn, tn = counts(y, s, w, t)
        costs.append(cost_of(c, tp, fp, fn, tn))
        f1s.append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else 0.0)
    costs, f1s = np.array(costs), np.array(f1s)
    best = costs.min()
    tied = np.flatnonzero(costs <= best + TIE_TOL * max(abs(best), 1.0))
    top = tied[f1s[tied] >= f1s[tied].max() - TIE_TOL]
    return float(candidates[top.max()]), float(costs[top.max()]), len(tied), float(candidates[tied.max()])


def random_costs(rng):
    fp, fn = rng.choice([0.0, 0.0, 0.5, 1.0, 2.0, 3.7, 10.0], 2)
    if fp == 0 and fn == 0:
        fn = 1.0
    c = {"fp": fp, "fn": fn, "tp": 0.0, "tn": 0.0}
    if rng.random() < 0.5:
        c["tp"], c["tn"] = rng.choice([0.0, 0.25, 1.0, 4.0], 2)
    mode = rng.random()
    if mode < 0.25:  # negatives cost nothing either way: thresholds tie between positives
        c["fp"], c["tn"], c["fn"] = 0.0, 0.0, max(c["fn"], 1.0)
    elif mode < 0.5:  # positives cost nothing either way: ties between negatives, F1 picks the lowest
        c["fn"], c["tp"], c["fp"] = 0.0, 0.0, max(c["fp"], 1.0)
    return c


def rule_text(rng, c):
    """The rule's text with the keys in a random order."""
    return "cost:" + ",".join(f"{k}={float(c[k])!r}" for k in rng.permutation(list(c)))


# ----------------------------------------------------------------------------- the choice


@pytest.mark.parametrize("weighted", [False, True])
def test_cost_rule_picks_what_a_brute_force_scan_picks(rng, weighted):
    ties_seen = f1_broke_ties = 0
    for _ in range(20):
        n = int(rng.integers(20, 300))
        y, s = tied_data(rng, n, prevalence=rng.uniform(0.05, 0.6), decimals=int(rng.integers(1, 3)))
        w = None
        if weighted:  # integer-ish and fractional weights, some rows weightless
            w = rng.choice([0.0, 0.5, 1.0, 2.0, 3.3], n, p=[0.1, 0.3, 0.3, 0.2, 0.1])
            w[0] = 1.0
        c = random_costs(rng)
        text = rule_text(rng, c)
        value, cost, tied, highest = brute_force(y, s, w, c)
        ties_seen += tied > 1
        f1_broke_ties += value != highest
        r = threshold_search(y, s, weight_cv=w, rule=text, bootstrap=0)
        if r.value is None:  # no positive row (weighted) on cv: the rule, like every rule, does not choose
            assert (np.ones(n) if w is None else w)[y == 1].sum() == 0 and "no positive" in r.message
            continue
        assert r.value == value, text
        assert best_threshold(y, s, rule=text, sample_weight=w) == value
        assert r.cost.cv == pytest.approx(cost, rel=1e-12, abs=1e-12)
        # F1 and friends at the chosen threshold as for any rule
        tp, fp, fn, _ = counts(y, s, np.ones(n) if w is None else w, value)
        assert r.cv.f1 == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert ties_seen >= 5 and f1_broke_ties >= 2  # the tie rule was exercised, both of its steps


def test_ties_on_cost_go_to_the_higher_f1():
    # only false negatives cost: every threshold at or below the lowest positive costs 0;
    # of those the highest has the fewest false positives, so the best F1
    y = np.array([0, 0, 1, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert brute_force(y, s, None, dict(fp=0, fn=1, tp=0, tn=0)) == (0.3, 0.0, 3, 0.3)
    assert best_threshold(y, s, rule="cost:fp=0,fn=1") == 0.3
    # only false positives cost: every threshold above the top negative costs 0; of those the
    # lowest has the most true positives, so the best F1, which beats the higher threshold
    y = np.array([0, 1, 1])
    s = np.array([0.1, 0.2, 0.3])
    assert brute_force(y, s, None, dict(fp=1, fn=0, tp=0, tn=0)) == (0.2, 0.0, 2, 0.3)
    assert best_threshold(y, s, rule="cost:fp=1,fn=0") == 0.2


def test_costs_on_test_at_default_and_for_treat_none_and_all(rng):
    y_cv, s_cv = tied_data(rng, 400, prevalence=0.15)
    y_te, s_te = tied_data(rng, 300, prevalence=0.15)
    w_cv, w_te = rng.uniform(0.2, 3.0, 400), rng.uniform(0.2, 3.0, 300)
    c = dict(fp=1.0, fn=4.0, tp=0.5, tn=0.1)
    r = threshold_search(y_cv, s_cv, y_test=y_te, score_test=s_te, weight_cv=w_cv, weight_test=w_te,
                         rule="cost:tn=0.1,fp=1,tp=0.5,fn=4", bootstrap=0)
    assert r.value == brute_force(y_cv, s_cv, w_cv, c)[0]
    at = lambda y, s, w, t: cost_of(c, *counts(y, s, w, t))  # noqa: E731
    assert r.cost.test == pytest.approx(at(y_te, s_te, w_te, r.value))  # test at the cv threshold
    assert r.cost.default_cv == pytest.approx(at(y_cv, s_cv, w_cv, 0.5))
    assert r.cost.default_test == pytest.approx(at(y_te, s_te, w_te, 0.5))
    assert r.cost.none_cv == pytest.approx(at(y_cv, s_cv, w_cv, np.inf))
    assert r.cost.all_test == pytest.approx(at(y_te, s_te, w_te, -np.inf))
    assert r.cost.cv <= r.cost.all_cv  # treat all is the lowest threshold, a candidate
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["rule"] == "cost:fp=1,fn=4,tp=0.5,tn=0.1"
    assert set(d["cost"]) == {"fp", "fn", "tp", "tn", "bayes_threshold", "cv", "test", "default", "treat_none",
                              "treat_all"}
    assert d["cost"]["treat_none"]["test"] == pytest.approx(at(y_te, s_te, w_te, np.inf))
    assert d["cost"]["bayes_threshold"] == pytest.approx(1.1 / 5.6)
    # the curve carries the cost by threshold, the chosen one its minimum
    points = d["curve"]
    chosen = [p for p in points if p["threshold"] == r.value][0]
    assert chosen["cost"] == pytest.approx(r.cost.cv) == pytest.approx(min(p["cost"] for p in points))
    assert list(r.curve.to_frame().columns) == ["threshold", "precision", "recall", "f1", "cost"]


def test_other_rules_have_no_cost_keys(rng):
    y, s = tied_data(rng, 200)
    for rule in ("f1", "fbeta:2", "precision>=0.5", "recall>=0.5"):
        r = threshold_search(y, s, rule=rule, bootstrap=10)
        d = r.to_dict()
        assert r.cost is None and "cost" not in d
        assert "cost" not in d["curve"][0] and "cost_low" not in d["bootstrap"]
        assert list(r.curve.to_frame().columns) == ["threshold", "precision", "recall", "f1"]


def test_treat_none_cheaper_is_said(rng):
    y = (rng.random(300) < 0.05).astype(np.int8)
    s = rng.random(300)  # a useless model, and false positives dear
    y[np.argmax(s)] = 0  # every threshold calls the top row, a negative, positive
    r = threshold_search(y, s, rule="cost:fp=20,fn=1", bootstrap=0)
    assert r.cost.none_cv < r.cost.cv
    assert "calling no row positive costs less on cv" in r.message


def test_no_positives_still_gives_the_reference_costs():
    y = np.zeros(10, np.int8)
    r = threshold_search(y, np.linspace(0, 1, 10), rule="cost:fp=1,fn=5")
    assert r.value is None and "no positive" in r.message
    assert r.cost.cv is None and r.cost.none_cv == 0.0 and r.cost.all_cv == 1.0
    json.dumps(r.to_dict(), allow_nan=False)


def test_bootstrap_of_the_cost_rule_equals_explicit_resampling(rng):
    y, s = tied_data(rng, 300, decimals=2)
    c = dict(fp=1.0, fn=3.0, tp=0.0, tn=0.0)
    b = bootstrap_threshold(y, s, rule="cost:fp=1,fn=3", reps=30, seed=3)
    values, costs = [], []
    for idx in cell_resamples(y, s, 3, 30):  # the replicates' Poisson counts, as explicit resamples
        v, cost, *_ = brute_force(y[idx], s[idx], None, c)
        values.append(v)
        costs.append(cost)
    assert (b.value_low, b.value_high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert (b.cost_low, b.cost_high) == pytest.approx(tuple(np.percentile(costs, [2.5, 97.5])))
    assert set(b.to_dict()) >= {"cost_low", "cost_high", "f1_low", "f1_high"}


def test_choose_threshold_binary_and_multilabel(rng):
    cv, test = load("cv"), load("test")
    r = choose_threshold(cv, test, rule="cost:fp=1,fn=10", bootstrap=20)
    c = dict(fp=1.0, fn=10.0, tp=0.0, tn=0.0)
    ones = np.ones(cv.n)
    assert r.value == brute_force(cv.y_true, cv.y_score, None, c)[0]
    assert r.cost.test == pytest.approx(cost_of(c, *counts(test.y_true, test.y_score, np.ones(test.n), r.value)))
    assert r.bootstrap.reps == 20 and r.bootstrap.cost_low <= r.bootstrap.cost_high
    assert r.cost.default_cv == pytest.approx(cost_of(c, *counts(cv.y_true, cv.y_score, ones, 0.5)))
    # multi-label: one threshold per label, the cost per (row, label) decision at the top
    n, k = 250, 3
    y = (rng.random((n, k)) < [0.1, 0.3, 0.5]).astype(np.int8)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random((n, k)), 0, 1), 2)
    w = rng.uniform(0.5, 2.0, n)
    ml = Predictions("multilabel", y, y_score=s, classes=("a", "b", "c"), weight=w)
    r = choose_threshold(ml, ml, rule="cost:fp=1,fn=2,tp=1", bootstrap=0)
    c = dict(fp=1.0, fn=2.0, tp=1.0, tn=0.0)
    total = np.zeros(4)
    for j, name in enumerate(ml.classes):
        value, cost, *_ = brute_force(y[:, j], s[:, j], w, c)
        assert r.labels[name].value == value
        assert r.labels[name].cost.cv == pytest.approx(cost)
        total += counts(y[:, j], s[:, j], w, value)
    assert r.cost.cv == pytest.approx(cost_of(c, *total)) == pytest.approx(r.cost.test)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert "cost" in d and "cost" in d["labels"]["a"]


# ----------------------------------------------------------------------------- parsing


def test_cost_rule_text_round_trips():
    assert ThresholdRule.parse("cost:fp=1,fn=5").text == "cost:fp=1,fn=5"
    for text, canonical in [(" COST : fn=5 , fp=1 ", "cost:fp=1,fn=5"),
                            ("cost:tn=0.5,fn=2.5,fp=1,tp=0", "cost:fp=1,fn=2.5,tn=0.5"),
                            ("cost:fp=0,fn=1e3,tp=0.1", "cost:fp=0,fn=1000,tp=0.1"),
                            ("cost:fp=0.1234567891,fn=1", "cost:fp=0.1234567891,fn=1")]:
        rule = ThresholdRule.parse(text)
        assert rule.text == canonical and ThresholdRule.parse(rule.text) == rule
    rule = ThresholdRule.parse("cost:fp=1,fn=5,tp=1,tn=2")
    assert rule.kind == "cost" and rule.costs == Costs(1.0, 5.0, 1.0, 2.0)
    assert rule.value == pytest.approx(3 / 9)  # the threshold calibrated probabilities would call for


@pytest.mark.parametrize("text, says", [
    ("cost:", "give the costs"),
    ("cost", "unknown threshold rule 'cost'; use f1 | fbeta:B | precision>=P | recall>=R | cost:fp=C,fn=C"),
    ("cost:fp=1", "needs both fp= and fn="),
    ("cost:fn=1", "needs both fp= and fn="),
    ("cost:fp=1,fn=5,fp=2", "'fp' is given twice"),
    ("cost:fp=-1,fn=5", "'fp=-1': costs and gains must be finite numbers >= 0"),
    ("cost:fp=1,fn=5,tn=-2", "'tn=-2': costs and gains must be finite numbers >= 0"),
    ("cost:fp=inf,fn=5", "finite numbers >= 0"),
    ("cost:fp=nan,fn=5", "finite numbers >= 0"),
    ("cost:fp=a,fn=5", "'fp=a': 'a' is not a number"),
    ("cost:fp=1,fn=5,xx=1", "unknown key 'xx'; the keys are fp and fn (costs) and tp and tn (gains)"),
    ("cost:fp=1;fn=5", "'1;fn=5' is not a number"),
    ("cost:fp 1,fn=5", "'fp 1' is not key=number"),
    ("cost:fp=1,,fn=5", "'' is not key=number"),
    ("cost:fp=0,fn=0,tp=1", "at least one of the costs fp and fn must be positive"),
])
def test_bad_cost_rules_are_usage_errors_that_say_why(text, says):
    with pytest.raises(UsageError) as err:
        ThresholdRule.parse(text)
    assert says in str(err.value)
    if text != "cost":
        assert str(err.value).startswith(f"threshold rule '{text}': ") and "e.g. cost:fp=1,fn=5" in str(err.value)
