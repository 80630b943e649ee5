"""The `curve` commands and reading curve runs: JSON keys, plots, bad input, remapped columns.

Oracles: errors recomputed here with pandas / scikit-learn metrics from the raw tables,
closed-form power laws, hand-built summary tables, and the verdicts stated in
sample_data/README.md.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.tree import DecisionTreeRegressor

import diagnose
from diagnose.cli import main
from diagnose.exceptions import InputError, UsageError
from diagnose.ingest import load_runs
from diagnose.service import learning_curve, validation_curve
from tests.curves.helpers import CURVES, HUMAN


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


def test_a_validation_run_with_test_rows_only_is_named(tmp_path):
    # neither of the splits the run needs (this raised a KeyError before)
    path = tmp_path / "test_only.csv"
    pd.DataFrame({"split": ["train", "cv", "train", "cv", "test"], "param_lambda": [0.1, 0.1, 1, 1, 9],
                  "y_true": [1.0, 0, 1, 0, 1], "y_pred": [0.9, 1.3, 0.8, 0.2, 0.5]}).to_csv(path, index=False)
    result = CliRunner().invoke(main, ["curve", "validation", str(path), "--param", "lambda"])
    assert result.exit_code == 2, result.output
    assert "param_lambda = 9.0 has no train and no cv rows" in result.output and "Traceback" not in result.output


def test_cli_learning_json_keys():
    result = CliRunner().invoke(main, ["curve", "learning", str(CURVES / "learning_high_variance.csv"),
                                       "--baseline", "human=0.01", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "high_variance"
    assert {"train_size", "train_error", "cv_error", "train_ci_low", "cv_ci_high"} <= set(data["points"][0])
    ex = data["extrapolation"]
    # the fitted asymptote (0.095) is above 0.011, but its 95% interval reaches down to 0: a pure
    # power law (c = 0) fits these six points within 0.9 in chi-square (checked with curve_fit
    # in test_extrapolation), so whether 0.011 is reachable cannot be told
    assert ex["status"] == "cannot_tell" and ex["m_target"] is None
    assert ex["asymptote_ci_low"] < 0.011 < ex["asymptote_ci_high"] and ex["m_target_ci_unbounded"]
    assert ex["target"] == pytest.approx(0.011)


def test_cli_learning_text_markdown_target_and_plot(tmp_path):
    runner = CliRunner()
    text = runner.invoke(main, ["curve", "learning", str(CURVES / "learning_high_bias.csv"),
                                "--baseline", "human=0.01"])
    assert text.exit_code == 0 and "Verdict: high_bias" in text.output
    plot = tmp_path / "lc.html"
    md = runner.invoke(main, ["curve", "learning", str(CURVES / "learning_high_variance.csv"),
                              "--target", "0.15", "--format", "markdown", "--plot", str(plot)])
    assert md.exit_code == 0 and "Verdict: `high_variance`" in md.stdout
    # the asymptote's 95% interval [0, 0.18] holds 0.15: no size is printed, the intervals are
    assert "cannot tell whether more data alone reaches the target 0.15" in md.stdout
    assert "95% intervals (profile likelihood): asymptote [0, 0.1788]" in md.stdout
    assert "vega" in plot.read_text() and "wrote" in md.stderr


def test_cli_validation(tmp_path):
    plot = tmp_path / "vc.html"
    result = CliRunner().invoke(main, ["curve", "validation", str(CURVES / "validation_lambda.csv"),
                                       "--param", "lambda", "--format", "json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # oracle: J_test of the chosen lambda = sum of squared errors / 2m over its test rows
    frame = pd.read_csv(CURVES / "validation_lambda.csv")
    test = frame[(frame.split == "test") & (frame.param_lambda == 1000)]
    assert data["chosen"]["value"] == 1000
    assert data["chosen"]["test_error"] == pytest.approx(((test.y_pred - test.y_true) ** 2).sum() / (2 * len(test)))
    assert all("test_error" not in p for p in data["points"])
    spec = plot.read_text()
    assert "vega-lite" in spec and '"side": "bias"' in spec and "chosen lambda = 1000" in spec
    # hovering a point names its side
    from diagnose.present import curve_chart

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


def test_a_curve_from_files_loads_no_database_layer():
    """SQLAlchemy (a third of a second of start-up) loads only for --project; scipy.optimize
    (0.3 s, with scipy.linalg and scipy.sparse) never: the power-law fit is numpy's."""
    import subprocess
    import sys

    code = ("import sys, contextlib, io\nfrom diagnose.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit as exc:\n        assert not exc.code\n"
            "print('sqlalchemy' in sys.modules, 'scipy.optimize' in sys.modules, 'scipy.special' in sys.modules)")
    for command in (["learning", str(CURVES / "learning_high_variance.csv")],
                    ["learning", str(CURVES / "learning_summary.csv"), "--target", "0.1"],
                    ["validation", str(CURVES / "validation_lambda.csv"), "--param", "lambda"]):
        done = subprocess.run([sys.executable, "-c", code, "curve", *command], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        # scipy.special did load (the intervals' quantiles): the check can see a scipy module
        assert done.stdout.strip() == "False False True", command
