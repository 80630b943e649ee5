"""Error analysis: sampling cv errors, reading tagged files, tallying categories.

Oracles: the textbook spam example (Ng), scipy's Wilson interval and a root-finding
derivation of the score interval, hypergeometric simulation for coverage, and
misclassified rows recomputed from the CSV files with pandas / scikit-learn.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import brentq
from scipy.stats import binomtest
from sklearn.metrics import zero_one_loss

import diagnose
from diagnose.cli import main
from diagnose.error_analysis import error_mask, fpc_wilson, sample_errors, split_tags, tally_tags
from diagnose.errors import InputError, UsageError
from diagnose.ingest import load_predictions, load_tagged
from diagnose.metrics import Z95

# ------------------------------------------------------------------- the textbook spam example

SPAM = {"pharma": 21, "misspellings": 3, "routing": 7, "phishing": 18, "image": 5}


def spam_tags() -> list[str]:
    """100 reviewed emails: the textbook counts; misspellings overlap pharma (as in the
    course, an email can fall in several categories); the rest fit none of them."""
    tags = ["other"] * 100
    start = 0
    for name in ("pharma", "routing", "phishing", "image"):
        for i in range(start, start + SPAM[name]):
            tags[i] = name
        start += SPAM[name]
    for i in range(SPAM["misspellings"]):  # three of the pharma emails are also misspelled
        tags[i] += "; Misspellings"
    return tags


def test_spam_ranking_and_shares_census():
    # all 100 errors of 500 cv emails reviewed: counts are exact, J_cv = 0.2
    t = tally_tags(spam_tags(), total_errors=100, cv_n=500)
    named = [c.name for c in t.categories if c.name != "other"]
    assert named == ["pharma", "phishing", "routing", "image", "misspellings"]
    assert {c.name: round(c.share, 10) for c in t.categories if c.name in SPAM} == {
        "pharma": 0.21, "phishing": 0.18, "routing": 0.07, "image": 0.05, "misspellings": 0.03}
    pharma = t.category("pharma")
    # a census: the estimate is the count, with no sampling uncertainty
    assert pharma.estimated_count == 21
    assert pharma.estimated_ci_low == pharma.estimated_ci_high == 21
    # fixing every pharma error takes J_cv from 100/500 to 79/500
    assert pharma.max_error_reduction == pytest.approx(21 / 500)
    assert sum(c.share for c in t.categories) > 1.0  # overlapping categories
    assert t.reviewed == 100 and t.untagged == 0


def score_interval(k: int, n: int, n_eff: float) -> tuple[float, float]:
    """The Wilson interval by its definition: the p where |k/n - p| <= z sqrt(p(1-p)/n_eff)."""
    p_hat = k / n

    def excess(p):
        return abs(p_hat - p) - Z95 * np.sqrt(p * (1 - p) / n_eff)

    return brentq(excess, 1e-12, p_hat), brentq(excess, p_hat, 1 - 1e-12)


def test_spam_sample_of_1000_errors_scales_up_with_fpc():
    # the same 100 reviewed emails as a random sample of 1,000 errors among 5,000 cv emails
    t = tally_tags(spam_tags(), total_errors=1000, cv_n=5000)
    pharma = t.category("pharma")
    assert pharma.estimated_count == pytest.approx(210)
    # finite-population correction: variance x (N - n) / (N - 1), i.e. n_eff = n (N-1)/(N-n)
    low, high = score_interval(21, 100, 100 * 999 / 900)
    assert pharma.estimated_ci_low == pytest.approx(1000 * low, rel=1e-9)
    assert pharma.estimated_ci_high == pytest.approx(1000 * high, rel=1e-9)
    # narrower than the plain Wilson interval (scipy), which ignores the finite population
    plain = binomtest(21, 100).proportion_ci(method="wilson")
    assert 1000 * plain.low < pharma.estimated_ci_low < 210 < pharma.estimated_ci_high < 1000 * plain.high
    assert pharma.max_error_reduction == pytest.approx(210 / 5000)
    assert t.finite_population_corrected


def test_plain_wilson_matches_scipy():
    for k, n in [(0, 20), (3, 100), (21, 100), (50, 50)]:
        lo, hi = fpc_wilson(np.array([k]), n, None)
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert lo[0] == pytest.approx(ci.low, abs=1e-12) and hi[0] == pytest.approx(ci.high, abs=1e-12)


@pytest.mark.parametrize("sample", [100, 500])
def test_fpc_interval_covers_true_count(sample):
    # 1,000 errors of which 210 are pharma; review `sample` of them, many times over
    rng = np.random.default_rng(7)
    k = rng.hypergeometric(210, 790, sample, size=20000)
    lo, hi = fpc_wilson(k, sample, 1000)
    coverage = np.mean((lo * 1000 <= 210) & (210 <= hi * 1000))
    assert 0.93 <= coverage <= 0.975
    if sample == 500:
        # half the population reviewed: without the correction the interval over-covers
        lo0, hi0 = fpc_wilson(k, sample, None)
        assert np.mean((lo0 * 1000 <= 210) & (210 <= hi0 * 1000)) > 0.985
        assert np.all(hi - lo <= hi0 - lo0)


def test_estimated_count_interval_stays_within_what_is_possible():
    # 8 of 10 errors reviewed, 5 tagged 'other': between 5 and 7 of the 10 are 'other'
    # (the Wilson interval with the correction alone gives about [4.6, 7.6])
    t = tally_tags(["other"] * 5 + ["a"] * 3 + [None] * 2, total_errors=10)
    other = t.category("other")
    assert other.estimated_count == pytest.approx(6.25)
    assert other.estimated_ci_low == pytest.approx(5) and other.estimated_ci_high == pytest.approx(7)
    assert (other.share_ci_low, other.share_ci_high) == pytest.approx((0.5, 0.7))
    # 3 of 10 reviewed, 2 tagged: 2 to 9 of the 10 (Wilson-FPC alone reaches above 9)
    t = tally_tags(["a", "a", "b"], total_errors=10)
    assert 2 <= t.category("a").estimated_ci_low and t.category("a").estimated_ci_high <= 9


def test_tags_split_trim_case_and_duplicates():
    long = split_tags([" Pharma ;PHISHING", "", None, "image;image", ";;", "Two  Words"])
    assert long.values.tolist() == [[0, "pharma"], [0, "phishing"], [3, "image"], [5, "two words"]]
    t = tally_tags([" Pharma ;PHISHING", "", None, "image;image", ";;", "Two  Words"])
    # rows 1, 2 and 4 carry no tag: not reviewed, counted apart
    assert t.reviewed == 3 and t.untagged == 3
    assert [(c.name, c.count) for c in t.categories] == [
        ("image", 1), ("pharma", 1), ("phishing", 1), ("two words", 1)]  # ties by name
    assert t.category("pharma").estimated_count is None  # no total given
    assert "more than 100%" in t.to_text()


def test_tally_refuses_impossible_totals():
    with pytest.raises(UsageError):
        tally_tags(["a", "b", "c"], total_errors=2)
    with pytest.raises(UsageError):
        tally_tags(["a"], total_errors=600, cv_n=500)


def test_json_categories_shape():
    d = tally_tags(spam_tags(), total_errors=1000, cv_n=5000).to_dict()
    json.dumps(d, allow_nan=False)
    keys = {"name", "count", "share", "estimated_count", "max_error_reduction"}
    assert all(keys <= set(c) for c in d["categories"])
    counts = [c["count"] for c in d["categories"]]
    assert counts == sorted(counts, reverse=True)
    assert d["cv_error"] == pytest.approx(0.2)


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


# ----------------------------------------------------------------------------- tagged files


@pytest.fixture
def tagged_dir(tmp_path, sample_dir):
    good = pd.read_csv(sample_dir / "error_analysis" / "cv_reviewed.csv")
    good.drop(columns=["id"]).to_csv(tmp_path / "no_id.csv", index=False)
    good.drop(columns=["tags"]).to_csv(tmp_path / "no_tags.csv", index=False)
    stranger = good.copy()
    stranger.loc[[2, 5], "id"] = [999999, 888888]
    stranger.to_csv(tmp_path / "stranger.csv", index=False)
    wobbly = good.assign(total_errors=10, cv_n=359)
    wobbly.loc[4, "total_errors"] = 11
    wobbly.to_csv(tmp_path / "wobbly.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("name, column, words", [
    ("no_id.csv", "id", "missing column 'id'"),
    ("no_tags.csv", "tags", "missing column 'tags'"),
    ("stranger.csv", "id", "not in the cv file"),
    ("wobbly.csv", "total_errors", "same number on every row"),
])
def test_bad_tagged_files(tagged_dir, sample_dir, name, column, words):
    cv = str(sample_dir / "digits" / "cv.csv")
    with pytest.raises(InputError) as info:
        load_tagged(tagged_dir / name, cv=cv)
    err = info.value
    assert err.column == column and words in err.problem and err.file.endswith(name) and err.fix
    if name == "stranger.csv":
        assert err.rows == [3, 6] and err.values == ["999999", "888888"]
    result = CliRunner().invoke(main, ["errors", "tally", str(tagged_dir / name), "--cv", cv])
    assert result.exit_code == 2
    assert words in result.output and name in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("cells", [["", ""], [None, " ; "]])
def test_a_sample_nobody_tagged_is_refused(tmp_path, cells):
    # an untouched sample (or only separators) names no category: a mistake, not a tally of 0
    path = tmp_path / "untagged.csv"
    pd.DataFrame({"id": [4, 9], "tags": cells, "total_errors": 10}).to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        load_tagged(path)
    assert info.value.column == "tags" and "empty on every row" in info.value.problem
    r = CliRunner().invoke(main, ["errors", "tally", str(path)])
    assert r.exit_code == 2 and "nothing has been reviewed yet" in r.stderr
    assert "Traceback" not in r.output
    # one tagged row is enough to tally
    pd.DataFrame({"id": [4, 9], "tags": ["other", ""]}).to_csv(path, index=False)
    assert CliRunner().invoke(main, ["errors", "tally", str(path)]).exit_code == 0


@pytest.mark.parametrize("content, words", [("", "empty"), ("id,tags\n", "no rows")])
def test_an_empty_tagged_file_is_refused(tmp_path, content, words):
    path = tmp_path / "tagged.csv"
    path.write_text(content)
    r = CliRunner().invoke(main, ["errors", "tally", str(path)])
    assert r.exit_code == 2 and words in r.stderr and "Traceback" not in r.output


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


def test_reviewed_sample_data_tally(sample_dir, tmp_path):
    path = sample_dir / "error_analysis" / "cv_reviewed.csv"
    df = pd.read_csv(path)
    expected = df["tags"].dropna().str.split(";").explode().value_counts()
    result = CliRunner().invoke(main, ["errors", "tally", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert {c["name"]: c["count"] for c in d["categories"]} == expected.to_dict()
    assert d["reviewed"] == df["tags"].notna().sum() and d["untagged"] == df["tags"].isna().sum()
    # the file carries its totals, as `errors sample` writes them: every digits cv error
    cv = pd.read_csv(sample_dir / "digits" / "cv.csv")
    probs = cv.filter(like="y_prob_")
    wrong = probs.columns.str.removeprefix("y_prob_").astype(int)[probs.to_numpy().argmax(axis=1)] != cv["y_true"]
    assert d["total_errors"] == wrong.sum() == len(df) and d["cv_n"] == len(cv)
    assert "unknown" not in result.stderr
    # without those columns the file is taken as every error, and the tally says so on stderr
    bare = tmp_path / "bare.csv"
    df.drop(columns=["total_errors", "cv_n"]).to_csv(bare, index=False)
    result = CliRunner().invoke(main, ["errors", "tally", str(bare), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["total_errors"] == len(df)
    assert "unknown" in result.stderr
    text = CliRunner().invoke(main, ["errors", "tally", str(path), "--cv", str(sample_dir / "digits" / "cv.csv")])
    assert text.exit_code == 0 and "cv n = 359" in text.output and "more than 100%" in text.output


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
    for name, c in got.items():
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
        truth = [l for l in labels if df.loc[row.id, f"y_true_{l}"] == 1]
        decided = [l for l in labels if df.loc[row.id, f"y_score_{l}"] >= 0.5]
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
