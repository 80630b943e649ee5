"""Per-split classification metrics, per-class tables and skew against scikit-learn/scipy."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)

import diagnose
from diagnose.bias_variance import class_table, skew, split_classification
from diagnose.cli import main
from diagnose.ingest import Predictions, load_splits

SPLITS = ("train", "cv", "test")


def case(sample_dir, name):
    d = sample_dir / name
    return load_splits(d / "train.csv", d / "cv.csv", d / "test.csv")


def skewed_report(sample_dir, **kw):
    d = sample_dir / "skewed"
    return diagnose.report(d / "train.csv", d / "cv.csv", d / "test.csv", baselines={"human": 0.01}, **kw)


def test_binary_report_numbers_match_sklearn(sample_dir):
    out = skewed_report(sample_dir).to_dict()
    for split in SPLITS:
        df = pd.read_csv(sample_dir / "skewed" / f"{split}.csv")
        y, d = df.y_true, (df.y_score >= 0.5).astype(int)
        s = out["splits"][split]
        assert s["accuracy"] == pytest.approx(accuracy_score(y, d))
        assert s["prevalence"] == pytest.approx(y.mean())
        assert s["precision"] == pytest.approx(precision_score(y, d, zero_division=0))
        assert s["recall"] == pytest.approx(recall_score(y, d))
        assert s["f1"] == pytest.approx(f1_score(y, d))
    # the numbers sample_data/README.md states
    assert out["splits"]["cv"]["f1"] == pytest.approx(0.4615, abs=1e-4)
    assert out["skew"]["skewed"] is True
    assert out["skew"]["trivial_accuracy"] == pytest.approx(0.9701, abs=1e-4)
    t = out["threshold"]
    assert t["rule"] == "f1" and t["value"] == pytest.approx(0.219489)
    assert (t["cv"]["f1"], t["test"]["f1"]) == pytest.approx((0.6667, 0.5556), abs=1e-4)
    assert t["default"]["test"]["f1"] == pytest.approx(1 / 3)
    assert 2 <= len(t["curve"]) <= 1000
    assert any("not significantly better" in w for w in out["warnings"])
    json.dumps(out, allow_nan=False)


def test_weighted_binary_matches_sklearn(rng):
    y = rng.integers(0, 2, 400).astype(np.int8)
    d = np.where(rng.random(400) < 0.8, y, 1 - y).astype(np.int8)
    w = rng.random(400) * 2
    m = split_classification(Predictions("binary", y, y_pred=d, weight=w))
    assert m.accuracy == pytest.approx(accuracy_score(y, d, sample_weight=w))
    assert m.precision == pytest.approx(precision_score(y, d, sample_weight=w))
    assert m.recall == pytest.approx(recall_score(y, d, sample_weight=w))
    assert m.f1 == pytest.approx(f1_score(y, d, sample_weight=w))
    assert m.prevalence == pytest.approx(np.average(y, weights=w))


def test_multiclass_tables_match_sklearn(sample_dir):
    splits = case(sample_dir, "digits")
    for split, pred in splits.items():
        t = class_table(pred, split=split)
        d = pred.decision
        p, r, f, s = precision_recall_fscore_support(pred.y_true, d, labels=range(10), zero_division=0)
        np.testing.assert_allclose(t.precision, p)
        np.testing.assert_allclose(t.recall, r)
        np.testing.assert_allclose(t.f1, f)
        np.testing.assert_allclose(t.support, s)
        np.testing.assert_array_equal(t.confusion, confusion_matrix(pred.y_true, d, labels=range(10)))
        for kind in ("macro", "weighted"):
            avg = t.average(kind)
            assert avg["precision"] == pytest.approx(precision_score(pred.y_true, d, average=kind, zero_division=0))
            assert avg["recall"] == pytest.approx(recall_score(pred.y_true, d, average=kind, zero_division=0))
            assert avg["f1"] == pytest.approx(f1_score(pred.y_true, d, average=kind, zero_division=0))
    cv = splits.cv
    cm = confusion_matrix(cv.y_true, cv.decision)
    np.fill_diagonal(cm, 0)
    top = class_table(cv).top_confusions()
    assert top[0] == ("8", "1", 3.0) and cm[8, 1] == 3 == cm.max()
    assert [c for _, _, c in top] == sorted((c for _, _, c in top), reverse=True)
    assert sum(c for _, _, c in top) == cm.sum()  # fewer than 10 distinct mistakes: all listed


def test_multiclass_report_keys_are_macro(sample_dir):
    out = diagnose.report(*(sample_dir / "digits" / f"{s}.csv" for s in SPLITS)).to_dict()
    cv = pd.read_csv(sample_dir / "digits" / "cv.csv")
    probs = cv[[f"y_prob_{k}" for k in range(10)]].to_numpy()
    d = probs.argmax(axis=1)
    s = out["splits"]["cv"]
    assert s["accuracy"] == pytest.approx(accuracy_score(cv.y_true, d))
    assert s["f1"] == pytest.approx(f1_score(cv.y_true, d, average="macro"))
    assert s["prevalence"] is None
    assert s["class_shares"]["8"] == pytest.approx((cv.y_true == 8).mean())
    pc = out["per_class"]["cv"]
    assert pc["confusion_matrix"]["matrix"] == confusion_matrix(cv.y_true, d).tolist()
    assert pc["top_confusions"][0] == {"true": "8", "predicted": "1", "count": 3.0}
    assert out["threshold"]["rule"] == "argmax"


def test_class_missing_from_truth_and_predictions_is_left_out_of_macro():
    # class "c" is neither true nor predicted: scikit-learn averages over a and b only
    p = Predictions("multiclass", np.array([0, 0, 1, 1]), y_pred=np.array([0, 1, 1, 1]), classes=("a", "b", "c"))
    m = split_classification(p)
    assert m.f1 == pytest.approx(f1_score([0, 0, 1, 1], [0, 1, 1, 1], average="macro"))


def test_multilabel_per_label_micro_macro(sample_dir):
    splits = case(sample_dir, "multilabel")
    cv = splits.cv
    d = cv.decision
    m = split_classification(cv)
    assert m.accuracy == pytest.approx(1 - hamming_loss(cv.y_true, d))
    assert m.extras["subset_accuracy"] == pytest.approx(accuracy_score(cv.y_true, d))
    assert m.f1 == pytest.approx(f1_score(cv.y_true, d, average="macro"))
    assert m.extras["micro_f1"] == pytest.approx(f1_score(cv.y_true, d, average="micro"))
    assert m.extras["micro_precision"] == pytest.approx(precision_score(cv.y_true, d, average="micro"))
    t = class_table(cv)
    np.testing.assert_allclose(t.recall, recall_score(cv.y_true, d, average=None))
    out = diagnose.report(*(sample_dir / "multilabel" / f"{s}.csv" for s in SPLITS)).to_dict()
    assert set(out["per_class"]["cv"]) >= {"classes", "macro", "micro"}
    assert set(out["threshold"]["labels"]) == set(cv.classes)


def test_always_negative_on_rare_disease_flags_skew_and_does_not_crash():
    n = 2000
    y = np.zeros(n, int)
    y[:10] = 1  # prevalence 0.5%
    frame = pd.DataFrame({"y_true": y, "y_score": np.full(n, 0.01)})
    r = diagnose.report(frame, frame, frame)
    out = r.to_dict()
    assert out["skew"]["skewed"] is True
    assert out["skew"]["minority_share"] == pytest.approx(0.005)
    assert out["skew"]["trivial_accuracy"] == pytest.approx(0.995)
    cv = out["splits"]["cv"]
    assert cv["accuracy"] == pytest.approx(0.995) and cv["recall"] == 0.0 and cv["precision"] == 0.0
    assert cv["precision"] == precision_score(y, np.zeros(n), zero_division=0)
    assert any("precision is undefined" in w for w in r.warnings)
    assert any("not significantly better" in w for w in r.warnings)
    assert "Warnings" in r.to_text() and "Skew" in r.to_markdown()
    json.dumps(out, allow_nan=False)


def test_mcnemar_p_matches_scipy_binomtest(rng):
    y = (rng.random(600) < 0.08).astype(np.int8)
    score = np.clip(0.4 * y + 0.6 * rng.random(600), 0, 1)
    p = Predictions("binary", y, y_score=score)
    s = skew(p, p)
    model_right = (score >= 0.5) == (y == 1)
    trivial_right = y == 0
    b = int((model_right & ~trivial_right).sum())
    c = int((~model_right & trivial_right).sum())
    assert s.p_value == pytest.approx(binomtest(b, b + c, 0.5, alternative="greater").pvalue)
    assert s.trivial_accuracy == pytest.approx(1 - y.mean())


def test_skew_threshold_is_configurable(sample_dir):
    assert skewed_report(sample_dir, skew_threshold=0.02).skew.skewed is False
    assert skewed_report(sample_dir, skew_threshold=0.05).skew.skewed is True


def test_balanced_good_model_is_significantly_better(sample_dir):
    s = diagnose.report(*(sample_dir / "breast_cancer" / f"{x}.csv" for x in SPLITS)).skew
    assert s.skewed is False and s.significant is True and not s.warnings


def test_regression_has_no_classification_sections(sample_dir):
    r = diagnose.report(*(sample_dir / "diabetes_poly" / f"{x}.csv" for x in SPLITS))
    assert r.skew is None and r.threshold is None and "f1" not in r.to_dict()["splits"]["cv"]


def test_cli_report_threshold_rule_and_skew_threshold(sample_dir):
    d = sample_dir / "skewed"
    args = ["report", "--train", str(d / "train.csv"), "--cv", str(d / "cv.csv"), "--test", str(d / "test.csv")]
    res = CliRunner().invoke(main, [*args, "--threshold-rule", "recall>=0.8", "--skew-threshold", "0.02",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    cv = pd.read_csv(d / "cv.csv")
    assert out["threshold"]["rule"] == "recall>=0.8"
    assert recall_score(cv.y_true, cv.y_score >= out["threshold"]["value"]) >= 0.8
    assert out["skew"]["skewed"] is False
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0 and "Threshold (rule f1" in text.output and "Skew" in text.output
    bad = CliRunner().invoke(main, [*args, "--threshold-rule", "accuracy"])
    assert bad.exit_code == 2 and "unknown threshold rule" in bad.output


@pytest.mark.parametrize("b, c", [(3, 0), (7, 3), (0, 5), (60, 40), (5200, 4800), (120000, 119000)])
def test_exact_mcnemar_tail_matches_scipy(b, c):
    from diagnose.bias_variance import mcnemar_p as _mcnemar_p

    expected = binomtest(b, b + c, 0.5, alternative="greater").pvalue
    assert _mcnemar_p(b, c) == pytest.approx(expected, rel=1e-6, abs=1e-300)


def test_balanced_ten_classes_are_not_skewed_but_a_rare_class_is():
    from diagnose.bias_variance import skew

    def frame(y):
        k = 10
        p = np.full((len(y), k), 0.05)
        p[np.arange(len(y)), y] = 0.55
        return Predictions("multiclass", y, y_score=p, classes=tuple(str(i) for i in range(k)))

    balanced = frame(np.repeat(np.arange(10), 100))  # each class 10% of rows
    assert not skew(balanced, balanced).skewed
    rare = np.concatenate([np.repeat(np.arange(9), 110), np.full(10, 9)])  # class 9: 1% of rows
    s = skew(frame(rare), frame(rare))
    # the documented limit: the default --skew-threshold 0.10, scaled by 2 / K for K = 10 classes
    assert s.skewed and s.minority_class == "9" and s.limit == pytest.approx(0.10 * 2 / 10)


def test_random_multiclass_with_tied_probabilities_matches_sklearn(rng):
    # probabilities on a coarse grid, so many rows have a tied maximum (argmax: first class)
    n, k = 3000, 5
    raw = rng.integers(0, 4, (n, k)).astype(float) + 1e-9
    probs = raw / raw.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, n)
    w = rng.random(n) * 2
    d = probs.argmax(axis=1)
    assert (np.sort(raw, axis=1)[:, -1] == np.sort(raw, axis=1)[:, -2]).mean() > 0.2  # ties are common
    names = tuple("abcde")
    for weight in (None, w):
        t = class_table(Predictions("multiclass", y, y_score=probs, classes=names, weight=weight))
        np.testing.assert_allclose(t.confusion, confusion_matrix(y, d, labels=range(k), sample_weight=weight))
        p, r, f, s = precision_recall_fscore_support(y, d, labels=range(k), sample_weight=weight, zero_division=0)
        np.testing.assert_allclose(t.precision, p)
        np.testing.assert_allclose(t.recall, r)
        np.testing.assert_allclose(t.f1, f)
        for kind in ("macro", "weighted"):
            assert t.average(kind)["f1"] == pytest.approx(f1_score(y, d, average=kind, sample_weight=weight))
        m = split_classification(Predictions("multiclass", y, y_score=probs, classes=names, weight=weight))
        assert m.accuracy == pytest.approx(accuracy_score(y, d, sample_weight=weight))
        assert m.extras["weighted_recall"] == pytest.approx(recall_score(y, d, average="weighted",
                                                                         sample_weight=weight))


def test_random_binary_scores_at_exactly_half_count_as_positive(rng):
    y = (rng.random(2000) < 0.2).astype(np.int8)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random(2000), 0, 1), 1)  # many scores are exactly 0.5
    assert (s == 0.5).sum() > 100
    m = split_classification(Predictions("binary", y, y_score=s))
    d = (s >= 0.5).astype(int)
    assert m.accuracy == pytest.approx(accuracy_score(y, d))
    assert (m.precision, m.recall, m.f1) == pytest.approx((precision_score(y, d), recall_score(y, d), f1_score(y, d)))
    assert m.prevalence == pytest.approx(y.mean())


def test_text_report_shows_each_splits_numbers_at_the_default_decision(sample_dir):
    d = sample_dir / "skewed"
    res = CliRunner().invoke(main, ["report", "--train", str(d / "train.csv"), "--cv", str(d / "cv.csv"),
                                    "--test", str(d / "test.csv")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    start = lines.index("At the default decision (score >= 0.5, argmax or y_pred)")
    assert lines[start + 2].split() == ["split", "accuracy", "prevalence", "precision", "recall", "f1"]
    for line, split in zip(lines[start + 4:start + 7], SPLITS):
        df = pd.read_csv(d / f"{split}.csv")
        yy, dd = df.y_true, (df.y_score >= 0.5).astype(int)
        expected = [accuracy_score(yy, dd), yy.mean(), precision_score(yy, dd), recall_score(yy, dd), f1_score(yy, dd)]
        cells = line.split()
        assert cells[0] == split
        assert [float(c) for c in cells[1:]] == pytest.approx(expected, rel=1e-3)
    md = skewed_report(sample_dir).to_markdown()
    cv = pd.read_csv(d / "cv.csv")
    yy, dd = cv.y_true, (cv.y_score >= 0.5).astype(int)
    expected = [accuracy_score(yy, dd), yy.mean(), precision_score(yy, dd), recall_score(yy, dd), f1_score(yy, dd)]
    row = "| cv | " + " | ".join(f"{x:.4g}" for x in expected) + " |"  # 4 significant digits, as in the text
    assert "### At the default decision" in md and row in md
    digits = diagnose.report(*(sample_dir / "digits" / f"{s}.csv" for s in SPLITS)).to_text()
    assert "precision, recall and f1 are macro averages" in digits
