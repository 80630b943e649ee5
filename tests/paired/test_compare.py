"""compare_predictions, compare_splits and worse_with_confidence: the join, the verdicts,
the null rate, the figures against scikit-learn and the JSON."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import f1_score, log_loss, roc_auc_score

from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions
from diagnose.paired import (
    VERDICTS,
    compare_predictions,
    compare_splits,
    paired_difference,
    worse_with_confidence,
)

N = 500


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def binary_pair(rng, n=N, noise_a=1.0, noise_b=1.0, ids=None):
    """Two models of the same true probabilities, each with its own noise on the logit."""
    logit = rng.normal(0, 1.5, n)
    y = (rng.random(n) < sigmoid(logit)).astype(np.int8)
    ids = np.arange(n) if ids is None else ids
    a = Predictions("binary", y, y_score=sigmoid(logit + rng.normal(0, noise_a, n)), ids=ids)
    b = Predictions("binary", y, y_score=sigmoid(logit + rng.normal(0, noise_b, n)), ids=ids)
    return a, b


def regression_pair(rng, n=N, noise_a=0.5, noise_b=0.5):
    mu = rng.normal(0, 1, n)
    y = mu + rng.normal(0, 1, n)
    ids = np.arange(n)
    return (Predictions("regression", y, y_pred=mu + rng.normal(0, noise_a, n), ids=ids),
            Predictions("regression", y, y_pred=mu + rng.normal(0, noise_b, n), ids=ids))


def shout_rate(make, metric=None, redraws=200, seed=0):
    rng = np.random.default_rng(seed)
    said = 0
    for _ in range(redraws):
        a, b = make(rng)
        verdict = compare_predictions(a, b, metric=metric, reps=20).verdict
        said += verdict in ("a_better", "b_better")
    return said / redraws


def test_null_default_metric_says_better_at_most_five_percent():
    # error_rate on binary rows: the exact McNemar test decides, which is conservative
    assert shout_rate(binary_pair) <= 0.05


def test_null_interval_verdicts_are_near_five_percent():
    # the normal interval decides (log loss, Brier, regression): its rate is alpha up to
    # simulation noise, so 600 verdicts are held to 5% plus two standard errors
    rates = [shout_rate(binary_pair, "log_loss", seed=1), shout_rate(binary_pair, "brier", seed=2),
             shout_rate(regression_pair, seed=3)]
    assert np.mean(rates) <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 600)


def test_a_clearly_better_model_b_wins():
    rng = np.random.default_rng(11)
    a, b = binary_pair(rng, 2000, noise_a=2.5, noise_b=0.3)
    r = compare_predictions(a, b, reps=200)
    assert r.verdict == "b_better" and r.verdict_by == "mcnemar"
    assert r.mcnemar.n10 > r.mcnemar.n01 and r.mcnemar.p_value < 0.05
    assert r.difference.ci_high < 0
    assert r.delong[0].auc_b > r.delong[0].auc_a and r.delong[0].p_value < 0.05
    boot = {x.figure: x for x in r.bootstrap}
    assert boot["f1"].ci_low > 0 and boot["log_loss"].ci_high < 0 and boot["brier"].ci_high < 0
    # and the other way round
    assert compare_predictions(b, a, reps=0).verdict == "a_better"
    for metric in ("log_loss", "brier"):
        assert compare_predictions(a, b, metric=metric, reps=0).verdict == "b_better"
    ra, rb = regression_pair(rng, noise_a=1.0, noise_b=0.2)
    assert compare_predictions(ra, rb, metric="mse").verdict == "b_better"


def test_a_margin_with_near_identical_models_gives_equivalent():
    rng = np.random.default_rng(12)
    a, _ = binary_pair(rng, 2000)
    b = replace(a, y_score=np.clip(a.y_score + rng.normal(0, 0.01, 2000), 0, 1))
    r = compare_predictions(a, b, margin=0.02, reps=100)
    assert r.verdict == "equivalent"
    assert -0.02 < r.equivalence.ci_low <= r.equivalence.ci_high < 0.02
    assert compare_predictions(a, b, reps=0).verdict == "no_difference_shown"
    # too tight a margin: not shown equivalent
    assert compare_predictions(a, b, margin=1e-4, reps=0).verdict == "no_difference_shown"


def test_rows_are_joined_by_id_whatever_their_order():
    rng = np.random.default_rng(13)
    a, b = binary_pair(rng, 300)
    order = rng.permutation(300)
    shuffled = replace(b, y_true=b.y_true[order], y_score=b.y_score[order], ids=b.ids[order])
    r1, r2 = compare_predictions(a, b, reps=50), compare_predictions(a, shuffled, reps=50)
    assert r1.mcnemar == r2.mcnemar
    assert r1.difference == r2.difference
    assert r1.delong[0].variance == pytest.approx(r2.delong[0].variance)


def test_mismatched_ids_name_the_ids():
    rng = np.random.default_rng(14)
    a, b = binary_pair(rng, 30)
    ids = b.ids.copy()
    ids[[17, 18, 20]] = [117, 118, 120]
    with pytest.raises(UsageError, match=r"ids in a but not b: 3 \(e\.g\. 17, 18, 20\)") as err:
        compare_predictions(a, replace(b, ids=ids))
    assert "ids in b but not a: 3 (e.g. 117, 118, 120)" in str(err.value)


@pytest.mark.parametrize("change, message", [
    (lambda p: replace(p, ids=None), "b has no id column"),
    (lambda p: replace(p, ids=np.r_[p.ids[:-1], p.ids[0]]), r"ids repeated in b: 1 \(e\.g\. 0\)"),
    (lambda p: replace(p, y_true=np.r_[1 - p.y_true[:2], p.y_true[2:]]), r"y_true differs: 2 \(e\.g\. 0, 1\)"),
    (lambda p: replace(p, task="multilabel"), "same task: a is binary, b is multilabel"),
    (lambda p: replace(p, classes=("no", "yes")), "same classes"),
    (lambda p: replace(p, ids=p.ids.astype(str)), "a's ids are numbers, b's text"),
    (lambda p: replace(p, weight=np.arange(1.0, p.n + 1)), None),
])
def test_what_differs_is_named(change, message):
    rng = np.random.default_rng(15)
    a, b = binary_pair(rng, 40)
    a = replace(a, classes=("0", "1"))
    b = replace(b, classes=("0", "1"))
    if message is None:  # weights only on one side: used for both, with a warning
        r = compare_predictions(a, change(b), reps=0)
        assert any("only b has sample weights" in w for w in r.warnings)
        return
    with pytest.raises(UsageError, match=message):
        compare_predictions(a, change(b), reps=0)


def test_weights_times_ten_change_nothing():
    rng = np.random.default_rng(16)
    a, b = binary_pair(rng, 400)
    w = rng.uniform(0.5, 2.0, 400)
    r1 = compare_predictions(replace(a, weight=w), replace(b, weight=w), reps=100)
    r10 = compare_predictions(replace(a, weight=10 * w), replace(b, weight=10 * w), reps=100)
    assert r1.verdict_by == "interval"  # McNemar ignores weights, so the weighted interval decides
    d1, d10 = r1.to_dict(), r10.to_dict()
    assert json.dumps(d1, sort_keys=True) == json.dumps(d10, sort_keys=True) or _close(d1, d10)
    hand = paired_difference((a.decision != a.y_true).astype(float), (b.decision != b.y_true).astype(float), w)
    assert r10.difference.ci_low == pytest.approx(hand.ci_low) and r10.difference.ci_high == pytest.approx(hand.ci_high)


def _close(x, y):
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_close(u, v) for u, v in zip(x, y))
    if isinstance(x, float):
        return y == pytest.approx(x, rel=1e-9, abs=1e-12)
    return x == y


def test_multiclass_figures_match_sklearn():
    rng = np.random.default_rng(17)
    n, k = 600, 3
    y = rng.integers(0, k, n)
    def probs(noise):
        z = 2.0 * np.eye(k)[y] + rng.normal(0, noise, (n, k))
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    a = Predictions("multiclass", y, y_score=probs(2.0), classes=("x", "y", "z"), ids=np.arange(n))
    b = Predictions("multiclass", y, y_score=probs(1.0), classes=("x", "y", "z"), ids=np.arange(n))
    r = compare_predictions(a, b, reps=200)
    boot = {x.figure: x for x in r.bootstrap}
    assert boot["macro_f1"].a == pytest.approx(f1_score(y, a.decision, average="macro"))
    assert boot["macro_f1"].b == pytest.approx(f1_score(y, b.decision, average="macro"))
    assert boot["log_loss"].b == pytest.approx(log_loss(y, b.y_score, labels=[0, 1, 2]))
    assert r.delong == () and r.verdict == "b_better"
    assert r.mcnemar.table == [[int(np.sum((a.decision == y) & (b.decision == y))),
                                int(np.sum((a.decision == y) & (b.decision != y)))],
                               [int(np.sum((a.decision != y) & (b.decision == y))),
                                int(np.sum((a.decision != y) & (b.decision != y)))]]


def test_multilabel_has_a_delong_test_per_label_and_any_label_mcnemar():
    rng = np.random.default_rng(18)
    n, labels = 500, ("cat", "dog")
    y = rng.integers(0, 2, (n, 2)).astype(np.int8)
    sa = np.clip(0.3 * y + 0.7 * rng.random((n, 2)), 0, 1)
    sb = np.clip(0.5 * y + 0.5 * rng.random((n, 2)), 0, 1)
    a = Predictions("multilabel", y, y_score=sa, classes=labels, ids=np.arange(n))
    b = Predictions("multilabel", y, y_score=sb, classes=labels, ids=np.arange(n))
    r = compare_predictions(a, b, reps=100)
    assert [d.label for d in r.delong] == ["cat", "dog"]
    for j, d in enumerate(r.delong):
        assert d.auc_a == pytest.approx(roc_auc_score(y[:, j], sa[:, j]))
        assert d.auc_b == pytest.approx(roc_auc_score(y[:, j], sb[:, j]))
    wrong_a = ((sa >= 0.5) != y).any(axis=1)
    assert r.mcnemar.n10 == int(np.sum(wrong_a & ~((sb >= 0.5) != y).any(axis=1)))
    assert r.mcnemar.wrong_means == "any label of the row is decided wrong"
    assert r.verdict_by == "interval"  # error_rate is the Hamming loss here, not McNemar's row error
    boot = {x.figure: x for x in r.bootstrap}
    assert boot["macro_f1"].a == pytest.approx(f1_score(y, (sa >= 0.5).astype(int), average="macro"))


def test_hard_predictions_only_skip_scores_with_a_warning():
    y = np.array([0, 1] * 50)
    ids = np.arange(100)
    a = Predictions("binary", y, y_pred=np.where(ids < 20, 1 - y, y), ids=ids)
    b = Predictions("binary", y, y_pred=y, ids=ids)
    r = compare_predictions(a, b, reps=100)
    assert [x.figure for x in r.bootstrap] == ["f1"] and r.delong == ()
    assert any("hard predictions only" in w for w in r.warnings)
    assert r.mcnemar.table == [[80, 0], [20, 0]] and r.verdict == "b_better"
    with pytest.raises(UsageError, match="needs scores"):
        compare_predictions(a, b, metric="log_loss")


def test_splits_verdict_follows_cv_and_reports_test():
    rng = np.random.default_rng(19)
    a_cv, b_cv = binary_pair(rng, 1500, noise_a=2.5, noise_b=0.3)
    a_test, b_test = binary_pair(rng, 1500, noise_a=0.3, noise_b=2.5)  # the other way on test
    r = compare_splits({"cv": a_cv, "test": a_test, "train": a_cv}, {"cv": b_cv, "test": b_test}, reps=50)
    assert r.verdict == "b_better" and r.verdict_split == "cv" and list(r.splits) == ["cv", "test"]
    assert r.splits["test"].verdict == "a_better"
    assert any("test says a_better where cv says b_better" in w for w in r.warnings)
    out = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert set(out) == {"metric", "verdict", "verdict_split", "alpha", "margin", "splits", "warnings"}
    cv = out["splits"]["cv"]
    assert set(cv) == {"split", "task", "metric", "n", "alpha", "verdict", "verdict_by", "difference",
                       "equivalence", "mcnemar", "bootstrap", "delong", "warnings"}
    assert set(cv["difference"]) == {"a", "b", "estimate", "se", "ci_low", "ci_high", "level", "n"}
    assert set(cv["mcnemar"]) == {"table", "a_right_b_wrong", "a_wrong_b_right", "p_value", "wrong_means"}
    assert set(cv["bootstrap"]) == {"f1", "log_loss", "brier"}
    assert set(cv["delong"][0]) == {"label", "auc_a", "auc_b", "difference", "variance", "se", "z", "p_value",
                                    "ci_low", "ci_high", "level", "positives", "negatives"}
    assert cv["verdict"] in VERDICTS and cv["equivalence"] is None
    with pytest.raises(UsageError, match="a has no cv split"):
        compare_splits({"test": a_test}, {"cv": b_cv})
    only = compare_splits({"cv": a_cv}, {"cv": b_cv, "test": b_test}, reps=0)
    assert list(only.splits) == ["cv"] and any("test is only in b" in w for w in only.warnings)


def test_regression_json_has_no_classification_parts():
    rng = np.random.default_rng(20)
    a, b = regression_pair(rng)
    d = compare_predictions(a, b, metric="rmse", margin=0.5).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["mcnemar"] is None and d["bootstrap"] == {} and d["delong"] == []
    assert d["metric"] == "rmse" and set(d["equivalence"]) == {"margin", "ci_low", "ci_high", "level", "p_value",
                                                             "equivalent"}


def test_bad_options_are_usage_errors():
    rng = np.random.default_rng(21)
    a, b = binary_pair(rng, 50)
    for kwargs in ({"alpha": 0.0}, {"alpha": 0.7}, {"margin": -0.1}, {"reps": -1}):
        with pytest.raises(UsageError):
            compare_predictions(a, b, **kwargs)


def test_worse_with_confidence_is_one_sided_beyond_the_margin():
    rng = np.random.default_rng(22)
    old, new = binary_pair(rng, 3000, noise_a=0.3, noise_b=2.5)
    worse, details = worse_with_confidence(old, new, metric="error_rate", margin=0.0)
    assert worse and details["one_sided_low"] > 0
    diff = details["difference"]
    # the lower end: difference - z(0.95) se
    assert details["one_sided_low"] == pytest.approx(diff - 1.6448536269514722 * details["se"])
    # a margin above the difference is not shown exceeded; better runs are never worse
    assert not worse_with_confidence(old, new, metric="error_rate", margin=diff)[0]
    assert not worse_with_confidence(new, old, metric=None, margin=0.0)[0]
    json.dumps(details, allow_nan=False)
    # identical runs are not worse
    assert not worse_with_confidence(old, old, metric="log_loss", margin=0.0)[0]
