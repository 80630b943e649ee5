"""Split errors: the registry of metrics, each split's error J with its 95% interval, and
the trivial baseline.

Classification: ``error_rate`` (fraction misclassified at the default decision; the
default), ``log_loss`` and ``brier``. Regression: ``half_mse`` (the course's
J = sum((y_pred - y)^2) / (2m); the default), ``mse``, ``rmse`` and ``mae``. A new metric
is one :func:`register` call; see docs/architecture.md.

>>> import numpy as np
>>> from diagnose.ingest import Predictions
>>> p = Predictions("regression", np.array([2.0, 4.0]), y_pred=np.array([2.5, 4.0]))
>>> split_error(p).error, {"half_mse", "mae"} <= set(metrics_for("regression"))
(0.0625, True)
"""
from __future__ import annotations

from ._binomial import fair_coin_tail
from ._intervals import Z95, exact_bounds, rate_bounds, rate_interval, strata_interval, wilson_bounds, wilson_interval
from ._losses import LOG_EPS
from ._means import MeanInterval, mean_interval, moments_interval, weighted_mean_var
from ._moments import Moments
from ._registry import (
    MEAN,
    METRICS,
    PROPORTION,
    Metric,
    default_metric,
    metric,
    metric_for,
    metric_help,
    metrics_for,
    register,
)
from ._split import (
    SplitError,
    per_sample_loss,
    rate_error,
    split_error,
    split_error_from,
    thin_strata,
    thin_weight_strata,
    trivial_name,
    trivial_predictions,
)
from ._strata import MAX_STRATA, WeightStrata

CLASSIFICATION_METRICS = metrics_for("binary")
REGRESSION_METRICS = metrics_for("regression")

__all__ = [
    "CLASSIFICATION_METRICS", "LOG_EPS", "MEAN", "METRICS", "MeanInterval", "Metric", "PROPORTION",
    "REGRESSION_METRICS", "SplitError", "Z95", "default_metric", "exact_bounds", "fair_coin_tail", "mean_interval",
    "metric",
    "metric_for", "metric_help", "metrics_for", "per_sample_loss", "rate_bounds", "rate_error", "rate_interval",
    "register", "MAX_STRATA", "Moments", "WeightStrata", "moments_interval", "split_error_from", "strata_interval",
    "thin_strata",
    "split_error", "thin_weight_strata", "trivial_name", "trivial_predictions", "weighted_mean_var", "wilson_bounds",
    "wilson_interval",
]
