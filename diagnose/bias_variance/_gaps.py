"""Bias/variance verdict from split errors and a reference (baseline) level.

Gaps (all in the report's metric):

- ``bias`` = J_train - reference: avoidable bias, how far training error sits above
  the best achievable level;
- ``variance`` = J_cv - J_train: how much worse the model does on data it did not see;
- ``test`` = J_test - J_cv: a positive gap hints that choosing the model on cv
  overfit cv, or that cv and test come from different distributions.

A gap *counts* only when it is material (larger than the tolerance,
``max(absolute, relative * max(reference, J_train))``, by default 10% of the larger
of the reference and J_train) and significant (its 95% interval, from the split
sizes, excludes 0). User baselines are taken as exact numbers; a baseline measured
from a competitor's predictions carries its own standard error.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Optional

from ..metrics import Z95, SplitError
from ..options import Tolerance
from ..values import json_number
from ._verdicts import verdict_word


def gap_status(counted: bool, material: bool) -> str:
    """How a gap fared: it ``counts``, is ``within noise`` (material, not significant), or is
    ``below tolerance``.

    >>> gap_status(False, True)
    'within noise'
    """
    return "counts" if counted else ("within noise" if material else "below tolerance")


@dataclass(frozen=True)
class Gap:
    """One gap of the bias/variance analysis and why it counts or not."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    tolerance: float
    material: bool
    significant: bool
    samples_needed: Optional[int] = None
    samples_needed_split: Optional[str] = None

    @property
    def counted(self) -> bool:
        return self.material and self.significant

    @property
    def status(self) -> str:
        """How the gap fared, in words (see :func:`gap_status`)."""
        return gap_status(bool(self.counted), bool(self.material))

    def to_dict(self) -> dict:
        return {
            "value": json_number(self.value),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
            "tolerance": json_number(self.tolerance),
            "material": self.material,
            "significant": self.significant,
            "counted": self.counted,
            "samples_needed": self.samples_needed,
            "samples_needed_split": self.samples_needed_split,
        }


@dataclass(frozen=True)
class Verdict:
    """The bias/variance verdict: a word, its gaps, the remedies and the warnings."""

    verdict: str
    reference: float
    reference_name: str
    gaps: Mapping[str, Gap]
    recommendations: tuple[str, ...]
    warnings: tuple[str, ...]


def _gap(name: str, value: float, se: float, tolerance: float) -> tuple[Gap, float]:
    low, high = value - Z95 * se, value + Z95 * se
    material = value > tolerance
    significant = low > 0
    return Gap(name=name, value=value, ci_low=low, ci_high=high, tolerance=tolerance,
               material=material, significant=significant), se


def _samples_needed(gap: float, fixed_var: float, per_sample_var: float) -> int | None:
    """Samples n so that Z95 * sqrt(fixed_var + per_sample_var / n) < gap; None if none would."""
    room = (gap / Z95) ** 2 - fixed_var
    if gap <= 0 or room <= 0 or per_sample_var <= 0:
        return None
    return int(math.ceil(per_sample_var / room))


def diagnose_bias_variance(
    splits: Mapping[str, SplitError],
    *,
    reference: float | None,
    reference_name: str | None = None,
    reference_se: float = 0.0,
    tolerance: Tolerance | None = None,
) -> Verdict:
    """Classify high bias / high variance / both / good fit from split errors.

    ``reference`` is the best (lowest) baseline the user gave, or ``None`` to judge
    against 0 (with a warning).

    >>> def err(split, j):
    ...     return SplitError(split, "error_rate", 10_000, j, j, j, 0.001, 0.0, 10_000.0)
    >>> v = diagnose_bias_variance({"train": err("train", 0.15), "cv": err("cv", 0.16)}, reference=0.01)
    >>> v.verdict, round(v.gaps["bias"].value, 2), v.gaps["variance"].counted
    ('high_bias', 0.14, False)
    """
    tolerance = tolerance or Tolerance()
    warnings: list[str] = []
    train, cv, test = splits["train"], splits["cv"], splits.get("test")
    if reference is None:
        reference, reference_name = 0.0, "no baseline given"
        warnings.append(
            "No baseline was given, so bias is judged against 0. Give a human-level or "
            "competitor error (--baseline human=0.05) for a fairer verdict")
    tol = tolerance.of(reference, train.error)
    gaps: dict[str, Gap] = {}

    bias, _ = _gap("bias", train.error - reference, math.hypot(train.se, reference_se), tol)
    if bias.material and not bias.significant:
        n = _samples_needed(bias.value, reference_se ** 2, train.loss_variance)
        bias = _with_need(bias, n, "train")
    gaps["bias"] = bias

    variance, _ = _gap("variance", cv.error - train.error, math.hypot(train.se, cv.se), tol)
    if variance.material and not variance.significant:
        n = _samples_needed(variance.value, train.se ** 2, cv.loss_variance)
        variance = _with_need(variance, n, "cv")
    gaps["variance"] = variance

    if test is not None:
        test_gap, _ = _gap("test", test.error - cv.error, math.hypot(cv.se, test.se), tol)
        if test_gap.material and not test_gap.significant:
            n = _samples_needed(test_gap.value, 0.0, cv.loss_variance + test.loss_variance)
            test_gap = _with_need(test_gap, n, "cv and test")
        gaps["test"] = test_gap

    for gap in gaps.values():
        if gap.material and not gap.significant:
            warnings.append(_noise_warning(gap))
    if "test" in gaps and gaps["test"].counted:
        warnings.append(
            f"J_test is {gaps['test'].value:.4g} above J_cv: choosing the model on cv may have "
            "overfit the cv set, or cv and test come from different distributions")

    word = verdict_word(gaps["bias"].counted, gaps["variance"].counted)
    return Verdict(verdict=word.name, reference=reference, reference_name=reference_name or "reference",
                   gaps=gaps, recommendations=word.remedies, warnings=tuple(warnings))


def _with_need(gap: Gap, n: int | None, split: str) -> Gap:
    return replace(gap, samples_needed=n, samples_needed_split=split if n is not None else None)


def _noise_warning(gap: Gap) -> str:
    text = (f"The {gap.name} gap ({gap.value:.4g}) is above the tolerance ({gap.tolerance:.4g}) "
            f"but within noise (95% interval {gap.ci_low:.4g} to {gap.ci_high:.4g}), so it does not count")
    if gap.samples_needed is not None and gap.samples_needed_split == "cv and test":
        text += f"; about {gap.samples_needed:,} samples in each of cv and test would settle it"
    elif gap.samples_needed is not None:
        text += f"; about {gap.samples_needed:,} {gap.samples_needed_split} samples would settle it"
    elif gap.name == "variance":
        text += "; the train split is too small to settle it with more cv samples alone"
    return text
