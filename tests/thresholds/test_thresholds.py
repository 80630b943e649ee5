"""Threshold sweep, rules and bootstrap against scikit-learn and hand-computed values."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score, fbeta_score, precision_recall_curve, precision_score, recall_score

from diagnose.cli import main
from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions, load_predictions
from diagnose.thresholds import (
    PRF,
    ThresholdRule,
    best_threshold,
    bootstrap_threshold,
    choose_threshold,
    metrics_at,
    sweep,
    threshold_search,
)

SKEWED = "sample_data/skewed"


def sk_curve(y, s, w=None):
    """scikit-learn's curve without its appended (precision 1, recall 0) end point."""
    p, r, t = precision_recall_curve(y, s, sample_weight=w)
    return p[:-1], r[:-1], t


def sk_best(y, s, *, beta=1.0, w=None):
    """Oracle for the F-beta rule: the largest threshold among the (near-)tied maxima."""
    p, r, t = sk_curve(y, s, w)
    b2 = beta * beta
    den = b2 * p + r
    f = np.divide((1 + b2) * p * r, den, out=np.zeros_like(p), where=den > 0)
    tied = np.flatnonzero(f >= f.max() - 1e-9)
    return float(t[tied].max()), float(f.max())


def tied_data(rng, n, *, prevalence=0.2, decimals=2):
    y = (rng.random(n) < prevalence).astype(np.int8)
    s = np.round(np.clip(0.25 * y + rng.random(n) * 0.75, 0, 1), decimals)  # many ties
    return y, s


def load(split):
    return load_predictions(f"{SKEWED}/{split}.csv", split=split)


# ------------------------------------------------------------------------------ sweep


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


# ------------------------------------------------------------------------------ rules


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


# ------------------------------------------------------------------------------ textbook


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


# ------------------------------------------------------------------------------ the sample data


def test_skewed_sample_threshold_chosen_on_cv_reported_on_test():
    cv, test = load("cv"), load("test")
    r = choose_threshold(cv, test, bootstrap=0)
    value, cv_f1 = sk_best(cv.y_true, cv.y_score)
    assert r.value == value == pytest.approx(0.219489)
    assert r.cv.f1 == pytest.approx(cv_f1) == pytest.approx(2 / 3)
    hit = test.y_score >= value
    assert r.test.f1 == pytest.approx(f1_score(test.y_true, hit)) == pytest.approx(0.5556, abs=1e-4)
    assert r.test.precision == pytest.approx(precision_score(test.y_true, hit))
    assert r.test.recall == pytest.approx(recall_score(test.y_true, hit))
    assert r.default_test.f1 == pytest.approx(f1_score(test.y_true, test.y_score >= 0.5)) == pytest.approx(1 / 3)
    assert r.default_cv.f1 == pytest.approx(f1_score(cv.y_true, cv.y_score >= 0.5))


def test_threshold_is_never_chosen_on_test(rng):
    y_cv, s_cv = tied_data(rng, 1000)
    y_te = 1 - y_cv  # test labels flipped: its own best threshold would be very different
    r = threshold_search(y_cv, s_cv, y_test=y_te, score_test=s_cv, bootstrap=0)
    assert r.value == sk_best(y_cv, s_cv)[0]
    assert r.value != sk_best(y_te, s_cv)[0]
    assert r.test.f1 == pytest.approx(f1_score(y_te, s_cv >= r.value))


def test_curve_is_downsampled_and_holds_the_optimum(rng):
    y = (rng.random(20000) < 0.1).astype(np.int8)
    s = np.clip(0.2 * y + rng.random(20000) * 0.8, 0, 1)
    r = threshold_search(y, s, bootstrap=0, max_points=1000)
    c = r.curve
    assert 900 <= len(c.threshold) <= 1000
    assert r.value in c.threshold
    p, rec, t = sk_curve(y, s)
    pos = np.searchsorted(t, c.threshold)
    np.testing.assert_array_equal(t[pos], c.threshold)
    np.testing.assert_allclose(c.precision, p[pos])
    np.testing.assert_allclose(c.recall, rec[pos])
    assert c.threshold[0] == t[0] and c.threshold[-1] == t[-1]
    points = r.to_dict()["curve"]
    assert len(points) == len(c.threshold) and set(points[0]) == {"threshold", "precision", "recall", "f1"}


def test_bootstrap_equals_explicit_resampling(rng):
    y, s = tied_data(rng, 300, decimals=2)
    b = bootstrap_threshold(y, s, reps=30, seed=7)
    # oracle: draw the same row indices, resample rows (in score order) explicitly
    order = np.argsort(s, kind="stable")
    gen = np.random.default_rng(7)
    values, f1s = [], []
    for _ in range(30):
        idx = order[gen.integers(0, 300, 300)]
        v, f = sk_best(y[idx], s[idx])
        values.append(v)
        f1s.append(f)
    assert (b.value_low, b.value_high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert (b.f1_low, b.f1_high) == pytest.approx(tuple(np.percentile(f1s, [2.5, 97.5])))
    assert b == bootstrap_threshold(y, s, reps=30, seed=7)  # fixed seed: reproducible
    assert b != bootstrap_threshold(y, s, reps=30, seed=8)


def test_no_positives_on_cv_does_not_crash():
    y = np.zeros(50, np.int8)
    r = threshold_search(y, np.linspace(0, 1, 50))
    assert r.value is None and "no positive" in r.message
    json.dumps(r.to_dict(), allow_nan=False)


def test_multilabel_one_threshold_per_label(sample_dir):
    cv = load_predictions(sample_dir / "multilabel" / "cv.csv", split="cv")
    test = load_predictions(sample_dir / "multilabel" / "test.csv", split="test")
    r = choose_threshold(cv, test, bootstrap=0)
    assert set(r.labels) == set(cv.classes)
    decided = np.zeros_like(test.y_true)
    for j, name in enumerate(cv.classes):
        assert r.labels[name].value == sk_best(cv.y_true[:, j], cv.y_score[:, j])[0]
        decided[:, j] = test.y_score[:, j] >= r.labels[name].value
    assert r.test.f1 == pytest.approx(f1_score(test.y_true, decided, average="micro"))
    assert r.default_cv.precision == pytest.approx(precision_score(cv.y_true, cv.y_score >= 0.5, average="micro"))


def test_multiclass_says_argmax(sample_dir):
    cv = load_predictions(sample_dir / "digits" / "cv.csv", split="cv")
    r = choose_threshold(cv)
    assert r.rule == "argmax" and r.value is None and "argmax" in r.message


def test_hard_predictions_only_explain_why_no_threshold():
    cv = Predictions("binary", np.array([0, 1, 1], np.int8), y_pred=np.array([0, 1, 0], np.int8))
    assert "y_score" in choose_threshold(cv).message


# ------------------------------------------------------------------------------ CLI


def test_cli_threshold_on_the_sample():
    res = CliRunner().invoke(main, ["threshold", "--cv", f"{SKEWED}/cv.csv", "--test", f"{SKEWED}/test.csv"])
    assert res.exit_code == 0, res.output
    assert "0.2195" in res.output and "0.5556" in res.output and "0.3333" in res.output


def test_cli_threshold_json_keys():
    res = CliRunner().invoke(main, ["threshold", "--cv", f"{SKEWED}/cv.csv", "--test", f"{SKEWED}/test.csv",
                                    "--rule", "recall>=0.8", "--bootstrap", "20", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    cv = pd.read_csv(f"{SKEWED}/cv.csv")
    assert d["rule"] == "recall>=0.8"
    assert recall_score(cv.y_true, cv.y_score >= d["value"]) >= 0.8
    assert d["cv"]["precision"] == pytest.approx(precision_score(cv.y_true, cv.y_score >= d["value"]))
    assert set(d["test"]) >= {"precision", "recall", "f1"}
    assert d["bootstrap"]["reps"] == 20 and d["default"]["threshold"] == 0.5


def test_cli_bad_rule_exits_2():
    res = CliRunner().invoke(main, ["threshold", "--cv", f"{SKEWED}/cv.csv", "--rule", "precision>=2"])
    assert res.exit_code == 2
    assert "[0, 1]" in res.output


@pytest.mark.parametrize("args, says", [
    (["--rule", "fbeta:0"], "beta must be a positive number"),
    (["--rule", "recall>=nan"], "[0, 1]"),
    (["--rule", "precision > 0.9"], "unknown threshold rule"),
    (["--task", "regression"], "not regression"),
    (["--test", "no/such/test.csv"], "file not found"),
])
def test_cli_bad_usage_is_one_message_and_exit_2(args, says):
    res = CliRunner().invoke(main, ["threshold", "--cv", f"{SKEWED}/cv.csv", *args])
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)  # no crash
    assert says in res.output and "Traceback" not in res.output


def test_cli_unreachable_precision_message(tmp_path):
    path = tmp_path / "cv.csv"
    pd.DataFrame({"y_true": [0, 1, 0, 1, 0, 0], "y_score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]}).to_csv(path, index=False)
    res = CliRunner().invoke(main, ["threshold", "--cv", str(path), "--rule", "precision>=0.9"])
    assert res.exit_code == 0, res.output
    assert "no threshold reaches precision >= 0.9 on cv" in res.output


def test_auto_bootstrap_scales_with_rows(rng):
    y, s = tied_data(rng, 1000)
    assert bootstrap_threshold(y, s).reps == 200
    big = np.zeros(600_000)
    skipped = bootstrap_threshold(np.zeros(600_000, np.int8), big)
    assert skipped.reps == 0 and "skipped" in skipped.note and "600,000" in skipped.note
    assert bootstrap_threshold(y, s, reps=0) is None
    assert bootstrap_threshold(y, s, reps=7).reps == 7  # an explicit number is honoured


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


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


def test_bootstrap_resamples_without_positives_fail_instead_of_picking_the_top_score():
    # one positive in 20 rows: about a third of the resamples hold no positive at all
    y = np.zeros(20, np.int8)
    y[5] = 1
    s = np.linspace(0.01, 0.99, 20)
    b = bootstrap_threshold(y, s, reps=200, seed=0)
    assert 40 < b.failed < 110  # (19/20)^20 ~ 0.36 of them have nothing to choose from
    # every resample that holds the positive picks its score, with an F1 above 0
    assert b.value_low == b.value_high == s[5]
    assert b.f1_low > 0
    # the text says how many resamples had nothing to choose
    r = threshold_search(y, s, bootstrap=200, seed=0)
    assert f"200 resamples of cv, {b.failed} with no threshold to choose" in r.to_text()


def test_cli_cv_file_with_a_split_column_chooses_on_its_cv_rows_only(tmp_path):
    cv, test = pd.read_csv(f"{SKEWED}/cv.csv"), pd.read_csv(f"{SKEWED}/test.csv")
    train = pd.read_csv(f"{SKEWED}/train.csv")
    both = pd.concat([train.assign(split="train"), cv.assign(split="cv"), test.assign(split="test")])
    path = tmp_path / "all.csv"
    both.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["threshold", "--cv", str(path), "--bootstrap", "0", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    value = sk_best(cv.y_true.to_numpy(), cv.y_score.to_numpy())[0]
    assert d["value"] == pytest.approx(value)  # not the choice over train + cv + test rows
    assert d["cv"]["positives"] == cv.y_true.sum()
    hit = test.y_score >= value
    assert d["test"]["f1"] == pytest.approx(f1_score(test.y_true, hit))
    no_cv = tmp_path / "no_cv.csv"
    both[both.split != "cv"].to_csv(no_cv, index=False)
    res = CliRunner().invoke(main, ["threshold", "--cv", str(no_cv)])
    assert res.exit_code == 2 and "no cv rows" in res.output


# ------------------------------------------------------------------------------ tie rule, test without scores


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


def test_test_split_of_hard_predictions_is_named_not_dropped(tmp_path):
    cv, test = load("cv"), load("test")
    hard = Predictions("binary", test.y_true, y_pred=test.decision)
    r = choose_threshold(cv, hard, bootstrap=0)
    assert r.value == sk_best(cv.y_true, cv.y_score)[0]
    assert r.test is None and "test has only hard predictions (y_pred)" in r.message
    frame = pd.read_csv(f"{SKEWED}/test.csv")
    path = tmp_path / "test.csv"
    frame.assign(y_pred=(frame.y_score >= 0.5).astype(int)).drop(columns="y_score").to_csv(path, index=False)
    res = CliRunner().invoke(main, ["threshold", "--cv", f"{SKEWED}/cv.csv", "--test", str(path), "--bootstrap", "0"])
    assert res.exit_code == 0, res.output
    assert "test has only hard predictions" in res.output and "0.2195" in res.output


def test_multilabel_text_gives_each_labels_bootstrap_interval(sample_dir):
    cv = load_predictions(sample_dir / "multilabel" / "cv.csv", split="cv")
    r = choose_threshold(cv, bootstrap=20)
    text = r.to_text()
    for name, label in r.labels.items():
        b = label.bootstrap
        assert b.reps == 20
        assert f"{name}: threshold {label.value:.4g}; bootstrap 95% interval [{b.value_low:.4g}, " in text


# ------------------------------------------------------------------ counts at any threshold (Sweep.at)


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
