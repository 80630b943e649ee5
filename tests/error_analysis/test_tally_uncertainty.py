"""The tally's uncertainty: exact intervals, simultaneous intervals, the bound for untagged
categories and the ranking note.

Oracles: a brute-force inversion of the hypergeometric test (a loop over the population
count with scipy.stats.hypergeom), scipy's Clopper-Pearson interval, a brute-force supremum
of the finite-population McNemar p-value, and simulations with a known truth (seeded
redraws of a review from a fixed population of errors whose categories overlap).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest, hypergeom

from diagnose.error_analysis import tally_tags
from diagnose.error_analysis._simultaneous import (
    clopper_pearson,
    count_interval,
    mcnemar_p,
    share_interval,
    unseen_upper,
    vs_top,
)

REDRAWS = 2000


def brute_force_interval(k: int, n: int, population: int, alpha: float = 0.05) -> tuple[int, int]:
    """The exact interval by its definition: every K whose one-sided p-values are both >= alpha / 2
    (scipy's tail probabilities at every K from 0 to N)."""
    K = np.arange(population + 1)
    kept = K[(hypergeom.sf(k - 1, population, K, n) >= alpha / 2) & (hypergeom.cdf(k, population, K, n) >= alpha / 2)]
    return int(kept.min()), int(kept.max())


@pytest.mark.parametrize("n, population", [(8, 10), (30, 50), (30, 1000), (100, 400), (1, 7)])
def test_exact_interval_equals_a_brute_force_inversion(n, population):
    ks = np.unique(np.linspace(0, n, 9).round().astype(int))
    for alpha in (0.05, 0.05 / 6):
        low, high = count_interval(ks, n, population, alpha)
        assert [(int(a), int(b)) for a, b in zip(low, high, strict=True)] == [
            brute_force_interval(int(k), n, population, alpha) for k in ks]


def test_without_a_population_the_interval_is_clopper_pearson():
    for k, n in [(0, 10), (1, 30), (21, 100), (30, 30)]:
        ci = binomtest(k, n).proportion_ci(method="exact")
        lo, hi = share_interval([k], n)
        assert lo[0] == pytest.approx(ci.low, abs=1e-12) and hi[0] == pytest.approx(ci.high, abs=1e-12)
    # a huge population gives the binomial interval back
    lo, hi = share_interval([3], 30, 10**7)
    cp = clopper_pearson([3], 30)
    assert lo[0] == pytest.approx(cp[0][0], abs=1e-6) and hi[0] == pytest.approx(cp[1][0], abs=1e-6)


def test_a_census_is_exact_and_the_tally_uses_the_exact_interval():
    lo, hi = count_interval([0, 3, 10], 10, 10)
    assert lo.tolist() == [0, 3, 10] and hi.tolist() == [0, 3, 10]
    t = tally_tags(["a"] * 21 + ["b"] * 79, total_errors=1000, cv_n=5000)
    a = t.category("a")
    low, high = brute_force_interval(21, 100, 1000)
    assert (a.estimated_ci_low, a.estimated_ci_high) == (low, high)
    assert (a.share_ci_low, a.share_ci_high) == (low / 1000, high / 1000)
    assert (a.max_error_reduction_ci_low, a.max_error_reduction_ci_high) == (low / 5000, high / 5000)


def coverage(share: float, n: int, population: int, seed: int) -> float:
    K = round(share * population)
    k = np.random.default_rng(seed).hypergeometric(K, population - K, n, size=REDRAWS)
    lo, hi = count_interval(k, n, population)
    return float(np.mean((lo <= K) & (K <= hi)))


def test_a_two_percent_category_in_a_30_row_review_is_covered():
    # the Wilson interval with the finite-population correction covered it 90.7% of the time
    assert coverage(0.02, 30, 1000, seed=1) >= 0.92


@pytest.mark.parametrize("n, population", [(10, 50), (30, 1000), (100, 1000), (200, 10_000), (50, 60)])
@pytest.mark.parametrize("share", [0.02, 0.05, 0.2, 0.5])
def test_coverage_across_a_grid(share, n, population):
    assert coverage(share, n, population, seed=int(1000 * share) + n) >= 0.92


# ---------------------------------------------------------------------------- a known truth


def population(size: int, shares: list[float], seed: int) -> np.ndarray:
    """Errors x categories: each tag on independently (so rows carry several), 'other' when none."""
    rng = np.random.default_rng(seed)
    members = rng.random((size, len(shares))) < np.array(shares)
    return np.column_stack([members, ~members.any(axis=1)])


def reviews(members: np.ndarray, n: int, redraws: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([members[rng.choice(len(members), n, replace=False)] for _ in range(redraws)])


def as_tags(rows: np.ndarray) -> list[str]:
    return [";".join(f"c{j}" for j in np.flatnonzero(r)) for r in rows]


@pytest.mark.parametrize("n, size", [(30, 1000), (100, 400), (60, 5000)])
def test_simultaneous_intervals_hold_together(n, size):
    members = population(size, [0.35, 0.25, 0.15, 0.1, 0.05, 0.02], seed=n)
    truth = members.sum(axis=0)
    samples = reviews(members, n, REDRAWS, seed=size)
    counts = samples.sum(axis=1)  # redraws x categories
    shown = counts > 0
    m = shown.sum(axis=1, keepdims=True)  # the table's categories: Bonferroni over them
    lo, hi = count_interval(counts, n, size, 0.05 / m)
    held = np.all(~shown | ((lo <= truth) & (truth <= hi)), axis=1)
    assert held.mean() >= 0.93
    # the per-category (unadjusted) intervals hold together less often: the adjustment matters
    lo1, hi1 = count_interval(counts, n, size)
    assert np.all(~shown | ((lo1 <= truth) & (truth <= hi1)), axis=1).mean() < held.mean()
    # the tally computes the same intervals
    for sample in samples[:5]:
        t = tally_tags(as_tags(sample), total_errors=size)
        k = np.array([t.category(f"c{j}").count if f"c{j}" in [c.name for c in t.categories] else 0
                      for j in range(members.shape[1])])
        s_lo, s_hi = count_interval(k[k > 0], n, size, 0.05 / (k > 0).sum())
        got = [(t.category(f"c{j}").estimated_sim_low, t.category(f"c{j}").estimated_sim_high)
               for j in np.flatnonzero(k)]
        assert got == list(zip(s_lo.astype(float), s_hi.astype(float), strict=True))
        assert t.simultaneous_method == "bonferroni" and t.interval_method == "hypergeometric_exact"


# ------------------------------------------------------------------------ untagged categories


@pytest.mark.parametrize("n, size", [(30, 1000), (10, 10_000), (100, 2000), (20, None)])
def test_the_unseen_bound_holds(n, size):
    bound = unseen_upper(n, size)
    rng = np.random.default_rng(n)
    N = size or 10**6
    # a category at 0.9 x 3/n: the bound holds in at least 95% of the reviews (it fails only when
    # no reviewer tags the category and the bound is below it); from n = 20 the exact bound is
    # above 0.9 x 3/n, so it holds whenever the category goes untagged
    K = int(0.9 * 3 / n * N)
    unseen = rng.hypergeometric(K, N - K, n, size=REDRAWS) == 0
    assert unseen.any() and np.mean(~(unseen & (K > bound * N))) >= 0.95
    if n >= 20:
        assert bound * N >= K
    # any category above the bound goes untagged at most 5% of the time: that is the guarantee
    above = int(np.floor(bound * N)) + 1
    assert hypergeom.pmf(0, N, above, n) < 0.05
    untagged = rng.hypergeometric(above, N - above, n, size=REDRAWS) == 0
    assert untagged.mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / REDRAWS)
    # about the rule of three, and below it with the finite-population correction
    assert bound <= 3 / n and (size is not None or bound == pytest.approx(3 / n, rel=0.1))


def test_the_unseen_bound_in_the_tally():
    t = tally_tags(["a"] * 20 + ["b"] * 10, total_errors=1000, cv_n=4000)
    assert t.unseen_share_upper == pytest.approx(unseen_upper(30, 1000))
    assert t.unseen_estimated_upper == round(t.unseen_share_upper * 1000)
    assert t.unseen_max_error_reduction_upper == pytest.approx(t.unseen_estimated_upper / 4000)
    text = t.to_text()
    assert f"A category no reviewer has tagged yet is at most {100 * t.unseen_share_upper:.3g}% of errors" in text
    assert "one-sided 95% upper bound" in text
    plain = tally_tags(["a"] * 20 + ["b"] * 10)
    assert plain.unseen_share_upper == pytest.approx(1 - 0.05 ** (1 / 30))
    assert plain.unseen_estimated_upper is None and plain.interval_method == "clopper_pearson"
    census = tally_tags(["a"] * 20 + ["b"] * 10, total_errors=30)
    assert census.unseen_share_upper == 0 and census.interval_method == "census"
    assert census.category("a").estimated_ci_low == census.category("a").estimated_ci_high == 20


# ------------------------------------------------------------------------------------ ranking


def test_finite_population_mcnemar_is_the_supremum_over_the_nuisance():
    for only_a, only_b in [(5, 1), (9, 3), (12, 3), (7, 6), (4, 0)]:
        m = only_a + only_b
        for unreviewed in (0, 1, 2, 5, 40, 300):
            d = np.arange(m, m + unreviewed + 1)
            d_a = d // 2
            ok = (d_a >= only_a) & (d - d_a >= only_b)
            sup = max([hypergeom.sf(only_a - 1, D, Da, m) for D, Da in zip(d[ok], d_a[ok], strict=True)],
                      default=0.0)
            expected = min(1.0, 2 * sup)
            assert mcnemar_p(only_a, only_b, unreviewed) == pytest.approx(expected, abs=1e-12)
    # an unlimited population: the binomial McNemar test
    assert mcnemar_p(12, 3) == pytest.approx(binomtest(3, 15).pvalue)
    assert mcnemar_p(12, 3, 10**7) == pytest.approx(mcnemar_p(12, 3), rel=1e-3)


def test_the_finite_population_mcnemar_test_keeps_its_level():
    # b is a little more common than a; how often does a review call a significantly more common?
    size, n = 300, 150
    rng = np.random.default_rng(3)
    members = np.zeros((size, 2), dtype=bool)
    members[rng.choice(size, 90, replace=False), 0] = True
    members[rng.choice(size, 91, replace=False), 1] = True
    samples = reviews(members, n, REDRAWS, seed=4)
    only_a = (samples[:, :, 0] & ~samples[:, :, 1]).sum(axis=1)
    only_b = (~samples[:, :, 0] & samples[:, :, 1]).sum(axis=1)
    assert [int(v[1]) for v in vs_top(samples[0])] == [only_a[0], only_b[0]]
    p = mcnemar_p(only_a, only_b, size - n)
    wrongly_sure = np.mean((only_a > only_b) & (p < 0.05))
    assert wrongly_sure <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / REDRAWS)


def test_the_ranking_note_when_the_top_two_overlap():
    close = tally_tags(["a"] * 12 + ["b"] * 10 + ["c"] * 3 + ["other"] * 15, total_errors=1000)
    assert close.top_candidates[:2] == ("other", "a")
    text = close.to_text()
    assert "cannot be told apart with this review" in text and "review more errors" in text
    assert close.category("a").p_vs_top >= 0.05
    two = tally_tags(["a"] * 12 + ["b"] * 9 + ["c"] * 2, total_errors=1000)
    assert two.top_candidates == ("a", "b")
    assert "The top two categories (a, b) cannot be told apart with this review" in two.to_text()


def test_no_ranking_note_when_the_top_is_far_ahead():
    far = tally_tags(["a"] * 30 + ["b"] * 5 + ["a;b"] * 2, total_errors=1000)
    assert far.top_candidates == ("a",)
    assert far.category("b").p_vs_top < 0.05
    assert "cannot be told apart" not in far.to_text()
    # close counts, but so few errors left unreviewed that the order is certain
    sure = tally_tags(["a"] * 6 + ["b"] * 4, total_errors=11)
    assert sure.top_candidates == ("a",) and sure.category("b").p_vs_top == 0
    # a census with a tie says so
    tie = tally_tags(["a"] * 4 + ["b"] * 4, total_errors=8)
    assert tie.top_candidates == ("a", "b") and "are tied" in tie.to_text()


def test_new_and_old_keys_in_json_and_text():
    t = tally_tags(["a"] * 12 + ["b"] * 9 + ["a;c"] * 2, total_errors=500, cv_n=2000)
    d = json.loads(json.dumps(t.to_dict(), allow_nan=False))
    assert {"interval_method", "simultaneous_method", "unseen_share_upper", "unseen_estimated_upper",
            "unseen_max_error_reduction_upper", "top_candidates"} <= set(d)
    for c in d["categories"]:
        assert {"share_ci_low", "share_ci_high", "estimated_ci_low", "estimated_ci_high",
                "max_error_reduction_ci_low", "max_error_reduction_ci_high", "share_sim_low", "share_sim_high",
                "estimated_sim_low", "estimated_sim_high", "max_error_reduction_sim_low",
                "max_error_reduction_sim_high", "p_vs_top"} <= set(c)
        # the simultaneous interval contains the per-category one
        assert c["share_sim_low"] <= c["share_ci_low"] <= c["share"] <= c["share_ci_high"] <= c["share_sim_high"]
    assert d["categories"][0]["p_vs_top"] is None
    for markdown in (False, True):
        text = t.to_markdown() if markdown else t.to_text()
        assert "simultaneous 95%" in text and "Bonferroni" in text
