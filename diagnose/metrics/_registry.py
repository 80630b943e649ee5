"""The registry of metrics: each is a per-row loss whose (weighted) mean is the split error J.

A metric says which tasks it applies to, whether it needs scores or probabilities, how
its 95% interval is formed, and for which tasks it is the default. The report, the
curves, the CLI's ``--metric`` and the common metric test all read this one registry,
so a new metric is one :func:`register` call (and its test).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError

if TYPE_CHECKING:
    from ..ingest import Predictions

# how a metric's interval is formed: a proportion of rows gets a Wilson interval where each
# row is right or wrong (one decision per row), else the normal interval of a mean loss
PROPORTION = "proportion"
MEAN = "mean"


@dataclass(frozen=True)
class Metric:
    """One metric: ``loss(pred)`` gives each row's loss; J is their weighted mean (its root
    when ``root``)."""

    name: str
    tasks: tuple[str, ...]
    loss: Callable[[Predictions], np.ndarray]
    interval: str = MEAN
    needs_scores: bool = False
    root: bool = False
    default_for: tuple[str, ...] = ()
    description: str = ""


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add a metric to the registry (the built-in ones are registered in ``_losses``).

    >>> from diagnose.ingest import Predictions
    >>> from diagnose.metrics import split_error
    >>> mape = register(Metric("mape", ("regression",), lambda p: np.abs(p.y_pred / p.y_true - 1)))
    >>> p = Predictions("regression", np.array([1.0, 2.0, 4.0]), y_pred=np.array([1.5, 3.0, 4.0]))
    >>> round(split_error(p, "mape").error, 3)
    0.333
    >>> del METRICS["mape"]  # leave the registry as it was
    """
    if metric.interval not in (PROPORTION, MEAN):
        raise ValueError(f"metric {metric.name}: interval must be {PROPORTION!r} or {MEAN!r}")
    if metric.root and metric.interval == PROPORTION:
        raise ValueError(f"metric {metric.name}: the root of a mean loss, not of a proportion")
    METRICS[metric.name] = metric
    return metric


def metric(name: str, task: str | None = None) -> Metric:
    """The registered metric ``name``; with ``task``, one that applies to it.

    >>> metric("rmse").root
    True
    >>> metric("brier", "regression")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: metric 'brier' does not apply to a regression task; choose one of ...
    """
    found = METRICS.get(name)
    if task is not None and (found is None or task not in found.tasks):
        raise UsageError(f"metric '{name}' does not apply to a {task} task; "
                         f"choose one of {', '.join(metrics_for(task))}")
    if found is None:
        raise UsageError(f"unknown metric '{name}'; the metrics are {', '.join(METRICS)}")
    return found


def metric_for(name: str | None, pred: Predictions) -> Metric:
    """The metric ``name`` (the task's default when ``None``) as it can be computed on ``pred``:
    it must apply to the task, and a metric of scores needs scores.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> hard = Predictions("binary", np.array([0, 1]), y_pred=np.array([0, 1]))
    >>> metric_for(None, hard).name
    'error_rate'
    >>> metric_for("log_loss", hard)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: metric 'log_loss' needs scores or probabilities; ... Use --metric error_rate
    """
    found = metric(name or default_metric(pred.task), pred.task)
    if found.needs_scores and pred.y_score is None:
        raise UsageError(f"metric '{found.name}' needs scores or probabilities; these files only hold hard "
                         "predictions (y_pred). Use --metric error_rate")
    return found


def metrics_for(task: str) -> tuple[str, ...]:
    """The names of the metrics that apply to ``task``, in registry order.

    >>> metrics_for("binary")
    ('error_rate', 'log_loss', 'brier')
    """
    return tuple(m.name for m in METRICS.values() if task in m.tasks)


def default_metric(task: str) -> str:
    """The metric a report uses for ``task`` unless told otherwise.

    >>> default_metric("regression"), default_metric("multiclass")
    ('half_mse', 'error_rate')
    """
    for m in METRICS.values():
        if task in m.default_for:
            return m.name
    raise UsageError(f"no default metric for a {task} task")


def metric_help() -> str:
    """The metrics, by the tasks they apply to, with each default marked (the CLI's ``--metric`` help).

    >>> help_text = metric_help()
    >>> help_text.startswith("error_rate (default), log_loss, brier;"), "regression: half_mse (default)" in help_text
    (True, True)
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in METRICS.values():
        groups.setdefault(m.tasks, []).append(m.name + (" (default)" if m.default_for else ""))
    parts = []
    for i, (tasks, names) in enumerate(groups.items()):
        label = "" if i == 0 else "/".join(tasks) + ": "
        parts.append(label + ", ".join(names))
    return "; ".join(parts) + "."
