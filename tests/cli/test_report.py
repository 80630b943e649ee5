"""`diagnose report` and `diagnose demo` through click's CliRunner."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error

from diagnose.cli import main

CASE = "sample_data/digits"


def args(root, case="digits"):
    d = root / case
    return ["--train", str(d / "train.csv"), "--cv", str(d / "cv.csv"), "--test", str(d / "test.csv")]


def test_json_goes_to_stdout_alone(sample_dir):
    result = CliRunner().invoke(main, ["report", *args(sample_dir), "--baseline", "human=0.01",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # nothing but JSON on stdout
    for key in ("task", "metric", "splits", "baselines", "reference", "gaps", "verdict",
                "recommendations", "warnings"):
        assert key in report
    assert set(report["splits"]["cv"]) >= {"n", "error", "ci_low", "ci_high"}
    assert set(report["gaps"]) == {"bias", "variance", "test"}
    assert report["baselines"]["human"] == 0.01
    assert report["verdict"] == "high_variance"


def test_text_report_is_a_readable_summary(sample_dir):
    result = CliRunner().invoke(main, ["report", *args(sample_dir), "--baseline", "human=0.01"])
    assert result.exit_code == 0
    out = result.stdout
    assert "Verdict: high_variance" in out
    assert "human (reference)" in out and "trivial: majority class of train" in out
    assert "Get more training examples" in out
    lines = [line for line in out.splitlines() if re.match(r"^(train|cv|test)\s+\d+\s+\S+\s+\[", line)]
    # the split errors, then the calibration of each split (ECE and its interval)
    assert [line.split()[0] for line in lines] == ["train", "cv", "test"] * 2
    assert out.index("Calibration") > out.index(lines[2])


def test_markdown_report(sample_dir):
    result = CliRunner().invoke(main, ["report", *args(sample_dir), "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout.startswith("## diagnose report")
    assert "| split | n | error | 95% interval |" in result.stdout


def test_competitor_file_becomes_a_baseline(sample_dir):
    comp = str(sample_dir / "diabetes_linear" / "cv.csv")
    result = CliRunner().invoke(main, ["report", *args(sample_dir, "diabetes_poly"),
                                       "--baseline-file", f"competitor={comp}", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["reference_name"] == "competitor"
    # the competitor's J_cv, half the mean squared error of its cv predictions (scikit-learn)
    linear = pd.read_csv(comp)
    assert report["baselines"]["competitor"] == pytest.approx(
        mean_squared_error(linear["y_true"], linear["y_pred"]) / 2)
    assert report["verdict"] == "high_variance"


def test_competitor_on_other_rows_is_refused(sample_dir):
    comp = str(sample_dir / "diabetes_linear" / "train.csv")
    result = CliRunner().invoke(main, ["report", *args(sample_dir, "diabetes_poly"),
                                       "--baseline-file", f"competitor={comp}"])
    assert result.exit_code == 2
    assert "same cv rows" in result.stderr


@pytest.mark.parametrize("bad", [["--baseline", "human"], ["--baseline", "human=abc"],
                                 ["--metric", "mae"], ["--task", "nonsense"]])
def test_bad_usage_exits_2(sample_dir, bad):
    result = CliRunner().invoke(main, ["report", *args(sample_dir), *bad])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_metric_choice_changes_the_error(sample_dir):
    result = CliRunner().invoke(main, ["report", *args(sample_dir), "--metric", "log_loss", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metric"] == "log_loss"
    cv = pd.read_csv(sample_dir / "digits" / "cv.csv")
    probs = cv[[f"y_prob_{k}" for k in range(10)]].to_numpy()
    assert report["splits"]["cv"]["error"] == pytest.approx(log_loss(cv["y_true"], probs, labels=list(range(10))))
    error_rate = json.loads(CliRunner().invoke(main, ["report", *args(sample_dir), "--format", "json"]).stdout)
    assert error_rate["splits"]["cv"]["error"] == pytest.approx(1 - accuracy_score(cv["y_true"], probs.argmax(axis=1)))


def test_demo_diagnoses_every_sample_case(sample_dir):
    result = CliRunner().invoke(main, ["demo", "--sample-dir", str(sample_dir)])
    assert result.exit_code == 0, result.output
    cases = ("breast_cancer", "digits", "multilabel", "diabetes_poly", "high_bias", "high_variance", "skewed")
    for case in cases:
        assert f"=== {case}" in result.stdout
    # the runs are left in the configured (per-test) database, and a second demo replaces them
    again = CliRunner().invoke(main, ["demo", "--sample-dir", str(sample_dir)])
    assert again.exit_code == 0, again.output
    listed = CliRunner().invoke(main, ["runs", "--project", "samples", "--format", "json"])
    runs = json.loads(listed.stdout)
    assert sorted(r["run"] for r in runs) == sorted(cases)
    assert {r["run"]: r["verdict"] for r in runs}["high_bias"] == "high_bias"
    # the curve projects: one run per training-set size / value of lambda, as in the files
    frame = pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv")
    learning = json.loads(CliRunner().invoke(main, ["runs", "--project", "digits-learning", "--format",
                                                     "json"]).stdout)
    assert sorted(r["train_size"] for r in learning) == sorted(frame["train_size"].unique())
    lam = json.loads(CliRunner().invoke(main, ["runs", "--project", "diabetes-lambda", "--format", "json"]).stdout)
    assert sorted(r["params"]["lambda"] for r in lam) == [0.01, 0.1, 1, 10, 100, 1000, 10000, 100000]
