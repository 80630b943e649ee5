"""Learning and validation curves, the power-law extrapolation and the `curve` commands.

Oracles: errors recomputed here with pandas / scikit-learn metrics from the raw tables,
closed-form power laws, hand-built summary tables, and the verdicts stated in
sample_data/README.md.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from sklearn.datasets import load_diabetes, load_digits
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import diagnose
from diagnose.cli import main
from diagnose.curve_learning import learning_curve
from diagnose.curve_validation import build_validation_curve, validation_curve
from diagnose.curves import CurvePoint
from diagnose.errors import InputError, UsageError
from diagnose.extrapolation import fit_power_law
from diagnose.ingest import load_runs
from diagnose.results import SplitError

from conftest import SAMPLE

CURVES = SAMPLE / "curves"
HUMAN = {"human": 0.01}


def prob_columns(frame):
    return [c for c in frame.columns if c.startswith("y_prob_")]


def argmax_error_table(frame: pd.DataFrame) -> pd.DataFrame:
    """J per (train_size, split) recomputed independently: share of rows whose argmax != y_true."""
    cols = prob_columns(frame)
    classes = np.array([int(c[len("y_prob_"):]) for c in cols])
    wrong = classes[frame[cols].to_numpy().argmax(axis=1)] != frame["y_true"].to_numpy()
    return (frame.assign(wrong=wrong).groupby(["train_size", "split"])["wrong"].agg(["mean", "size"])
            .unstack("split"))


# ------------------------------------------------------------------ sample data verdicts


def readme_curve_verdicts() -> dict[str, str]:
    """`file` -> verdict word, from the curves section of sample_data/README.md."""
    text = (SAMPLE / "README.md").read_text()
    section = text[text.index("### `curves/`"):text.index("<!-- summary:start -->")]
    found = dict(re.findall(r"`(learning_\w+\.csv)`[^\n]*?verdict[^\n]*?\*\*`(\w+)`\*\*", section))
    found.update(re.findall(r"`(validation_\w+\.csv)`[^\n]*?chosen[^\n]*?\*\*(\w+ = [\d.]+)\*\*", section))
    return found


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


@pytest.mark.parametrize("name,param", [("validation_lambda.csv", "lambda"), ("validation_degree.csv", "degree")])
def test_sample_validation_curves_choose_the_readme_value(name, param):
    vc = validation_curve(CURVES / name, param=param)
    stated_param, stated_value = readme_curve_verdicts()[name].split(" = ")
    assert stated_param == param and float(vc.chosen) == float(stated_value)


# ---------------------------------------------------------------- textbook shapes, real models


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


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
    assert [p.value for p in lc.points] == [337, 1347]
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


# --------------------------------------------------------------------------- extrapolation


def test_power_law_recovered_exactly_without_noise():
    m = np.array([50, 100, 200, 400, 800, 1600])
    fit = fit_power_law(m, 0.12 + 4.0 * m ** -0.7)
    assert (fit.c, fit.a, fit.b) == pytest.approx((0.12, 4.0, 0.7), rel=1e-4)
    assert fit.rmse < 1e-6 and fit.r2 == pytest.approx(1.0)


def test_power_law_recovered_from_noisy_curves():
    """Stated tolerance: over 30 noisy curves (sd 0.004 on errors 0.09 to 0.52), every fit has
    |c - 0.08| < 0.02, |b - 0.6| < 0.15 and a within 40% of 3; on average much closer."""
    m = np.geomspace(50, 5000, 8).round()
    c, a, b, sd = 0.08, 3.0, 0.6, 0.004
    errors = []
    for seed in range(30):
        noise = np.random.default_rng(seed).normal(0, sd, len(m))
        fit = fit_power_law(m, c + a * m ** -b + noise, se=np.full(len(m), sd))
        errors.append((fit.c - c, fit.b - b, fit.a / a - 1))
    errors = np.abs(np.array(errors))
    assert errors[:, 0].max() < 0.02 and errors[:, 1].max() < 0.15 and errors[:, 2].max() < 0.4
    assert errors[:, 0].mean() < 0.008 and errors[:, 1].mean() < 0.05


def test_power_law_is_robust_to_one_wild_point():
    m = np.array([50, 100, 200, 400, 800, 1600, 3200])
    j = 0.1 + 2.0 * m ** -0.5
    j[3] += 0.15  # one run went wrong
    fit = fit_power_law(m, j, se=np.full(len(m), 0.005))
    assert abs(fit.c - 0.1) < 0.01 and abs(fit.b - 0.5) < 0.1


def test_target_size_solved_in_closed_form():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.08)
    # 0.05 + 2 m^-0.5 = 0.08  =>  m = (2 / 0.03)^2
    assert fit.status == "reachable" and fit.m_target == pytest.approx((2 / 0.03) ** 2, rel=1e-3)
    assert not fit.speculative  # 4444 < 10 x 800
    far = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.055)
    assert far.m_target == pytest.approx((2 / 0.005) ** 2, rel=1e-2) and far.speculative
    assert "speculative" in far.message


def test_target_below_the_asymptote_cannot_be_reached():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.03)
    assert fit.status == "unreachable" and fit.m_target is None
    assert "asymptote" in fit.message
    reached = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.2)
    assert reached.status == "reached"


@pytest.mark.parametrize("level", [0.2, 0.1, 0.7])  # means that float arithmetic cannot hit exactly
def test_constant_curve_has_no_r2_and_no_poor_fit_caveat(level):
    fit = fit_power_law([100, 200, 400], [level] * 3, target=0.05)
    # R² = 1 - SS_res / SS_tot is undefined when J_cv does not vary (SS_tot = 0)
    assert fit.r2 is None
    assert not any("fits J_cv poorly" in c for c in fit.caveats)
    assert fit.to_dict()["r2"] is None
    # a spread so small that its squares underflow: no R² either, and no crash
    assert fit_power_law([100, 200, 400], [0.0, 0.0, 2.225073858507e-311]).r2 is None


@pytest.mark.parametrize("target", ["nan", "-0.1", "inf"])
def test_a_target_that_is_no_error_level_is_refused(target):
    m = np.array([100, 200, 400, 800])
    with pytest.raises(UsageError, match="target"):
        fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=float(target))
    result = CliRunner().invoke(main, ["curve", "learning", str(CURVES / "learning_summary.csv"),
                                       "--target", target])
    assert result.exit_code == 2 and "target" in result.output and "reaches" not in result.output


@pytest.mark.parametrize("sizes", [[100], [100, 200], [100, 100, 200]])
def test_fewer_than_three_sizes_refused_clearly(sizes):
    with pytest.raises(UsageError, match="at least 3 distinct training-set sizes"):
        fit_power_law(sizes, np.linspace(0.3, 0.2, len(sizes)))


def test_learning_curve_with_two_sizes_still_gives_a_verdict_but_no_extrapolation(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_variance.csv")
    path = tmp_path / "two.csv"
    frame[frame.train_size.isin([400, 1078])].to_csv(path, index=False)
    lc = learning_curve(path, baselines=HUMAN)
    assert lc.verdict == "high_variance" and lc.extrapolation is None
    assert any("3 or more training-set sizes" in w for w in lc.warnings)
    result = CliRunner().invoke(main, ["curve", "learning", str(path), "--target", "0.1"])
    assert result.exit_code == 2 and "3 or more" in result.output


# ------------------------------------------------------------------------ summary tables


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


# ---------------------------------------------------------------------- validation curves


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

    pts = [CurvePoint(v, err(tr), err(cv)) for v, tr, cv in [(1, 5.0, 6.0), (2, 3.0, 4.0), (3, 1.0, 4.0), (4, 0.5, 7.0)]]
    assert build_validation_curve(pts, param="degree", metric="mse").chosen == 2
    assert build_validation_curve(pts, param="degree", metric="mse", tie="largest").chosen == 3
    edge = build_validation_curve(pts[1:], param="degree", metric="mse")
    assert edge.chosen == 2 and edge.verdict == "minimum_at_smallest"
    assert [p.side for p in edge.points] == ["chosen", "variance", "variance"]


def test_validation_degree_has_no_bias_side():
    vc = validation_curve(CURVES / "validation_degree.csv", param="param_degree")
    assert vc.chosen == 1 and {p.side for p in vc.points} == {"chosen", "variance"}


# ---------------------------------------------------------------------------- input


def test_runs_line_up_classes_across_runs():
    frame = pd.DataFrame({
        "split": ["train", "train", "cv", "cv"] * 2,
        "train_size": [2] * 4 + [4] * 4,
        "y_true": ["a", "b", "a", "b", "a", "c", "b", "c"],
        "y_pred": ["a", "b", "b", "b", "a", "c", "c", "c"],
    })
    runs = load_runs([frame], by="train_size", task="multiclass")
    assert runs.runs[2]["train"].classes == runs.runs[4]["cv"].classes == ("a", "b", "c")
    assert runs.runs[2]["cv"].y_true.tolist() == [0, 1]


def test_runs_split_over_several_files(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_variance.csv")
    paths = []
    for m, part in frame.groupby("train_size"):
        paths.append(tmp_path / f"m{m}.csv")
        part.to_csv(paths[-1], index=False)
    lc = learning_curve(*paths, baselines=HUMAN)
    whole = learning_curve(CURVES / "learning_high_variance.csv", baselines=HUMAN)
    assert [p.cv.error for p in lc.points] == [p.cv.error for p in whole.points]


@pytest.mark.parametrize("change,column,problem", [
    (lambda f: f.drop(columns="train_size"), "train_size", "missing column 'train_size'"),
    (lambda f: f.assign(train_size=f.train_size.where(f.index != 3, 2.5)), "train_size", "whole numbers"),
    (lambda f: f[~((f.train_size == 200) & (f.split == "cv"))], "train_size", "has no cv rows"),
    (lambda f: f.assign(split=f.split.where(f.index != 5, "valid")), "split", "train, cv or test"),
])
def test_bad_runs_name_file_column_and_rows(tmp_path, change, column, problem):
    path = tmp_path / "bad.csv"
    change(pd.read_csv(CURVES / "learning_high_variance.csv")).to_csv(path, index=False)
    with pytest.raises(InputError, match=problem) as err:
        learning_curve(path)
    assert err.value.file == str(path) and err.value.column == column


# --------------------------------------------------------------------------------- CLI


def test_cli_learning_json_keys():
    result = CliRunner().invoke(main, ["curve", "learning", str(CURVES / "learning_high_variance.csv"),
                                       "--baseline", "human=0.01", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "high_variance"
    assert {"train_size", "train_error", "cv_error", "train_ci_low", "cv_ci_high"} <= set(data["points"][0])
    assert data["extrapolation"]["status"] == "unreachable"  # the fitted asymptote is above 0.011
    assert data["extrapolation"]["target"] == pytest.approx(0.011)


def test_cli_learning_text_markdown_target_and_plot(tmp_path):
    runner = CliRunner()
    text = runner.invoke(main, ["curve", "learning", str(CURVES / "learning_high_bias.csv"),
                                "--baseline", "human=0.01"])
    assert text.exit_code == 0 and "Verdict: high_bias" in text.output
    plot = tmp_path / "lc.html"
    md = runner.invoke(main, ["curve", "learning", str(CURVES / "learning_high_variance.csv"),
                              "--target", "0.15", "--format", "markdown", "--plot", str(plot)])
    assert md.exit_code == 0 and "Verdict: `high_variance`" in md.stdout
    assert "J_cv reaches 0.15 at about m =" in md.stdout
    assert "vega" in plot.read_text() and "wrote" in md.stderr


def test_cli_validation(tmp_path):
    plot = tmp_path / "vc.html"
    result = CliRunner().invoke(main, ["curve", "validation", str(CURVES / "validation_lambda.csv"),
                                       "--param", "lambda", "--format", "json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chosen"]["value"] == 1000 and data["chosen"]["test_error"] == pytest.approx(1414.38, abs=0.01)
    assert all("test_error" not in p for p in data["points"])
    spec = plot.read_text()
    assert "vega-lite" in spec and '"side": "bias"' in spec and "chosen lambda = 1000" in spec
    # hovering a point names its side
    from diagnose.curve_render import curve_chart

    tooltip = curve_chart(validation_curve(CURVES / "validation_lambda.csv", param="lambda")).to_dict()
    assert {"field": "side", "type": "nominal"} in tooltip["layer"][1]["encoding"]["tooltip"]


def test_cli_bad_input_exits_2_with_one_line():
    result = CliRunner().invoke(main, ["curve", "validation", str(CURVES / "validation_lambda.csv"),
                                       "--param", "alpha"])
    assert result.exit_code == 2
    assert "missing column 'param_alpha'" in result.output and "Traceback" not in result.output
    # the fix names the parameter the file does sweep
    assert "Use --param lambda" in result.output and len(result.output.strip().splitlines()) == 1


def test_unknown_param_in_a_file_without_any_parameter_says_so(tmp_path):
    path = tmp_path / "runs.csv"
    pd.read_csv(CURVES / "validation_lambda.csv").drop(columns="param_lambda").to_csv(path, index=False)
    with pytest.raises(InputError, match="param_lambda") as err:
        validation_curve(path, param="lambda")
    assert err.value.file == str(path) and "no 'param_<name>' column" in err.value.fix


def _one_run(tmp_path, name, column, value):
    frame = pd.read_csv(CURVES / name)
    path = tmp_path / f"one_{name}"
    frame[frame[column] == value].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command,name,column,value", [
    (["learning"], "learning_high_bias.csv", "train_size", 1078),
    (["validation", "--param", "lambda"], "validation_lambda.csv", "param_lambda", 1000),
], ids=["learning", "validation"])
def test_a_single_run_is_no_curve(tmp_path, command, name, column, value):
    path = _one_run(tmp_path, name, column, value)
    build = learning_curve if command == ["learning"] else lambda p: validation_curve(p, param="lambda")
    with pytest.raises(InputError, match="2 or more") as err:
        build(path)
    assert err.value.file == str(path) and err.value.column == column and "diagnose report" in err.value.fix
    result = CliRunner().invoke(main, ["curve", *command, str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert str(path) in result.output and f"{column} = {value}" in result.output and "Traceback" not in result.output


def test_a_summary_with_one_size_and_an_estimator_with_one_size_are_refused(tmp_path, diabetes_split):
    path = tmp_path / "summary.csv"
    pd.read_csv(CURVES / "learning_summary.csv").head(1).to_csv(path, index=False)
    with pytest.raises(InputError, match="2 or more training-set sizes") as err:
        learning_curve(path)
    assert err.value.file == str(path) and err.value.column == "train_size"
    result = CliRunner().invoke(main, ["curve", "learning", str(path)])
    assert result.exit_code == 2 and "2 or more" in result.output
    X, X_cv, y, y_cv = diabetes_split
    with pytest.raises(UsageError, match="2 or more distinct sizes"):
        diagnose.learning_curve_from_estimator(DecisionTreeRegressor(), X, y, X_cv=X_cv, y_cv=y_cv,
                                               train_sizes=[1.0])


def test_validation_over_text_values_names_no_sides():
    def err(p):
        return SplitError("", "error_rate", 100, p, p, p, 0.0, 0.0, 100.0)

    pts = [CurvePoint(k, err(tr), err(cv)) for k, tr, cv in [("linear", 0.3, 0.4), ("poly", 0.2, 0.3), ("rbf", 0.1, 0.2)]]
    vc = build_validation_curve(pts, param="kernel", metric="error_rate")
    assert vc.chosen == "rbf" and vc.verdict == "minimum_inside"
    assert [p.side for p in vc.points] == ["other", "other", "chosen"]


def test_remapped_train_size_column_and_parquet_input(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_bias.csv").rename(columns={"train_size": "m"})
    path = tmp_path / "runs.parquet"
    frame.to_parquet(path)
    result = CliRunner().invoke(main, ["curve", "learning", str(path), "--column", "train_size=m",
                                       "--baseline", "human=0.01", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "high_bias" and [p["train_size"] for p in data["points"]][-1] == 1078


def test_errors_inside_a_run_name_the_row_of_the_file(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_variance.csv")
    row = int(np.flatnonzero((frame.train_size == 400) & (frame.split == "cv"))[7])
    frame.loc[row, "y_prob_3"] = 1.7
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="must lie in") as err:
        learning_curve(path)
    assert err.value.rows == [row + 1] and err.value.column == "y_prob_3"


def test_a_run_given_twice_is_refused(tmp_path):
    frame = pd.read_csv(CURVES / "learning_high_variance.csv")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(a, index=False)
    frame[frame.train_size == 50].to_csv(b, index=False)
    with pytest.raises(InputError, match="also in") as err:
        learning_curve(a, b)
    assert err.value.file == str(b)


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


def test_a_nearly_flat_curve_gives_an_infinite_speculative_size_not_a_crash():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, np.array([0.5, 0.4999, 0.4998, 0.4997]), target=0.01)
    assert fit.status in ("reachable", "unreachable")
    if fit.status == "reachable":
        assert fit.speculative and fit.m_target > 1e6
    json.dumps(fit.to_dict(), allow_nan=False)
    assert fit.caveats



@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=3, max_size=8),
       st.floats(0.0, 1.0), st.one_of(st.none(), st.floats(0.0, 5.0)))
def test_fit_never_crashes_and_stays_in_bounds(errors, se, target):
    m = 50 * 2 ** np.arange(len(errors))
    fit = fit_power_law(m, errors, se=np.full(len(m), se), target=target)
    assert fit.a >= 0 and fit.c >= 0 and 0 < fit.b <= 3
    assert fit.status in ("reached", "reachable", "unreachable", "unclear", "no_target")
    if fit.status == "reachable":
        assert fit.m_target > m.max() and fit.speculative == (fit.m_target > 10 * m.max())
    json.dumps(fit.to_dict(), allow_nan=False)


def test_a_rise_over_the_last_step_is_called_rising_not_flat():
    from diagnose.curve_render import learning_text

    summary = pd.DataFrame({"train_size": [50, 100, 200], "train_error": [0.0, 0.0, 0.0],
                            "cv_error": [0.3, 0.2, 0.35], "n_train": [50, 100, 200], "n_cv": [400] * 3})
    text = learning_text(learning_curve(summary, baselines={"human": 0.01}), markdown=False)
    assert "0.2 -> 0.35 (rising;" in text
    flat = summary.assign(cv_error=[0.3, 0.2, 0.2])
    assert "(flat;" in learning_text(learning_curve(flat, baselines={"human": 0.01}), markdown=False)
