"""Validation curves: the chosen value, the tie rule, the sides, and test never used to choose.

Oracles: errors recomputed here with pandas / scikit-learn metrics from the raw tables,
closed-form power laws, hand-built summary tables, and the verdicts stated in
sample_data/README.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagnose.curves import CurvePoint, build_validation_curve
from diagnose.metrics import SplitError
from diagnose.service import validation_curve
from tests.curves.helpers import CURVES, readme_curve_verdicts


@pytest.mark.parametrize("name,param", [("validation_lambda.csv", "lambda"), ("validation_degree.csv", "degree")])
def test_sample_validation_curves_choose_the_readme_value(name, param):
    vc = validation_curve(CURVES / name, param=param)
    stated_param, stated_value = readme_curve_verdicts()[name].split(" = ")
    assert stated_param == param and float(vc.chosen) == float(stated_value)


def lambda_oracle(frame: pd.DataFrame, split: str) -> pd.Series:
    part = frame[frame.split == split]
    return ((part.y_pred - part.y_true) ** 2 / 2).groupby(part.param_lambda).mean()


def test_validation_picks_the_lambda_with_the_lowest_cv_error():
    frame = pd.read_csv(CURVES / "validation_lambda.csv")
    vc = validation_curve(frame, param="lambda")
    cv = lambda_oracle(frame, "cv")
    assert vc.chosen == cv.idxmin() == 1000
    np.testing.assert_allclose([p.cv.error for p in vc.points], cv.to_numpy())
    assert vc.test.error == pytest.approx(lambda_oracle(frame, "test")[1000])
    sides = {float(p.value): p.side for p in vc.points}
    assert all(sides[v] == "variance" for v in (0.01, 0.1, 1, 10, 100))
    assert sides[1000] == "chosen" and sides[1e4] == sides[1e5] == "bias"
    assert vc.verdict == "minimum_inside"


def test_validation_never_looks_at_test_to_choose():
    frame = pd.read_csv(CURVES / "validation_lambda.csv")
    test = frame.split == "test"
    rigged = frame.copy()
    # make every other lambda perfect on test and the cv-best one terrible
    rigged.loc[test & (rigged.param_lambda != 1000), "y_pred"] = rigged.y_true
    rigged.loc[test & (rigged.param_lambda == 1000), "y_pred"] = rigged.y_true + 500
    honest, cheated = validation_curve(frame, param="lambda"), validation_curve(rigged, param="lambda")
    assert honest.chosen == cheated.chosen == 1000
    assert cheated.test.error == pytest.approx(500 ** 2 / 2)
    assert [p.cv.error for p in honest.points] == [p.cv.error for p in cheated.points]
    without_test = validation_curve(frame[~test], param="lambda")
    assert without_test.chosen == 1000 and without_test.test is None


def test_validation_tie_rule_and_sides_at_an_edge():
    def err(p):
        return SplitError("", "mse", 100, p, p, p, 0.0, 0.0, 100.0)

    pts = [CurvePoint(v, err(tr), err(cv))
           for v, tr, cv in [(1, 5.0, 6.0), (2, 3.0, 4.0), (3, 1.0, 4.0), (4, 0.5, 7.0)]]
    assert build_validation_curve(pts, param="degree", metric="mse").chosen == 2
    assert build_validation_curve(pts, param="degree", metric="mse", tie="largest").chosen == 3
    edge = build_validation_curve(pts[1:], param="degree", metric="mse")
    assert edge.chosen == 2 and edge.verdict == "minimum_at_smallest"
    assert [p.side for p in edge.points] == ["chosen", "variance", "variance"]


def test_validation_degree_has_no_bias_side():
    vc = validation_curve(CURVES / "validation_degree.csv", param="param_degree")
    assert vc.chosen == 1 and {p.side for p in vc.points} == {"chosen", "variance"}


def test_validation_over_text_values_names_no_sides():
    def err(p):
        return SplitError("", "error_rate", 100, p, p, p, 0.0, 0.0, 100.0)

    pts = [CurvePoint(k, err(tr), err(cv))
           for k, tr, cv in [("linear", 0.3, 0.4), ("poly", 0.2, 0.3), ("rbf", 0.1, 0.2)]]
    vc = build_validation_curve(pts, param="kernel", metric="error_rate")
    assert vc.chosen == "rbf" and vc.verdict == "minimum_inside"
    assert [p.side for p in vc.points] == ["other", "other", "chosen"]
