"""Error analysis: which cv rows are errors, sampling them, and the sample -> tag -> tally workflow.

Oracles: misclassified rows recomputed from the CSV files with pandas / scikit-learn,
and a simulation of the draw for uniformity.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import zero_one_loss

import diagnose
from diagnose.cli import main
from diagnose.error_analysis import error_mask, sample_errors
from diagnose.exceptions import InputError
from diagnose.ingest import load_predictions

# ------------------------------------------------------------------------------------ sampling


def digits_errors(sample_dir):
    """Misclassified digits cv rows, recomputed from the CSV (argmax of y_prob_*)."""
    df = pd.read_csv(sample_dir / "digits" / "cv.csv")
    probs = df.filter(like="y_prob_")
    pred = probs.columns.str.removeprefix("y_prob_").astype(int)[probs.to_numpy().argmax(axis=1)]
    assert zero_one_loss(df["y_true"], pred, normalize=False) == (pred != df["y_true"]).sum()
    return df, pred


def test_sample_reproducible_and_only_errors(sample_dir):
    df, pred = digits_errors(sample_dir)
    wrong_ids = set(df["id"][pred != df["y_true"]])
    cv = load_predictions(sample_dir / "digits" / "cv.csv")
    a = sample_errors(cv, n=6, seed=11)
    b = sample_errors(cv, n=6, seed=11)
    c = sample_errors(cv, n=6, seed=12)
    assert a.frame.equals(b.frame)
    assert a.frame["id"].tolist() != c.frame["id"].tolist()
    for s in (a, c):
        assert len(s.frame) == 6 and s.frame["id"].is_unique
        assert set(s.frame["id"]) <= wrong_ids
    assert a.total_errors == len(wrong_ids) and a.cv_n == len(df)
    assert list(a.frame.columns) == ["id", "y_true", "y_pred", "y_score", "ink", "ink_total", "tags",
                                     "total_errors", "cv_n"]
    row = df.set_index("id").loc[a.frame["id"]]
    assert (a.frame["y_true"].astype(int).to_numpy() == row["y_true"].to_numpy()).all()
    assert np.allclose(a.frame["y_score"], row.filter(like="y_prob_").max(axis=1))
    assert (a.frame["tags"] == "").all()
    # asking for more than there are takes them all
    everything = sample_errors(cv, n=1000)
    assert set(everything.frame["id"]) == wrong_ids and everything.warnings


def test_sample_is_uniform():
    # 40 errors among 100 rows; sample 10: each error is drawn with probability 1/4
    y = np.zeros(100, np.int8)
    score = np.where(np.arange(100) < 40, 0.9, 0.1)
    pred = diagnose.Predictions("binary", y, y_score=score, classes=("0", "1"), ids=np.arange(100))
    hits = np.zeros(100)
    for seed in range(400):
        hits[sample_errors(pred, n=10, seed=seed).frame["id"].to_numpy()] += 1
    assert hits[40:].sum() == 0
    # binomial(400, 0.25) per row: mean 100, sd 8.7
    assert np.all(np.abs(hits[:40] - 100) < 4.5 * 8.7)
    assert abs(hits[:40].mean() - 100) < 1e-9  # exactly 10 per draw


@pytest.mark.parametrize("ids", [np.arange(1000, 1100), np.array([f"row-{i}" for i in range(100)], dtype=object)])
def test_the_sample_depends_on_ids_and_seed_not_on_row_order(ids):
    # the hash scheme: the same ids drawn in the same order however the rows are arranged
    # (so a streamed or distributed run samples exactly what the in-memory one does)
    rng = np.random.default_rng(5)
    y = (rng.random(100) < 0.5).astype(np.int8)
    score = rng.random(100)
    first = sample_errors(diagnose.Predictions("binary", y, y_score=score, classes=("0", "1"), ids=ids), n=15, seed=9)
    order = rng.permutation(100)
    again = sample_errors(diagnose.Predictions("binary", y[order], y_score=score[order], classes=("0", "1"),
                                               ids=ids[order]), n=15, seed=9)
    assert first.frame["id"].tolist() == again.frame["id"].tolist()
    assert first.to_dict()["sampling"] == "hash-v1" and "scheme hash-v1" in first.summary()
    # the draw order is the hash order: a smaller n gives a prefix of a larger one
    fewer = sample_errors(diagnose.Predictions("binary", y, y_score=score, classes=("0", "1"), ids=ids), n=5, seed=9)
    assert fewer.frame["id"].tolist() == first.frame["id"].tolist()[:5]
    other = sample_errors(diagnose.Predictions("binary", y, y_score=score, classes=("0", "1"), ids=ids), n=15, seed=10)
    assert other.frame["id"].tolist() != first.frame["id"].tolist()


def test_regression_errors_are_the_top_decile(sample_dir):
    df = pd.read_csv(sample_dir / "diabetes_poly" / "cv.csv")
    abs_err = (df["y_pred"] - df["y_true"]).abs()
    cut = np.percentile(abs_err, 90)
    pred = load_predictions(sample_dir / "diabetes_poly" / "cv.csv")
    mask, used = error_mask(pred)
    assert used == pytest.approx(cut)
    assert set(df["id"][mask]) == set(df["id"][abs_err > cut])
    s = sample_errors(pred, n=5, seed=0)
    assert set(s.frame["id"]) <= set(df["id"][abs_err > cut])
    assert s.total_errors == int((abs_err > cut).sum())
    assert "abs_error" in s.frame and {"sex", "age_group", "bmi"} <= set(s.frame.columns)
    mask, used = error_mask(pred, cut=200.0)
    assert mask.sum() == (abs_err > 200).sum()


@pytest.mark.parametrize("n", ["0", "-2"])
def test_sample_size_below_one_is_refused(sample_dir, n):
    r = CliRunner().invoke(main, ["errors", "sample", "--cv", str(sample_dir / "digits" / "cv.csv"),
                                  "--n", n])
    assert r.exit_code == 2 and "Invalid value for '--n'" in r.stderr and r.stdout == ""


def test_sample_into_a_missing_directory_is_refused(tmp_path, sample_dir):
    out = tmp_path / "no" / "such" / "dir" / "review.csv"
    r = CliRunner().invoke(main, ["errors", "sample", "--cv", str(sample_dir / "digits" / "cv.csv"),
                                  "--n", "3", "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.strip() == (f"error: cannot write {out}: the directory '{out.parent}' does not exist. "
                                "Create it first, or give another -o path")
    assert not out.exists()
    r = CliRunner().invoke(main, ["errors", "sample", "--cv", str(sample_dir / "digits" / "cv.csv"),
                                  "--n", "3", "-o", str(tmp_path)])
    assert r.exit_code == 2 and "is a directory" in r.output


# ------------------------------------------------------------------ sample -> tag -> tally


def honest_tags(frame: pd.DataFrame) -> pd.Series:
    """Tag from what the model confused: the digit pair, and low confidence."""
    a = np.minimum(frame["y_true"].astype(int), frame["y_pred"].astype(int))
    b = np.maximum(frame["y_true"].astype(int), frame["y_pred"].astype(int))
    pair = "confused_" + a.astype(str) + "_" + b.astype(str)
    return pair + np.where(frame["y_score"] < 0.5, "; Low_Confidence", "")


@pytest.mark.parametrize("n", [10, 6])
def test_sample_tag_tally_end_to_end_cli(tmp_path, sample_dir, n):
    cv = str(sample_dir / "digits" / "cv.csv")
    out = tmp_path / "sample.csv"
    runner = CliRunner()
    r = runner.invoke(main, ["errors", "sample", "--cv", cv, "--n", str(n), "--seed", "5", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "10 misclassified" in r.stderr and "total_errors" in r.stderr
    sample = pd.read_csv(out, keep_default_na=False)
    sample["tags"] = honest_tags(sample)
    sample.to_csv(out, index=False)
    r = runner.invoke(main, ["errors", "tally", str(out), "--cv", cv, "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # oracle: the same rules applied with pandas to the sampled rows
    expected = honest_tags(sample).str.lower().str.split("; ").explode().value_counts()
    got = {c["name"]: c for c in d["categories"]}
    assert {k: v["count"] for k, v in got.items()} == expected.to_dict()
    assert d["total_errors"] == 10 and d["cv_n"] == 359 and d["reviewed"] == n
    for c in got.values():
        assert c["estimated_count"] == pytest.approx(c["count"] / n * 10)
        assert c["max_error_reduction"] == pytest.approx(c["count"] / n * 10 / 359)
        if n == 10:  # a census of the errors: exact
            assert c["estimated_ci_low"] == c["estimated_ci_high"] == c["count"]
        else:
            assert c["estimated_ci_low"] < c["estimated_count"] < c["estimated_ci_high"] or c["share"] == 1
    if n == 10:
        df, pred = digits_errors(sample_dir)
        confused = pd.DataFrame({"y_true": df["y_true"], "y_pred": pred})[pred != df["y_true"]]
        pairs = ("confused_" + np.minimum(confused.y_true, confused.y_pred).astype(str) + "_"
                 + np.maximum(confused.y_true, confused.y_pred).astype(str)).value_counts()
        assert all(got[k]["count"] == v for k, v in pairs.items())


def test_sample_tag_tally_library(sample_dir):
    cv = load_predictions(sample_dir / "digits" / "cv.csv")
    s = diagnose.sample_errors(cv, n=4, seed=3)
    tagged = s.frame.assign(tags=honest_tags(s.frame))
    t = diagnose.tally(tagged, cv=cv)
    assert t.reviewed == 4 and t.total_errors == 10 and t.cv_n == 359
    assert sum(c.count for c in t.categories if c.name.startswith("confused_")) == 4
    assert not t.warnings
    assert t.to_markdown().startswith("## Error tally")


def test_cv_without_ids_uses_row_numbers():
    cv = pd.DataFrame({"y_true": [1, 0, 1, 0, 1, 0], "y_score": [0.1, 0.2, 0.9, 0.8, 0.7, 0.3],
                       "team": ["a", "b", "a", "b", "a", "b"]})
    s = diagnose.sample_errors(load_predictions(cv), n=5, seed=0)
    # rows 1 and 4 (numbered from 1) are wrong at 0.5
    assert sorted(s.frame["id"]) == [1, 4] and any("row numbers" in w for w in s.warnings)
    tagged = s.frame.assign(tags="team_" + s.frame["team"])
    t = diagnose.tally(tagged, cv=cv)
    assert [(c.name, c.count) for c in t.categories] == [("team_a", 1), ("team_b", 1)]
    with pytest.raises(InputError, match="not in the cv file"):
        diagnose.tally(tagged.assign(id=[1, 7]), cv=cv)


def test_multilabel_sample_names_the_labels(sample_dir):
    df = pd.read_csv(sample_dir / "multilabel" / "cv.csv").set_index("id")
    s = sample_errors(load_predictions(sample_dir / "multilabel" / "cv.csv"), n=8, seed=0)
    labels = ["even", "prime", "large", "loop"]
    for row in s.frame.itertuples():
        truth = [lab for lab in labels if df.loc[row.id, f"y_true_{lab}"] == 1]
        decided = [lab for lab in labels if df.loc[row.id, f"y_score_{lab}"] >= 0.5]
        assert set(row.y_true.split("|")) == (set(truth) or {"(none)"})
        assert set(row.y_pred.split("|")) == (set(decided) or {"(none)"})
        assert truth != decided  # only rows with a wrong label are errors


def test_cli_sample_to_stdout_is_pure_csv(sample_dir):
    import io

    r = CliRunner().invoke(main, ["errors", "sample", "--cv", str(sample_dir / "digits" / "cv.csv"),
                                  "--n", "50"])
    assert r.exit_code == 0
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert len(frame) == 10 and (frame["total_errors"] == 10).all() and (frame["cv_n"] == 359).all()
    assert "only 10 errors" in r.stderr and "sampled 10 of 10" in r.stderr


def test_a_table_with_a_split_column_gives_its_cv_rows_only(tmp_path, sample_dir):
    # error analysis looks at cv errors only: never at the train or test rows of the file
    d = sample_dir / "breast_cancer"
    parts = {s: pd.read_csv(d / f"{s}.csv") for s in ("train", "cv", "test")}
    both = pd.concat([f.assign(split=s) for s, f in parts.items()], ignore_index=True)
    path = tmp_path / "all.csv"
    both.to_csv(path, index=False)
    cv = parts["cv"]
    wrong = (cv.y_score >= 0.5).astype(int) != cv.y_true
    runner = CliRunner()
    r = runner.invoke(main, ["errors", "sample", "--cv", str(path), "--n", "1000"])
    assert r.exit_code == 0, r.output
    sample = pd.read_csv(__import__("io").StringIO(r.stdout))
    assert sorted(sample["id"]) == sorted(cv.id[wrong])
    assert set(sample["cv_n"]) == {len(cv)} and set(sample["total_errors"]) == {int(wrong.sum())}
    r = runner.invoke(main, ["errors", "cohorts", "--cv", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["overall"] == pytest.approx(
        {**json.loads(r.stdout)["overall"], "n": len(cv), "errors": int(wrong.sum())})
    tagged = tmp_path / "tagged.csv"
    pd.DataFrame({"id": cv.id[wrong], "tags": "a"}).to_csv(tagged, index=False)
    r = runner.invoke(main, ["errors", "tally", str(tagged), "--cv", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["cv_n"] == len(cv) and out["total_errors"] == int(wrong.sum())
    no_cv = tmp_path / "no_cv.csv"
    both[both.split != "cv"].to_csv(no_cv, index=False)
    r = runner.invoke(main, ["errors", "cohorts", "--cv", str(no_cv)])
    assert r.exit_code == 2 and "no cv rows" in r.output
