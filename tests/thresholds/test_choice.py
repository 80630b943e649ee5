"""Choosing a threshold on cv (never on test), the bootstrap, multi-label and the threshold command."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score, precision_score, recall_score

from diagnose.cli import main
from diagnose.ingest import Predictions, load_predictions
from diagnose.thresholds import (
    BOOTSTRAP_BUDGET,
    bootstrap_reps,
    bootstrap_threshold,
    choose_threshold,
    threshold_search,
)
from tests.thresholds.helpers import SKEWED, cell_resamples, load, sk_best, sk_curve, tied_data


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
    # oracle: each replicate's Poisson counts as an explicit resample of the rows, and
    # scikit-learn's curve on it (300 rows: every distinct score is its own group)
    values, f1s = [], []
    for idx in cell_resamples(y, s, 7, 30):
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
    # no cap: large weighted cv sets get fewer replicates, never fewer than 20 (one pass each);
    # without weights a replicate costs nothing per row: always 200
    assert bootstrap_reps(600_000, weighted=True) == BOOTSTRAP_BUDGET // 600_000
    assert bootstrap_reps(10**9, weighted=True) == 20 and bootstrap_reps(10**9) == 200
    big = np.linspace(0, 1, 600_000)
    big_y = (big > 0.5).astype(np.int8)
    assert bootstrap_threshold(big_y, big).reps == 200
    assert bootstrap_threshold(big_y, big, sample_weight=np.ones(600_000)).reps == BOOTSTRAP_BUDGET // 600_000
    assert bootstrap_threshold(y, s, reps=0) is None
    assert bootstrap_threshold(y, s, reps=7).reps == 7  # an explicit number is honoured




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
