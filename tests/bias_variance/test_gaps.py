"""The bias/variance verdict on the textbook examples and on edge cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import diagnose
from diagnose.bias_variance import BIAS_REMEDIES, VARIANCE_REMEDIES
from diagnose.options import Tolerance


def with_error_rate(rate: float, n: int = 10_000) -> pd.DataFrame:
    """A binary table whose error rate at 0.5 is exactly ``rate``."""
    wrong = int(round(rate * n))
    y = np.tile([0, 1], n // 2)
    score = np.where(y == 1, 0.9, 0.1)
    score[:wrong] = 1 - score[:wrong]
    return pd.DataFrame({"y_true": y, "y_score": score})


@pytest.mark.parametrize(
    "train, cv, verdict",
    [
        (0.108, 0.148, "high_variance"),
        (0.150, 0.155, "high_bias"),
        (0.150, 0.197, "high_bias_high_variance"),
        (0.108, 0.110, "good_fit"),
    ],
)
def test_textbook_verdicts_against_human_level(train, cv, verdict):
    # human-level error 10.6% (speech recognition example)
    r = diagnose.report(train=with_error_rate(train), cv=with_error_rate(cv), baselines={"human": 0.106})
    assert r.splits["train"].error == pytest.approx(train)
    assert r.splits["cv"].error == pytest.approx(cv)
    assert r.verdict.verdict == verdict
    assert r.gaps["bias"].value == pytest.approx(train - 0.106)
    assert r.gaps["variance"].value == pytest.approx(cv - train)


def test_remedies_follow_the_verdict():
    r = diagnose.report(train=with_error_rate(0.108), cv=with_error_rate(0.148), baselines={"human": 0.106})
    assert set(VARIANCE_REMEDIES) == set(r.recommendations)
    r = diagnose.report(train=with_error_rate(0.15), cv=with_error_rate(0.155), baselines={"human": 0.106})
    assert set(BIAS_REMEDIES) == set(r.recommendations)
    assert any("more training examples" in x.lower() for x in VARIANCE_REMEDIES)
    assert any("polynomial" in x.lower() for x in BIAS_REMEDIES)


def test_reference_is_the_lowest_user_baseline():
    r = diagnose.report(train=with_error_rate(0.15), cv=with_error_rate(0.155),
                        baselines={"human": 0.106, "competitor": 0.12, "guess": 0.2})
    assert r.reference == pytest.approx(0.106)
    assert r.verdict.reference_name == "human"
    assert "trivial" in r.baselines and r.baselines["trivial"] == pytest.approx(0.5)


def test_no_baseline_leaves_bias_unjudged_and_says_so_first():
    r = diagnose.report(train=with_error_rate(0.15), cv=with_error_rate(0.155))
    assert r.reference != r.reference  # NaN: no reference level
    assert r.gaps["bias"].status == "no_reference" and not r.gaps["bias"].counted
    assert r.to_dict()["gaps"]["bias"] is None and r.to_dict()["gap_details"]["bias"]["status"] == "no_reference"
    # the variance gap is ruled out, but bias is unknown: no good fit, and no bias remedy
    assert r.gaps["variance"].status == "ruled_out"
    assert r.verdict.verdict == "inconclusive"
    assert not set(BIAS_REMEDIES) & set(r.recommendations)
    assert r.warnings[0].startswith("No baseline was given")
    assert r.to_text().index("No baseline: bias is not judged") < r.to_text().index("Verdict")


def test_a_material_but_noisy_gap_is_inconclusive_and_says_how_many_rows_decide_it():
    # 10% on 200,000 train rows vs 14% on 100 cv rows: 4 points is material but within noise
    r = diagnose.report(train=with_error_rate(0.10, 200_000), cv=with_error_rate(0.14, 100),
                        baselines={"human": 0.10})
    gap = r.gaps["variance"]
    assert gap.material and not gap.significant and gap.status == "inconclusive"
    assert r.verdict.verdict == "inconclusive"
    # power: n_cv so that a gap of the tolerance (0.01) is found with 80% power at alpha 0.05,
    # sqrt(var_train + p (1 - p) / n) <= tol / (z_0.975 + z_0.8), and n - 1 rows would not do
    n = gap.samples_needed
    se_train = r.splits["train"].se
    target = gap.tolerance / (norm.ppf(0.975) + norm.ppf(0.8))
    cv_var = r.splits["cv"].loss_variance

    def se(n_cv):
        return np.sqrt(se_train ** 2 + cv_var / n_cv)

    assert se(n) <= target < se(n - 1)
    assert gap.samples_needed_more == n - 100
    warning = next(w for w in r.warnings if "variance gap" in w)
    assert f"about {n:,} cv rows in all ({n - 100:,} more)" in warning
    assert any(f"{n:,} cv rows in all" in line for line in r.recommendations)


def test_ruled_out_is_the_upper_one_sided_bound_below_the_tolerance():
    r = diagnose.report(train=with_error_rate(0.108), cv=with_error_rate(0.110), baselines={"human": 0.106})
    gap = r.gaps["variance"]
    upper = gap.value + norm.ppf(0.95) * gap.se
    assert gap.upper_bound == pytest.approx(upper) and upper < gap.tolerance and gap.status == "ruled_out"
    assert r.to_dict()["gap_details"]["variance"]["upper_bound"] == pytest.approx(upper)


def test_when_cv_alone_cannot_decide_rows_in_each_of_train_and_cv_are_suggested():
    r = diagnose.report(train=with_error_rate(0.10, 100), cv=with_error_rate(0.14, 100),
                        baselines={"human": 0.10})
    gap = r.gaps["variance"]
    assert gap.samples_needed_split == "train and cv"
    target = gap.tolerance / (norm.ppf(0.975) + norm.ppf(0.8))
    per_row = r.splits["train"].loss_variance + r.splits["cv"].loss_variance
    assert np.sqrt(per_row / gap.samples_needed) <= target < np.sqrt(per_row / (gap.samples_needed - 1))
    assert any("rows in each of train and cv in all" in w for w in r.warnings)


def test_tolerance_can_be_made_absolute():
    tr, cv = with_error_rate(0.108), with_error_rate(0.148)
    loose = diagnose.report(train=tr, cv=cv, baselines={"human": 0.106},
                            tolerance=Tolerance(relative=0.0, absolute=0.05))
    assert loose.verdict.verdict == "good_fit"
    assert loose.gaps["variance"].tolerance == pytest.approx(0.05)


def test_test_gap_warns_about_cv_overfitting():
    r = diagnose.report(train=with_error_rate(0.108), cv=with_error_rate(0.110),
                        test=with_error_rate(0.150), baselines={"human": 0.106})
    assert r.gaps["test"].counted
    assert any("overfit the cv set" in w for w in r.warnings)
    assert r.to_dict()["gaps"]["test"] == pytest.approx(0.04)


def test_regression_verdict_uses_half_mse():
    rng = np.random.default_rng(3)
    y = rng.normal(size=2000) * 10
    train = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(size=2000) * 1.0})
    cv = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(size=2000) * 3.0})
    r = diagnose.report(train=train, cv=cv, baselines={"human": 0.5})
    assert r.metric == "half_mse" and r.task == "regression"
    # half of the noise variance: 0.5 and 4.5
    assert r.splits["train"].error == pytest.approx(0.5, rel=0.1)
    assert r.splits["cv"].error == pytest.approx(4.5, rel=0.1)
    assert r.verdict.verdict == "high_variance"


def test_negative_tolerance_is_refused():
    with pytest.raises(diagnose.UsageError, match="tolerance must be a number >= 0"):
        Tolerance(relative=-1)


def test_gaps_are_significant_by_holm_over_the_report():
    r = diagnose.report(train=with_error_rate(0.10, 5000), cv=with_error_rate(0.115, 5000),
                        test=with_error_rate(0.13, 5000), baselines={"human": 0.095})
    gaps = [r.gaps[name] for name in ("bias", "variance", "test")]
    p = [norm.sf(g.value / g.se) for g in gaps]
    assert [g.p_value for g in gaps] == pytest.approx(p)
    # Holm's step-down at 5%: the i-th smallest p against 0.05 / (3 - i), stopping at the first miss
    order = np.argsort(p)
    expected, going = {}, True
    for i, k in enumerate(order):
        going = going and p[k] < 0.05 / (3 - i)
        expected[k] = going
    assert [g.significant for g in gaps] == [expected[k] for k in range(3)]
