"""McNemar against statsmodels, and the paired interval of a difference against hand computation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from diagnose.metrics import Z95
from diagnose.paired import equivalence, mcnemar, mcnemar_p, paired_difference

TABLES = [
    [[50, 0], [0, 50]],      # no discordant rows
    [[10, 0], [5, 3]],       # one side only
    [[100, 3], [12, 7]],
    [[40, 9], [9, 2]],       # balanced: p = 1
    [[0, 1], [0, 0]],
    [[500, 37], [61, 40]],
    [[3, 250], [200, 1]],    # many discordant rows
]


@pytest.mark.parametrize("table", TABLES)
def test_mcnemar_p_is_statsmodels_exact(table):
    expected = float(sm_mcnemar(np.array(table), exact=True).pvalue)
    assert mcnemar_p(table[0][1], table[1][0]) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("table", TABLES)
def test_mcnemar_of_rows_builds_the_table(table):
    (n00, n01), (n10, n11) = table
    # rows laid out as a's and b's errors: 00 both right, 01 a right b wrong, ...
    wrong_a = np.array([False] * n00 + [False] * n01 + [True] * n10 + [True] * n11)
    wrong_b = np.array([False] * n00 + [True] * n01 + [False] * n10 + [True] * n11)
    order = np.random.default_rng(0).permutation(wrong_a.shape[0])
    t = mcnemar(wrong_a[order], wrong_b[order])
    assert t.table == table
    assert t.p_value == pytest.approx(float(sm_mcnemar(np.array(table), exact=True).pvalue), rel=1e-12)
    assert t.to_dict()["a_right_b_wrong"] == n01 and t.to_dict()["a_wrong_b_right"] == n10


def test_zero_discordant_rows_give_p_one():
    assert mcnemar_p(0, 0) == 1.0 == float(sm_mcnemar(np.array([[7, 0], [0, 3]]), exact=True).pvalue)


def test_paired_interval_by_hand():
    wrong_a = np.array([1, 0, 1, 0, 1], float)
    wrong_b = np.array([0, 0, 1, 1, 0], float)
    d = paired_difference(wrong_a, wrong_b, metric="error_rate")
    # d = b - a = [-1, 0, 0, 1, -1]: mean -0.2, sample variance 2.8 / 4 = 0.7, se = sqrt(0.7 / 5)
    assert d.a == pytest.approx(0.6) and d.b == pytest.approx(0.4)
    assert d.estimate == pytest.approx(-0.2)
    assert d.se == pytest.approx(math.sqrt(0.14))
    assert d.ci_low == pytest.approx(-0.2 - Z95 * math.sqrt(0.14))
    assert d.ci_high == pytest.approx(-0.2 + Z95 * math.sqrt(0.14))
    assert d.level == pytest.approx(0.95)


def test_paired_interval_matches_the_paired_formula_on_random_losses():
    rng = np.random.default_rng(3)
    la, lb = rng.exponential(1.0, 300), rng.exponential(1.1, 300)
    d = paired_difference(la, lb)
    diff = lb - la
    assert d.estimate == pytest.approx(diff.mean())
    assert d.se == pytest.approx(diff.std(ddof=1) / math.sqrt(300))


def test_weighted_interval_by_hand_and_unit_free():
    rng = np.random.default_rng(4)
    n = 200
    la, lb = rng.random(n), rng.random(n) * 1.1
    w = rng.uniform(0.2, 3.0, n)
    d = paired_difference(la, lb, w)
    diff = lb - la
    mean = np.sum(w * diff) / np.sum(w)
    se = math.sqrt(n / (n - 1) * np.sum((w / w.sum()) ** 2 * (diff - mean) ** 2))
    assert d.estimate == pytest.approx(mean) and d.se == pytest.approx(se)
    d10 = paired_difference(la, lb, w * 10)
    assert (d10.estimate, d10.se, d10.ci_low, d10.ci_high) == pytest.approx((d.estimate, d.se, d.ci_low, d.ci_high),
                                                                            rel=1e-12)
    # equal weights give the unweighted interval
    assert paired_difference(la, lb, np.full(n, 7.0)).se == pytest.approx(paired_difference(la, lb).se, rel=1e-12)


def test_root_metric_is_the_difference_of_roots():
    rng = np.random.default_rng(5)
    la, lb = rng.random(400) ** 2, (rng.random(400) * 0.8) ** 2
    d = paired_difference(la, lb, root=True)
    assert d.estimate == pytest.approx(math.sqrt(lb.mean()) - math.sqrt(la.mean()))
    # delta method: u_i = (lb_i - mb) / (2 rb) - (la_i - ma) / (2 ra)
    u = (lb - lb.mean()) / (2 * math.sqrt(lb.mean())) - (la - la.mean()) / (2 * math.sqrt(la.mean()))
    assert d.se == pytest.approx(u.std(ddof=1) / math.sqrt(400))


def test_equivalence_is_the_ninety_percent_interval_inside_the_margin():
    d = paired_difference(np.zeros(4), np.array([0.01, 0.02, 0.0, 0.01]))
    e = equivalence(d, 0.05)
    assert e.equivalent and e.level == pytest.approx(0.9)
    assert -0.05 < e.ci_low < e.ci_high < 0.05
    assert e.p_value < 0.05
    assert not equivalence(d, 0.015).equivalent
