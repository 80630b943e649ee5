"""metrics.fair_coin_tail, the exact P(X >= k) of X ~ Bin(n, 1/2) behind McNemar's tests:
against whole-number arithmetic (exact) and scipy's incomplete beta function."""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from scipy.special import betainc

from diagnose.bias_variance import mcnemar_p
from diagnose.metrics import fair_coin_tail
from diagnose.paired import mcnemar_p as two_sided_mcnemar_p


def exact_tails(n: int) -> list[float]:
    """P(X >= k) for k = 0..n, from the binomial coefficients' exact sums."""
    suffix = list(itertools.accumulate(math.comb(n, j) for j in range(n, -1, -1)))[::-1]
    return [float(Fraction(total, 2**n)) for total in suffix]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 40, 199, 1000, 4001])
def test_every_tail_equals_the_exact_sum_of_binomial_coefficients(n):
    # relative error about |log p| x 1e-16 (the exponent's rounding), so 1e-12 to p = 1e-300;
    # below, subnormal doubles hold fewer digits: there the absolute error is what counts
    exact = exact_tails(n)
    for k in range(-1, n + 2):
        want = 1.0 if k <= 0 else 0.0 if k > n else exact[k]
        assert fair_coin_tail(k, n) == pytest.approx(want, rel=1e-12 if want > 1e-300 else 0.0, abs=1e-310), (k, n)


@pytest.mark.parametrize("n", [10**5, 10**6, 10**7, 10**8])
def test_tails_of_millions_of_tosses_agree_with_scipys_incomplete_beta(n):
    # scipy's betainc itself drifts by about 1e-12 at these sizes (the exact sum at n = 1e6,
    # 6 sigma, is within 5e-15 of this function and 7e-14 of scipy's)
    sd = math.sqrt(n) / 2
    for off in (-3, -1, 0, 0.5, 1, 2, 5, 10, 20, 37):
        k = int(n / 2 + off * sd)
        want = float(betainc(k, n - k + 1, 0.5))
        assert fair_coin_tail(k, n) == pytest.approx(want, rel=1e-10), (k, n)


def test_a_tail_far_out_is_tiny_but_not_zero_until_it_underflows():
    assert fair_coin_tail(1000, 1000) == 2.0**-1000
    assert 0.0 < fair_coin_tail(990, 1000) == pytest.approx(float(betainc(990, 11, 0.5)), rel=1e-12)
    assert fair_coin_tail(10**6, 10**6) == 0.0  # 2^-1e6 is below the smallest double


def test_both_mcnemar_tests_are_the_textbook_values():
    # 10 wins, 2 losses: P(X >= 10 | n = 12) = (66 + 12 + 1) / 4096; two-sided: twice the smaller tail
    assert mcnemar_p(10, 2) == pytest.approx(79 / 4096, rel=1e-14)
    assert two_sided_mcnemar_p(3, 12) == pytest.approx(2 * (1 + 15 + 105 + 455) / 2**15, rel=1e-14)
    assert two_sided_mcnemar_p(5, 5) == 1.0


def test_the_middle_of_an_odd_number_of_tosses_is_one_half_exactly():
    # P(X >= (n + 1) / 2) = 1/2 by symmetry: McNemar's two-sided p of a 4-5 split is 1, not 1 - 5e-15
    assert all(fair_coin_tail((n + 1) // 2, n) == 0.5 for n in (1, 3, 9, 10**6 + 1))
    assert two_sided_mcnemar_p(4, 5) == 1.0 and two_sided_mcnemar_p(5000, 5001) == 1.0
