"""Frozen values that stored rows leave the store as."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional

from ..values import Rendered


@dataclass(frozen=True)
class Encoded:
    """A prediction table as Parquet bytes, keyed by their sha256."""

    content_hash: str
    data: bytes = field(repr=False)
    n_rows: int


@dataclass(frozen=True)
class RunSummary:
    """One line of ``diagnose runs``."""

    project: str
    run: str
    created_at: datetime
    task: str
    metric: str
    verdict: str
    cv_error: Optional[float]
    train_size: Optional[float] = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"project": self.project, "run": self.run, "created_at": self.created_at.isoformat(),
                "task": self.task, "metric": self.metric, "verdict": self.verdict,
                "cv_error": self.cv_error, "train_size": whole_number(self.train_size), "params": dict(self.params)}


def whole_number(size: Optional[float]) -> Optional[float]:
    """A training-set size as the whole number it normally is (stored as a float column).

    >>> whole_number(341.0), whole_number(2.5), whole_number(None)
    (341, 2.5, None)
    """
    return int(size) if size is not None and float(size).is_integer() else size


@dataclass(frozen=True)
class SubmissionInfo:
    split: str
    n_rows: int
    content_hash: str
    source: Optional[str] = None


@dataclass(frozen=True)
class StoredRun(Rendered):
    """A stored run: ``report`` is the JSON report as computed when it was submitted."""

    summary: RunSummary
    report: Mapping[str, Any]
    text: str
    markdown: str
    baselines: Mapping[str, float]
    submissions: tuple[SubmissionInfo, ...]

    def to_dict(self) -> dict:
        return dict(self.report)


@dataclass(frozen=True)
class RunList(Rendered):
    """The runs of one project, oldest first (``diagnose runs``)."""

    project: str
    runs: tuple[RunSummary, ...]

    def to_dict(self) -> list:  # the JSON is a list of runs
        return [r.to_dict() for r in self.runs]
