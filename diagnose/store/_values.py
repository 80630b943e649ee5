"""Frozen values that stored rows leave the store as."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional

from ..values import Rendered


@dataclass(frozen=True)
class Encoded:
    """A prediction table as Parquet bytes, keyed by their sha256: in ``data``, or (a table
    written by streaming, ``data`` empty) in the local file ``path`` of ``size`` bytes.

    >>> Encoded("ab" * 32, b"PAR1", 2).nbytes, Encoded("ab" * 32, b"", 2, path="/tmp/x.tmp", size=9).nbytes
    (4, 9)
    """

    content_hash: str
    data: bytes = field(repr=False)
    n_rows: int
    path: Optional[str] = None
    size: Optional[int] = None

    @property
    def nbytes(self) -> int:
        return self.size if self.path is not None and self.size is not None else len(self.data)


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


@dataclass(frozen=True)
class ProjectSummary:
    """One line of ``diagnose projects``: a project, how many runs it has, when it was made."""

    project: str
    runs: int
    created_at: datetime

    def to_dict(self) -> dict:
        return {"project": self.project, "runs": self.runs, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class ProjectList(Rendered):
    """The stored projects, by name (``diagnose projects``)."""

    projects: tuple[ProjectSummary, ...]

    def to_dict(self) -> list:  # the JSON is a list of projects
        return [p.to_dict() for p in self.projects]


@dataclass(frozen=True)
class KeyInfo:
    """An HTTP API key as the store describes it (never its secret): ``scope`` is read, write or
    admin; ``project`` is None for an admin key."""

    id: int
    name: str
    project: Optional[str]
    scope: str
    prefix: str
    created_at: datetime
    revoked_at: Optional[datetime] = None

    @property
    def can_write(self) -> bool:
        return self.scope in ("write", "admin") and self.revoked_at is None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "project": self.project, "scope": self.scope,
                "prefix": self.prefix, "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


@dataclass(frozen=True)
class KeyList(Rendered):
    """The keys of the HTTP API (``diagnose keys list``), oldest first."""

    keys: tuple[KeyInfo, ...]

    def to_dict(self) -> list:  # the JSON is a list of keys
        return [k.to_dict() for k in self.keys]
