"""The power-law extrapolation of a learning curve: exact recovery, noise, bounds, targets.

Oracles: errors recomputed here with pandas / scikit-learn metrics from the raw tables,
closed-form power laws, hand-built summary tables, and the verdicts stated in
sample_data/README.md.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.cli import main
from diagnose.curves import fit_power_law
from diagnose.exceptions import UsageError
from tests.curves.helpers import CURVES


def test_power_law_recovered_exactly_without_noise():
    m = np.array([50, 100, 200, 400, 800, 1600])
    fit = fit_power_law(m, 0.12 + 4.0 * m ** -0.7)
    assert (fit.c, fit.a, fit.b) == pytest.approx((0.12, 4.0, 0.7), rel=1e-4)
    assert fit.rmse < 1e-6 and fit.r2 == pytest.approx(1.0)


def test_power_law_recovered_from_noisy_curves():
    """Stated tolerance: over 30 noisy curves (sd 0.004 on errors 0.09 to 0.52), every fit has
    |c - 0.08| < 0.02, |b - 0.6| < 0.15 and a within 40% of 3; on average much closer."""
    m = np.geomspace(50, 5000, 8).round()
    c, a, b, sd = 0.08, 3.0, 0.6, 0.004
    errors = []
    for seed in range(30):
        noise = np.random.default_rng(seed).normal(0, sd, len(m))
        fit = fit_power_law(m, c + a * m ** -b + noise, se=np.full(len(m), sd))
        errors.append((fit.c - c, fit.b - b, fit.a / a - 1))
    errors = np.abs(np.array(errors))
    assert errors[:, 0].max() < 0.02 and errors[:, 1].max() < 0.15 and errors[:, 2].max() < 0.4
    assert errors[:, 0].mean() < 0.008 and errors[:, 1].mean() < 0.05


def test_power_law_is_robust_to_one_wild_point():
    m = np.array([50, 100, 200, 400, 800, 1600, 3200])
    j = 0.1 + 2.0 * m ** -0.5
    j[3] += 0.15  # one run went wrong
    fit = fit_power_law(m, j, se=np.full(len(m), 0.005))
    assert abs(fit.c - 0.1) < 0.01 and abs(fit.b - 0.5) < 0.1


def test_target_size_solved_in_closed_form():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.08)
    # 0.05 + 2 m^-0.5 = 0.08  =>  m = (2 / 0.03)^2
    assert fit.status == "reachable" and fit.m_target == pytest.approx((2 / 0.03) ** 2, rel=1e-3)
    assert not fit.speculative  # 4444 < 10 x 800
    far = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.055)
    assert far.m_target == pytest.approx((2 / 0.005) ** 2, rel=1e-2) and far.speculative
    assert "speculative" in far.message


def test_target_below_the_asymptote_cannot_be_reached():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.03)
    assert fit.status == "unreachable" and fit.m_target is None
    assert "asymptote" in fit.message
    reached = fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=0.2)
    assert reached.status == "reached"


@pytest.mark.parametrize("level", [0.2, 0.1, 0.7])  # means that float arithmetic cannot hit exactly
def test_constant_curve_has_no_r2_and_no_poor_fit_caveat(level):
    fit = fit_power_law([100, 200, 400], [level] * 3, target=0.05)
    # R² = 1 - SS_res / SS_tot is undefined when J_cv does not vary (SS_tot = 0)
    assert fit.r2 is None
    assert not any("fits J_cv poorly" in c for c in fit.caveats)
    assert fit.to_dict()["r2"] is None
    # a spread so small that its squares underflow: no R² either, and no crash
    assert fit_power_law([100, 200, 400], [0.0, 0.0, 2.225073858507e-311]).r2 is None


@pytest.mark.parametrize("target", ["nan", "-0.1", "inf"])
def test_a_target_that_is_no_error_level_is_refused(target):
    m = np.array([100, 200, 400, 800])
    with pytest.raises(UsageError, match="target"):
        fit_power_law(m, 0.05 + 2.0 * m ** -0.5, target=float(target))
    result = CliRunner().invoke(main, ["curve", "learning", str(CURVES / "learning_summary.csv"),
                                       "--target", target])
    assert result.exit_code == 2 and "target" in result.output and "reaches" not in result.output


@pytest.mark.parametrize("sizes", [[100], [100, 200], [100, 100, 200]])
def test_fewer_than_three_sizes_refused_clearly(sizes):
    with pytest.raises(UsageError, match="at least 3 distinct training-set sizes"):
        fit_power_law(sizes, np.linspace(0.3, 0.2, len(sizes)))


def test_a_nearly_flat_curve_gives_no_size_and_no_crash():
    m = np.array([100, 200, 400, 800])
    fit = fit_power_law(m, np.array([0.5, 0.4999, 0.4998, 0.4997]), target=0.01)
    # before the intervals this printed a size of ~1e+80: now no size is given at all (the points
    # lie exactly on a line in log m, so without standard errors the noise measured is ~0 and,
    # with b >= 0.001, the asymptote stays far above the target)
    assert fit.status in ("flat", "cannot_tell", "unreachable") and fit.m_target is None
    assert "m = 1" not in fit.message
    json.dumps(fit.to_dict(), allow_nan=False)
    assert fit.caveats


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=3, max_size=8),
       st.floats(0.0, 1.0), st.one_of(st.none(), st.floats(0.0, 5.0)))
def test_fit_never_crashes_and_stays_in_bounds(errors, se, target):
    m = 50 * 2 ** np.arange(len(errors))
    fit = fit_power_law(m, errors, se=np.full(len(m), se), target=target)
    assert fit.a >= 0 and fit.c >= 0 and 0 < fit.b <= 3
    assert fit.status in ("reached", "reachable", "unreachable", "unclear", "no_target", "flat", "cannot_tell")
    if fit.status == "reachable":
        assert fit.m_target > m.max() and fit.speculative == (fit.m_target > 10 * m.max())
    # an answer always lies inside its own interval, and a size is printed only with a finite one
    if fit.asymptote_ci is not None:
        assert fit.asymptote_ci[0] <= fit.c <= fit.asymptote_ci[1]
    if fit.status == "reachable" and fit.m_target_ci is not None:
        assert fit.m_target_ci[0] <= fit.m_target <= fit.m_target_ci[1] < np.inf
    if fit.status == "unreachable" and fit.asymptote_ci is not None:
        assert fit.asymptote_ci[0] > target
    json.dumps(fit.to_dict(), allow_nan=False)
