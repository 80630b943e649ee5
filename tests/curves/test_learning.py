"""Learning curves: verdicts on the sample files and on real models refitted at growing sizes,
summary tables, and the trivial-baseline flag.

Oracles: errors recomputed here with pandas / scikit-learn metrics from the raw tables,
closed-form power laws, hand-built summary tables, and the verdicts stated in
sample_data/README.md.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import diagnose
from diagnose.cli import main
from diagnose.exceptions import InputError
from diagnose.service import learning_curve
from tests.curves.helpers import CURVES, HUMAN, argmax_error_table, readme_curve_verdicts


def test_readme_states_a_verdict_for_every_curve_file():
    stated = readme_curve_verdicts()
    assert set(stated) == {"learning_high_bias.csv", "learning_high_variance.csv",
                           "validation_lambda.csv", "validation_degree.csv"}


@pytest.mark.parametrize("name", ["learning_high_bias.csv", "learning_high_variance.csv"])
def test_sample_learning_curves_give_the_readme_verdict(name):
    lc = learning_curve(CURVES / name, baselines=HUMAN)
    assert lc.verdict == readme_curve_verdicts()[name]
    # every point matches the argmax error recomputed from the raw table
    oracle = argmax_error_table(pd.read_csv(CURVES / name))
    assert [p.value for p in lc.points] == oracle.index.tolist()
    np.testing.assert_allclose([p.train.error for p in lc.points], oracle[("mean", "train")])
    np.testing.assert_allclose([p.cv.error for p in lc.points], oracle[("mean", "cv")])
    assert [p.cv.n for p in lc.points] == oracle[("size", "cv")].tolist()


def test_sample_high_variance_curve_is_still_falling_and_more_data_helps():
    lc = learning_curve(CURVES / "learning_high_variance.csv", baselines=HUMAN)
    assert lc.cv_falling and lc.more_data_helps
    hb = learning_curve(CURVES / "learning_high_bias.csv", baselines=HUMAN)
    assert not hb.cv_falling and not hb.more_data_helps


DIGIT_SIZES = [100, 200, 400, 800, 1347]


@pytest.mark.parametrize("model,expected", [
    (DecisionTreeClassifier(max_depth=2, random_state=0), "high_bias"),
    (DecisionTreeClassifier(max_depth=3, random_state=0), "high_bias"),
    (make_pipeline(PCA(2, random_state=0), LinearDiscriminantAnalysis()), "high_bias"),
    (DecisionTreeClassifier(random_state=0), "high_variance"),
    (KNeighborsClassifier(1), "high_variance"),
], ids=["tree_depth2", "tree_depth3", "pca2_lda", "tree_unlimited", "1nn"])
def test_textbook_shapes_classification(digits_split, model, expected):
    X, X_cv, y, y_cv = digits_split
    lc = diagnose.learning_curve_from_estimator(model, X, y, X_cv=X_cv, y_cv=y_cv,
                                                train_sizes=DIGIT_SIZES, baselines=HUMAN)
    assert lc.verdict == expected
    assert lc.task == "multiclass" and [p.value for p in lc.points] == DIGIT_SIZES
    if expected == "high_variance":
        assert lc.more_data_helps and lc.points[-1].train.error == 0.0
    else:
        assert not lc.more_data_helps


@pytest.mark.parametrize("model,expected", [
    (DecisionTreeRegressor(max_depth=1, random_state=0), "high_bias"),
    (KNeighborsRegressor(1), "high_variance"),
], ids=["stump", "1nn"])
def test_textbook_shapes_regression(diabetes_split, model, expected):
    X, X_cv, y, y_cv = diabetes_split
    lc = diagnose.learning_curve_from_estimator(model, X, y, X_cv=X_cv, y_cv=y_cv,
                                                train_sizes=[60, 120, 200, 331], baselines={"guess": 1400})
    assert lc.task == "regression" and lc.metric == "half_mse"
    assert lc.verdict == expected


def test_estimator_points_match_an_independent_refit(digits_split):
    X, X_cv, y, y_cv = digits_split
    model = KNeighborsClassifier(3)
    lc = diagnose.learning_curve_from_estimator(model, X, y, X_cv=X_cv, y_cv=y_cv, train_sizes=[0.25, 1.0])
    # fractions are shares of the training rows, rounded up: 0.25 x 1347 = 336.75 -> 337
    assert [p.value for p in lc.points] == [math.ceil(0.25 * len(X)), len(X)] == [337, 1347]
    for point in lc.points:
        fit = KNeighborsClassifier(3).fit(X[:point.value], y[:point.value])
        assert point.train.error == pytest.approx(1 - accuracy_score(y[:point.value], fit.predict(X[:point.value])))
        assert point.cv.error == pytest.approx(1 - accuracy_score(y_cv, fit.predict(X_cv)))


def test_estimator_regression_points_are_half_mse(diabetes_split):
    X, X_cv, y, y_cv = diabetes_split
    lc = diagnose.learning_curve_from_estimator(DecisionTreeRegressor(max_depth=3, random_state=0), X, y,
                                                X_cv=X_cv, y_cv=y_cv, train_sizes=[100, 200, 331])
    fit = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X[:200], y[:200])
    assert lc.points[1].cv.error == pytest.approx(mean_squared_error(y_cv, fit.predict(X_cv)) / 2)


def test_estimator_binary_with_class_names_and_a_missing_class_at_small_m():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=300) > 0, "spam", "ham")
    y[:20] = "ham"  # the first 20 rows hold one class only
    lc = diagnose.learning_curve_from_estimator(
        KNeighborsClassifier(5), X[:200], y[:200], X_cv=X[200:], y_cv=y[200:], train_sizes=[10, 50, 100, 200])
    assert lc.task == "binary"
    # m = 10 saw only 'ham': it predicts ham everywhere, so J_cv is the share of spam in cv
    assert lc.points[0].cv.error == pytest.approx(np.mean(y[200:] == "spam"))


def test_learning_curve_with_two_sizes_still_gives_a_verdict_but_no_extrapolation(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_variance.csv")
    path = tmp_path / "two.csv"
    frame[frame.train_size.isin([400, 1078])].to_csv(path, index=False)
    lc = learning_curve(path, baselines=HUMAN)
    assert lc.verdict == "high_variance" and lc.extrapolation is None
    assert any("3 or more training-set sizes" in w for w in lc.warnings)
    result = CliRunner().invoke(main, ["curve", "learning", str(path), "--target", "0.1"])
    assert result.exit_code == 2 and "3 or more" in result.output


def test_summary_table_gives_the_same_curve_as_its_prediction_tables():
    full = learning_curve(CURVES / "learning_high_variance.csv", baselines=HUMAN)
    summary = learning_curve(CURVES / "learning_summary.csv", baselines=HUMAN)
    assert summary.verdict == full.verdict == "high_variance"
    for a, b in zip(summary.points, full.points):
        assert a.value == b.value
        assert (a.train.error, a.cv.error) == pytest.approx((b.train.error, b.cv.error), abs=1e-6)
        assert (a.cv.ci_low, a.cv.ci_high) == pytest.approx((b.cv.ci_low, b.cv.ci_high), abs=1e-5)
    assert summary.gaps["variance"].counted == full.gaps["variance"].counted
    assert summary.extrapolation.c == pytest.approx(full.extrapolation.c, abs=1e-3)


def test_summary_built_here_from_the_high_bias_runs_gives_the_same_verdict(tmp_path):
    oracle = argmax_error_table(pd.read_csv(CURVES / "learning_high_bias.csv"))
    summary = pd.DataFrame({"train_size": oracle.index, "train_error": oracle[("mean", "train")].to_numpy(),
                            "cv_error": oracle[("mean", "cv")].to_numpy(),
                            "n_train": oracle[("size", "train")].to_numpy(), "n_cv": oracle[("size", "cv")].to_numpy()})
    path = tmp_path / "summary.csv"
    summary.sample(frac=1, random_state=1).to_csv(path, index=False)  # row order must not matter
    from_summary = learning_curve(path, baselines=HUMAN)
    from_predictions = learning_curve(CURVES / "learning_high_bias.csv", baselines=HUMAN)
    assert from_summary.verdict == from_predictions.verdict == "high_bias"
    assert [p.value for p in from_summary.points] == sorted(summary.train_size)


def test_summary_without_counts_judges_by_tolerance_and_says_so():
    frame = pd.DataFrame({"train_size": [100, 200, 400], "train_error": [0.3, 0.32, 0.33],
                          "cv_error": [0.4, 0.36, 0.35]})
    lc = learning_curve(frame, baselines={"human": 0.05})
    assert lc.verdict == "high_bias"
    assert any("no row counts" in w for w in lc.warnings)


def test_bad_summary_table_names_the_rows():
    frame = pd.DataFrame({"train_size": [100, 200, 200], "train_error": [0.1, -0.2, 0.1], "cv_error": [0.3] * 3})
    with pytest.raises(InputError) as err:
        learning_curve(frame)
    assert err.value.column == "train_error" and err.value.rows == [2]
    frame.loc[1, "train_error"] = 0.1
    with pytest.raises(InputError, match="repeats a size") as err:
        learning_curve(frame)
    assert err.value.rows == [3]


def test_a_model_no_better_than_the_majority_class_is_flagged(digits_split):
    from sklearn.dummy import DummyClassifier

    X, X_cv, y, y_cv = digits_split
    lc = diagnose.learning_curve_from_estimator(DummyClassifier(strategy="prior"), X, y, X_cv=X_cv, y_cv=y_cv,
                                                train_sizes=[200, 400, 1347], baselines=HUMAN)
    # the dummy is the trivial model itself: its J_cv equals 1 - share of the majority class
    majority = pd.Series(y).value_counts().idxmax()
    assert lc.points[-1].cv.error == pytest.approx(np.mean(y_cv != majority))
    assert any("no better than the trivial baseline" in w for w in lc.warnings)
    assert lc.verdict == "high_bias"
    tree = diagnose.learning_curve_from_estimator(DecisionTreeClassifier(random_state=0), X, y, X_cv=X_cv,
                                                  y_cv=y_cv, train_sizes=[200, 400, 1347], baselines=HUMAN)
    assert not any("trivial" in w for w in tree.warnings)


def test_a_rise_over_the_last_step_is_called_rising_not_flat():
    from diagnose.present._curves import learning_text

    summary = pd.DataFrame({"train_size": [50, 100, 200], "train_error": [0.0, 0.0, 0.0],
                            "cv_error": [0.3, 0.2, 0.35], "n_train": [50, 100, 200], "n_cv": [400] * 3})
    text = learning_text(learning_curve(summary, baselines={"human": 0.01}), markdown=False)
    assert "0.2 -> 0.35 (rising;" in text
    flat = summary.assign(cv_error=[0.3, 0.2, 0.2])
    assert "(flat;" in learning_text(learning_curve(flat, baselines={"human": 0.01}), markdown=False)
