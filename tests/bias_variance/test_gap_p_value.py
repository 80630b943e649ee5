"""A gap's one-sided p-value by math.erfc (no scipy import on the report path) against
scipy.special.ndtr, the function it replaces."""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from diagnose.bias_variance._gaps import Gap


def test_one_sided_p_equals_scipy_ndtr_to_1e_12():
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.normal(0, 3, 2000), rng.uniform(-37, 37, 2000), [0.0, 1e-300, -1e-300]])
    se = rng.uniform(1e-4, 10, z.shape[0])
    for value, s in zip(z * se, se):
        gap = Gap("bias", float(value), 0.0, 0.0, 0.0, True, True, se=float(s))
        want = float(ndtr(-value / s))
        assert abs(gap.one_sided_p - want) <= 1e-12 * want + 1e-300, (value, s)
    assert Gap("bias", 0.1, 0, 0, 0, True, True, se=0.0).one_sided_p == 0.0
