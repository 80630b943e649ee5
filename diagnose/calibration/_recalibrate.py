"""Recalibration fitted on cv and judged on test: :func:`recalibrate` and its :class:`Recalibration`."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions
from ..metrics import Z95, per_sample_loss, weighted_mean_var
from ..values import Rendered
from ._bins import as_json
from ._calibration import ALPHA, calibration, check_scores
from ._mapping import METHODS, Mapping, fit_mapping

JUDGED = ("one-sided paired z-test of the mean per-row test log-loss gain (before - after; weighted: Kish's "
          "effective size) at alpha / (methods tried) (Bonferroni); recommended: the significant method with "
          "the largest gain, else none")


@dataclass(frozen=True, eq=False)
class MethodResult:
    """One method's test figures before and after, and the test of its log-loss gain.

    >>> r = MethodResult("platt", None, .1, .02, .5, .45, .2, .18, .05, .03, .07, 5.0, 3e-7, True)
    >>> r.to_dict()["log_loss_after"], r.to_dict()["significant"]
    (0.45, True)
    """

    method: str
    mapping: Mapping | None
    ece_before: float
    ece_after: float
    log_loss_before: float
    log_loss_after: float
    brier_before: float
    brier_after: float
    gain: float
    gain_ci_low: float
    gain_ci_high: float
    z: float
    p_value: float
    significant: bool

    def to_dict(self) -> dict:
        return {k: v for k, v in as_json(replace(self, mapping=None)).items() if k != "mapping"}


@dataclass(frozen=True, eq=False)
class Recalibration(Rendered):
    """Each method fitted on cv and judged on test; ``recommended`` is a method or ``"none"``.

    >>> r = Recalibration("binary", 10, 10, (), "none", ALPHA)
    >>> r.to_dict()["recommended"], r.mapping() is None
    ('none', True)
    """

    task: str
    n_cv: int
    n_test: int
    results: tuple[MethodResult, ...]
    recommended: str
    alpha: float = ALPHA
    method: str = JUDGED

    def mapping(self, name: str | None = None) -> Mapping | None:
        """The fitted mapping of ``name`` (default: the recommended one; ``None`` if none is)."""
        name = self.recommended if name is None else name
        return next((r.mapping for r in self.results if r.method == name), None)

    def to_dict(self) -> dict:
        return {"task": self.task, "n_cv": self.n_cv, "n_test": self.n_test,
                "methods": {r.method: r.to_dict() for r in self.results}, "recommended": self.recommended,
                "alpha": self.alpha, "method": self.method}


def _figures(pred: Predictions, bins: int, strategy: str) -> tuple[float, np.ndarray, float]:
    """Test ECE, per-row log loss and mean Brier score (the metrics' definitions, weighted)."""
    brier = float(np.average(per_sample_loss(pred, "brier"), weights=pred.weight))
    return calibration(pred, bins=bins, strategy=strategy, reps=0).ece, per_sample_loss(pred, "log_loss"), brier


def recalibrate(cv: Predictions, test: Predictions, *, method: str = "all", bins: int = 15,
                strategy: str = "uniform", alpha: float = ALPHA) -> Recalibration:
    """Fit ``method`` (platt, isotonic, temperature, or all three) on ``cv`` only (see
    :func:`fit_mapping`) and judge it on ``test``: ECE (as :func:`calibration` gives it), log
    loss and Brier score before and after. A method is recommended only when its log-loss gain
    on test is significant: a one-sided paired z-test of the mean per-row gain (log loss before
    minus after; weighted with Kish's effective size) at ``alpha`` / the number of methods tried;
    of the significant ones, the largest gain; else ``"none"``.

    >>> rng = np.random.default_rng(1)
    >>> def split(n):
    ...     s = rng.uniform(0.05, 0.95, n)
    ...     return Predictions("binary", (rng.random(n) < s).astype(np.int8), 1 / (1 + ((1 - s) / s) ** 3))
    >>> r = recalibrate(split(3000), split(3000))
    >>> r.recommended != "none", r.results[0].ece_after < r.results[0].ece_before
    (True, True)
    """
    check_scores(cv, "recalibration")
    check_scores(test, "recalibration")
    if cv.task != test.task or cv.classes != test.classes:
        raise UsageError(f"cv and test must share the task and classes; cv is {cv.task} {list(cv.classes)}, "
                         f"test {test.task} {list(test.classes)}")
    if method not in (*METHODS, "all"):
        raise UsageError(f"method must be one of {', '.join(METHODS)} or all, not {method!r}")
    names = METHODS if method == "all" else (method,)
    ece0, loss0, brier0 = _figures(test, bins, strategy)
    results = []
    for name in names:
        mapping = fit_mapping(cv, name)
        ece1, loss1, brier1 = _figures(replace(test, y_score=mapping.apply(test.y_score)), bins, strategy)
        gain, var, n_eff = weighted_mean_var(loss0 - loss1, test.weight)
        se = math.sqrt(var / n_eff) if n_eff > 0 else math.inf
        z = gain / se if se > 0 else math.copysign(math.inf, gain) if gain else 0.0
        p = 0.5 * math.erfc(z / math.sqrt(2.0))
        results.append(MethodResult(name, mapping, ece0, ece1, float(np.average(loss0, weights=test.weight)),
                                    float(np.average(loss1, weights=test.weight)), brier0, brier1, gain,
                                    gain - Z95 * se, gain + Z95 * se, z, p, p < alpha / len(names)))
    best = max((r for r in results if r.significant), key=lambda r: r.gain, default=None)
    return Recalibration(cv.task, cv.n, test.n, tuple(results), best.method if best else "none", alpha)
