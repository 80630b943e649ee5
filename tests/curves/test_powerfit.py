"""The power-law fit without scipy.optimize, against scipy.optimize.least_squares.

Oracle: ``scipy.optimize.least_squares`` on the same residuals, loss (``soft_l1``,
``f_scale = 2``) and bounds, run as the fit ran before it was replaced (three starting
exponents, default tolerances) and then polished from its best with tolerances of 1e-15.
The fit must reach a deviance no higher than scipy's (to rounding), and the same
parameters where scipy reaches the same optimum; where scipy's local search stops at a
worse local minimum, ours is lower and scipy started from ours stays there.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import least_squares

from diagnose.curves import B_MAX, B_MIN, fit_power_law
from diagnose.curves._extrapolation import _sigma
from diagnose.curves._powerfit import power_fit
from diagnose.curves._uncertainty import rho

BOUNDS = ([0.0, 0.0, B_MIN], [np.inf, np.inf, B_MAX])


def deviance(x, j, sigma, p) -> float:
    c, a, b = p
    return float(np.sum(rho(((c + a * x ** -b - j) / sigma) ** 2)))


def scipy_fit(x, j, sigma, start, tight: bool):
    def residuals(p):
        c, a, b = p
        return (c + a * x ** -b - j) / sigma

    def jacobian(p):
        _, a, b = p
        xb = x ** -b
        return np.stack([1 / sigma, xb / sigma, -a * xb * np.log(x) / sigma], axis=1)

    tolerances = dict(xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=3000) if tight else dict(max_nfev=2000)
    return least_squares(residuals, np.clip(start, *BOUNDS), jac=jacobian, bounds=BOUNDS, loss="soft_l1",
                         f_scale=2.0, x_scale="jac", **tolerances).x


def scipy_best(x, j, sigma) -> np.ndarray:
    """The fit as it was: three starting exponents, the lowest cost kept; then polished."""
    fits = []
    for b0 in (0.3, 0.7, 1.5):
        c0 = max(0.0, float(j.min()) * 0.5)
        a0 = max(float(j[np.argmin(x)] - c0) * float(x.min()) ** b0, 1e-12)
        fits.append(scipy_fit(x, j, sigma, [c0, a0, b0], tight=False))
    best = min(fits, key=lambda p: deviance(x, j, sigma, p))
    return min([best, scipy_fit(x, j, sigma, best, tight=True)], key=lambda p: deviance(x, j, sigma, p))


def rounding(j, sigma) -> float:
    """How far two evaluations of one deviance may differ: a few ulps of each j / sigma,
    times at most 2 * f_scale per unit of residual."""
    return 64 * np.finfo(float).eps * float(np.sum(np.abs(j / sigma)))


def curves(seed: int, count: int):
    """Seeded curves of every kind: noisy power laws, rising, random, one wild point, rounded,
    with and without standard errors, sizes over 5% to 4 decades."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        lo = float(rng.choice([10, 50, 1000]))
        m = np.unique(np.geomspace(lo, lo * rng.choice([1.05, 3, 100, 1e4]), int(rng.integers(3, 16))).round())
        if len(m) < 3:
            continue
        j = rng.choice([0, rng.uniform(0, 0.3)]) + rng.uniform(0.01, 5) * (m / m.min()) ** -rng.uniform(0.01, 2.5)
        kind = int(rng.integers(0, 5))
        if kind == 1:
            j = j[::-1].copy()
        elif kind == 2:
            j = rng.uniform(0, 1, len(m))
        elif kind == 3:
            j[rng.integers(len(m))] += rng.uniform(0.05, 0.5)
        elif kind == 4:
            j = np.round(j, 2)
        se = rng.choice([0, 1e-5, 1e-3, 0.01, 0.05])
        if se:
            j = np.maximum(j + rng.normal(0, se, len(m)), 0)
        sigma, _ = _sigma(j, np.full(len(m), se) * rng.uniform(0.5, 2, len(m)) if se else None)
        yield m / m.max(), j, sigma


def test_the_fit_is_never_worse_than_scipy():
    lower = 0
    for x, j, sigma in curves(7, 30):
        ours = power_fit(x, j, sigma)
        c, a, b = ours
        assert c >= 0 and a >= 0 and B_MIN <= b <= B_MAX
        theirs = scipy_best(x, j, sigma)
        ours_dev, theirs_dev = deviance(x, j, sigma, ours), deviance(x, j, sigma, theirs)
        assert ours_dev <= theirs_dev * (1 + 1e-12) + rounding(j, sigma), (x, j, sigma, ours, theirs)
        lower += ours_dev < theirs_dev * (1 - 1e-6)
    assert lower >= 1  # the set holds a curve where scipy's local search stops short


@pytest.mark.parametrize("se", [0.004, 1e-4])
def test_the_fit_equals_scipy_where_scipy_reaches_the_optimum(se):
    """Noisy power laws (and the standard errors of a 20M-row file's points, 1e-4): scipy,
    polished to 1e-15, reaches our deviance, and then the parameters agree to 1e-7 (scipy's
    own precision: where they differ in the 8th digit, ours has the smaller gradient)."""
    m = np.geomspace(50, 5000, 8).round()
    x = m / m.max()
    agreed = 0
    for seed in range(12):
        j = 0.08 + 3.0 * m ** -0.6 + np.random.default_rng(seed).normal(0, se, len(m))
        sigma, _ = _sigma(j, np.full(len(m), se))
        ours = np.array(power_fit(x, j, sigma))
        theirs = scipy_best(x, j, sigma)
        ours_dev, theirs_dev = deviance(x, j, sigma, ours), deviance(x, j, sigma, theirs)
        assert ours_dev <= theirs_dev + rounding(j, sigma)
        if theirs_dev <= ours_dev * (1 + 1e-10):
            assert ours == pytest.approx(theirs, rel=1e-7, abs=1e-9), seed
            agreed += 1
    assert agreed >= 10


def test_the_global_search_finds_what_three_starts_miss():
    """A curve whose first point stands far above: c + a x^-3 through it fits better than the
    flat curve at b = 0.001 where each of scipy's starts ends."""
    m = np.array([50.0, 72.0, 104.0, 150.0])
    j = np.array([0.1073, 0.0009, 0.1067, 0.2331])
    se = np.array([0.0283, 0.0473, 0.0555, 0.0841])
    x = m / m.max()
    sigma, _ = _sigma(j, se)
    ours = np.array(power_fit(x, j, sigma))
    theirs = scipy_best(x, j, sigma)
    assert theirs[2] == pytest.approx(B_MIN, rel=1e-6) and theirs[1] < 1e-10  # scipy: flat
    assert ours[2] == B_MAX and ours[1] > 1e-4
    assert deviance(x, j, sigma, ours) < deviance(x, j, sigma, theirs) - 0.01
    # scipy started from ours stays there: a true (bounded) minimum, not a lucky point
    polished = scipy_fit(x, j, sigma, ours, tight=True)
    assert deviance(x, j, sigma, polished) >= deviance(x, j, sigma, ours) - rounding(j, sigma)
    assert polished == pytest.approx(ours, rel=1e-6)


def test_the_fit_is_the_least_of_an_independent_profile(monkeypatch):
    """A noisy 15-point curve: scipy fits c, a >= 0 with b held at each of 120 exponents over
    the whole range; no exponent fits better than ours. With a grid of 7 exponents, whose
    least point has no sign change of P' next to it (the curve bends between grid points),
    the refinement still ends at the same minimum."""
    x = np.array([0.01, 0.0138, 0.0194, 0.0268, 0.0372, 0.0518, 0.072, 0.1, 0.139, 0.193, 0.2682, 0.3728,
                  0.518, 0.7196, 1.0])
    j = np.array([0.799, 0.1038, 0.1547, 0.9479, 0.2589, 0.4679, 0.1867, 0.5294, 0.1096, 0.5584, 0.7091, 0.8709,
                  0.2113, 0.391, 0.153])
    sigma = np.array([0.0091, 0.0198, 0.0179, 0.0058, 0.0119, 0.0091, 0.0119, 0.0114, 0.0087, 0.0174, 0.0076,
                      0.0059, 0.0074, 0.0161, 0.009])
    ours = power_fit(x, j, sigma)
    profile = []
    for b in np.geomspace(B_MIN, B_MAX, 120):
        ca = least_squares(lambda p, b=b: (p[0] + p[1] * x ** -b - j) / sigma, [0.3, 0.01],
                           bounds=([0, 0], [np.inf, np.inf]), loss="soft_l1", f_scale=2.0, xtol=1e-12, ftol=1e-12,
                           gtol=1e-12).x
        profile.append(deviance(x, j, sigma, (ca[0], ca[1], b)))
    assert deviance(x, j, sigma, ours) <= min(profile) + rounding(j, sigma)
    theirs = scipy_best(x, j, sigma)  # the same minimum, to scipy's precision (a: 2e-7)
    assert ours == pytest.approx(tuple(theirs), rel=1e-6)
    assert deviance(x, j, sigma, ours) <= deviance(x, j, sigma, theirs)
    import diagnose.curves._powerfit as fit_module

    monkeypatch.setattr(fit_module, "GRID", 7)
    assert power_fit(x, j, sigma) == pytest.approx(ours, rel=1e-9)


@pytest.mark.parametrize("j", [[0.3, 0.32, 0.35, 0.4], [0.24, 0.24, 0.24, 0.24], [0.5, 0.1, 0.5, 0.9]])
def test_a_flat_fit_is_the_best_constant_and_the_lowest_exponent(j):
    """Where a = 0 fits best every exponent fits alike; b is reported as its lower bound (where
    scipy also stops) and c is the robust constant fit, which scipy's 1-parameter fit gives."""
    j = np.array(j)
    x = np.array([0.125, 0.25, 0.5, 1.0])
    sigma, _ = _sigma(j, np.full(4, 0.01))
    c, a, b = power_fit(x, j, sigma)
    assert a == 0.0 and b == B_MIN
    constant = least_squares(lambda p: (p[0] - j) / sigma, [float(j.mean())], bounds=([0.0], [np.inf]),
                             loss="soft_l1", f_scale=2.0, xtol=1e-15, ftol=1e-15, gtol=1e-15).x[0]
    assert c == pytest.approx(constant, rel=1e-9, abs=1e-12)
    assert deviance(x, j, sigma, (c, a, b)) <= deviance(x, j, sigma, scipy_best(x, j, sigma)) + rounding(j, sigma)


def test_the_fit_is_a_bounded_stationary_point():
    """Without scipy: at the fit, each parameter's derivative of the deviance is 0 inside its
    bounds and points outwards at a bound (the Karush-Kuhn-Tucker conditions)."""
    for x, j, sigma in curves(11, 40):
        c, a, b = power_fit(x, j, sigma)
        if a == 0:
            continue  # b is not identified there
        xb = x ** -b
        r = (c + a * xb - j) / sigma
        psi = 2 * r / np.sqrt(1 + r * r / 4)
        # derivatives per relative change of each parameter (c by the scale of j)
        scale = float(np.max(np.abs(j))) or 1.0
        grad = [np.sum(psi / sigma) * scale, np.sum(psi * xb / sigma) * a,
                -np.sum(psi * a * xb * np.log(x) / sigma) * b]
        tol = 1e-6 * (1 + deviance(x, j, sigma, (c, a, b))) + 1e3 * rounding(j, sigma)
        assert grad[0] >= -tol and (c == 0 or abs(grad[0]) <= tol), (x, j, sigma)
        assert abs(grad[1]) <= tol, (x, j, sigma)
        assert (b == B_MIN and grad[2] >= -tol) or (b == B_MAX and grad[2] <= tol) or abs(grad[2]) <= tol


def test_the_sample_summary_fits_as_scipy_polished_fits_it():
    """sample_data/curves/learning_summary.csv (a golden file's curve): the fit moved from what
    scipy gave with its default tolerances by 2e-6 (those stopped short); scipy polished to
    1e-15 from its own best comes within 1e-8 of ours, and started from ours stays put."""
    m = np.array([50, 100, 200, 400, 800, 1078])
    j = np.array([0.529248, 0.417827, 0.289694, 0.217270, 0.194986, 0.175487])
    se = np.sqrt(j * (1 - j) / 359)
    fit = fit_power_law(m, j, se=se)
    ours = (fit.c, fit.a / m.max() ** fit.b, fit.b)  # the scaled-size parameters
    x = m / m.max()
    sigma, _ = _sigma(j, se)
    assert ours == pytest.approx(tuple(scipy_best(x, j, sigma)), rel=1e-8)
    assert ours == pytest.approx(tuple(scipy_fit(x, j, sigma, ours, tight=True)), rel=1e-12)
    default = scipy_fit(x, j, sigma, [max(0.0, float(j.min()) * 0.5), 1.0, 0.3], tight=False)
    assert deviance(x, j, sigma, ours) <= deviance(x, j, sigma, default)
