"""Every registered metric through the same invariants (after scikit-learn's
``metrics/tests/test_common.py``): it agrees with scikit-learn, weighted and unweighted;
row order does not matter; weights of one, or all weights scaled, change nothing; the
95% interval holds the estimate. A new metric must name its scikit-learn oracle in
``REFERENCE`` below, and then gets every test here.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from diagnose.ingest import Predictions
from diagnose.metrics import METRICS, split_error

TASKS = ("binary", "multiclass", "multilabel", "regression")
K = 4  # classes (multiclass) or labels (multi-label)


def sample(task: str, n: int, rng: np.random.Generator, *, scores: bool = True) -> Predictions:
    """Random validated predictions of a task, with some signal in the scores."""
    if task == "binary":
        y = rng.integers(0, 2, n).astype(np.int8)
        score = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
        return (Predictions(task, y, y_score=score) if scores
                else Predictions(task, y, y_pred=(score >= 0.5).astype(np.int8)))
    if task == "multiclass":
        y = rng.integers(0, K, n)
        logits = rng.normal(size=(n, K)) + 1.5 * np.eye(K)[y]
        prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        classes = tuple("abcd")
        return (Predictions(task, y, y_score=prob, classes=classes) if scores
                else Predictions(task, y, y_pred=prob.argmax(axis=1), classes=classes))
    if task == "multilabel":
        y = rng.integers(0, 2, (n, K)).astype(np.int8)
        return Predictions(task, y, y_score=np.clip(0.3 * y + 0.7 * rng.random((n, K)), 0, 1), classes=tuple("wxyz"))
    y = rng.normal(10, 3, n)
    return Predictions(task, y, y_pred=y + rng.normal(0, 1, n))


def _per_label(fn):
    """A multi-label figure as the mean of a binary figure over the labels."""
    def mean_over_labels(y, score, w):
        return float(np.mean([fn(y[:, j], score[:, j], w) for j in range(y.shape[1])]))
    return mean_over_labels


def _error_rate(p: Predictions, w):
    if p.task == "multilabel":
        return skm.hamming_loss(p.y_true, (p.y_score >= 0.5).astype(int), sample_weight=w)
    decision = p.y_pred if p.y_score is None else (
        p.y_score.argmax(axis=1) if p.task == "multiclass" else (p.y_score >= 0.5).astype(int))
    return 1.0 - skm.accuracy_score(p.y_true, decision, sample_weight=w)


def _log_loss(p: Predictions, w):
    if p.task == "multilabel":
        return _per_label(lambda y, s, w: skm.log_loss(y, s, sample_weight=w, labels=[0, 1]))(p.y_true, p.y_score, w)
    labels = list(range(K)) if p.task == "multiclass" else [0, 1]
    return skm.log_loss(p.y_true, p.y_score, sample_weight=w, labels=labels)


def _brier(p: Predictions, w):
    if p.task == "multilabel":
        return _per_label(lambda y, s, w: skm.brier_score_loss(y, s, sample_weight=w))(p.y_true, p.y_score, w)
    if p.task == "multiclass":  # the sum over classes of (p_k - [k = y])^2, averaged: no halving
        onehot = np.eye(K)[p.y_true]
        return float(np.average(((p.y_score - onehot) ** 2).sum(axis=1), weights=w))
    return skm.brier_score_loss(p.y_true, p.y_score, sample_weight=w)


# metric -> scikit-learn (or the definition, where scikit-learn has none) on (predictions, weights)
REFERENCE = {
    "error_rate": _error_rate,
    "log_loss": _log_loss,
    "brier": _brier,
    "half_mse": lambda p, w: skm.mean_squared_error(p.y_true, p.y_pred, sample_weight=w) / 2,
    "mse": lambda p, w: skm.mean_squared_error(p.y_true, p.y_pred, sample_weight=w),
    "rmse": lambda p, w: np.sqrt(skm.mean_squared_error(p.y_true, p.y_pred, sample_weight=w)),
    "mae": lambda p, w: skm.mean_absolute_error(p.y_true, p.y_pred, sample_weight=w),
}
CASES = [(name, task) for name, m in METRICS.items() for task in TASKS if task in m.tasks]


def test_every_registered_metric_has_an_oracle():
    assert set(REFERENCE) == set(METRICS)


def test_every_task_has_a_default_and_every_metric_a_task():
    from diagnose.metrics import default_metric

    assert all(default_metric(task) in METRICS for task in TASKS)
    assert all(m.tasks for m in METRICS.values())


@pytest.mark.parametrize("name, task", CASES)
def test_agrees_with_scikit_learn(name, task):
    rng = np.random.default_rng(7)
    for n in (1, 2, 37, 500):
        p = sample(task, n, rng)
        assert split_error(p, name).error == pytest.approx(REFERENCE[name](p, None), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name, task", CASES)
def test_weighted_agrees_with_scikit_learn(name, task):
    rng = np.random.default_rng(8)
    p = sample(task, 300, rng)
    w = rng.exponential(1.0, p.n)
    w[:10] = 0.0  # zero-weight rows count for nothing
    weighted = Predictions(p.task, p.y_true, y_score=p.y_score, y_pred=p.y_pred, classes=p.classes, weight=w)
    assert split_error(weighted, name).error == pytest.approx(REFERENCE[name](p, w), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name, task", CASES)
def test_row_order_does_not_matter(name, task):
    rng = np.random.default_rng(9)
    p = sample(task, 200, rng)
    order = rng.permutation(p.n)
    shuffled = Predictions(p.task, p.y_true[order], classes=p.classes,
                           y_score=None if p.y_score is None else p.y_score[order],
                           y_pred=None if p.y_pred is None else p.y_pred[order])
    a, b = split_error(p, name), split_error(shuffled, name)
    assert (b.error, b.ci_low, b.ci_high) == pytest.approx((a.error, a.ci_low, a.ci_high), rel=1e-12)


@pytest.mark.parametrize("name, task", CASES)
def test_unit_weights_and_scaled_weights_change_nothing(name, task):
    rng = np.random.default_rng(10)
    p = sample(task, 150, rng)
    plain = split_error(p, name)
    for w in (np.ones(p.n), np.full(p.n, 10.0)):
        weighted = split_error(Predictions(p.task, p.y_true, y_score=p.y_score, y_pred=p.y_pred,
                                           classes=p.classes, weight=w), name)
        assert (weighted.error, weighted.ci_low, weighted.ci_high) == pytest.approx(
            (plain.error, plain.ci_low, plain.ci_high), rel=1e-10)


@pytest.mark.parametrize("name, task", CASES)
def test_the_interval_holds_the_estimate(name, task):
    rng = np.random.default_rng(11)
    for n in (5, 80, 2000):
        e = split_error(sample(task, n, rng), name)
        assert 0 <= e.ci_low <= e.error <= e.ci_high and e.n == n and e.metric == name


@pytest.mark.parametrize("name", [n for n, m in METRICS.items() if m.needs_scores])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_metrics_that_need_scores_refuse_hard_predictions(name, task):
    from diagnose.exceptions import UsageError

    p = sample(task, 20, np.random.default_rng(12), scores=False)
    with pytest.raises(UsageError, match="needs scores"):
        split_error(p, name)
