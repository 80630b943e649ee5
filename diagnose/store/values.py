"""Frozen values that stored rows leave the store as."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional


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
                "cv_error": self.cv_error, "train_size": _whole(self.train_size), "params": dict(self.params)}


def _whole(size: Optional[float]) -> Optional[float]:
    """A training-set size as the whole number it normally is (stored as a float column)."""
    return int(size) if size is not None and float(size).is_integer() else size


@dataclass(frozen=True)
class SubmissionInfo:
    split: str
    n_rows: int
    content_hash: str
    source: Optional[str] = None


@dataclass(frozen=True)
class StoredRun:
    """A stored run: ``report`` is the JSON report as computed when it was submitted."""

    summary: RunSummary
    report: Mapping[str, Any]
    text: str
    markdown: str
    baselines: Mapping[str, float]
    submissions: tuple[SubmissionInfo, ...]

    def to_dict(self) -> dict:
        return dict(self.report)

    def _header(self) -> str:
        s = self.summary
        return f"project {s.project}, run {s.run}, submitted {s.created_at:%Y-%m-%d %H:%M:%S} UTC"

    def to_text(self) -> str:
        return self._header() + "\n\n" + self.text

    def to_markdown(self) -> str:
        return f"_{self._header()}_\n\n" + self.markdown


@dataclass(frozen=True)
class RunList:
    """The runs of one project, oldest first (``diagnose runs``)."""

    project: str
    runs: tuple[RunSummary, ...]

    def to_dict(self) -> list:  # the JSON is a list of runs
        return [r.to_dict() for r in self.runs]

    def _rows(self):
        return [[r.run, f"{r.created_at:%Y-%m-%d %H:%M:%S}", r.verdict, r.cv_error, r.train_size]
                for r in self.runs]

    def to_text(self) -> str:
        from ..present import table

        if not self.runs:
            return f"project {self.project} has no runs\n"
        return table(["run", "created (UTC)", "verdict", "cv error", "train size"], self._rows()) + "\n"

    def to_markdown(self) -> str:
        from ..present import table

        if not self.runs:
            return f"Project `{self.project}` has no runs.\n"
        return table(["run", "created (UTC)", "verdict", "cv error", "train size"], self._rows(),
                     markdown=True) + "\n"
