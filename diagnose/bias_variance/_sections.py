"""The sections of a report beyond the bias/variance verdict, registered in one list.

A section says which task types it applies to and how to build itself from the validated
splits and the options. What it builds may add figures to each split (``splits.<split>``
of the JSON), a value under its own key of the JSON report (``null`` where it does not
apply), and warnings. The report's text and Markdown show each section in this order,
through the renderer registered for the section's value (:mod:`diagnose.present`).

A new section is one :func:`register_section` call, a renderer and a test; see
docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..calibration import SplitCalibration, calibration_by_split
from ..error_analysis import explain_shift
from ..ingest import Splits, TaskType
from ..options import ReportOptions
from ..thresholds import ThresholdRule, choose_threshold
from ..values import Rendered
from ._classification import (
    PerClass,
    SplitClassification,
    class_table,
    skew,
    split_classification,
)
from ._gaps import Verdict


@dataclass(frozen=True)
class SectionOutput:
    """What a section adds to a report."""

    value: Any = None
    split_extras: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A part of the report: ``key`` names it (and its JSON key when ``in_json``). ``when``,
    if given, asks the verdict whether the section has anything to say (``None`` otherwise)."""

    key: str
    applies: Callable[[TaskType], bool]
    build: Callable[[Splits, ReportOptions], SectionOutput]
    in_json: bool = True
    when: Callable[[Verdict], bool] | None = None


SECTIONS: list[Section] = []


def register_section(section: Section) -> Section:
    """Add a section at the end of the report (a section of the same key is replaced).

    >>> first = register_section(Section("notes", lambda kind: True, lambda splits, options: SectionOutput()))
    >>> second = register_section(Section("notes", lambda kind: kind.classification, first.build))
    >>> [s.key for s in SECTIONS].count("notes"), SECTIONS[-1] is second
    (1, True)
    >>> _ = SECTIONS.pop()  # leave the report's sections as they were
    """
    for i, existing in enumerate(SECTIONS):
        if existing.key == section.key:
            SECTIONS[i] = section
            return section
    SECTIONS.append(section)
    return section


@dataclass(frozen=True, eq=False)
class DecisionMetrics(Rendered):
    """Accuracy, prevalence, precision, recall and F1 of each split at the default decision
    (their JSON is in ``splits.<split>``)."""

    task: str
    splits: Mapping[str, SplitClassification]

    def to_dict(self) -> dict:
        return {name: m.to_dict() for name, m in self.splits.items()}


def _default_decision(splits: Splits, options: ReportOptions) -> SectionOutput:
    per_split = {name: split_classification(pred, split=name) for name, pred in splits.items()}
    return SectionOutput(DecisionMetrics(splits.task, per_split),
                         split_extras={name: m.to_dict() for name, m in per_split.items()},
                         warnings=tuple(w for m in per_split.values() for w in m.warnings))


def _skew(splits: Splits, options: ReportOptions) -> SectionOutput:
    sk = skew(splits.train, splits.cv, limit=options.skew_threshold)
    return SectionOutput(sk, warnings=sk.warnings)


def _per_class(splits: Splits, options: ReportOptions) -> SectionOutput:
    return SectionOutput(PerClass({name: class_table(pred, split=name) for name, pred in splits.items()}))


def _threshold(splits: Splits, options: ReportOptions) -> SectionOutput:
    rule = ThresholdRule.parse(options.threshold_rule)
    result = choose_threshold(splits.cv, splits.test, rule=rule, bootstrap=options.bootstrap,
                              seed=options.seed, max_points=options.curve_points)
    warnings = (f"threshold: {result.message}",) if result.message and result.rule != "argmax" else ()
    return SectionOutput(result, warnings=warnings)


def _classification(kind: TaskType) -> bool:
    return kind.classification


def _calibration(splits: Splits, options: ReportOptions) -> SectionOutput:
    found = calibration_by_split(dict(splits.items()), bins=options.calibration_bins,
                                 strategy=options.calibration_strategy, seed=options.seed)
    return SectionOutput() if found is None else calibration_output(found)


def calibration_output(found: SplitCalibration) -> SectionOutput:
    """The calibration section with its warnings (cv and test scores that are not calibrated)."""
    off = {name: v for name, v in found.verdicts.items() if v != "calibrated" and name != "train"}
    warnings = tuple(f"{name} scores are {verdict} (ECE {found.splits[name].ece:.3g}): the probabilities are not "
                     "the rates they claim; diagnose calibrate fits and judges a recalibration"
                     for name, verdict in off.items())
    return SectionOutput(found, warnings=warnings)


def _shift(splits: Splits, options: ReportOptions) -> SectionOutput:
    assert splits.test is not None  # only when the test gap counts
    explained = explain_shift(splits.cv, splits.test)
    return SectionOutput(explained, warnings=(f"why test differs from cv: {explained.conclusion}",))


def _test_gap_counts(verdict: Verdict) -> bool:
    gap = verdict.gaps.get("test")
    return gap is not None and bool(gap.counted)


for _section in (
    Section("default_decision", _classification, _default_decision, in_json=False),
    Section("skew", _classification, _skew),
    Section("per_class", lambda kind: kind.per_class, _per_class),
    Section("threshold", _classification, _threshold),
    Section("calibration", _classification, _calibration),
    Section("shift", lambda kind: True, _shift, when=_test_gap_counts),
):
    register_section(_section)
