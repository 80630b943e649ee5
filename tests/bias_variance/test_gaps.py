"""The bias/variance verdict on the textbook examples and on edge cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, norm

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


def test_no_baseline_judges_against_zero_and_warns():
    r = diagnose.report(train=with_error_rate(0.15), cv=with_error_rate(0.155))
    assert r.reference == 0
    assert r.verdict.verdict == "high_bias"
    assert any("No baseline" in w for w in r.warnings)


def test_material_but_noisy_gap_does_not_count_and_says_how_many_samples():
    # 10% on 2,000 train rows vs 14% on 100 cv rows: 4 points is material but within noise
    r = diagnose.report(train=with_error_rate(0.10, 2000), cv=with_error_rate(0.14, 100),
                        baselines={"human": 0.10})
    gap = r.gaps["variance"]
    assert gap.material and not gap.significant and not gap.counted
    assert r.verdict.verdict == "good_fit"
    # a two-proportion z-test at n_cv = samples_needed should just reach significance (and one
    # cv sample fewer should not). J_train's standard error is its Wilson interval's half-width / z
    # (scipy's Wilson interval); the cv rate's per-sample variance is p (1 - p)
    n = gap.samples_needed
    assert n is not None and n > 100
    z = norm.ppf(0.975)
    train_ci = binomtest(200, 2000).proportion_ci(method="wilson")
    train_var = ((train_ci.high - train_ci.low) / (2 * z)) ** 2

    def z_score(n_cv):
        return 0.04 / np.sqrt(train_var + 0.14 * 0.86 / n_cv)

    assert z_score(n) > z >= z_score(n - 1)
    warning = next(w for w in r.warnings if "variance gap" in w)
    assert f"{n:,} cv samples" in warning


def test_train_split_too_small_to_settle_is_said():
    r = diagnose.report(train=with_error_rate(0.10, 100), cv=with_error_rate(0.14, 100),
                        baselines={"human": 0.10})
    assert r.gaps["variance"].samples_needed is None
    assert any("train split is too small" in w for w in r.warnings)


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
