"""no_regression with confidence = "paired": the gate fails only when a paired test on the
rows both runs share shows the new run worse by more than the margin. Checked against the
paired interval written out in the test, through the command line with stored runs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from diagnose.cli import main
from diagnose.exceptions import UsageError
from diagnose.gate import parse_rules

RULE = 'rules = [\'no_regression(cv.error, margin={margin}, confidence="paired")\']\n'


def split(rng, n, wrong_rate, y=None):
    y = rng.integers(0, 2, n) if y is None else y
    wrong = rng.random(n) < wrong_rate
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": np.where(wrong, 1 - y, y) * 0.6 + 0.2}), wrong


def one_sided_low(old_wrong, new_wrong) -> float:
    """The one-sided 95% lower bound of the mean paired difference, from the definition."""
    d = new_wrong.astype(float) - old_wrong.astype(float)
    return d.mean() - norm.ppf(0.95) * d.std(ddof=1) / np.sqrt(len(d))


@pytest.mark.parametrize("margin", [0.005, 0.02])
def test_paired_no_regression_through_stored_runs(tmp_path, margin):
    rng = np.random.default_rng(3)
    n = 3000
    old, old_wrong = split(rng, n, 0.10)
    new, new_wrong = split(rng, n, 0.12, y=old["y_true"].to_numpy())
    for name, frame in (("old", old), ("new", new)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULE.format(margin=margin))
    runner = CliRunner()
    assert runner.invoke(main, ["submit", "--project", "p", "--run", "v1", "--train", str(tmp_path / "old.csv"),
                                "--cv", str(tmp_path / "old.csv")]).exit_code == 0
    out = runner.invoke(main, ["gate", str(rules), "--project", "p", "--train", str(tmp_path / "new.csv"),
                               "--cv", str(tmp_path / "new.csv")])
    expected_fail = one_sided_low(old_wrong, new_wrong) > margin
    assert out.exit_code == (1 if expected_fail else 0), out.output
    assert "shared rows" in out.output and f"margin {margin:g}" in out.output
    # the stored-run form judges the same way
    assert runner.invoke(main, ["submit", "--project", "p", "--run", "v2", "--train", str(tmp_path / "new.csv"),
                                "--cv", str(tmp_path / "new.csv")]).exit_code == 0
    again = runner.invoke(main, ["gate", str(rules), "--project", "p", "--run", "v2"])
    assert again.exit_code == out.exit_code, again.output


def test_margin_decides_for_a_clearly_worse_run(tmp_path):
    rng = np.random.default_rng(4)
    old, _ = split(rng, 4000, 0.05)
    new, _ = split(rng, 4000, 0.15, y=old["y_true"].to_numpy())
    old.to_csv(tmp_path / "old.csv", index=False)
    new.to_csv(tmp_path / "new.csv", index=False)
    runner = CliRunner()
    runner.invoke(main, ["submit", "--project", "p", "--run", "v1", "--train", str(tmp_path / "old.csv"),
                         "--cv", str(tmp_path / "old.csv")])
    for margin, code in ((0.02, 1), (0.5, 0)):
        (tmp_path / "rules.toml").write_text(RULE.format(margin=margin))
        out = runner.invoke(main, ["gate", str(tmp_path / "rules.toml"), "--project", "p",
                                   "--train", str(tmp_path / "new.csv"), "--cv", str(tmp_path / "new.csv")])
        assert out.exit_code == code, out.output


def test_paired_rules_parse_from_tables_and_calls():
    calls = parse_rules(['no_regression(cv.error, margin=0.01, confidence="paired")'])
    table = parse_rules({"no_regression": {"metric": "cv.error", "margin": 0.01, "confidence": "paired"}})
    assert calls.no_regression == table.no_regression and calls.rules == ()
    assert calls.no_regression[0].text == "no_regression cv.error (paired, margin 0.01)"
    with pytest.raises(UsageError, match="use cv.error or test.error"):
        parse_rules(['no_regression(cv.f1, confidence="paired")'])
    with pytest.raises(UsageError, match='must be "paired"'):
        parse_rules({"no_regression": {"metric": "cv.error", "confidence": "strict"}})
