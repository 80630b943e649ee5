"""The sample cases give the verdicts sample_data/README.md promises, and stay small."""
from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, mean_squared_error

import diagnose
from diagnose.cli.demo import SAMPLE_CASES, case_sources

# case -> verdict, as written in sample_data/README.md
PROMISED = {
    "breast_cancer": "inconclusive",
    "digits": "high_variance",
    "multilabel": "high_bias",
    "diabetes_poly": "high_variance",
    "high_bias": "high_bias",
    "high_variance": "high_variance",
    "skewed": "inconclusive",
}


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=lambda c: c.name)
def test_sample_case_gives_the_promised_verdict(sample_dir, case):
    r = diagnose.report(**case_sources(sample_dir, case))
    assert r.verdict.verdict == PROMISED[case.name]
    # the promise is the verdict cell of this case's row in the README's summary table
    readme = (sample_dir / "README.md").read_text()
    summary = readme[readme.index("<!-- summary:start -->"):readme.index("<!-- summary:end -->")]
    [row] = [line for line in summary.splitlines() if line.startswith(f"| `{case.name}` |")]
    assert row.rstrip().endswith(f"| **{PROMISED[case.name]}** |")


def test_sample_errors_match_sklearn(sample_dir):
    import pandas as pd

    cv = pd.read_csv(sample_dir / "digits" / "cv.csv")
    probs = cv[[f"y_prob_{k}" for k in range(10)]].to_numpy()
    r = diagnose.report(train=sample_dir / "digits" / "train.csv", cv=sample_dir / "digits" / "cv.csv")
    assert r.splits["cv"].error == pytest.approx(1 - accuracy_score(cv["y_true"], probs.argmax(axis=1)))
    reg = pd.read_csv(sample_dir / "diabetes_poly" / "cv.csv")
    r = diagnose.report(train=sample_dir / "diabetes_poly" / "train.csv", cv=sample_dir / "diabetes_poly" / "cv.csv")
    assert r.splits["cv"].error == pytest.approx(mean_squared_error(reg["y_true"], reg["y_pred"]) / 2)


def test_sample_data_stays_small(sample_dir):
    total = sum(p.stat().st_size for p in sample_dir.rglob("*") if p.is_file())
    assert total < 4_000_000
