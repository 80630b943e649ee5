"""The verdict on synthetic models: labels drawn from the scores (calibrated) and the same
scores pushed through sigmoid(3 logit(p)) (overconfident), n = 10,000, 100 redraws."""
from __future__ import annotations

import numpy as np

from diagnose.calibration import calibration
from diagnose.ingest import Predictions

REDRAWS, N = 100, 10_000


def verdict_rates(seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    counts = {"calibrated": 0, "overconfident": 0, "underconfident": 0}
    for _ in range(REDRAWS):
        p = rng.uniform(0.01, 0.99, N)
        y = (rng.random(N) < p).astype(np.int8)
        lo, hi = 1 / (1 + ((1 - p) / p) ** 3), 1 / (1 + ((1 - p) / p) ** (1 / 3))
        counts["calibrated"] += calibration(Predictions("binary", y, p), reps=0).verdict == "calibrated"
        counts["overconfident"] += calibration(Predictions("binary", y, lo), reps=0).verdict == "overconfident"
        counts["underconfident"] += calibration(Predictions("binary", y, hi), reps=0).verdict == "underconfident"
    return {k: v / REDRAWS for k, v in counts.items()}


def test_verdicts_on_synthetic_models():
    rates = verdict_rates(2024)
    assert rates["calibrated"] >= 0.95, rates
    assert rates["overconfident"] >= 0.95, rates
    assert rates["underconfident"] >= 0.95, rates
