"""Bad library calls: each raises the project's own exception (InputError or UsageError) with
a message naming what is wrong, never a raw numpy, pandas or Python error; one row per call.
The calls whose input can also be given on the command line are compared with its message
in ``test_corpus.py`` (``library=True``) and below."""
from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import diagnose
from diagnose import InputError, UsageError
from diagnose.bias_variance import diagnose_bias_variance
from diagnose.cli import main
from diagnose.curves import build_learning_curve
from diagnose.metrics import SplitError
from tests.bad_input.cases import PASSWORD

OK = pd.DataFrame({"y_true": [0, 1, 1, 0, 1, 0], "y_score": [0.2, 0.7, 0.4, 0.3, 0.8, 0.6]})
DUPLICATE = pd.concat([OK, OK[["y_score"]]], axis=1)


def _deep_rules(tmp_path_factory=None):
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "deep.toml")
    with open(path, "w") as fh:
        fh.write("rules = " + "[" * 3000 + "]" * 3000)
    return path


def _fifo():
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "rules.toml")
    os.mkfifo(path)
    return path


CALLS = [
    # (name, call, exception type, fragments of the message)
    ("zero-row train DataFrame", lambda: diagnose.report(OK.iloc[:0], OK), InputError, ["<DataFrame>", "no rows"]),
    ("zero-row cv DataFrame", lambda: diagnose.report(OK, OK.iloc[:0]), InputError, ["no rows"]),
    ("duplicate DataFrame columns", lambda: diagnose.report(DUPLICATE, OK), InputError,
     ["2 columns named 'y_score'"]),
    ("duplicate columns in load_predictions", lambda: diagnose.load_predictions(DUPLICATE), InputError,
     ["2 columns named 'y_score'"]),
    ("a list instead of a table", lambda: diagnose.load_predictions([[0, 0.2]]), UsageError,
     ["cannot read predictions from a list"]),
    ("baseline that is text", lambda: diagnose.report(OK, OK, baselines={"human": "x"}), UsageError,
     ["baseline 'human' must be a non-negative number in the error_rate metric, not 'x'"]),
    ("baseline that is a percentage", lambda: diagnose.report(OK, OK, baselines={"human": 5}), UsageError,
     ["looks like a percentage", "give 0.05"]),
    ("tolerance that is text", lambda: diagnose.report(OK, OK, tolerance="x"), UsageError,
     ["relative tolerance must be a number >= 0, not 'x'"]),
    ("negative tolerance", lambda: diagnose.report(OK, OK, tolerance=-0.1), UsageError, [">= 0"]),
    ("tolerance text to the verdict", lambda: diagnose_bias_variance(
        {"train": SplitError("train", "error_rate", 100, 0.1, 0.1, 0.1, 0.01, 0.0, 100.0),
         "cv": SplitError("cv", "error_rate", 100, 0.2, 0.2, 0.2, 0.01, 0.0, 100.0)},
        reference=0.0, tolerance="x"), UsageError, ["relative tolerance"]),
    ("best_threshold with unequal lengths", lambda: diagnose.best_threshold([0, 1, 1], [0.2, 0.5]), InputError,
     ["y_true has 3 values but y_score has 2"]),
    ("best_threshold with a label 2", lambda: diagnose.best_threshold([0, 1, 2], [0.2, 0.5, 0.9]), InputError,
     ["column 'y_true' must hold 0 or 1", "row 3 holds 2"]),
    ("best_threshold with a NaN score", lambda: diagnose.best_threshold([0, 1], [0.2, math.nan]), InputError,
     ["column 'y_score' has empty or NaN values", "row 2"]),
    ("best_threshold with text scores", lambda: diagnose.best_threshold([0, 1], ["a", "b"]), InputError,
     ["holds text", "'a'"]),
    ("best_threshold with weights of 1e308", lambda: diagnose.best_threshold(
        [0, 1], [0.2, 0.7], sample_weight=[1e308, 1e308]), InputError, ["too large"]),
    ("best_threshold with weights of another length", lambda: diagnose.best_threshold(
        [0, 1], [0.2, 0.7], sample_weight=[1.0]), InputError, ["weight has 1"]),
    ("best_threshold with a matrix", lambda: diagnose.best_threshold(np.zeros((2, 2)), [0.2, 0.7]), UsageError,
     ["one-dimensional"]),
    ("weights of 1e308 in a DataFrame", lambda: diagnose.report(OK.assign(weight=1e308), OK), InputError,
     ["'weight'", "too large"]),
    ("regression values near 1e200", lambda: diagnose.report(
        pd.DataFrame({"y_true": [1.5e200, 2.5e200, 3.5e200], "y_pred": [-1.5e200, 1.5e200, 2.5e200]}),
        pd.DataFrame({"y_true": [1.5, 2.5], "y_pred": [1.0, 2.0]}), task="regression"), InputError,
     ["half_mse of the train split is not a finite number"]),
    ("multi-label truth without score", lambda: diagnose.load_predictions(pd.DataFrame(
        {"y_true_a": [1, 0], "y_score_a": [0.9, 0.1], "y_true_c": [0, 1]})), InputError,
     ["'y_true_c' has no partner 'y_score_c'"]),
    ("unknown task", lambda: diagnose.report(OK, OK, task="ordinal"), UsageError, ["unknown task 'ordinal'"]),
    ("unknown option", lambda: diagnose.report(OK, OK, colour="red"), UsageError, ["unknown option 'colour'"]),
    ("unknown column role", lambda: diagnose.report(OK, OK, columns={"label": "y"}), UsageError,
     ["unknown column role"]),
    ("postgres:// engine", lambda: diagnose.store.make_engine(f"postgres://ann:{PASSWORD}@db/runs"), UsageError,
     ["postgresql+psycopg://"]),
    ("engine port that is no number", lambda: diagnose.store.make_engine(
        f"postgresql+psycopg://ann:{PASSWORD}@db:port/runs"), UsageError, ["port that is not a number"]),
    ("rule file nested 3000 deep", lambda: diagnose.load_rules(_deep_rules()), UsageError, ["levels deep"]),
    ("rule file that is a FIFO", lambda: diagnose.load_rules(_fifo()), UsageError, ["named pipe"]),
    ("project name not UTF-8", lambda: _submit_named("p\udcff"), UsageError, ["project name 'p\\xff'"]),
]


def _submit_named(project: str):
    import tempfile

    from diagnose.service import session, submit_files

    with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db")) as s, s.begin():
        submit_files(s, project=project, run="r", train=OK, cv=OK)


@pytest.mark.parametrize("name, call, kind, fragments", CALLS, ids=[c[0] for c in CALLS])
def test_a_bad_library_call_raises_the_projects_own_error(name, call, kind, fragments):
    with pytest.raises(kind) as caught:
        call()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert PASSWORD not in message


def _verdict_tolerance(tolerance):
    splits = {"train": SplitError("train", "error_rate", 10_000, 0.15, 0.14, 0.16, 0.001, 0.0, 10_000.0),
              "cv": SplitError("cv", "error_rate", 10_000, 0.16, 0.15, 0.17, 0.001, 0.0, 10_000.0)}
    return diagnose_bias_variance(splits, reference=0.01, tolerance=tolerance).gaps["variance"].tolerance


def test_tolerance_is_a_number_or_a_tolerance_and_zero_means_zero():
    # worked example: the tolerance is relative x max(reference, J_train) = t x 0.15
    assert _verdict_tolerance(0) == 0.0
    assert _verdict_tolerance(0.05) == pytest.approx(0.05 * 0.15)
    assert _verdict_tolerance(None) == pytest.approx(0.10 * 0.15)  # the documented default
    assert _verdict_tolerance(diagnose.Tolerance(0.2, 0.1)) == pytest.approx(0.1)
    report = diagnose.report(OK, OK, tolerance=0, baselines={"human": 0.1})
    assert report.to_dict()["tolerance"]["relative"] == 0


def test_tolerance_number_in_a_learning_curve():
    from diagnose.curves import CurvePoint

    def err(p, n, split):
        return SplitError(split, "mse", n, p, p, p, 0.001, 0.0, n)
    points = [CurvePoint(m, err(0.0, m, "train"), err(cv, 500, "cv")) for m, cv in [(100, 0.4), (200, 0.3)]]
    lc = build_learning_curve(points, metric="mse", baselines={"human": 0.05}, tolerance=0)
    assert lc.to_dict()["tolerance"]["relative"] == 0


def test_library_and_command_line_say_the_same_about_a_baseline(tmp_path):
    path = tmp_path / "cv.csv"
    OK.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["report", "--train", str(path), "--cv", str(path), "--baseline", "human=x"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    with pytest.raises(UsageError) as caught:
        diagnose.report(path, path, baselines={"human": "x"})
    assert result.output.strip() == f"error: {caught.value}"
