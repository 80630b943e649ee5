"""Functions of the release before the re-house that have no single home now; kept so that
code written against them still runs (``diagnose._compat`` points the old names here)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..bias_variance import SECTIONS
from ..ingest import Splits
from ..options import ReportOptions
from ..store import load_run_splits, save_tags
from ._stored import learning_curve_from_store, session, tally_from_store, validation_curve_from_store


@dataclass(frozen=True)
class Sections:
    """What classification adds to a report: per-split figures, skew, per-class tables, threshold."""

    splits: Mapping[str, Any]
    skew: Any
    per_class: Any
    threshold: Any
    warnings: tuple[str, ...]


def classification_sections(splits: Splits, **options: Any) -> Sections:
    """The registered classification sections of validated splits (now built by ``build_report``).

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> p = Predictions("binary", np.array([0, 1, 1, 0], np.int8), y_score=np.array([0.2, 0.8, 0.6, 0.3]))
    >>> classification_sections(Splits("binary", p, p), bootstrap=0).threshold.value
    0.6
    """
    opts = ReportOptions.of(**options)
    built: dict[str, Any] = {}
    warnings: list[str] = []
    for section in SECTIONS:
        if section.applies(splits.train.kind) and section.when is None:  # no verdict here
            part = section.build(splits, opts)
            built[section.key] = part
            warnings += part.warnings
    decision = built["default_decision"].value
    return Sections(decision.splits, built["skew"].value,
                    built["per_class"].value if "per_class" in built else None,
                    built["threshold"].value, tuple(warnings))


def stored_learning_curve(project: str, runs: Sequence[str] = (), **options: Any):
    """The learning curve of a project's stored runs, on the configured database."""
    with session() as s:
        return learning_curve_from_store(s, project, runs=list(runs) or None, **options)


def stored_validation_curve(project: str, runs: Sequence[str] = (), *, param: str, **options: Any):
    """The validation curve of a project's stored runs, on the configured database."""
    with session() as s:
        return validation_curve_from_store(s, project, param=param, runs=list(runs) or None, **options)


def stored_tally(project: str, run: str, *, total_errors: int | None = None):
    """The tally of a stored run's tags, on the configured database."""
    with session() as s:
        return tally_from_store(s, project, run, total_errors=total_errors)


def stored_cv(project: str, run: str):
    """The validated cv predictions of a stored run, on the configured database."""
    with session() as s:
        return load_run_splits(s, project, run).cv


def stored_save_tags(project: str, run: str, tags: Mapping[Any, Any], *, reviewer: str | None = None) -> int:
    """Save tags for a stored run's cv rows in one transaction, on the configured database."""
    with session() as s, s.begin():
        return save_tags(s, project=project, run=run, tags=tags, reviewer=reviewer)
