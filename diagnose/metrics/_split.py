"""The error J of one split with its 95% interval."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ..values import json_number, json_value
from ._intervals import Z95, rate_interval, strata_interval
from ._means import moments_interval
from ._moments import Moments
from ._registry import PROPORTION, default_metric, metric, metric_for
from ._strata import WeightStrata

if TYPE_CHECKING:
    from ..ingest import Predictions


@dataclass(frozen=True)
class SplitError:
    """The error J of one split with its 95% interval ``[ci_low, ci_high]``.

    ``se``: the standard error gaps are judged with (a gap's se is the hypot of two). At
    large n it is the (sandwich) standard error sqrt(loss_variance / n_effective); at small
    n it is wider: for an error rate, half the interval's width over 1.96 (which keeps a
    width at 0 errors); for a mean loss, the sandwich standard error times t_df / 1.96 (the
    t interval's half-width over 1.96, without the skewness correction, which only the
    asymmetric ``ci_low``/``ci_high`` carry). ``loss_variance``: the per-row variance of the
    loss, p(1 - p) for an error rate and the (weighted) variance s² for a mean loss, which
    says how many effective rows would settle a gap. ``n_effective``: n without weights;
    with weights the size the sandwich variance of the weighted mean implies, s² / its
    variance (Kish's (sum w)² / sum w² when every loss is equal). ``extras`` are the split's
    other figures (accuracy, precision, ... for classification).
    """

    split: str
    metric: str
    n: int
    error: float
    ci_low: float
    ci_high: float
    se: float
    loss_variance: float
    n_effective: float
    extras: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"n": self.n, "error": json_number(self.error), "ci_low": json_number(self.ci_low),
               "ci_high": json_number(self.ci_high)}
        for key, value in self.extras.items():
            out[key] = json_value(value)
        return out


def per_sample_loss(pred: Predictions, metric_name: str) -> np.ndarray:
    """The loss of each row; J is their (weighted) mean (``rmse``: the root of it).

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("regression", np.array([2.3, 4.1]), y_pred=np.array([2.4, 4.2]))
    >>> round(float(per_sample_loss(p, "half_mse").mean()), 12)
    0.005
    """
    return metric_for(metric_name, pred).loss(pred)


def rate_error(split: str, metric_name: str, rate: float, n: int, n_effective: float | None = None) -> SplitError:
    """The split error of a proportion (an error rate) seen in ``n`` rows (``n_effective`` with
    weights): a Wilson 95% interval whose bound on the side of few errors (at most 15) is the
    exact Clopper–Pearson bound, and the standard error its width implies.

    >>> e = rate_error("cv", "error_rate", 0.2, 100)
    >>> round(e.ci_low, 4), round(e.ci_high, 4), round(e.se, 4)
    (0.1334, 0.2888, 0.0397)
    """
    n_eff = float(n) if n_effective is None else n_effective
    low, high = rate_interval(rate, n_eff)
    # the Wilson width stays honest at 0 or 1 errors, where p(1-p)/n would claim no noise;
    # a rate needs no sample variance: p(1 - p) is its per-row variance
    return SplitError(split, metric_name, n, rate, low, high, (high - low) / (2 * Z95), rate * (1.0 - rate), n_eff)


def split_error(pred: Predictions, metric_name: str | None = None, *, split: str | None = None) -> SplitError:
    """J of one split with its 95% interval.

    Intervals: where each row is right or wrong (``error_rate`` on binary and multiclass
    data) a Wilson score interval, exact (Clopper–Pearson) on the side of at most 15 errors
    (or 15 right answers); otherwise a skewness-corrected t interval around the mean
    per-row loss (Hall 1992; see ``diagnose/metrics/_means.py``); ``rmse`` takes the square
    root of the ``mse`` interval. With sample weights, means are weighted and their
    variance is the linearisation (sandwich) variance of a ratio, which sets the effective
    size of a weighted error rate, or, when the weights take at most 20 distinct values
    (class weights), each value is a stratum and the rate's interval is Price and Bonett's
    adjusted Wald interval over the strata (``stratified_rate_interval``).

    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("binary", np.array([1, 0, 1, 1]), y_score=np.array([0.9, 0.6, 0.2, 0.7]))
    >>> e = split_error(p, "error_rate")
    >>> e.error, e.n
    (0.5, 4)
    """
    name = metric_name or default_metric(pred.task)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            losses = per_sample_loss(pred, name)
            moments = Moments.of(losses, pred.weight)
            strata = None if pred.weight is None else WeightStrata.of(losses, pred.weight)
    except OverflowError:  # Python floats raise where numpy's give infinity
        _refuse_non_finite(name, split or pred.split or "", pred.source, pred.weight is not None)
    return split_error_from(moments, strata, metric_name=name, task=pred.task, split=split or pred.split or "",
                            source=pred.source)


def _refuse_non_finite(name: str, split: str, source: str | None, weighted: bool) -> NoReturn:
    """A J (or its interval) that overflows is no verdict: refuse it with the fix."""
    from ..exceptions import InputError

    squares = name in ("mse", "rmse", "half_mse")
    fix = ("Rescale the values (e.g. divide y_true and y_pred by a power of 10)"
           + (", or use a metric that does not square them (--metric mae)" if squares else ""))
    if weighted:
        fix += ", or scale the weights down"
    raise InputError(f"the {name} of the {split or 'given'} split is not a finite number: the values are too "
                     "large to compute with (they overflow a 64-bit float)", file=source, fix=fix)


def split_error_from(moments: Moments, strata: WeightStrata | None, *, metric_name: str, task: str,
                     split: str = "", source: str | None = None) -> SplitError:
    """J of one split from the (merged) statistics of its per-row losses: their
    :class:`Moments` and, with weights, their :class:`WeightStrata` (``None`` without).
    :func:`split_error` is this on one chunk; the streaming engines merge many.

    >>> losses = np.array([1.0, 0.0, 1.0, 0.0])
    >>> halves = [Moments.of(losses[:2]), Moments.of(losses[2:])]
    >>> e = split_error_from(halves[0].merge(halves[1]), None, metric_name="error_rate", task="binary")
    >>> e.error, e.n
    (0.5, 4)

    A J or interval that is not finite (values that overflow a float) is refused with an
    InputError naming ``source``, the file the rows came from.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = _split_error_from(moments, strata, metric_name, task, split)
    except OverflowError:  # Python floats raise where numpy's give infinity
        _refuse_non_finite(metric_name, split, source, strata is not None)
    if not all(math.isfinite(v) for v in (result.error, result.ci_low, result.ci_high, result.se)):
        _refuse_non_finite(metric_name, split, source, strata is not None)
    return result


def _split_error_from(moments: Moments, strata: WeightStrata | None, metric_name: str, task: str,
                      split: str) -> SplitError:
    from ..ingest import task_type

    m = metric(metric_name, task)
    if m.interval == PROPORTION and not task_type(task).multi_output:
        if strata is None:
            mean, n_eff = moments.mean, float(moments.rows)
        else:
            mean, _, n_eff = moments.mean_var()
            bounds = strata_interval(strata)
            if bounds is not None:  # class weights: Price–Bonett over the weight strata
                low, high = bounds
                return SplitError(split, metric_name, moments.rows, mean, low, high,
                                  (high - low) / (2 * Z95), mean * (1.0 - mean), n_eff)
        return rate_error(split, metric_name, mean, moments.rows, n_eff)
    # a heavy weight on few rows: the skewness correction sees too little of that class's
    # tail, so the interval is taken at the 97.5% level to cover 95% (thin_weight_strata)
    z = Z_THIN if thin_strata(strata, metric_name, task) else Z95
    mean, low, high, se, var, n_eff = moments_interval(moments, z)
    error = mean
    if m.root:
        error = math.sqrt(mean)
        low, high = math.sqrt(low), math.sqrt(high)
        # delta method: d sqrt(x) = dx / (2 sqrt(x))
        se = se / (2 * error) if error > 0 else se
        var = var / (4 * mean) if mean > 0 else var
    return SplitError(split=split, metric=metric_name, n=moments.rows, error=error,
                      ci_low=low, ci_high=high, se=se, loss_variance=var, n_effective=n_eff)


THIN_STRATUM = 30  # fewer rows than this under a heavy weight value: the interval is widened
Z_THIN = 2.241402727604947  # two-sided 97.5% normal quantile: the level that covers 95% there


def thin_weight_strata(pred: Predictions, metric_name: str) -> str | None:
    """A caveat when a mean loss's interval rests on few rows: the weights take a few
    distinct values (class weights) and one of them, carrying at least a fifth of the
    weight, sits on fewer than 30 rows. The skewness correction then sees too little of
    that class's tail: class-weighted log loss with about ten rows of a class weighted 9
    to 1 covered 90–92% in simulation (benchmarks/uncertainty_intervals.py), so
    :func:`split_error` takes such an interval at the 97.5% level (93.6–97.3% coverage).
    Error rates are not affected (their interval is Price and Bonett's over the strata).
    None when nothing is thin.

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([1] * 8 + [0] * 92)
    >>> p = Predictions("binary", y, y_score=np.full(100, 0.3), weight=np.where(y == 1, 5.0, 0.5))
    >>> print(thin_weight_strata(p, "log_loss"))  # doctest: +NORMALIZE_WHITESPACE
    8 rows carry 47% of the weight (weight 5): with fewer than 30 rows there, the interval of
    log_loss is taken at the 97.5% level, which covers about 95% (at 95% it covered 91-92% in
    simulation)
    >>> thin_weight_strata(p, "error_rate") is None
    True
    """
    if pred.weight is None:
        return None
    return thin_strata(WeightStrata.of(np.zeros(pred.n), pred.weight), metric_name, pred.task)


def thin_strata(strata: WeightStrata | None, metric_name: str, task: str) -> str | None:
    """:func:`thin_weight_strata` from the (merged) weight strata of a split (``None``
    without weights).

    >>> s = WeightStrata((0.5, 5.0), (92, 8), (0.0, 0.0))
    >>> thin_strata(s, "log_loss", "binary").startswith("8 rows carry 47% of the weight")
    True
    """
    from ..ingest import task_type

    if strata is None or metric(metric_name, task).interval == PROPORTION and not task_type(task).multi_output:
        return None
    if strata.values is None or not 2 <= len(strata.values) <= 20:
        return None
    values = np.asarray(strata.values, dtype=np.float64)
    counts = np.asarray(strata.counts)
    share = values * counts / float(np.dot(values, counts))
    thin = np.flatnonzero((counts < THIN_STRATUM) & (share >= 0.2))
    if thin.size == 0:
        return None
    h = thin[np.argmax(share[thin])]
    return (f"{counts[h]} rows carry {share[h]:.0%} of the weight (weight {values[h]:.4g}): with fewer than "
            f"{THIN_STRATUM} rows there, the interval of {metric_name} is taken at the 97.5% level, which covers "
            "about 95% (at 95% it covered 91-92% in simulation)")


def trivial_predictions(train: Predictions, target: Predictions) -> Predictions:
    """The trivial model fit on train, applied to ``target``'s rows: the majority class for
    hard decisions, the class prior for probabilities, the mean for regression, all weighted
    by train's sample weights (the task's strategy says how).

    >>> from diagnose.ingest import Predictions
    >>> train = Predictions("regression", np.array([1.0, 3.0]), y_pred=np.array([1.0, 3.0]))
    >>> trivial_predictions(train, train).y_pred.tolist()
    [2.0, 2.0]
    """
    return train.kind.trivial(train, target)


def trivial_name(task: str, metric_name: str) -> str:
    """What the trivial model of ``task`` is, in words.

    >>> trivial_name("binary", "log_loss")
    'class prior of train'
    """
    from ..ingest import task_type

    return task_type(task).trivial_name(metric_name)
