"""Key numbers of stored reports and two runs side by side (diagnose.present), checked
against scikit-learn on the sample files."""
from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

import diagnose
from diagnose.present import KEY_NUMBERS, compare_reports, key_numbers


def _report(sample_dir, case: str, **baselines) -> dict:
    folder = sample_dir / case
    return diagnose.report(str(folder / "train.csv"), str(folder / "cv.csv"), str(folder / "test.csv"),
                           baselines=baselines).to_dict()


def _error_rate(path) -> float:
    frame = pd.read_csv(path)
    return 1 - accuracy_score(frame["y_true"], (frame["y_score"] >= 0.5).astype(int))


def test_key_numbers_of_a_binary_report(sample_dir):
    folder = sample_dir / "breast_cancer"
    k = key_numbers(_report(sample_dir, "breast_cancer", human=0.02))
    assert set(k) == {name for name, _ in KEY_NUMBERS}
    assert k["J_train"] == pytest.approx(_error_rate(folder / "train.csv"))
    assert k["J_cv"] == pytest.approx(_error_rate(folder / "cv.csv"))
    assert k["J_test"] == pytest.approx(_error_rate(folder / "test.csv"))
    assert k["baseline"] == 0.02
    assert k["bias gap"] == pytest.approx(k["J_train"] - 0.02)
    assert k["variance gap"] == pytest.approx(k["J_cv"] - k["J_train"])
    cv = pd.read_csv(folder / "cv.csv")
    assert k["cv F1"] == pytest.approx(f1_score(cv["y_true"], (cv["y_score"] >= 0.5).astype(int)))


def test_compare_two_runs_side_by_side(sample_dir):
    a = _report(sample_dir, "high_variance", human=0.01)
    b = _report(sample_dir, "digits", human=0.01)
    table = compare_reports(a, b, names=("tree", "logreg")).set_index("measure")
    assert list(table.columns) == ["tree", "logreg", "change"]
    assert table.loc["verdict", "tree"] == table.loc["verdict", "logreg"] == "high_variance"
    assert pd.isna(table.loc["verdict", "change"])
    assert table.loc["J_cv", "change"] == pytest.approx(b["splits"]["cv"]["error"] - a["splits"]["cv"]["error"])
    # multiclass has no threshold: rows that neither run has are left out
    assert "threshold" not in table.index


def test_a_changed_verdict_is_marked(sample_dir):
    a = _report(sample_dir, "high_bias", human=0.01)
    b = _report(sample_dir, "digits", human=0.01)
    table = compare_reports(a, b).set_index("measure")
    assert table.loc["verdict"].tolist() == ["high_bias", "high_variance", "changed"]
