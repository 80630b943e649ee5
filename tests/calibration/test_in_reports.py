"""Calibration as users meet it: the report's section and its gates, diagnose calibrate and
its files, and the bootstrap's normal limit on large splits against the exact resampling."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import diagnose
from diagnose.calibration import Mapping, _bins, calibration
from diagnose.cli import main
from diagnose.gate import check
from diagnose.ingest import Predictions


def split(rng, n, power=1.0):
    """Labels drawn from p; the scores are p pushed through sigmoid(power * logit(p))."""
    p = rng.uniform(0.03, 0.97, n)
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": 1 / (1 + ((1 - p) / p) ** power)})


def test_the_normal_limit_bootstrap_agrees_with_resampling_rows(monkeypatch):
    rng = np.random.default_rng(0)
    n = 150_000
    p = rng.beta(2, 5, n)
    pred = Predictions("binary", (rng.random(n) < np.clip(1.2 * p, 0, 1)).astype(np.int8), p, classes=("0", "1"))
    normal = calibration(pred, reps=300)
    monkeypatch.setattr(_bins, "EXACT_BOOTSTRAP_ROWS", 10 ** 9)
    exact = calibration(pred, reps=300)
    assert normal.ece == exact.ece
    width = exact.ece_ci_high - exact.ece_ci_low
    assert abs(normal.ece_ci_low - exact.ece_ci_low) < 0.15 * width
    assert abs(normal.ece_ci_high - exact.ece_ci_high) < 0.15 * width


def test_gates_judge_the_test_ece_and_its_interval(tmp_path):
    rng = np.random.default_rng(1)
    frames = {name: split(rng, 3000, power=2.0) for name in ("train", "cv", "test")}
    report = diagnose.report(**frames, baselines={"human": 0.1})
    ece = report.to_dict()["calibration"]["test"]
    assert ece["verdict"] == "overconfident" and ece["ece_ci_low"] < ece["ece"] < ece["ece_ci_high"]
    limit = (ece["ece"] + ece["ece_ci_high"]) / 2  # above the estimate, below the interval's top
    assert check(report, [f"calibration.test.ece <= {limit}"]).passed
    strict = check(report, [f"calibration.test.ece <= {limit} [interval]"])
    assert not strict.passed and "ci_high judged" in strict.rules[0].detail
    assert check(report, ['calibration.test.verdict != "calibrated"']).passed


def test_calibrate_writes_recalibrated_scores_and_a_mapping_that_reproduces_them(tmp_path):
    rng = np.random.default_rng(2)
    cv, test = split(rng, 5000, power=3.0), split(rng, 5000, power=3.0)
    cv.to_csv(tmp_path / "cv.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    out = CliRunner().invoke(main, ["calibrate", "--cv", str(tmp_path / "cv.csv"), "--test", str(tmp_path / "test.csv"),
                                    "-o", str(tmp_path / "fixed.csv"), "--save-mapping", str(tmp_path / "map.json"),
                                    "--plot", str(tmp_path / "plot.html"), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    chosen = data["chosen"]
    assert chosen in ("platt", "isotonic", "temperature") and data["recalibration"]["recommended"] == chosen
    method = data["recalibration"]["methods"][chosen]
    assert method["ece_after"] < method["ece_before"] / 2
    assert data["calibration"]["test (recalibrated)"]["ece"] == pytest.approx(method["ece_after"])
    fixed = pd.read_csv(tmp_path / "fixed.csv")
    assert list(fixed.columns) == ["id", "y_true", "y_score"] and len(fixed) == len(test)
    mapping = Mapping.from_dict(json.loads((tmp_path / "map.json").read_text()))
    assert np.allclose(mapping.apply(test["y_score"].to_numpy()).reshape(-1), fixed["y_score"], atol=1e-12)
    assert (tmp_path / "plot.html").read_text().count("Reliability diagram") >= 1


def test_calibrate_without_a_recommendation_says_so(tmp_path):
    rng = np.random.default_rng(3)
    split(rng, 800).to_csv(tmp_path / "cv.csv", index=False)
    split(rng, 800).to_csv(tmp_path / "test.csv", index=False)
    args = ["calibrate", "--cv", str(tmp_path / "cv.csv"), "--test", str(tmp_path / "test.csv")]
    shown = CliRunner().invoke(main, args)
    # calibrated scores: no method improves test significantly
    assert shown.exit_code == 0 and "No method is recommended" in shown.output
    refused = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "fixed.csv")])
    assert refused.exit_code == 2 and "name one with --method" in refused.output
    assert not (tmp_path / "fixed.csv").exists()
    named = CliRunner().invoke(main, [*args, "--method", "platt", "-o", str(tmp_path / "fixed.csv")])
    assert named.exit_code == 0 and (tmp_path / "fixed.csv").exists()
    missing = CliRunner().invoke(main, ["calibrate", "--cv", str(tmp_path / "cv.csv")])
    assert missing.exit_code == 2 and "give --test" in missing.output


@pytest.mark.parametrize("weighted", [2, 5])
def test_sparse_weights_give_an_interval_around_the_ece_not_zero(weighted):
    """Most rows weigh 0: some resamples draw only those, which have no ECE. They used to give
    NaN (a warning) and an interval of [0, 0] beside an ECE of 0.3; they are left out now.
    Oracle: the ECE of the weighted rows alone (weight-0 rows count for nothing), computed here
    with numpy over the report's bins, and the interval brackets it."""
    import warnings

    rng = np.random.default_rng(0)
    frame = split(rng, 60).assign(weight=0.0)
    frame.loc[: weighted - 1, "weight"] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = diagnose.report(train=frame, cv=frame).to_dict()["calibration"]["cv"]
    kept = frame[frame.weight > 0]
    edges = np.linspace(0, 1, len(c["bins"]) + 1)
    at = np.clip(np.searchsorted(edges, kept.y_score, side="right") - 1, 0, len(edges) - 2)
    gaps = np.bincount(at, kept.y_true - kept.y_score, len(edges) - 1)
    assert c["ece"] == pytest.approx(np.abs(gaps).sum() / len(kept), rel=1e-12)
    assert c["ece_ci_low"] <= c["ece"] <= c["ece_ci_high"] and c["ece_ci_high"] > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_weights_on_a_large_split_keep_the_interval_within_0_and_1(seed):
    """Above EXACT_BOOTSTRAP_ROWS the ECE interval draws from the bin sums' normal limit: with
    almost every row weighing 0, its draws of a bin's weight can be 0 or less, and its ECEs
    above 1 (seed 0 gave an interval of [0, 10.7]). Draws without weight are left out, no ECE
    exceeds 1, and the interval holds the ECE (computed here with numpy from the weighted rows).
    With seed 1 the slope's sample of distinct scores held no weighted row: a ZeroDivisionError
    before; now no slope."""
    rng = np.random.default_rng(seed)
    frame = split(rng, _bins.EXACT_BOOTSTRAP_ROWS + 1).assign(weight=0.0)
    frame.loc[:1, "weight"] = 1.0
    c = diagnose.report(train=frame, cv=frame).to_dict()["calibration"]["cv"]
    kept = frame[frame.weight > 0]
    edges = np.linspace(0, 1, len(c["bins"]) + 1)
    at = np.clip(np.searchsorted(edges, kept.y_score, side="right") - 1, 0, len(edges) - 2)
    assert c["ece"] == pytest.approx(np.abs(np.bincount(at, kept.y_true - kept.y_score, len(edges) - 1)).sum() / 2)
    assert 0 <= c["ece_ci_low"] <= c["ece"] <= c["ece_ci_high"] <= 1
