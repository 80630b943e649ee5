"""Cohort tables: counts, intervals, tests and the false-discovery control.

Oracles: pandas groupby / qcut for the counts, scipy's Wilson interval and Fisher exact
test, a hand-written Benjamini-Hochberg, and simulation for the false-discovery rate.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest, fisher_exact
from sklearn.metrics import zero_one_loss

from diagnose import cohort_errors, cohort_table
from diagnose.cli import main


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, written out from the definition."""
    m = len(p)
    q = np.empty(m)
    for i in range(m):
        q[i] = min(min(p[j] * m / (np.sum(p <= p[j])) for j in range(m) if p[j] >= p[i]), 1.0)
    return q


def planted(rng, n=800, effect=0.25):
    """Errors at 20%, except source 'scan', at 20% + effect; 'shift' and 'size' are noise."""
    source = rng.choice(["scan", "web", "mail", "fax"], n)
    rate = np.where(source == "scan", 0.2 + effect, 0.2)
    errors = rng.random(n) < rate
    slices = pd.DataFrame({"source": source, "shift": rng.choice(["day", "night"], n),
                           "size": rng.gamma(2.0, 3.0, n)})
    return errors, slices


def test_counts_rates_intervals_and_tests_against_oracles(rng):
    errors, slices = planted(rng, effect=0.25)
    t = cohort_errors(errors, slices)
    f = t.frame.set_index(["slice", "value"])
    total, n_err = len(errors), int(errors.sum())
    assert (t.n, t.errors) == (total, n_err)
    by_source = pd.Series(errors).groupby(slices["source"]).agg(["size", "sum"])
    for value, row in by_source.iterrows():
        got = f.loc[("source", value)]
        assert (got.n, got.errors) == (row["size"], row["sum"])
        ci = binomtest(int(row["sum"]), int(row["size"])).proportion_ci(method="wilson")
        assert got.ci_low == pytest.approx(ci.low) and got.ci_high == pytest.approx(ci.high)
        assert got.excess_errors == pytest.approx(row["sum"] - row["size"] * n_err / total)
        # one-sided Fisher exact test of the cohort against the rest
        table = [[row["sum"], row["size"] - row["sum"]],
                 [n_err - row["sum"], total - n_err - (row["size"] - row["sum"])]]
        assert got.p_value == pytest.approx(fisher_exact(table, alternative="greater").pvalue)
    assert np.allclose(t.frame["q_value"], bh_qvalues(t.frame["p_value"].to_numpy()))
    # numeric column: 4 quantile bins, as pandas cuts it
    expected = pd.qcut(slices["size"], 4).value_counts().sort_index().to_numpy()
    assert sorted(f.loc["size"].n) == sorted(expected)
    # ranked by excess; the planted cohort is first and flagged
    assert list(t.frame["excess_errors"]) == sorted(t.frame["excess_errors"], reverse=True)
    assert tuple(t.frame.iloc[0][["slice", "value"]]) == ("source", "scan")
    assert t.frame.iloc[0]["flagged"]


def test_no_false_alarms_without_effect():
    # 200 datasets where errors do not depend on any slice: under this global null every
    # flag is a false discovery, so P(any flag) = FDR must stay at or below 0.05
    rng = np.random.default_rng(2024)
    any_flag = 0
    for _ in range(200):
        errors, slices = planted(rng, n=400, effect=0.0)
        any_flag += bool(cohort_errors(errors, slices, fdr=0.05).frame["flagged"].any())
    # binomial(200, 0.05): mean 10, sd 3.1; allow two sd of simulation noise
    assert any_flag / 200 <= 0.05 + 2 * 0.0154


def test_false_discovery_rate_with_a_real_effect():
    # one real cohort (source = scan); every other flag is false. The mean false-discovery
    # proportion must stay at or below the level, while the real cohort is found.
    rng = np.random.default_rng(99)
    fdp, found = [], 0
    for _ in range(200):
        errors, slices = planted(rng, n=400, effect=0.15)
        f = cohort_errors(errors, slices, fdr=0.10).frame
        flagged = f[f["flagged"]]
        real = (flagged["slice"] == "source") & (flagged["value"] == "scan")
        found += int(real.any())
        fdp.append((~real).sum() / max(len(flagged), 1))
    assert np.mean(fdp) <= 0.10 + 0.03
    assert found / 200 > 0.5  # the correction does not hide a real effect


def test_missing_values_and_few_distinct_numbers():
    errors = np.array([1, 0, 0, 1, 0, 0, 1, 0], bool)
    slices = pd.DataFrame({"site": ["a", None, "a", "b", None, "b", "a", "b"],
                           "level": [1, 2, 1, 2, np.nan, 1, 2, 1]})
    f = cohort_errors(errors, slices).frame.set_index(["slice", "value"])
    assert f.loc[("site", "(missing)"), "n"] == 2
    assert f.loc[("site", "a"), "errors"] == 2
    # two distinct numbers: one cohort per value, not quantile bins
    assert set(f.loc["level"].index) == {"1", "2", "(missing)"}
    assert f.loc[("level", "1"), "n"] == 4


def test_cli_digits_cohorts(sample_dir):
    path = sample_dir / "digits" / "cv.csv"
    r = CliRunner().invoke(main, ["errors", "cohorts", "--cv", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    df = pd.read_csv(path)
    pred = df.filter(like="y_prob_").to_numpy().argmax(axis=1)
    wrong = pred != df["y_true"].to_numpy()
    assert d["overall"]["errors"] == zero_one_loss(df["y_true"], pred, normalize=False)
    cohorts = pd.DataFrame(d["cohorts"])
    assert set(cohorts["slice"]) == {"ink", "ink_total"}
    for name in ("ink", "ink_total"):
        part = cohorts[cohorts["slice"] == name]
        assert part["n"].sum() == len(df) and part["errors"].sum() == wrong.sum()
    ink = pd.Series(wrong).groupby(df["ink"]).sum()
    assert cohorts[cohorts["slice"] == "ink"].set_index("value")["errors"].to_dict() == ink.to_dict()
    text = CliRunner().invoke(main, ["errors", "cohorts", "--cv", str(path)])
    assert text.exit_code == 0 and "Benjamini-Hochberg" in text.output and "ink_total" in text.output


def test_regression_cohorts_and_bad_input(sample_dir, tmp_path):
    path = sample_dir / "diabetes_poly" / "cv.csv"
    t = cohort_table(str(path), cut=150.0)
    df = pd.read_csv(path)
    big = (df["y_pred"] - df["y_true"]).abs() > 150
    assert t.errors == big.sum() and t.cut == 150.0
    by_sex = pd.Series(big).groupby(df["sex"]).sum().to_dict()
    assert t.frame[t.frame["slice"] == "sex"].set_index("value")["errors"].to_dict() == by_sex
    bad = tmp_path / "bad.csv"
    df.drop(columns=["y_true"]).to_csv(bad, index=False)
    r = CliRunner().invoke(main, ["errors", "cohorts", "--cv", str(bad)])
    assert r.exit_code == 2 and "y_true" in r.output


def test_close_numbers_get_distinct_labels():
    # three store ids that agree in their first 6 digits: one cohort each, told apart
    errors = np.array([1, 0, 0, 1, 0, 1, 0, 0] * 10, bool)
    store = np.array([1234567, 1234568, 1234569, 1234567, 1234568, 1234569, 1234567, 1234568] * 10)
    f = cohort_errors(errors, pd.DataFrame({"store": store})).frame
    assert sorted(f["value"]) == ["1234567", "1234568", "1234569"]
    assert f.set_index("value").loc["1234567", "n"] == 30
    # quantile bins of close numbers: every bin edge told apart too
    ts = 1.7e9 + np.arange(80) * 0.5
    bins = cohort_errors(errors, pd.DataFrame({"ts": ts})).frame["value"]
    assert len(set(bins)) == len(bins) == 4
    assert all(len(set(b.strip("[])").split(", "))) == 2 for b in bins)
    # short labels where they do not collide (as before)
    level = cohort_errors(errors, pd.DataFrame({"level": np.tile([0.5, 2.0], 40)})).frame
    assert sorted(level["value"]) == ["0.5", "2"]


def test_infinite_values_fall_in_the_outer_bins():
    x = np.array([-np.inf, 1, 2, 3, 4, 5, 6, 7, np.inf, np.nan] * 4)
    errors = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 0] * 4, bool)
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # no RuntimeWarning from inf - inf
        f = cohort_errors(errors, pd.DataFrame({"ratio": x})).frame.set_index("value")
    assert not any("nan" in v for v in f.index)
    assert f.index[f.index.str.startswith("[-inf")].size == 1 and f.index[f.index.str.endswith("inf]")].size == 1
    first, last = f.loc[f.index.str.startswith("[-inf")].iloc[0], f.loc[f.index.str.endswith("inf]")].iloc[0]
    assert first.errors == 4 and last.errors == 4  # the -inf and inf rows
    assert f.loc["(missing)", "n"] == 4 and f["n"].sum() == 40
    assert len(f) == 4 + 1  # still 4 quantile bins, and the missing values
    # -inf, 5 and inf with two bins: both bins named, none lost
    few = cohort_errors(errors[:3], pd.DataFrame({"r": [-np.inf, 5.0, np.inf]}), bins=2).frame
    assert sorted(few["value"]) == ["[-inf, 5)", "[5, inf]"] and few["n"].sum() == 3


def test_an_unknown_slice_column_is_a_usage_error(sample_dir):
    from diagnose.exceptions import UsageError

    with pytest.raises(UsageError, match="no slice column 'inkk'.*ink, ink_total"):
        cohort_table(str(sample_dir / "digits" / "cv.csv"), slice_columns=("inkk",))
    t = cohort_table(str(sample_dir / "digits" / "cv.csv"), slice_columns=("ink",))
    assert set(t.frame["slice"]) == {"ink"}
