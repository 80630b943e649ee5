"""Split error J and its 95% interval.

Classification: ``error_rate`` (fraction misclassified at the default decision; the
default), ``log_loss`` and ``brier``. Regression: ``half_mse`` (the course's
J = sum((y_pred - y)^2) / (2m); the default), ``mse``, ``rmse`` and ``mae``. No
regularisation term is ever added. Multi-label errors are averaged over the labels of
a row (``error_rate`` is then the Hamming loss).

Intervals: a Wilson score interval for ``error_rate`` on binary and multiclass data;
for every other metric a normal (central-limit) interval around the mean per-sample
loss, mean +/- 1.96 * sd / sqrt(n); ``rmse`` takes the square root of the ``mse``
interval. With sample weights, means are weighted and n is Kish's effective sample
size (sum w)^2 / sum w^2.
"""
from __future__ import annotations

import math

import numpy as np

from .ingest import Predictions
from .results import SplitError

Z95 = 1.959963984540054  # two-sided 95% normal quantile
CLASSIFICATION_METRICS = ("error_rate", "log_loss", "brier")
REGRESSION_METRICS = ("half_mse", "mse", "rmse", "mae")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS
# probabilities are clipped to [eps, 1 - eps] before taking logs, as scikit-learn does
LOG_EPS = np.finfo(np.float64).eps


def default_metric(task: str) -> str:
    return "half_mse" if task == "regression" else "error_rate"


def metrics_for(task: str) -> tuple[str, ...]:
    return REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS


def per_sample_loss(pred: Predictions, metric: str) -> np.ndarray:
    """The loss of each row; J is their (weighted) mean (``rmse``: the root of it).

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("regression", np.array([2.3, 4.1]), y_pred=np.array([2.4, 4.2]))
    >>> round(float(per_sample_loss(p, "half_mse").mean()), 12)
    0.005
    """
    task = pred.task
    if task == "regression":
        diff = pred.y_pred - pred.y_true
        if metric == "half_mse":
            return 0.5 * diff * diff
        if metric in ("mse", "rmse"):
            return diff * diff
        if metric == "mae":
            return np.abs(diff)
        raise ValueError(f"metric '{metric}' does not apply to regression")
    if metric == "error_rate":
        wrong = pred.decision != pred.y_true
        return wrong.mean(axis=1) if wrong.ndim == 2 else wrong.astype(np.float64)
    if pred.y_score is None:
        raise ValueError(f"metric '{metric}' needs scores or probabilities, not only y_pred")
    if task == "multiclass":
        p_true = pred.y_score[np.arange(pred.n), pred.y_true]
        if metric == "log_loss":
            return -np.log(np.clip(p_true, LOG_EPS, 1.0))
        if metric == "brier":
            # sum over classes of (p_k - [k == y])^2, without the binary halving
            sq = np.einsum("ij,ij->i", pred.y_score, pred.y_score)
            return sq - 2.0 * p_true + 1.0
    else:  # binary (n,) or multilabel (n, labels)
        p = pred.y_score
        y = pred.y_true
        if metric == "log_loss":
            p = np.clip(p, LOG_EPS, 1.0 - LOG_EPS)
            loss = -(y * np.log(p) + (1 - y) * np.log1p(-p))
        elif metric == "brier":
            loss = (p - y) ** 2
        else:
            raise ValueError(f"unknown metric '{metric}'")
        return loss.mean(axis=1) if loss.ndim == 2 else loss
    raise ValueError(f"unknown metric '{metric}'")


def weighted_mean_var(values: np.ndarray, weight: np.ndarray | None) -> tuple[float, float, float]:
    """Mean, per-sample variance and effective sample size of ``values``."""
    if weight is None:
        n = values.shape[0]
        mean = float(values.mean())
        var = float(values.var(ddof=1)) if n > 1 else 0.0
        return mean, var, float(n)
    wsum = float(weight.sum())
    mean = float(np.dot(weight, values) / wsum)
    n_eff = wsum * wsum / float(np.dot(weight, weight))
    var = float(np.dot(weight, (values - mean) ** 2) / wsum)
    if n_eff > 1:
        var *= n_eff / (n_eff - 1)
    return mean, var, n_eff


def wilson_interval(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` seen in ``n`` trials.

    >>> lo, hi = wilson_interval(0.1, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.0552, 0.1744)
    """
    if n <= 0:
        return (0.0, 1.0)
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denom
    low = 0.0 if p <= 0 else max(0.0, centre - half)
    high = 1.0 if p >= 1 else min(1.0, centre + half)
    return (low, high)


def split_error(pred: Predictions, metric: str | None = None, *, split: str | None = None) -> SplitError:
    """J of one split with its 95% interval.

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("binary", np.array([1, 0, 1, 1]), y_score=np.array([0.9, 0.6, 0.2, 0.7]))
    >>> e = split_error(p, "error_rate")
    >>> e.error, e.n
    (0.5, 4)
    """
    metric = metric or default_metric(pred.task)
    losses = per_sample_loss(pred, metric)
    if metric == "error_rate" and pred.task in ("binary", "multiclass"):
        # a rate needs no sample variance: p(1 - p) is its per-sample variance
        if pred.weight is None:
            mean, n_eff = float(losses.mean()), float(pred.n)
        else:
            mean, _, n_eff = weighted_mean_var(losses, pred.weight)
        var = mean * (1.0 - mean)
        low, high = wilson_interval(mean, n_eff)
        # the Wilson width stays honest at 0 or 1 errors, where p(1-p)/n would claim no noise
        se = (high - low) / (2 * Z95)
    else:
        mean, var, n_eff = weighted_mean_var(losses, pred.weight)
        se = math.sqrt(var / n_eff) if n_eff > 0 else float("inf")
        low, high = max(0.0, mean - Z95 * se), mean + Z95 * se
    error = mean
    if metric == "rmse":
        error = math.sqrt(mean)
        low, high = math.sqrt(low), math.sqrt(high)
        # delta method: d sqrt(x) = dx / (2 sqrt(x))
        se = se / (2 * error) if error > 0 else se
        var = var / (4 * mean) if mean > 0 else var
    return SplitError(split=split or pred.split or "", metric=metric, n=pred.n, error=error,
                      ci_low=low, ci_high=high, se=se, loss_variance=var, n_effective=n_eff)


def trivial_predictions(train: Predictions, target: Predictions) -> Predictions:
    """The trivial model fit on train, applied to ``target``'s rows.

    Majority class for hard decisions, the class prior for probabilities, the mean for
    regression; all weighted by the sample weights of train (the task's strategy says how).
    """
    return train.kind.trivial(train, target)


def trivial_name(task: str, metric: str) -> str:
    from .ingest import task_type

    return task_type(task).trivial_name(metric)
