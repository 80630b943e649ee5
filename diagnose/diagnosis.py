"""Put the pieces together: validated splits + baselines -> :class:`Report`."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .bias_variance import Tolerance, diagnose_bias_variance
from .exceptions import InputError, UsageError
from .ingest import Columns, Predictions, Source, Splits, load_predictions, load_splits
from .metrics import default_metric, metrics_for, split_error, trivial_name, trivial_predictions
from .results import Report

TRIVIAL = "trivial"


def report(
    train: Source | None = None,
    cv: Source | None = None,
    test: Source | None = None,
    *,
    data: Source | None = None,
    baselines: Mapping[str, float] | None = None,
    baseline_files: Mapping[str, Source] | None = None,
    task: str | None = None,
    metric: str | None = None,
    columns: Mapping[str, str] | Columns | None = None,
    positive_label: str | None = None,
    tolerance: Tolerance | None = None,
    encoding: str = "utf-8",
    threshold_rule: str = "f1",
    skew_threshold: float = 0.10,
    bootstrap: "int | str" = "auto",
    seed: int = 0,
) -> Report:
    """Diagnose one run from its predictions (paths, DataFrames or Arrow tables).

    >>> import pandas as pd
    >>> train = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.1, 0.9] * 50})
    >>> cv = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.6, 0.9] * 50})
    >>> r = report(train=train, cv=cv, baselines={"human": 0.01})
    >>> r.verdict.verdict, r.splits["cv"].error
    ('high_variance', 0.5)
    """
    splits = load_splits(train, cv, test, data=data, task=task, columns=columns,
                         positive_label=positive_label, encoding=encoding)
    competitors = {}
    for name, source in (baseline_files or {}).items():
        competitors[name] = load_predictions(source, task=splits.task, columns=columns,
                                             positive_label=positive_label, encoding=encoding)
    return build_report(splits, baselines=baselines, competitors=competitors, metric=metric,
                        tolerance=tolerance, threshold_rule=threshold_rule,
                        skew_threshold=skew_threshold, bootstrap=bootstrap, seed=seed)


def build_report(
    splits: Splits,
    *,
    baselines: Mapping[str, float] | None = None,
    competitors: Mapping[str, Predictions] | None = None,
    metric: str | None = None,
    tolerance: Tolerance | None = None,
    threshold_rule: str = "f1",
    skew_threshold: float = 0.10,
    bootstrap: "int | str" = "auto",
    seed: int = 0,
) -> Report:
    """Diagnose validated splits; ``competitors`` are other models' cv predictions.

    Classification adds accuracy/prevalence/precision/recall/F1 per split, ``skew``,
    ``per_class`` and a ``threshold`` chosen on cv by ``threshold_rule`` (bootstrap
    resamples with ``seed``); see :mod:`diagnose.classification`, :mod:`diagnose.thresholds`.
    """
    task = splits.task
    metric = metric or default_metric(task)
    if metric not in metrics_for(task):
        raise UsageError(f"metric '{metric}' does not apply to a {task} task; "
                         f"choose one of {', '.join(metrics_for(task))}")
    if metric in ("log_loss", "brier") and splits.train.y_score is None:
        raise UsageError(f"metric '{metric}' needs scores or probabilities; these files only "
                         "hold hard predictions (y_pred). Use --metric error_rate")
    tolerance = tolerance or Tolerance()
    errors = {name: split_error(pred, metric, split=name) for name, pred in splits.items()}

    user = {}
    for name, value in (baselines or {}).items():
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise UsageError(f"baseline '{name}' must be a non-negative number in the {metric} metric")
        user[name] = (value, 0.0)
    for name, comp in (competitors or {}).items():
        _check_same_rows(comp, splits.cv)
        err = split_error(comp, metric, split="cv")
        user[name] = (err.error, err.se)

    trivial = split_error(trivial_predictions(splits.train, splits.cv), metric, split="cv")
    if user:
        ref_name = min(user, key=lambda k: user[k][0])
        reference, reference_se = user[ref_name]
    else:
        ref_name, reference, reference_se = None, None, 0.0
    verdict = diagnose_bias_variance(errors, reference=reference, reference_name=ref_name,
                                     reference_se=reference_se, tolerance=tolerance)
    warnings = list(splits.warnings) + list(verdict.warnings)
    if errors["cv"].error >= trivial.error:
        warnings.append(
            f"J_cv ({errors['cv'].error:.4g}) is no better than the trivial baseline "
            f"({trivial_name(task, metric)}: {trivial.error:.4g})")
    all_baselines = {name: v for name, (v, _) in user.items()}
    all_baselines[TRIVIAL] = trivial.error
    sections = {}
    if task != "regression":
        from dataclasses import replace

        from .classification import classification_sections

        extra = classification_sections(splits, threshold_rule=threshold_rule,
                                        skew_threshold=skew_threshold, bootstrap=bootstrap, seed=seed)
        errors = {name: replace(e, extras={**e.extras, **extra.splits[name].to_dict()})
                  for name, e in errors.items()}
        warnings += extra.warnings
        sections = {"skew": extra.skew, "per_class": extra.per_class, "threshold": extra.threshold}
    return Report(task=task, metric=metric, splits=errors, baselines=all_baselines,
                  trivial_baseline=trivial_name(task, metric), verdict=verdict,
                  warnings=tuple(warnings), tolerance=tolerance.to_dict(),
                  classes=splits.train.classes if task in ("multiclass", "multilabel") else (),
                  **sections)


def _check_same_rows(comp: Predictions, cv: Predictions) -> None:
    if comp.ids is not None and cv.ids is not None:
        a, b = np.sort(comp.ids.astype(str)), np.sort(cv.ids.astype(str))
        if len(a) != len(b) or not np.array_equal(a, b):
            missing = np.setdiff1d(b, a)[:5].tolist()
            raise InputError(
                "competitor predictions must cover the same cv rows (same ids)", file=comp.source,
                column="id", fix=f"ids missing from it include {', '.join(map(str, missing)) or 'none'}; "
                f"it has {len(a)} rows, cv has {len(b)}")
    elif comp.n != cv.n:
        raise InputError(
            f"competitor predictions have {comp.n} rows but the cv split has {cv.n}",
            file=comp.source, fix="Give the competitor's predictions on the same cv rows")
