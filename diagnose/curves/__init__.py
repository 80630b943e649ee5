"""Learning and validation curves, from validated runs.

A learning curve plots J_train and J_cv against the training-set size m, reads the
verdict at the largest m with the report's gap rule, and extrapolates J_cv(m) with a
power law to say how much data a target needs. A validation curve plots them against
one hyper-parameter, chooses the value with the lowest J_cv and labels the bias and
variance sides. Reading runs from files is :mod:`diagnose.service`'s ``learning_curve``
and ``validation_curve``.

>>> import numpy as np
>>> m = np.array([100, 200, 400, 800])
>>> fit = fit_power_law(m, [0.3, 0.2, 0.15, 0.125], se=[0.01, 0.01, 0.008, 0.006], target=0.12)
>>> fit.status, fit.asymptote_ci[0] < fit.c < fit.asymptote_ci[1]
('cannot_tell', True)
"""
from __future__ import annotations

from ._coded import learning_curve_from_coded, validation_curve_from_coded
from ._extrapolation import (
                             FLAT_B,
                             MIN_POINTS,
                             POOR_R2,
                             SPECULATIVE_FACTOR,
                             Extrapolation,
                             fit_power_law,
)
from ._learning import (
                             LEARNING_ADVICE,
                             LearningCurve,
                             build_learning_curve,
                             learning_curve_from_runs,
                             learning_curve_from_summary,
                             summary_points,
)
from ._points import CurvePoint, check_metric, long_frame, run_points
from ._powerfit import B_MAX, B_MIN
from ._statistics import (
                             curve_metric,
                             curve_statistics_usable,
                             learning_curve_from_statistics,
                             ordered_keys,
                             validation_curve_from_statistics,
)
from ._validation import (
                             TIE_RULES,
                             ValidationCurve,
                             build_validation_curve,
                             validation_curve_from_runs,
)

__all__ = [
    "B_MAX", "B_MIN", "FLAT_B", "LEARNING_ADVICE", "MIN_POINTS", "POOR_R2", "SPECULATIVE_FACTOR", "TIE_RULES",
    "CurvePoint", "Extrapolation", "LearningCurve", "ValidationCurve", "build_learning_curve",
    "build_validation_curve", "check_metric", "fit_power_law", "learning_curve_from_runs",
    "learning_curve_from_summary", "long_frame", "run_points", "summary_points", "validation_curve_from_runs",
    "learning_curve_from_coded", "validation_curve_from_coded",
    "curve_metric", "curve_statistics_usable", "learning_curve_from_statistics", "ordered_keys",
    "validation_curve_from_statistics",
]
