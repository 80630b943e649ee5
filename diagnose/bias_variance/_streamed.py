"""The report from merged statistics (the streaming engines): the same assembly as
:func:`build_report`, with the sections that statistics cover and a note naming the others.

Covered: each split's J with its interval, the baselines (the trivial model's from train's
label sums), gaps, verdict, recommendations and their warnings, the classification figures
at the default decision (binary, multiclass), the per-class tables (multiclass), the skew
section (its paired test from cv's :class:`~diagnose.stats.Agreement`) and, with uniform
bins, the calibration section (from each split's merged
:class:`~diagnose.calibration.CalibrationSums`, finalized as the in-memory path does). Not yet:
the sections that need the rows themselves or a second look at them (listed in
:data:`NOT_STREAMED`, with why); the report says which it left out.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..calibration import CalibrationSums, SplitCalibration, calibration_from_sums
from ..ingest import natural_key, task_type
from ..options import ReportOptions
from ..stats import SplitStats
from ._classification import (
    PerClass,
    Skew,
    class_minority,
    class_table,
    label_minority,
    skew_of,
    split_classification,
)
from ._paired_test import accuracy_from_agreement
from ._report import Report, assemble_report
from ._sections import DecisionMetrics, Section, SectionOutput, calibration_output

# why a section is not computed from statistics yet
NOT_STREAMED = {
    "threshold": "multi-label thresholds are not streamed yet",
    "threshold.curve": "the precision/recall curve spreads its points over every distinct cv score, which takes "
                       "a full sort",
    "calibration": "quantile bins (calibration strategy quantile) put their edges at quantiles of the whole split's "
                   "scores, which one pass over chunks cannot place; uniform bins are streamed",
    "shift": "explaining why test differs from cv looks at the rows themselves",
    "default_decision": "multi-label figures need per-row subset accuracy",
    "per_class": "multi-label per-label tables are not counted yet",
}


def report_from_statistics(stats: Mapping[str, SplitStats], *, engine: str,
                           baselines: Mapping[str, float] | None = None, options: ReportOptions | None = None,
                           sources: Mapping[str, str] | None = None,
                           threshold: tuple[Any, list[str]] | None = None,
                           calibration: Mapping[str, CalibrationSums] | None = None, **overrides: Any) -> Report:
    """The report of a run from each split's merged :class:`~diagnose.stats.SplitStats`
    (cv's with the trivial model's loss counted). Sections that statistics do not cover yet
    are ``None`` and a warning names them; ``engine`` names the engine in that warning.
    ``threshold``: the threshold section computed by the engine's passes over cv and test
    (:func:`diagnose.thresholds.streamed_threshold`) with the keys it leaves out, which the
    warning names too (``threshold.curve``, ...). ``calibration``: each scored split's merged
    calibration sums, on the options' uniform bins (none: the section is left out).

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> from diagnose.stats import SplitStats, trivial_fit
    >>> y = np.array([0, 1] * 50, np.int8)
    >>> train = SplitStats.of(Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.1)), "error_rate")
    >>> cv = SplitStats.of(Predictions("binary", y, y_score=np.where(y == 1, 0.9, 0.6)), "error_rate",
    ...                    trivial_fit(train))
    >>> r = report_from_statistics({"train": train, "cv": cv}, engine="arrow", baselines={"human": 0.01})
    >>> r.verdict.verdict, r.splits["cv"].error, r.sections["threshold"]
    ('high_variance', 0.5, None)
    >>> print(r.warnings[-1])  # doctest: +ELLIPSIS
    engine arrow: left out section(s) threshold, calibration: ... use --engine memory for them
    """
    opts = ReportOptions.of(options, **overrides)
    train, cv = stats["train"], stats["cv"]
    task, name = train.task, train.metric
    errors = {split: s.error(split, (sources or {}).get(split)) for split, s in stats.items()}
    caveats = [(split, s.thin_strata()) for split, s in stats.items()]
    left_out: list[str] = []

    def build(section: Section) -> SectionOutput | None:
        if section.key == "default_decision" and train.confusion is not None:
            per_split = {split: split_classification(s.decisions(split), split=split) for split, s in stats.items()}
            return SectionOutput(DecisionMetrics(task, per_split),
                                 split_extras={split: m.to_dict() for split, m in per_split.items()},
                                 warnings=tuple(w for m in per_split.values() for w in m.warnings))
        if section.key == "threshold" and threshold is not None:
            result, missing = threshold
            left_out.extend(f"threshold.{key}" for key in missing)
            message = result.message if result.rule != "argmax" else None
            return SectionOutput(result, warnings=(f"threshold: {message}",) if message else ())
        if section.key == "calibration" and calibration is not None and opts.calibration_strategy == "uniform":
            if not calibration:  # no split has scores: no section, as in memory
                return SectionOutput()
            return calibration_output(SplitCalibration({
                split: calibration_from_sums(sums, strategy=opts.calibration_strategy)
                for split, sums in calibration.items()}))
        if section.key == "skew" and cv.agreement is not None:
            sk = streamed_skew(train, cv, opts.skew_threshold)
            return SectionOutput(sk, warnings=sk.warnings)
        if section.key == "per_class" and train.confusion is not None:
            return SectionOutput(PerClass({split: class_table(s.decisions(split), split=split)
                                           for split, s in stats.items()}))
        left_out.append(section.key)
        return None

    report = assemble_report(task, name, errors, cv.trivial_error(), opts, baselines=baselines,
                             read_warnings=unseen_classes(stats, sources or {}), caveats=caveats,
                             classes=train.classes if task_type(task).per_class else (), build=build)
    if not left_out:
        return report
    reasons = "; ".join(f"{key}: {NOT_STREAMED.get(key, 'not computed from statistics yet')}" for key in left_out)
    note = (f"engine {engine}: left out section(s) {', '.join(left_out)}: {reasons}; use --engine memory for them")
    from dataclasses import replace

    return replace(report, warnings=(*report.warnings, note))


def unseen_classes(stats: Mapping[str, SplitStats], sources: Mapping[str, str]) -> list[str]:
    """The warning a whole-table read gives when cv or test hold classes train never has
    (multiclass), from the splits' class row counts.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> train = SplitStats.of(Predictions("multiclass", np.array([0, 1]), y_pred=np.array([0, 1]),
    ...                                   classes=("a", "b", "c")), "error_rate")
    >>> cv = SplitStats.of(Predictions("multiclass", np.array([2, 2, 0]), y_pred=np.array([0, 1, 0]),
    ...                                classes=("a", "b", "c")), "error_rate")
    >>> unseen_classes({"train": train, "cv": cv}, {"cv": "cv.csv"})
    ['cv.csv: class(es) c appear in cv (2 rows) but never in train; the model cannot have learned them']
    """
    train = stats["train"]
    if train.task != "multiclass":
        return []
    out = []
    for split, s in stats.items():
        if split == "train":
            continue
        unseen = [c for c, (seen, here) in enumerate(zip(train.label_rows, s.label_rows)) if seen == 0 and here > 0]
        if unseen:
            names = sorted((s.classes[c] for c in unseen), key=natural_key)
            rows = sum(s.label_rows[c] for c in unseen)
            out.append(f"{sources.get(split, '<data>')}: class(es) {', '.join(names)} appear in {split} "
                       f"({rows} rows) but never in train; the model cannot have learned them")
    return out


def streamed_skew(train: SplitStats, cv: SplitStats, limit: float) -> Skew:
    """The skew section from train's label sums and cv's merged agreement with the trivial
    classifier: :func:`~diagnose.bias_variance.skew` of the rows counted.

    >>> from diagnose.ingest import Predictions
    >>> from diagnose.stats import trivial_fit
    >>> y = np.zeros(1000, np.int8); y[:5] = 1
    >>> p = Predictions("binary", y, y_score=np.full(1000, 0.1))
    >>> train = SplitStats.of(p, "error_rate")
    >>> s = streamed_skew(train, SplitStats.of(p, "error_rate", trivial_fit(train)), 0.1)
    >>> s.skewed, s.trivial_accuracy, s.significant  # as skew(p, p)
    (True, 0.995, False)
    """
    agreement = cv.agreement
    assert agreement is not None  # cv counted with train's trivial fit
    sums = np.asarray(train.labels, dtype=np.float64)
    if task_type(train.task).multi_output:
        names = train.classes or tuple(str(j) for j in range(sums.shape[0]))
        total = train.loss.weight[0] + train.loss.weight[1] if train.weighted else float(train.rows)
        minority, name, _ = label_minority(sums / total, names)
    else:
        names = (train.classes or ("0", "1")) if train.task == "binary" else train.classes
        minority, name, limit, _ = class_minority(sums, names, limit)
    cells = agreement.n * agreement.labels
    if agreement.weighted:
        total_w = float(np.sum(agreement.weight)) * agreement.labels
        trivial_acc, model_acc = agreement.trivial_right_weight / total_w, agreement.model_right_weight / total_w
    else:
        trivial_acc, model_acc = agreement.trivial_right / cells, agreement.model_right / cells
    return skew_of(minority, name, limit, trivial_acc, model_acc, accuracy_from_agreement(agreement))
