"""Bias/variance verdict from split errors and a reference (baseline) level.

Gaps (all in the report's metric):

- ``bias`` = J_train - reference: avoidable bias, how far training error sits above
  the best achievable level;
- ``variance`` = J_cv - J_train: how much worse the model does on data it did not see;
- ``test`` = J_test - J_cv: a positive gap hints that choosing the model on cv
  overfit cv, or that cv and test come from different distributions.

Each gap has one of four statuses:

- ``counts``: material (larger than the tolerance, ``max(absolute, relative * max(reference,
  J_train))``, by default 10% of the larger of the reference and J_train) and significant:
  its one-sided p-value (that the gap is above 0) passes Holm's step-down test at 5% over
  the gaps of the report, so that when no gap is real, any gap counts in at most 5% of
  samples (three gaps each tested at 2.5% would let 7.5% through);
- ``ruled_out``: the data show the gap is below the tolerance: the one-sided 95% upper
  bound ``value + 1.645 se`` is under it (the upper of the two one-sided tests of TOST at
  alpha = 0.05; a gap far below 0 is no problem, so only that side is tested);
- ``inconclusive``: neither; the data cannot tell, and ``samples_needed`` says how many rows
  would (a power calculation: 80% power at alpha = 0.05 for a gap the size of the tolerance,
  so that a true gap of 0 is ruled out and one of twice the tolerance counts, each with at
  least 80% probability); ``samples_needed`` is the split's size in all,
  ``samples_needed_more`` how many rows that adds;
- ``no_reference``: the bias gap without a baseline: J_train against nothing is not judged.

User baselines are taken as exact numbers; a baseline measured from a competitor's
predictions carries its own standard error.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Optional

from ..metrics import Z95, SplitError
from ..options import Tolerance
from ..values import json_number
from ._verdicts import WORDS, VerdictWord, verdict_word

Z95_ONE_SIDED = 1.6448536269514722  # the one-sided 95% bound (TOST at alpha = 0.05)
Z_POWER = 0.8416212335729143  # 80% power
STATUSES = ("counts", "ruled_out", "inconclusive", "no_reference")


def gap_status(counted: bool, material: bool, ruled_out: bool = False, judged: bool = True) -> str:
    """How a gap fared: ``counts`` (material and significant), ``ruled_out`` (shown below the
    tolerance), ``inconclusive`` (neither) or ``no_reference`` (a bias gap with no baseline).

    >>> gap_status(False, True), gap_status(False, False, ruled_out=True)
    ('inconclusive', 'ruled_out')
    """
    if not judged:
        return "no_reference"
    return "counts" if counted else ("ruled_out" if ruled_out else "inconclusive")


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
    se: float = math.nan
    judged: bool = True
    samples_needed_more: Optional[int] = None
    p_value: float = math.nan

    @property
    def one_sided_p(self) -> float:
        """P(a gap this large | no gap): the normal tail above value / se."""
        if not self.se > 0:
            return 0.0 if self.value > 0 else 1.0
        # scipy.special.ndtr(-value / se) to 1e-12 relative, without importing scipy (0.25 s)
        return 0.5 * math.erfc(self.value / self.se / math.sqrt(2.0))

    @property
    def counted(self) -> bool:
        return self.judged and self.material and self.significant

    @property
    def upper_bound(self) -> float:
        """The one-sided 95% upper bound of the gap."""
        return self.value + Z95_ONE_SIDED * self.se

    @property
    def ruled_out(self) -> bool:
        return self.judged and not self.counted and self.upper_bound < self.tolerance

    @property
    def status(self) -> str:
        """How the gap fared (see :func:`gap_status`)."""
        return gap_status(bool(self.counted), bool(self.material), self.ruled_out, self.judged)

    def to_dict(self) -> dict:
        return {
            "value": json_number(self.value),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
            "tolerance": json_number(self.tolerance),
            "material": self.material,
            "significant": self.significant,
            "counted": self.counted,
            "p_value": json_number(self.p_value),
            "status": self.status,
            "upper_bound": json_number(self.upper_bound),
            "samples_needed": self.samples_needed,
            "samples_needed_more": self.samples_needed_more,
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


def _gap(name: str, value: float, se: float, tolerance: float) -> Gap:
    low, high = value - Z95 * se, value + Z95 * se
    return Gap(name=name, value=value, ci_low=low, ci_high=high, tolerance=tolerance,
               material=bool(value > tolerance), significant=bool(low > 0), se=se)


def holm(gaps: dict[str, Gap], alpha: float = 0.05) -> dict[str, Gap]:
    """The gaps with ``p_value`` (one-sided) and ``significant`` by Holm's step-down test at
    ``alpha`` over the judged ones (Holm 1979): the i-th smallest p must be below
    alpha / (k - i), and the first that is not stops the rest.

    >>> g = {"a": Gap("a", 0.05, 0.0, 0.1, 0.01, True, True, se=0.02),
    ...      "b": Gap("b", 0.03, -0.01, 0.07, 0.01, True, True, se=0.02)}
    >>> {k: v.significant for k, v in holm(g).items()}
    {'a': True, 'b': False}
    """
    judged = sorted((g for g in gaps.values() if g.judged), key=lambda g: g.one_sided_p)
    passed, out = True, {}
    for i, gap in enumerate(judged):
        passed = passed and gap.one_sided_p < alpha / (len(judged) - i)
        out[gap.name] = replace(gap, p_value=gap.one_sided_p, significant=passed)
    return {name: out.get(name, replace(g, significant=False)) for name, g in gaps.items()}


def samples_needed(tolerance: float, fixed_var: float, per_sample_var: float) -> int | None:
    """Rows n so that a gap the size of ``tolerance`` is found with 80% power at alpha = 0.05:
    sqrt(fixed_var + per_sample_var / n) <= tolerance / (1.96 + 0.84); ``None`` if no n would
    (the fixed part alone is too uncertain).

    >>> samples_needed(0.01, 0.0, 0.09)  # an error rate near 0.1: 0.09 per row; 0.09 * (2.8 / 0.01) ** 2
    7064
    """
    room = (tolerance / (Z95 + Z_POWER)) ** 2 - fixed_var
    if tolerance <= 0 or room <= 0 or per_sample_var <= 0:
        return None
    return int(math.ceil(per_sample_var / room))


def diagnose_bias_variance(
    splits: Mapping[str, SplitError],
    *,
    reference: float | None,
    reference_name: str | None = None,
    reference_se: float = 0.0,
    tolerance: Tolerance | float | None = None,
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
    tolerance = Tolerance.coerce(tolerance)  # a number is the relative tolerance; 0 means 0
    warnings: list[str] = []
    train, cv, test = splits["train"], splits["cv"], splits.get("test")
    judged = reference is not None
    if reference is None:
        reference, reference_name = math.nan, "no baseline given"
        warnings.append(NO_BASELINE)
    tol = tolerance.of(reference if judged else 0.0, train.error)
    gaps: dict[str, Gap] = {}

    bias = _gap("bias", train.error - reference, math.hypot(train.se, reference_se), tol)
    gaps["bias"] = bias if judged else replace(bias, judged=False)
    gaps["variance"] = _gap("variance", cv.error - train.error, math.hypot(train.se, cv.se), tol)
    if test is not None:
        gaps["test"] = _gap("test", test.error - cv.error, math.hypot(cv.se, test.se), tol)
    gaps = holm(gaps)
    gaps["bias"] = _with_need(gaps["bias"], reference_se ** 2, train.loss_variance, "train", train.n)
    variance = _with_need(gaps["variance"], train.se ** 2, cv.loss_variance, "cv", cv.n)
    if variance.status == "inconclusive" and variance.samples_needed is None:  # train too: rows in each
        variance = _with_need(variance, 0.0, train.loss_variance + cv.loss_variance, "train and cv",
                              max(train.n, cv.n))
    gaps["variance"] = variance
    if test is not None:
        gaps["test"] = _with_need(gaps["test"], 0.0, cv.loss_variance + test.loss_variance, "cv and test",
                                  max(cv.n, test.n))

    warnings += [_undecided_warning(gap) for gap in gaps.values() if gap.status == "inconclusive"]
    if "test" in gaps and gaps["test"].counted:
        warnings.append(
            f"J_test is {gaps['test'].value:.4g} above J_cv: choosing the model on cv may have "
            "overfit the cv set, or cv and test come from different distributions")

    word = _verdict(gaps["bias"], gaps["variance"])
    return Verdict(verdict=word.name, reference=reference, reference_name=reference_name or "reference",
                   gaps=gaps, recommendations=_remedies(word.name, gaps), warnings=tuple(warnings))


NO_BASELINE = ("No baseline was given, so bias is not judged: J_train has nothing to be compared with, "
               "and no bias remedy is offered. Give a human-level or competitor error (--baseline human=0.05, "
               "--baseline-file NAME=FILE) to judge it")


def _verdict(bias: Gap, variance: Gap) -> VerdictWord:
    """A gap that counts decides; with none, ``good_fit`` only when bias and variance are both
    ruled out, else ``inconclusive``."""
    if bias.counted or variance.counted:
        return verdict_word(bias.counted, variance.counted)
    return WORDS["good_fit"] if bias.ruled_out and variance.ruled_out else WORDS["inconclusive"]


def _remedies(word: str, gaps: Mapping[str, Gap]) -> tuple[str, ...]:
    if word != "inconclusive":
        return WORDS[word].remedies
    undecided = [g for g in (gaps["bias"], gaps["variance"]) if g.status != "ruled_out"]
    return tuple(_decide(g) for g in undecided)


def _decide(gap: Gap) -> str:
    """What would settle an undecided gap, in words."""
    if not gap.judged:
        return "Give a baseline (human-level or a competitor's error) to judge the bias gap"
    if gap.samples_needed is None:
        return f"The {gap.name} gap cannot be settled with more rows: the baseline's own uncertainty is too large"
    return (f"Decide the {gap.name} gap: about {_rows(gap)} would show it counts, or rule it out, with "
            "80% power")


def _with_need(gap: Gap, fixed_var: float, per_sample_var: float, split: str, n_now: int) -> Gap:
    if gap.status != "inconclusive":
        return gap
    n = samples_needed(gap.tolerance, fixed_var, per_sample_var)
    return replace(gap, samples_needed=n, samples_needed_split=split,
                   samples_needed_more=None if n is None else max(0, n - n_now))


def _undecided_warning(gap: Gap) -> str:
    where = ("above the tolerance but within noise" if gap.material else
             "below the tolerance but not shown to be")
    text = (f"The {gap.name} gap ({gap.value:.4g}) is {where} (95% interval {gap.ci_low:.4g} to {gap.ci_high:.4g}, "
            f"tolerance {gap.tolerance:.4g}): inconclusive")
    if gap.samples_needed is not None:
        text += f"; about {_rows(gap)} would decide it with 80% power"
    return text


def _rows(gap: Gap) -> str:
    """How many rows would decide a gap: ``7,065 cv rows in all (6,065 more)``."""
    split = gap.samples_needed_split or ""
    where = f"rows in each of {split}" if " and " in split else f"{split} rows"
    more = f" ({gap.samples_needed_more:,} more)" if gap.samples_needed_more else ""
    return f"{gap.samples_needed:,} {where} in all{more}"
