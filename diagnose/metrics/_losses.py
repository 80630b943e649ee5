"""The built-in metrics: error rate, log loss and Brier score for classification; half the
mean squared error (the course's J), MSE, RMSE and MAE for regression.

Multi-label losses are averaged over the labels of a row, so the error rate is then the
Hamming loss. Probabilities are clipped to [eps, 1 - eps] before taking logs, as
scikit-learn does. No regularisation term is ever added.
"""
from __future__ import annotations

import numpy as np

from ..options import TASK_NAMES
from ._registry import PROPORTION, Metric, register

REGRESSION = ("regression",)
CLASSIFICATION = tuple(task for task in TASK_NAMES if task not in REGRESSION)
LOG_EPS = np.finfo(np.float64).eps


def _row_mean(loss: np.ndarray) -> np.ndarray:
    """A multi-label row's loss is the mean over its labels."""
    return loss.mean(axis=1) if loss.ndim == 2 else loss


def error_rate_loss(pred) -> np.ndarray:
    wrong = pred.decision != pred.y_true
    return wrong.mean(axis=1) if wrong.ndim == 2 else wrong.astype(np.float64)


def log_loss_loss(pred) -> np.ndarray:
    if pred.kind.one_of_classes:  # softmax: -log p(true class)
        p_true = pred.y_score[np.arange(pred.n), pred.y_true]
        return -np.log(np.clip(p_true, LOG_EPS, 1.0))
    p = np.clip(pred.y_score, LOG_EPS, 1.0 - LOG_EPS)
    y = pred.y_true
    return _row_mean(-(y * np.log(p) + (1 - y) * np.log1p(-p)))


def brier_loss(pred) -> np.ndarray:
    if pred.kind.one_of_classes:
        # sum over classes of (p_k - [k == y])^2, without the binary halving
        p_true = pred.y_score[np.arange(pred.n), pred.y_true]
        return np.einsum("ij,ij->i", pred.y_score, pred.y_score) - 2.0 * p_true + 1.0
    return _row_mean((pred.y_score - pred.y_true) ** 2)


def half_squared_loss(pred) -> np.ndarray:
    diff = pred.y_pred - pred.y_true
    return 0.5 * diff * diff


def squared_loss(pred) -> np.ndarray:
    diff = pred.y_pred - pred.y_true
    return diff * diff


def absolute_loss(pred) -> np.ndarray:
    return np.abs(pred.y_pred - pred.y_true)


for _metric in (
    Metric("error_rate", CLASSIFICATION, error_rate_loss, interval=PROPORTION, default_for=CLASSIFICATION,
           description="fraction misclassified at the default decision (multi-label: Hamming loss)"),
    Metric("log_loss", CLASSIFICATION, log_loss_loss, needs_scores=True,
           description="mean negative log-likelihood of the true label"),
    Metric("brier", CLASSIFICATION, brier_loss, needs_scores=True,
           description="mean squared difference between the probabilities and the one-hot truth"),
    Metric("half_mse", REGRESSION, half_squared_loss, default_for=REGRESSION,
           description="J = sum((y_pred - y)^2) / 2m"),
    Metric("mse", REGRESSION, squared_loss, description="mean squared error"),
    Metric("rmse", REGRESSION, squared_loss, root=True, description="root of the mean squared error"),
    Metric("mae", REGRESSION, absolute_loss, description="mean absolute error"),
):
    register(_metric)
