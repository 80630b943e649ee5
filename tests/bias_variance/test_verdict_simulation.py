"""The verdict's promises, checked by simulation where the truth is known (fast seeded
versions of benchmarks/uncertainty_verdict.py): no gap counts wrongly more than 5% of the
time, a real gap is not called a good fit, and the suggested sample size decides it."""
from __future__ import annotations

import numpy as np
import pytest

from diagnose.bias_variance import diagnose_bias_variance
from diagnose.metrics import rate_error


def verdicts(rng, p_train, p_cv, n, reps, reference):
    """The verdict and gaps of ``reps`` redraws of binomial error counts."""
    out = []
    for k_train, k_cv in zip(rng.binomial(n, p_train, reps), rng.binomial(n, p_cv, reps)):
        errors = {"train": rate_error("train", "error_rate", k_train / n, n),
                  "cv": rate_error("cv", "error_rate", k_cv / n, n)}
        out.append(diagnose_bias_variance(errors, reference=reference))
    return out


@pytest.mark.parametrize("p, n", [(0.01, 1000), (0.1, 50), (0.1, 1000), (0.3, 100_000)])
def test_no_gap_counts_wrongly_more_than_five_percent(p, n):
    runs = verdicts(np.random.default_rng(1), p, p, n, 400, reference=p)
    wrong = np.mean([any(g.counted for g in v.gaps.values()) for v in runs])
    assert wrong <= 0.07  # 5% plus simulation error at 400 redraws


@pytest.mark.parametrize("p", [0.01, 0.1])
def test_a_real_variance_gap_is_not_called_a_good_fit(p):
    # a variance gap of twice the tolerance (10% of J_train) at 1,000 rows per split
    runs = verdicts(np.random.default_rng(2), p, 1.2 * p, 1000, 400, reference=p)
    assert np.mean([v.verdict == "good_fit" for v in runs]) <= 0.05


def test_at_the_suggested_sample_size_the_gap_counts():
    rng = np.random.default_rng(3)
    p, n = 0.1, 1000
    counted = []
    for v in verdicts(rng, p, 1.2 * p, n, 100, reference=p):
        gap = v.gaps["variance"]
        if gap.status != "inconclusive":
            continue
        # 1,000 train rows are too few for cv alone to decide: rows in each of train and cv
        assert gap.samples_needed_split == "train and cv"
        again = verdicts(rng, p, 1.2 * p, gap.samples_needed, 1, reference=p)[0]
        counted.append(again.gaps["variance"].counted)
    assert len(counted) >= 50
    assert np.mean(counted) >= 0.75
