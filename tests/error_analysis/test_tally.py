"""Error tally: splitting tags, counting categories, the intervals, reading tagged files.

Oracles: the textbook spam example (Ng), scipy's hypergeometric tails and Clopper-Pearson
interval, scipy's Wilson interval and a root-finding derivation of the score interval (for
the former Wilson-FPC interval, still public), hypergeometric simulation for coverage, and
tag counts recomputed from the reviewed CSV file with pandas. The exact intervals, the
simultaneous ones, the unseen bound and the ranking note: test_tally_uncertainty.py.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import brentq
from scipy.stats import binomtest, hypergeom

from diagnose.cli import main
from diagnose.error_analysis import fpc_wilson, split_tags, tally_tags
from diagnose.exceptions import InputError, UsageError
from diagnose.ingest import load_tagged
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
    # the exact interval: the pharma counts among the 1,000 errors that a 21-of-100 review
    # does not reject at 2.5% on either side (hypergeometric, so finite-population corrected)
    assert (pharma.estimated_ci_low, pharma.estimated_ci_high) == (139, 298)
    assert hypergeom.sf(20, 1000, 138, 100) < 0.025 <= hypergeom.sf(20, 1000, 139, 100)
    assert hypergeom.cdf(21, 1000, 299, 100) < 0.025 <= hypergeom.cdf(21, 1000, 298, 100)
    assert (pharma.max_error_reduction_ci_low, pharma.max_error_reduction_ci_high) == (139 / 5000, 298 / 5000)
    # narrower than Clopper-Pearson's interval (scipy), which ignores the finite population
    plain = binomtest(21, 100).proportion_ci(method="exact")
    assert 1000 * plain.low < pharma.estimated_ci_low < 210 < pharma.estimated_ci_high < 1000 * plain.high
    assert pharma.max_error_reduction == pytest.approx(210 / 5000)
    assert t.finite_population_corrected and t.interval_method == "hypergeometric_exact"


def test_fpc_wilson_is_the_score_interval_with_the_correction():
    # the tally's former interval, still public: variance x (N - n) / (N - 1), i.e. n_eff = n (N-1)/(N-n)
    lo, hi = fpc_wilson(np.array([21]), 100, 1000)
    low, high = score_interval(21, 100, 100 * 999 / 900)
    assert lo[0] == pytest.approx(low, rel=1e-9) and hi[0] == pytest.approx(high, rel=1e-9)


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
    # (the exact interval stays there by construction; Wilson with the correction alone gave
    # about [4.6, 7.6])
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
