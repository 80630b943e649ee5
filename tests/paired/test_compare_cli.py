"""diagnose compare from files and from stored runs, against the paired figures computed
directly (the sample digits and high_variance models share their cv and test ids)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from statsmodels.stats.contingency_tables import mcnemar

from diagnose.cli import main
from tests.fixtures import SAMPLE

A, B = SAMPLE / "digits", SAMPLE / "high_variance"


def wrong(path) -> pd.Series:
    frame = pd.read_csv(path).set_index("id").sort_index()
    probs = frame[[c for c in frame.columns if c.startswith("y_prob_")]]
    return probs.to_numpy().argmax(axis=1) != frame["y_true"].to_numpy()


def test_compare_files_matches_a_direct_computation():
    out = CliRunner().invoke(main, ["compare", "--a-cv", str(A / "cv.csv"), "--b-cv", str(B / "cv.csv"),
                                    "--a-test", str(A / "test.csv"), "--b-test", str(B / "test.csv"),
                                    "--reps", "100", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["verdict"] == "a_better" and set(data["splits"]) == {"cv", "test"}
    for split in ("cv", "test"):
        a, b = wrong(A / f"{split}.csv"), wrong(B / f"{split}.csv")
        s = data["splits"][split]
        assert s["difference"]["estimate"] == pytest.approx(b.mean() - a.mean())
        table = [[np.sum(~a & ~b), np.sum(~a & b)], [np.sum(a & ~b), np.sum(a & b)]]
        assert s["mcnemar"]["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue)


def test_compare_stored_runs_and_usage_errors():
    runner = CliRunner()
    for run, folder in (("lr", A), ("tree", B)):
        files = [x for s in ("train", "cv", "test") for x in (f"--{s}", str(folder / f"{s}.csv"))]
        assert runner.invoke(main, ["submit", "--project", "digits", "--run", run, *files]).exit_code == 0
    out = runner.invoke(main, ["compare", "--project", "digits", "--run", "lr", "--against", "tree", "--reps", "50"])
    assert out.exit_code == 0, out.output
    assert "Verdict (from cv): a is better." in out.output
    bad = runner.invoke(main, ["compare", "--project", "digits", "--run", "lr"])
    assert bad.exit_code == 2 and "--against" in bad.output
    mixed = runner.invoke(main, ["compare", "--a-cv", str(A / "cv.csv"), "--b-cv", str(SAMPLE / "skewed" / "cv.csv")])
    assert mixed.exit_code == 2 and "error:" in mixed.output and "Traceback" not in mixed.output
