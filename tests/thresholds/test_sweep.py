"""The exact threshold sweep, the rules and the tie rule, against scikit-learn and hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, fbeta_score, precision_score, recall_score

from diagnose.exceptions import UsageError
from diagnose.thresholds import (
    PRF,
    ThresholdRule,
    best_threshold,
    metrics_at,
    sweep,
    threshold_search,
)
from tests.thresholds.helpers import sk_best, sk_curve, tied_data


@pytest.mark.parametrize("decimals, prevalence", [(1, 0.2), (2, 0.2), (6, 0.2), (2, 0.5), (6, 0.6)])
def test_sweep_matches_precision_recall_curve_with_ties(rng, decimals, prevalence):
    y, s = tied_data(rng, 3000, decimals=decimals, prevalence=prevalence)
    sw = sweep(y, s)
    p, r, t = sk_curve(y, s)
    np.testing.assert_array_equal(sw.thresholds, t)
    np.testing.assert_allclose(sw.precision(), p, rtol=1e-12)
    np.testing.assert_allclose(sw.recall(), r, rtol=1e-12)


@pytest.mark.parametrize("prevalence", [0.03, 0.5])  # the skewed and the balanced path
def test_large_sweep_on_two_threads_matches_precision_recall_curve(rng, prevalence):
    from diagnose.thresholds import PARALLEL_SORT_ROWS

    y, s = tied_data(rng, PARALLEL_SORT_ROWS + 1000, prevalence=prevalence, decimals=4)
    sw = sweep(y, s)
    p, r, t = sk_curve(y, s)
    np.testing.assert_array_equal(sw.thresholds, t)
    np.testing.assert_allclose(sw.precision(), p, rtol=1e-12)
    np.testing.assert_allclose(sw.recall(), r, rtol=1e-12)


def test_weighted_sweep_matches_sklearn_and_skips_zero_weights(rng):
    y, s = tied_data(rng, 2000)
    w = rng.random(2000) * 3
    w[rng.random(2000) < 0.1] = 0.0
    sw = sweep(y, s, sample_weight=w)
    p, r, t = sk_curve(y, s, w)
    np.testing.assert_array_equal(sw.thresholds, t)
    np.testing.assert_allclose(sw.precision(), p, rtol=1e-9)
    np.testing.assert_allclose(sw.recall(), r, rtol=1e-9)
    assert best_threshold(y, s, sample_weight=w) == pytest.approx(sk_best(y, s, w=w)[0])


def test_integer_weights_equal_repeated_rows(rng):
    y, s = tied_data(rng, 500)
    w = rng.integers(1, 4, 500)
    assert best_threshold(y, s, sample_weight=w) == best_threshold(np.repeat(y, w), np.repeat(s, w))


@pytest.mark.parametrize("seed", range(5))
def test_f1_rule_matches_sklearn_argmax_and_tie_rule(seed):
    y, s = tied_data(np.random.default_rng(seed), 1500, decimals=1)
    value, f1 = sk_best(y, s)
    t = best_threshold(y, s)
    assert t == value  # the highest of the tied best thresholds
    assert f1_score(y, s >= t) == pytest.approx(f1, rel=1e-12)


def test_fbeta_rule_matches_fbeta_score(rng):
    y, s = tied_data(rng, 2000)
    value, best = sk_best(y, s, beta=2.0)
    t = best_threshold(y, s, rule="fbeta:2")
    assert t == value
    assert fbeta_score(y, s >= t, beta=2.0) == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("minimum", [0.3, 0.5, 0.7])
def test_precision_constraint_gives_best_recall_meeting_it(rng, minimum):
    y, s = tied_data(rng, 2000)
    p, r, t = sk_curve(y, s)
    ok = p >= minimum
    chosen = best_threshold(y, s, rule=f"precision>={minimum}")
    assert precision_score(y, s >= chosen) >= minimum  # meets the constraint on cv
    assert recall_score(y, s >= chosen) == pytest.approx(r[ok].max())
    # among equal recalls the higher threshold wins (and so the higher precision)
    assert chosen == t[ok & (r == r[ok].max())].max()


@pytest.mark.parametrize("minimum", [0.5, 0.9, 1.0])
def test_recall_constraint_gives_best_precision_meeting_it(rng, minimum):
    y, s = tied_data(rng, 2000)
    p, r, t = sk_curve(y, s)
    ok = r >= minimum
    chosen = best_threshold(y, s, rule=f"recall>={minimum}")
    assert recall_score(y, s >= chosen) >= minimum
    assert precision_score(y, s >= chosen) == pytest.approx(p[ok].max())


def test_unreachable_precision_says_so():
    y = np.array([0, 1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])  # best precision is 0.5
    assert np.isnan(best_threshold(y, s, rule="precision>=0.9"))
    r = threshold_search(y, s, rule="precision>=0.9", bootstrap=0)
    assert r.value is None and r.cv is None
    assert "no threshold reaches precision >= 0.9" in r.message
    assert "0.5" in r.message


@pytest.mark.parametrize("text", ["f2", "fbeta:", "fbeta:-1", "precision>=1.5", "recall>0.5", "accuracy"])
def test_bad_rules_are_usage_errors(text):
    with pytest.raises(UsageError):
        ThresholdRule.parse(text)


def test_rule_parsing():
    assert ThresholdRule.parse("fbeta:0.5") == ThresholdRule("fbeta", 0.5, "fbeta:0.5")
    assert ThresholdRule.parse(" Recall >= 0.8 ") == ThresholdRule("recall", 0.8, "recall>=0.8")
    assert ThresholdRule.parse("fbeta:1").text == "f1"


def test_textbook_counts():
    # TP 15, FP 5, FN 10, TN 70
    y = np.array([1] * 15 + [0] * 5 + [1] * 10 + [0] * 70)
    s = np.array([0.9] * 20 + [0.1] * 80)
    m = metrics_at(y, s, 0.5)
    assert (m.precision, m.recall) == (0.75, 0.6)
    assert m.f1 == pytest.approx(2 / 3)


@pytest.mark.parametrize("tp, pp, positives, p, r, f1", [
    (2, 4, 5, 0.5, 0.4, 0.4444),       # F1 of (0.5, 0.4)
    (7, 10, 70, 0.7, 0.1, 0.175),      # F1 of (0.7, 0.1)
    (1, 50, 1, 0.02, 1.0, 0.0392),     # F1 of (0.02, 1.0)
])
def test_textbook_f1(tp, pp, positives, p, r, f1):
    m = PRF.from_counts(tp, pp, positives, 1000)
    assert (m.precision, m.recall) == pytest.approx((p, r))
    assert m.f1 == pytest.approx(f1, abs=5e-5)
    assert m.f1 == pytest.approx(2 * p * r / (p + r))


def test_zero_division_is_zero():
    m = metrics_at(np.array([1, 0, 1]), np.array([0.1, 0.2, 0.3]), 0.5)
    assert (m.precision, m.recall, m.f1) == (0.0, 0.0, 0.0)
    assert precision_score([1, 0, 1], [0, 0, 0], zero_division=0) == m.precision


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 8), st.integers(0, 3)), min_size=2, max_size=60))
def test_property_sweep_and_f1_choice_match_sklearn(rows):
    y, s, w = (np.array(c) for c in zip(*rows))
    s = s / 8.0  # few distinct scores: many ties
    w = w.astype(float)
    if y.sum() == 0 or (w * y).sum() == 0:
        return
    for weight in (None, w):
        sw = sweep(y, s, sample_weight=weight)
        p, r, t = sk_curve(y, s, weight)
        np.testing.assert_array_equal(sw.thresholds, t)
        np.testing.assert_allclose(sw.precision(), p)
        np.testing.assert_allclose(sw.recall(), r)
        assert best_threshold(y, s, sample_weight=weight) == sk_best(y, s, w=weight)[0]


def sk_constrained(y, s, rule):
    """Oracle for the constraint rules and their documented tie rule, from scikit-learn's
    curve and f1_score: best objective, then the higher F1, then the higher threshold."""
    p, r, t = sk_curve(y, s)
    kind, minimum = rule.split(">=")
    have, objective = (p, r) if kind == "precision" else (r, p)
    ok = have >= float(minimum)
    if not ok.any():
        return None
    best = np.flatnonzero(ok & (objective >= objective[ok].max() - 1e-12))
    f1 = np.array([f1_score(y, s >= t[i]) for i in best])
    best = best[f1 >= f1.max() - 1e-12]
    return float(t[best].max())


def test_recall_rule_tie_goes_to_the_higher_f1():
    # in score order the labels are 0,1,0,1,0,1: precision 1/2 at three thresholds, with
    # recall 1/3, 2/3 and 1; the tie rule keeps the one with the highest F1, the lowest here
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    y = np.array([0, 1, 0, 1, 0, 1])
    chosen = best_threshold(y, s, rule="recall>=0.3")
    assert chosen == sk_constrained(y, s, "recall>=0.3") == 0.4
    assert precision_score(y, s >= chosen) == 0.5 and f1_score(y, s >= chosen) == pytest.approx(2 / 3)


def test_constraint_rules_follow_the_tie_rule_on_small_tied_inputs():
    ties_that_mattered = 0
    for seed in range(300):
        g = np.random.default_rng(seed)
        y = g.integers(0, 2, 12)
        if y.sum() == 0:
            continue
        s = g.integers(0, 5, 12) / 4.0  # five distinct scores: many ties
        for rule in ("recall>=0.3", "recall>=0.6", "precision>=0.4", "precision>=0.6"):
            expected = sk_constrained(y, s, rule)
            got = best_threshold(y, s, rule=rule)
            assert (np.isnan(got) and expected is None) or got == expected, (seed, rule)
            # count the cases where the highest tied threshold would have been wrong
            p, r, t = sk_curve(y, s)
            kind, minimum = rule.split(">=")
            have, objective = (p, r) if kind == "precision" else (r, p)
            ok = have >= float(minimum)
            if ok.any() and expected is not None:
                tied = t[ok & (objective >= objective[ok].max() - 1e-12)]
                ties_that_mattered += bool(tied.max() != expected)
    assert ties_that_mattered > 0  # the F1 step of the tie rule was exercised


@pytest.mark.parametrize("weighted", [False, True])
def test_sweep_at_any_threshold_matches_confusion_matrix(rng, weighted):
    from sklearn.metrics import confusion_matrix

    y = rng.integers(0, 2, 3000)
    score = np.round(rng.random(3000), 2)  # ties: thresholds fall on and between scores
    w = rng.integers(1, 4, 3000).astype(float) if weighted else None
    sw = sweep(y, score, sample_weight=w)
    for t in [-0.5, 0.0, 0.005, 0.37, 0.5, 0.505, 0.99, 1.0, 1.5]:
        m = sw.at(t)
        tn, fp, fn, tp = confusion_matrix(y, (score >= t).astype(int), labels=[0, 1], sample_weight=w).ravel()
        assert (m.tp, m.fp, m.fn, m.tn) == pytest.approx((tp, fp, fn, tn)), t
        predicted = (score >= t).astype(int)
        assert m.precision == pytest.approx(precision_score(y, predicted, sample_weight=w, zero_division=0))
        assert m.recall == pytest.approx(recall_score(y, predicted, sample_weight=w, zero_division=0))
        assert m.f1 == pytest.approx(f1_score(y, predicted, sample_weight=w, zero_division=0))
        assert m.accuracy == pytest.approx(np.average(predicted == y, weights=w))


def test_sweep_at_textbook_counts():
    # 10 rows: scores 0.1..1.0, positives at 0.6 and above plus one at 0.2; threshold 0.55
    score = np.arange(1, 11) / 10
    y = np.array([0, 1, 0, 0, 0, 1, 1, 1, 1, 1])
    m = sweep(y, score).at(0.55)
    assert (m.tp, m.fp, m.fn, m.tn) == (5, 0, 1, 4)
    assert (m.precision, m.recall, m.accuracy) == (1.0, 5 / 6, 0.9)
