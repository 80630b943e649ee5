"""The report of one run: each split's error J, the baselines, the gaps and the verdict,
then the registered sections (:mod:`._sections`)."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import UsageError
from ..ingest import Predictions, Splits, check_same_rows, task_type
from ..metrics import (
    SplitError,
    metric_for,
    split_error,
    thin_weight_strata,
    trivial_name,
    trivial_predictions,
)
from ..options import ReportOptions
from ..values import Rendered, json_number
from ._gaps import NO_BASELINE, Gap, Verdict, diagnose_bias_variance
from ._sections import SECTIONS, Section, SectionOutput

TRIVIAL = "trivial"


@dataclass(frozen=True)
class Report(Rendered):
    """The full diagnosis of one run; ``to_dict()`` is the JSON report.

    ``sections`` holds each registered section's value by key (``None`` where it does not
    apply); ``threshold``, ``skew`` and ``per_class`` read from it.
    """

    task: str
    metric: str
    splits: Mapping[str, SplitError]
    baselines: Mapping[str, float]
    trivial_baseline: str
    verdict: Verdict
    warnings: tuple[str, ...]
    tolerance: Mapping[str, float]
    classes: tuple[str, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> float:
        return self.verdict.reference

    @property
    def gaps(self) -> Mapping[str, Gap]:
        return self.verdict.gaps

    @property
    def recommendations(self) -> tuple[str, ...]:
        return self.verdict.recommendations

    @property
    def threshold(self) -> Any:
        return self.sections.get("threshold")

    @property
    def skew(self) -> Any:
        return self.sections.get("skew")

    @property
    def per_class(self) -> Any:
        return self.sections.get("per_class")

    def to_dict(self) -> dict:
        gaps = {name: (json_number(g.value) if g is not None else None) for name, g in self.verdict.gaps.items()}
        for name in ("bias", "variance", "test"):
            gaps.setdefault(name, None)
        out = {
            "task": self.task,
            "metric": self.metric,
            "splits": {name: s.to_dict() for name, s in self.splits.items()},
            "baselines": {name: json_number(v) for name, v in self.baselines.items()},
            "trivial_baseline": self.trivial_baseline,
            "reference": json_number(self.verdict.reference),
            "reference_name": self.verdict.reference_name,
            "gaps": gaps,
            "gap_details": {name: g.to_dict() for name, g in self.verdict.gaps.items() if g is not None},
            "tolerance": dict(self.tolerance),
            "verdict": self.verdict.verdict,
            "recommendations": list(self.verdict.recommendations),
            "warnings": list(self.warnings),
        }
        if self.classes:
            out["classes"] = list(self.classes)
        for section in sorted((s for s in SECTIONS if s.in_json), key=_json_rank):
            value: Any = self.sections.get(section.key)  # a section's value, or None
            out[section.key] = value.to_dict() if hasattr(value, "to_dict") else value
        return out


# the report's JSON kept these keys in this order before sections were registered (they are
# computed and shown skew first); a new section's key comes after them
_JSON_ORDER = ("threshold", "skew", "per_class")


def _json_rank(section: Section) -> int:
    return _JSON_ORDER.index(section.key) if section.key in _JSON_ORDER else len(_JSON_ORDER)


def check_baselines(baselines: Mapping[str, float] | None, metric_name: str) -> dict[str, float]:
    """The user's baselines as floats; a baseline that is no error level of the metric is bad
    usage (a rate metric's baseline lies in [0, 1]: 2 for 2% is refused with the fix).

    >>> check_baselines({"human": 0.02}, "error_rate")
    {'human': 0.02}
    >>> check_baselines({"human": 2}, "error_rate")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: baseline human=2 looks like a percentage: ... give 0.02
    """
    out = {}
    for name, value in (baselines or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            shown = repr(value) if isinstance(value, str) else f"{value}"
            raise UsageError(f"baseline '{name}' must be a non-negative number in the {metric_name} metric, "
                             f"not {shown}")
        if number > 1 and metric_name in RATE_METRICS:
            hint = f"; give {number / 100:g}" if number <= 100 else ""
            raise UsageError(f"baseline {name}={number:g} looks like a percentage: the {metric_name} metric is a "
                             f"rate in [0, 1]{hint}")
        out[name] = number
    return out


# metrics whose value is a share of rows (or of decisions) in [0, 1]
RATE_METRICS = ("error_rate",)


def build_report(
    splits: Splits,
    *,
    baselines: Mapping[str, float] | None = None,
    competitors: Mapping[str, Predictions] | None = None,
    options: ReportOptions | None = None,
    **overrides: Any,
) -> Report:
    """Diagnose validated splits; ``competitors`` are other models' cv predictions.

    ``options`` (or keyword arguments naming its fields: ``metric``, ``tolerance``,
    ``threshold_rule``, ...) say how. Classification adds accuracy, prevalence, precision,
    recall and F1 per split and the registered sections (skew, per-class tables, the
    threshold chosen on cv and reported on test).

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions, Splits
    >>> y = np.array([0, 1] * 50, np.int8)
    >>> train = Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.1))
    >>> cv = Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.6))
    >>> r = build_report(Splits("binary", train, cv), baselines={"human": 0.01})
    >>> r.verdict.verdict, r.splits["cv"].error
    ('high_variance', 0.5)
    """
    opts = ReportOptions.of(options, **overrides)
    name = metric_for(opts.metric, splits.train).name
    errors = {split: split_error(pred, name, split=split) for split, pred in splits.items()}
    check_baselines(baselines, name)  # bad usage is refused before the competitors are read
    competing = {}
    for comp_name, comp in (competitors or {}).items():
        check_same_rows(comp, splits.cv)
        competing[comp_name] = split_error(comp, name, split="cv")
    trivial = split_error(trivial_predictions(splits.train, splits.cv), name, split="cv")
    caveats = [(split, thin_weight_strata(pred, name)) for split, pred in splits.items()]
    return assemble_report(splits.task, name, errors, trivial.error, opts, baselines=baselines, competing=competing,
                           read_warnings=splits.warnings, caveats=caveats,
                           classes=splits.train.classes if splits.train.kind.per_class else (),
                           build=lambda section: section.build(splits, opts))


def assemble_report(task: str, name: str, errors: Mapping[str, SplitError], trivial_error: float,
                    opts: ReportOptions, *, baselines: Mapping[str, float] | None = None,
                    competing: Mapping[str, SplitError] | None = None, read_warnings: Sequence[str] = (),
                    caveats: Sequence[tuple[str, str | None]] = (), classes: tuple[str, ...] = (),
                    build: Callable[[Section], SectionOutput | None]) -> Report:
    """The report from each split's error, the trivial model's cv error and the sections
    ``build`` computes (``None``: a section this caller cannot compute, left ``None``):
    the one assembly both :func:`build_report` and the streamed report use.

    >>> from diagnose.metrics import rate_error
    >>> errors = {split: rate_error(split, "error_rate", rate, 1000) for split, rate in (("train", 0.1), ("cv", 0.3))}
    >>> r = assemble_report("binary", "error_rate", errors, 0.5, ReportOptions(), baselines={"human": 0.1},
    ...                     build=lambda section: None)
    >>> r.verdict.verdict, r.sections["threshold"]
    ('high_variance', None)
    """
    user = {k: (v, 0.0) for k, v in check_baselines(baselines, name).items()}
    for comp_name, err in (competing or {}).items():
        user[comp_name] = (err.error, err.se)
    if user:
        ref_name = min(user, key=lambda k: user[k][0])
        reference, reference_se = user[ref_name]
    else:
        ref_name, reference, reference_se = None, None, 0.0
    verdict = diagnose_bias_variance(errors, reference=reference, reference_name=ref_name,
                                     reference_se=reference_se, tolerance=opts.gap_tolerance)
    # the missing baseline first: it changes how every other line reads
    first = [w for w in verdict.warnings if w == NO_BASELINE]
    warnings = first + list(read_warnings) + [w for w in verdict.warnings if w != NO_BASELINE]
    for split, caveat in caveats:
        if caveat:
            warnings.append(f"{split}: {caveat}")
    if errors["cv"].error >= trivial_error:
        warnings.append(
            f"J_cv ({errors['cv'].error:.4g}) is no better than the trivial baseline "
            f"({trivial_name(task, name)}: {trivial_error:.4g})")
    all_baselines = {k: v for k, (v, _) in user.items()}
    all_baselines[TRIVIAL] = trivial_error
    kind = task_type(task)
    sections: dict[str, Any] = {}
    for section in SECTIONS:
        if not section.applies(kind) or (section.when is not None and not section.when(verdict)):
            sections[section.key] = None
            continue
        part = build(section)
        if part is None:
            sections[section.key] = None
            continue
        sections[section.key] = part.value
        errors = {s: replace(e, extras={**e.extras, **part.split_extras.get(s, {})}) for s, e in errors.items()}
        warnings += part.warnings
    return Report(task=task, metric=name, splits=errors, baselines=all_baselines,
                  trivial_baseline=trivial_name(task, name), verdict=verdict,
                  warnings=tuple(warnings), tolerance=opts.gap_tolerance.to_dict(),
                  classes=classes, sections=sections)
