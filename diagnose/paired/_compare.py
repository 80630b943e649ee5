"""Comparing two models on the same rows: one split (:func:`compare_predictions`), cv and
test (:func:`compare_splits`), and the gate's question (:func:`worse_with_confidence`)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import UsageError
from ..metrics import PROPORTION, metric, metric_for, metrics_for
from ..values import Rendered, json_number
from ._bootstrap import BootstrapDifference, Figure, f1_figure, mean_figure, paired_bootstrap
from ._delong import DeLong, delong_test
from ._join import align
from ._stats import Difference, Equivalence, McNemar, equivalence, mcnemar, one_sided_worse, paired_difference

if TYPE_CHECKING:
    from ..ingest import Predictions, Splits

B_BETTER, A_BETTER, NO_DIFFERENCE, EQUIVALENT = "b_better", "a_better", "no_difference_shown", "equivalent"
VERDICTS = (B_BETTER, A_BETTER, NO_DIFFERENCE, EQUIVALENT)
COMPARED_SPLITS = ("cv", "test")
VERDICT_SPLIT = "cv"
SCORE_FIGURES = ("log_loss", "brier")


@dataclass(frozen=True)
class SplitComparison(Rendered):
    """Models a and b compared on the rows of one split (``b - a`` throughout).

    ``difference``: the report metric's paired interval; ``verdict`` one of
    :data:`VERDICTS`, decided by ``verdict_by`` (``"mcnemar"`` or ``"interval"``);
    ``mcnemar``: the exact test of the default decisions (classification); ``bootstrap``:
    F1 (macro F1), log loss and Brier where they apply; ``delong``: one test per label
    with scores (binary: one, ``label`` None); ``equivalence``: TOST when a margin is given.
    """

    split: str
    task: str
    metric: str
    n: int
    alpha: float
    difference: Difference
    verdict: str
    verdict_by: str
    mcnemar: McNemar | None = None
    bootstrap: tuple[BootstrapDifference, ...] = ()
    delong: tuple[DeLong, ...] = ()
    equivalence: Equivalence | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"split": self.split, "task": self.task, "metric": self.metric, "n": self.n, "alpha": self.alpha,
                "verdict": self.verdict, "verdict_by": self.verdict_by, "difference": self.difference.to_dict(),
                "equivalence": None if self.equivalence is None else self.equivalence.to_dict(),
                "mcnemar": None if self.mcnemar is None else self.mcnemar.to_dict(),
                "bootstrap": {b.figure: b.to_dict() for b in self.bootstrap},
                "delong": [d.to_dict() for d in self.delong], "warnings": list(self.warnings)}


@dataclass(frozen=True)
class PairedComparison(Rendered):
    """Models a and b compared split by split; ``verdict`` is ``verdict_split``'s (cv's)."""

    metric: str
    verdict: str
    verdict_split: str
    alpha: float
    margin: float | None
    splits: Mapping[str, SplitComparison] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"metric": self.metric, "verdict": self.verdict, "verdict_split": self.verdict_split,
                "alpha": self.alpha, "margin": json_number(self.margin),
                "splits": {name: s.to_dict() for name, s in self.splits.items()}, "warnings": list(self.warnings)}


def _check_options(margin: float | None, alpha: float, reps: int = 0) -> None:
    if not 0 < alpha < 0.5:
        raise UsageError(f"alpha must lie strictly between 0 and 0.5, not {alpha}")
    if margin is not None and not (math.isfinite(margin) and margin >= 0):
        raise UsageError(f"the margin must be a number >= 0 (in the metric's units), not {margin}")
    if reps < 0:
        raise UsageError(f"reps must be >= 0 (0: no bootstrap), not {reps}")


def _one_hot(codes: np.ndarray, k: int) -> np.ndarray:
    return np.arange(k)[None, :] == np.asarray(codes)[:, None]


def _figures(a: Predictions, b: Predictions) -> list[Figure]:
    """The bootstrapped figures that apply: F1 (macro F1), and log loss and Brier with scores."""
    if a.kind.multi_output:
        figures = [f1_figure(a.y_true, a.decision, b.decision, "macro_f1")]
    elif a.kind.one_of_classes:
        k = len(a.classes)
        figures = [f1_figure(_one_hot(a.y_true, k), _one_hot(a.decision, k), _one_hot(b.decision, k), "macro_f1")]
    else:
        figures = [f1_figure(a.y_true[:, None] == 1, a.decision[:, None] == 1, b.decision[:, None] == 1)]
    if a.y_score is not None and b.y_score is not None:
        for name in SCORE_FIGURES:
            if name in metrics_for(a.task):
                loss = metric(name, a.task).loss
                figures.append(mean_figure(name, loss(a), loss(b)))
    return figures


def _delong(a: Predictions, b: Predictions, alpha: float) -> tuple[DeLong, ...]:
    if a.y_score is None or b.y_score is None or a.kind.one_of_classes:
        return ()
    if not a.kind.multi_output:
        return (delong_test(a.y_true, a.y_score, b.y_score, a.weight, alpha=alpha),)
    return tuple(delong_test(a.y_true[:, j], a.y_score[:, j], b.y_score[:, j], a.weight, label=label, alpha=alpha)
                 for j, label in enumerate(a.classes))


def _verdict(diff: Difference, test: McNemar | None, eq: Equivalence | None, alpha: float) -> str:
    if eq is not None and eq.equivalent:
        return EQUIVALENT
    if test is not None:
        if test.p_value < alpha:
            return B_BETTER if test.n10 > test.n01 else A_BETTER
        return NO_DIFFERENCE
    if diff.ci_high < 0:
        return B_BETTER
    if diff.ci_low > 0:
        return A_BETTER
    return NO_DIFFERENCE


def compare_predictions(a: Predictions, b: Predictions, *, split: str = "cv", metric: str | None = None,
                        margin: float | None = None, reps: int = 1000, seed: int = 0,
                        alpha: float = 0.05) -> SplitComparison:
    """Compare model b with model a on the same rows of one split (joined by id).

    The verdict: ``equivalent`` when ``margin`` is given and the ``1 - 2 alpha`` interval of
    ``b - a`` lies within ``+/- margin`` (TOST); else ``b_better`` / ``a_better`` when the
    deciding test rejects "no difference" at ``alpha``, else ``no_difference_shown``. The
    deciding test is the exact McNemar test for ``error_rate`` on binary and multiclass rows
    without weights, the ``1 - alpha`` paired interval of the metric otherwise.

    >>> from diagnose.ingest import Predictions
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400); ids = np.arange(400)
    >>> a = Predictions("binary", y, y_score=np.clip(0.5 * y + 0.6 * rng.random(400), 0, 1), ids=ids)
    >>> b = Predictions("binary", y, y_score=np.clip(0.5 * y + 0.45 * rng.random(400) + 0.03, 0, 1), ids=ids)
    >>> c = compare_predictions(a, b, reps=200)
    >>> c.verdict, c.verdict_by, c.difference.estimate < 0, sorted(c.to_dict()["bootstrap"])
    ('b_better', 'mcnemar', True, ['brier', 'f1', 'log_loss'])
    """
    _check_options(margin, alpha, reps)
    a, b, warned = align(a, b)
    warnings = list(warned)
    chosen = metric_for(metric, a)
    metric_for(chosen.name, b)  # b must support it too (scores)
    diff = paired_difference(chosen.loss(a), chosen.loss(b), a.weight, metric=chosen.name, root=chosen.root,
                             alpha=alpha)
    if not math.isfinite(diff.se):
        warnings.append(f"{a.n} row(s): too few for an interval of the difference")
    test = None
    boot: list[BootstrapDifference] = []
    delong: tuple[DeLong, ...] = ()
    if a.kind.classification:
        wrong_a, wrong_b = a.decision != a.y_true, b.decision != b.y_true
        means = "the decision differs from the label"
        if a.kind.multi_output:
            wrong_a, wrong_b = wrong_a.any(axis=1), wrong_b.any(axis=1)
            means = "any label of the row is decided wrong"
        test = mcnemar(wrong_a, wrong_b, means)
        if a.weight is not None:
            warnings.append("McNemar's test counts rows and ignores the sample weights; "
                            "the verdict uses the weighted interval")
        if a.y_score is None or b.y_score is None:
            which = " and ".join(name for name, p in (("a", a), ("b", b)) if p.y_score is None)
            warnings.append(f"{which}: hard predictions only, so no log loss, Brier or AUC comparison")
        if reps > 0:
            boot = paired_bootstrap(_figures(a, b), a.weight, reps=reps, seed=seed, alpha=alpha)
            for r in boot:
                if r.failed:
                    warnings.append(f"{r.figure} is undefined in {r.failed} of {r.reps} resamples (left out)")
        delong = _delong(a, b, alpha)
        for d in delong:
            if math.isnan(d.auc_a):
                warnings.append(f"AUC{'' if d.label is None else ' of label ' + d.label} needs positive and "
                                "negative rows; not compared")
    by_mcnemar = (test is not None and chosen.interval == PROPORTION and not a.kind.multi_output
                  and a.weight is None)
    eq = None if margin is None else equivalence(diff, margin, alpha)
    verdict = _verdict(diff, test if by_mcnemar else None, eq, alpha)
    return SplitComparison(split, a.task, chosen.name, a.n, alpha, diff, verdict,
                           "mcnemar" if by_mcnemar else "interval", test, tuple(boot), delong, eq, tuple(warnings))


def _as_dict(splits: Mapping[str, Predictions] | Splits) -> dict[str, Predictions]:
    return {name: p for name, p in splits.items() if p is not None}


def compare_splits(a: Mapping[str, Predictions] | Splits, b: Mapping[str, Predictions] | Splits, *,
                   metric: str | None = None, margin: float | None = None, reps: int = 1000, seed: int = 0,
                   alpha: float = 0.05) -> PairedComparison:
    """Compare model b with model a on cv and, when both have it, test (train is not compared).

    The overall verdict is cv's: cv is where models are chosen (as thresholds are in a
    report), and test, held out for the final estimate, is reported alongside; a warning
    says when test points another way.

    >>> from diagnose.ingest import Predictions
    >>> y = np.array([0, 1] * 50); ids = np.arange(100)
    >>> a = {"cv": Predictions("binary", y, y_pred=np.where(ids < 20, 1 - y, y), ids=ids)}
    >>> b = {"cv": Predictions("binary", y, y_pred=y, ids=ids)}
    >>> r = compare_splits(a, b, reps=0)
    >>> r.verdict, list(r.splits), r.to_dict()["splits"]["cv"]["mcnemar"]["a_wrong_b_right"]
    ('b_better', ['cv'], 20)
    """
    _check_options(margin, alpha, reps)
    a_splits, b_splits = _as_dict(a), _as_dict(b)
    if VERDICT_SPLIT not in a_splits or VERDICT_SPLIT not in b_splits:
        lacking = " and ".join(name for name, s in (("a", a_splits), ("b", b_splits)) if VERDICT_SPLIT not in s)
        raise UsageError(f"the comparison is judged on {VERDICT_SPLIT}; {lacking} has no {VERDICT_SPLIT} split")
    warnings = []
    results: dict[str, SplitComparison] = {}
    for name in COMPARED_SPLITS:
        if name in a_splits and name in b_splits:
            results[name] = compare_predictions(a_splits[name], b_splits[name], split=name, metric=metric,
                                                margin=margin, reps=reps, seed=seed, alpha=alpha)
        elif name in a_splits or name in b_splits:
            warnings.append(f"{name} is only in {'a' if name in a_splits else 'b'}; not compared")
    verdict = results[VERDICT_SPLIT].verdict
    for name, r in results.items():
        if name != VERDICT_SPLIT and r.verdict not in (verdict, NO_DIFFERENCE):
            warnings.append(f"{name} says {r.verdict} where {VERDICT_SPLIT} says {verdict}; "
                            f"the verdict follows {VERDICT_SPLIT}")
    return PairedComparison(results[VERDICT_SPLIT].metric, verdict, VERDICT_SPLIT, alpha, margin, results,
                            tuple(warnings))


def worse_with_confidence(a_old: Predictions, b_new: Predictions, *, metric: str | None, margin: float,
                          alpha: float = 0.05) -> tuple[bool, dict[str, Any]]:
    """Whether the new run is worse than the old by more than ``margin`` with confidence:
    the lower end of the one-sided ``1 - alpha`` interval of the paired ``new - old``
    difference in the metric exceeds ``margin``. Details are JSON-safe.

    >>> from diagnose.ingest import Predictions
    >>> y = np.zeros(200); ids = np.arange(200)
    >>> old = Predictions("regression", y, y_pred=np.full(200, 0.1), ids=ids)
    >>> new = Predictions("regression", y, y_pred=np.where(ids % 2 == 0, 0.9, 0.7), ids=ids)
    >>> worse, details = worse_with_confidence(old, new, metric="mae", margin=0.5)
    >>> worse, round(details["difference"], 3), round(details["one_sided_low"], 3)
    (True, 0.7, 0.688)
    >>> worse_with_confidence(old, new, metric="mae", margin=0.7)[0]
    False
    """
    _check_options(margin, alpha)
    a_old, b_new, warnings = align(a_old, b_new)
    chosen = metric_for(metric, a_old)
    metric_for(chosen.name, b_new)
    diff = paired_difference(chosen.loss(a_old), chosen.loss(b_new), a_old.weight, metric=chosen.name,
                             root=chosen.root, alpha=alpha)
    low, p = one_sided_worse(diff, margin, alpha)
    worse = bool(math.isfinite(low) and low > margin)
    return worse, {"metric": chosen.name, "old": json_number(diff.a), "new": json_number(diff.b),
                   "difference": json_number(diff.estimate), "se": json_number(diff.se),
                   "one_sided_low": json_number(low), "level": 1 - alpha, "margin": margin,
                   "p_value": json_number(p), "n": diff.n, "worse": worse, "warnings": list(warnings)}
