"""Golden outputs: every sample run through the command line, compared with the files in
``tests/golden/``.

This is a regression guard, not a correctness check: the numbers in the golden files were
checked against scikit-learn, scipy and hand computations by the other tests; this test
only says that a change of structure changed no output. When an output is meant to change,
regenerate the files and review the diff::

    DIAGNOSE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

Text, Markdown and CSV outputs are compared byte for byte. JSON is compared key by key, in
order (the order is part of what users see), with floats equal to 1e-9 relative: numpy,
scipy and scikit-learn releases move the last bits of sums and fits, and a fresh install
takes the newest.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fixtures import ROOT

GOLDEN = Path(__file__).resolve().parent / "golden"
S = "sample_data"
UPDATE = os.environ.get("DIAGNOSE_UPDATE_GOLDEN") == "1"

# (case, baseline arguments) as `diagnose demo` judges them
REPORT_CASES = {
    "breast_cancer": ["--baseline", "human=0.02"],
    "digits": ["--baseline", "human=0.01"],
    "multilabel": ["--baseline", "human=0.01"],
    "diabetes_poly": ["--baseline-file", f"competitor={S}/diabetes_linear/cv.csv"],
    "high_bias": ["--baseline", "human=0.01"],
    "high_variance": ["--baseline", "human=0.01"],
    "skewed": ["--baseline", "human=0.01"],
}


def _report(case: str, fmt: str) -> list[str]:
    return ["report", "--train", f"{S}/{case}/train.csv", "--cv", f"{S}/{case}/cv.csv",
            "--test", f"{S}/{case}/test.csv", *REPORT_CASES[case], "--format", fmt]


def _shifted() -> list[str]:
    folder = "tests/data/shifted"
    return ["--train", f"{folder}/train.csv", "--cv", f"{folder}/cv.csv", "--test", f"{folder}/test.csv",
            "--baseline", "human=0.05"]


EXT = {"json": "json", "text": "txt", "markdown": "md"}
CASES: dict[str, list[str]] = {}
for _case in REPORT_CASES:
    for _fmt in ("json", "text", "markdown"):
        CASES[f"report_{_case}.{EXT[_fmt]}"] = _report(_case, _fmt)
CASES.update({
    "report_breast_cancer_options.json": [
        "report", "--train", f"{S}/breast_cancer/train.csv", "--cv", f"{S}/breast_cancer/cv.csv",
        "--baseline", "human=0.05", "--metric", "log_loss", "--tolerance", "0.2", "--tolerance-abs", "0.01",
        "--threshold-rule", "recall>=0.95", "--skew-threshold", "0.3", "--format", "json"],
    # the cost rule: the threshold of least expected cost, and its costs
    "report_breast_cancer_cost.json": [
        "report", "--train", f"{S}/breast_cancer/train.csv", "--cv", f"{S}/breast_cancer/cv.csv",
        "--test", f"{S}/breast_cancer/test.csv", "--baseline", "human=0.02", "--threshold-rule", "cost:fp=1,fn=5",
        "--curve-points", "20", "--format", "json"],
    "threshold_breast_cancer_cost.txt": ["threshold", "--cv", f"{S}/breast_cancer/cv.csv", "--test",
                                         f"{S}/breast_cancer/test.csv", "--rule", "cost:fp=1,fn=5,tn=0.5"],
    # a synthetic run whose test gap counts (a mix shift), so the report explains it
    "report_shifted.json": ["report", *_shifted(), "--format", "json"],
    "report_shifted.md": ["report", *_shifted(), "--format", "markdown"],
    "threshold_skewed.txt": ["threshold", "--cv", f"{S}/skewed/cv.csv", "--test", f"{S}/skewed/test.csv"],
    "threshold_skewed.json": ["threshold", "--cv", f"{S}/skewed/cv.csv", "--test", f"{S}/skewed/test.csv",
                              "--curve-points", "50", "--format", "json"],
    "threshold_breast_cancer_precision.md": ["threshold", "--cv", f"{S}/breast_cancer/cv.csv", "--test",
                                             f"{S}/breast_cancer/test.csv", "--rule", "precision>=0.95",
                                             "--bootstrap", "50", "--seed", "3", "--format", "markdown"],
    "threshold_multilabel.json": ["threshold", "--cv", f"{S}/multilabel/cv.csv", "--test",
                                  f"{S}/multilabel/test.csv", "--rule", "fbeta:2", "--curve-points", "20",
                                  "--format", "json"],
    "curve_learning_high_variance.json": ["curve", "learning", f"{S}/curves/learning_high_variance.csv",
                                          "--baseline", "human=0.01", "--format", "json"],
    "curve_learning_high_variance.txt": ["curve", "learning", f"{S}/curves/learning_high_variance.csv",
                                         "--baseline", "human=0.01"],
    "curve_learning_high_bias.md": ["curve", "learning", f"{S}/curves/learning_high_bias.csv",
                                    "--baseline", "human=0.01", "--format", "markdown"],
    "curve_learning_summary.json": ["curve", "learning", f"{S}/curves/learning_summary.csv",
                                    "--baseline", "human=0.01", "--target", "0.1", "--format", "json"],
    "curve_validation_lambda.json": ["curve", "validation", f"{S}/curves/validation_lambda.csv",
                                     "--param", "lambda", "--format", "json"],
    "curve_validation_lambda.txt": ["curve", "validation", f"{S}/curves/validation_lambda.csv",
                                    "--param", "lambda"],
    "curve_validation_degree.md": ["curve", "validation", f"{S}/curves/validation_degree.csv",
                                   "--param", "degree", "--tie", "largest", "--format", "markdown"],
    "errors_sample_skewed.csv": ["errors", "sample", "--cv", f"{S}/skewed/cv.csv", "--n", "10"],
    "errors_sample_diabetes.csv": ["errors", "sample", "--cv", f"{S}/diabetes_poly/cv.csv", "--n", "5",
                                   "--seed", "7"],
    "errors_tally_reviewed.txt": ["errors", "tally", f"{S}/error_analysis/cv_reviewed.csv"],
    "errors_tally_reviewed.json": ["errors", "tally", f"{S}/error_analysis/cv_reviewed.csv",
                                   "--cv", f"{S}/digits/cv.csv", "--format", "json"],
    "errors_cohorts_breast_cancer.txt": ["errors", "cohorts", "--cv", f"{S}/breast_cancer/cv.csv"],
    "errors_cohorts_digits.json": ["errors", "cohorts", "--cv", f"{S}/digits/cv.csv", "--bins", "3",
                                   "--format", "json"],
    "gate_skewed.json": ["gate", "tests/golden/rules.toml", "--train", f"{S}/skewed/train.csv",
                         "--cv", f"{S}/skewed/cv.csv", "--test", f"{S}/skewed/test.csv",
                         "--baseline", "human=0.01", "--format", "json"],
    "gate_skewed.md": ["gate", "tests/golden/rules.toml", "--train", f"{S}/skewed/train.csv",
                       "--cv", f"{S}/skewed/cv.csv", "--baseline", "human=0.01", "--format", "markdown"],
    "demo.txt": ["demo", "--no-store"],
})


def _run(args: list[str]) -> tuple[int, str]:
    from diagnose.cli import main

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden(name):
    code, out = _run(CASES[name])
    assert code in (0, 1), out  # 1: a gate whose rules fail on purpose
    path = GOLDEN / name
    if UPDATE:
        path.write_text(out, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if name.endswith(".json"):
        _same_json(json.loads(out), json.loads(expected), "$")
    else:
        assert out == expected


def _same_json(got, want, where: str) -> None:
    """Equal JSON values: same keys in the same order, same strings, floats to 1e-9."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: keys differ"
        for key in want:
            _same_json(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: lengths differ"
        for i, (g, w) in enumerate(zip(got, want)):
            _same_json(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {got!r} != {want!r}"
    else:
        assert type(got) is type(want) and got == want, f"{where}: {got!r} != {want!r}"


def test_golden_json_comparison_catches_changes():
    _same_json({"a": 1.0, "b": [1, "x"]}, {"a": 1.0 + 1e-13, "b": [1, "x"]}, "$")
    for got in ({"b": [1, "x"], "a": 1.0}, {"a": 1.001, "b": [1, "x"]}, {"a": 1.0, "b": [1, "y"]},
                {"a": 1.0, "b": [1]}, {"a": 1.0, "b": [True, "x"]}):
        with pytest.raises(AssertionError):
            _same_json(got, {"a": 1.0, "b": [1, "x"]}, "$")
