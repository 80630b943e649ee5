"""How well one split's scores are calibrated: :func:`calibration` and its :class:`Calibration`."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions
from ..values import Rendered
from . import _bins
from ._bins import (
    STRATEGIES,
    CalibrationBin,
    as_json,
    exact_eces,
    figures_from,
    logistic_fit,
    normal_eces,
    spiegelhalter_from,
)
from ._slope import SLOPE_SCORES, SlopeSample
from ._sums import CalibrationSums, ProblemSums, problems_of

ALPHA = 0.01
TEST = "Spiegelhalter z (1986); direction by the calibration slope (Cox 1958)"
METHOD = ("ECE = sum over bins of (bin weight share) x |observed rate - mean score|; MCE its largest bin gap; "
          "Brier = reliability - resolution + uncertainty + within_bin (binned Murphy decomposition); "
          "ECE interval: 2.5 and 97.5 percentiles of a seeded bootstrap over rows, bins fixed; "
          "verdict: calibrated unless Spiegelhalter's two-sided p < alpha, then overconfident if the slope of "
          "logistic y ~ logit(score) is below 1 at level alpha (Wald), underconfident if above, else miscalibrated; "
          "multiclass: top-label (max probability vs argmax correct); multi-label: mean over labels, Bonferroni")
VERDICTS = ("calibrated", "overconfident", "underconfident", "miscalibrated")


@dataclass(frozen=True, eq=False)
class Calibration(Rendered):
    """The calibration of one split's scores (see :func:`calibration` for every figure).

    >>> c = calibration(Predictions("binary", np.array([0, 1, 1, 0], np.int8), np.array([.2, .7, .9, .4])), reps=0)
    >>> sorted(c.to_dict())[:6]
    ['alpha', 'bins', 'bins_strategy', 'brier', 'classes', 'classwise_ece']
    """

    task: str
    n: int
    ece: float
    ece_ci_low: float
    ece_ci_high: float
    mce: float
    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin: float
    bins: tuple[CalibrationBin, ...]
    verdict: str
    z: float
    p_value: float
    slope: float
    slope_se: float
    intercept: float
    bins_strategy: str = "uniform"
    alpha: float = ALPHA
    reps: int = 0
    seed: int = 0
    classwise_ece: float = math.nan
    classes: Mapping[str, Calibration] = field(default_factory=dict)
    labels: Mapping[str, Calibration] = field(default_factory=dict)
    test: str = TEST
    method: str = METHOD

    def to_dict(self) -> dict:
        out = as_json(self)
        for nested in ("classes", "labels"):  # a class's or label's figures, without what the split says once
            for part in out[nested].values():
                for key in SHARED:
                    part.pop(key, None)
        return out


# keys a class's or label's calibration shares with its split's, left out of the nested JSON
SHARED = ("task", "bins_strategy", "alpha", "reps", "seed", "test", "method", "classes", "labels", "classwise_ece")


def check_scores(pred: Predictions, what: str = "calibration") -> None:
    """Refuse predictions that have no calibration: regression, or hard predictions without scores."""
    if not pred.kind.classification:
        raise UsageError(f"{what} needs classification scores, but {pred.source} holds {pred.task} predictions")
    if pred.y_score is None:
        raise UsageError(f"{what} needs scores (y_score, or y_prob_<class> columns), but {pred.source} has only "
                         "hard predictions (y_pred)")
    if pred.n == 0:
        raise UsageError(f"{what} needs at least one row; {pred.source} has none")


def _check_options(bins: int, strategy: str, reps: int, alpha: float) -> None:
    for name, value, least in (("bins", bins, 1), ("reps", reps, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise UsageError(f"{name} must be a whole number >= {least}, not {value!r}")
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")


def _verdict(p_value: float, slope: float, se: float, alpha: float) -> str:
    if not p_value < alpha:
        return "calibrated"
    z = (slope - 1.0) / se if se > 0 else math.nan
    upper = 1.0 - alpha / 2.0  # rounds to 1 for alpha below about 1e-16: an infinite critical value
    crit = NormalDist().inv_cdf(upper) if upper < 1.0 else math.inf
    return "overconfident" if z < -crit else "underconfident" if z > crit else "miscalibrated"


# the calibration slope is fitted on the rows of at most this many distinct scores
SLOPE_ROWS = SLOPE_SCORES


def slope_from(sample: SlopeSample) -> tuple[float, float, float]:
    """The calibration slope, intercept and the slope's standard error from the slope's
    sample (:class:`~diagnose.calibration._slope.SlopeSample`): every row of at most
    ``SLOPE_ROWS`` distinct scores, those of smallest seeded hash (all of them when there are
    no more). A score's rows are kept or left together, whatever their outcomes, so the
    sample does not select on the outcome; the slope only says which way a rejected split
    leans, and 50,000 scores pin it to about +-0.02. The weights are rescaled to sum to the
    sample's rows; each score enters the fit as two rows, its 0 and its 1 outcomes with their
    summed weights (the same likelihood as its rows one by one).

    >>> s, y = np.array([.25, .25, .25, .75, .75, .75]), np.array([0., 0, 1, 0, 1, 1])
    >>> a, b, se = slope_from(SlopeSample.of(s, y, np.ones(6), 0))
    >>> round(a, 4), round(b, 4) + 0.0
    (0.6309, 0.0)
    >>> slope_from(SlopeSample.of(s, y, np.zeros(6), 0))  # no weight: no slope
    (nan, nan, nan)
    """
    total = float((sample.weight0 + sample.weight1).sum())
    if total <= 0:  # every sampled row weighs 0 (sparse weights): no slope to fit
        return math.nan, math.nan, math.nan
    scale = float(sample.rows.sum()) / total
    w = np.concatenate([sample.weight0, sample.weight1]) * scale
    keep = w > 0
    s = np.concatenate([sample.score, sample.score])[keep]
    y = np.concatenate([np.zeros(len(sample.score)), np.ones(len(sample.score))])[keep]
    return logistic_fit(s, y, w[keep])


def _slope(s: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> tuple[float, float, float]:
    """The calibration slope of rows (see :func:`slope_from`)."""
    return slope_from(SlopeSample.of(s, y, w, seed))


def basic_interval(ece: float, eces: np.ndarray) -> tuple[float, float]:
    """The 95% interval of the ECE: the basic bootstrap interval [2 ECE - q_hi, 2 ECE - q_lo],
    clipped at 0, from the 0.5% and 99.5% quantiles of the bootstrap ECEs. The ECE is biased
    upwards (noise adds to every bin's gap) and its bootstrap copies are biased upwards
    again: the basic interval reflects that bias back, where the percentile interval doubles
    it. The bootstrap also under-states the ECE's spread (the absolute value in every bin), so
    the quantiles are those that give 95% coverage in simulation (94-97% over ECEs of 0.03
    and 0.1 at 1,000 and 10,000 rows, `benchmarks/calibration_compare.py`; the 2.5% and 97.5%
    quantiles gave 88-90%): the level is calibrated by simulation, as in Beran's prepivoting.

    Resamples without an ECE (NaN: every row drawn weighs 0) are left out; with none left,
    there is no interval (NaN, NaN), never a made-up [0, 0]. The interval stays in [0, 1].

    >>> basic_interval(0.05, np.array([0.05, 0.06, 0.07]))
    (0.030..., 0.049...)
    >>> basic_interval(0.3, np.array([np.nan, np.nan]))
    (nan, nan)
    """
    eces = eces[np.isfinite(eces)]
    if not len(eces):
        return math.nan, math.nan
    q_low, q_high = np.percentile(eces, [0.5, 99.5])
    low, high = 2 * ece - float(q_high), 2 * ece - float(q_low)
    return min(1.0, max(0.0, low)), min(1.0, max(0.0, high))  # an ECE lies in [0, 1]


def _binary(p: ProblemSums, n: int, eces: np.ndarray | None, *, strategy, alpha, reps, seed) -> Calibration:
    """The figures of one binary problem from its sums; ``eces``: its bootstrap ECEs (``None``:
    the split's rows were not kept, its interval is NaN)."""
    f = figures_from(p.edges, p.bins, p.brier)
    z, pv = spiegelhalter_from(*p.spiegelhalter)
    slope, intercept, se = slope_from(p.sample)
    low, high = (math.nan, math.nan) if eces is None else basic_interval(f["ece"], eces)
    return Calibration(task="binary", n=n, ece_ci_low=float(low), ece_ci_high=float(high),
                       verdict=_verdict(pv, slope, se, alpha), z=z, p_value=pv, slope=slope, slope_se=se,
                       intercept=intercept, bins_strategy=strategy, alpha=alpha, reps=reps, seed=seed, **f)


def binary_problems(pred: Predictions) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The scores and 0/1 outcomes of each one-vs-rest column (binary: the one column)."""
    score, truth = np.asarray(pred.y_score, dtype=np.float64), np.asarray(pred.y_true)
    if pred.task == "binary":
        return [score], [truth.astype(np.float64)]
    cols = range(score.shape[1])
    hits = [truth == k if pred.kind.one_of_classes else truth[:, k] for k in cols]
    return [score[:, k] for k in cols], [h.astype(np.float64) for h in hits]


def calibration(pred: Predictions, *, bins: int = 15, strategy: str = "uniform", reps: int = 200, seed: int = 0,
                alpha: float = ALPHA) -> Calibration:
    """The calibration of one split's scores: ECE (with a bootstrap 95% interval), MCE, the Brier
    score and its binned decomposition (see :func:`~diagnose.calibration._bins.figures`), the
    reliability bins, and a verdict from a test at level ``alpha`` (default 0.01). The ECE
    interval is the bootstrap percentile interval; as the ECE is biased upwards (noise adds
    to every bin gap), for well calibrated scores it can lie above the ECE itself.

    Verdict: Spiegelhalter's z-test of calibration; not rejected -> ``calibrated``; rejected ->
    the calibration slope (Cox 1958; Van Calster et al. 2019), the slope ``a`` of a weighted
    logistic regression ``y ~ b + a logit(score)``, decides the direction: ``a`` below 1 by a
    Wald test at level ``alpha`` -> ``overconfident`` (scores too extreme), above 1 ->
    ``underconfident``, otherwise ``miscalibrated``.

    ``bins`` bins, ``strategy`` ``uniform`` (equal widths on [0, 1]) or ``quantile`` (equal row
    counts). Weights (``pred.weight``) weight every mean, the bin shares of the ECE, the Brier
    score and the tests (the slope with the weights rescaled to sum to n). Binary: the
    positive-class score. Multiclass: top-label (confidence = largest probability, outcome =
    argmax is right) for every top-level figure (``brier`` is then the top-label Brier), plus
    ``classes`` (one-vs-rest figures per class) and ``classwise_ece``, their mean ECE.
    Multi-label: ``labels`` (the figures per label); ``ece``, ``brier`` and its parts are the
    means over labels, ``mce`` the largest, ``bins`` pool every (row, label) cell, the verdict
    is Bonferroni over the labels (``p_value`` = labels x the smallest p, ``z`` that label's;
    calibrated if no label is rejected at ``alpha``, else the rejected labels' shared direction
    or ``miscalibrated``); no top-level slope.

    >>> rng = np.random.default_rng(0)
    >>> s = rng.uniform(0.05, 0.95, 5000)
    >>> c = calibration(Predictions("binary", (rng.random(5000) < s).astype(np.int8), s), reps=50)
    >>> c.verdict, c.ece < 0.03, len(c.bins), 0 <= c.ece_ci_low < c.ece_ci_high < 0.05
    ('calibrated', True, 15, True)
    >>> over = 1 / (1 + ((1 - s) / s) ** 3)  # sigmoid(3 logit(s)): scores too extreme
    >>> calibration(Predictions("binary", (rng.random(5000) < s).astype(np.int8), over), reps=0).verdict
    'overconfident'
    """
    check_scores(pred)
    _check_options(bins, strategy, reps, alpha)
    sums = CalibrationSums.of(pred, bins=bins, strategy=strategy, seed=seed, keep=None)
    return calibration_from_sums(sums, strategy=strategy, reps=reps, alpha=alpha)


def bootstrap_from_sums(sums: CalibrationSums, reps: int) -> np.ndarray | None:
    """The bootstrap ECEs (reps, problems) of a split's sums: from the bin sums' normal limit
    above ``EXACT_BOOTSTRAP_ROWS`` rows, else by resampling the kept rows (``None`` when the
    rows were not kept)."""
    problems = sums.problems
    if reps == 0:
        return np.empty((0, len(problems)))
    if sums.n > _bins.EXACT_BOOTSTRAP_ROWS:
        return normal_eces([p.bins for p in problems], reps, sums.seed)
    if sums.rows is None:
        return None
    truth, score, w = sums.rows
    rows = problems_of(sums.task, truth, score)
    return exact_eces([(s, y, p.edges) for (s, y), p in zip(rows, problems)], w, reps, sums.seed)


def calibration_from_sums(sums: CalibrationSums, *, strategy: str = "uniform", reps: int = 200,
                          alpha: float = ALPHA) -> Calibration:
    """The calibration of a split from its :class:`~diagnose.calibration._sums.CalibrationSums`
    (merged over chunks by a streaming engine, or of the whole split: :func:`calibration`
    finalizes through here too). ``strategy`` only names the bins the sums were taken on.

    >>> from diagnose.calibration import CalibrationSums
    >>> y, s = np.array([0, 1, 1, 0, 1], np.int8), np.array([0.1, 0.8, 0.6, 0.3, 0.9])
    >>> a = CalibrationSums.of(Predictions("binary", y[:3], s[:3]), bins=5)
    >>> b = CalibrationSums.of(Predictions("binary", y[3:], s[3:]), bins=5)
    >>> round(calibration_from_sums(a.merge(b), reps=0).ece, 3)  # as calibration() of the five rows
    0.22
    """
    kw = {"strategy": strategy, "alpha": alpha, "reps": reps, "seed": sums.seed}
    eces = bootstrap_from_sums(sums, reps)
    each = [_binary(p, sums.n, None if eces is None else eces[:, j], **kw) for j, p in enumerate(sums.problems)]
    if sums.task == "binary":
        return each[0]
    if sums.task == "multiclass":
        top, per = each[0], dict(zip(sums.classes, each[1:]))
        return replace(top, task=sums.task, classwise_ece=float(np.mean([c.ece for c in per.values()])),
                       classes=per)
    return _multilabel(sums, each, eces, kw)


def _multilabel(sums: CalibrationSums, each: list[Calibration], eces: np.ndarray | None, kw) -> Calibration:
    labels = len(each)
    assert sums.pooled is not None and sums.pooled_edges is not None
    bins = figures_from(sums.pooled_edges, sums.pooled, 0.0)["bins"]
    worst = min(each, key=lambda c: c.p_value)
    rejected = {c.verdict for c in each if c.p_value < kw["alpha"] / labels}
    verdict = "calibrated" if not rejected else rejected.pop() if len(rejected) == 1 else "miscalibrated"
    ece = float(np.mean([c.ece for c in each]))
    low, high = (math.nan, math.nan) if eces is None else basic_interval(ece, eces.mean(axis=1))

    def mean(key: str) -> float:
        return float(np.mean([getattr(c, key) for c in each]))

    return Calibration(sums.task, sums.n, ece, float(low), float(high), max(c.mce for c in each),
                       mean("brier"), mean("reliability"), mean("resolution"), mean("uncertainty"),
                       mean("within_bin"), bins, verdict, worst.z, min(1.0, labels * worst.p_value), math.nan,
                       math.nan, math.nan, kw["strategy"], kw["alpha"], kw["reps"], kw["seed"],
                       labels=dict(zip(sums.classes, each)))
