"""The run store's tables (SQLAlchemy 2 typed ORM).

A project has runs; a run has one submission per split, its parameters, baselines and
its stored report; reviewers' tags are rows keyed by submission and sample id. Raw
predictions are Parquet bytes keyed by their sha256 (:class:`Blob`), so a submission is
one row whatever its size and identical content is stored once; the bytes are a file of
the artifact store (``_artifacts``) or, without one, a value in the row itself.

Schema changes go through the migrations in ``diagnose/migrations``; keep the two in
step (a test compares them).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# explicit constraint names, so migrations can refer to them on every database
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    runs: Mapped[list["Run"]] = relationship(back_populates="project")


class Run(Base):
    __tablename__ = "run"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_run_project_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    task: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str] = mapped_column(String(40))
    # how the tables were read (task forced, column map, positive label, classes), so that
    # stored blobs validate back into the same Splits
    ingest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    train_size: Mapped[Optional[float]] = mapped_column(Float)
    # copied from the report for quick listing
    verdict: Mapped[str] = mapped_column(String(40))
    cv_error: Mapped[Optional[float]] = mapped_column(Float)

    project: Mapped[Project] = relationship(back_populates="runs")
    submissions: Mapped[list["Submission"]] = relationship(back_populates="run")
    baselines: Mapped[list["Baseline"]] = relationship()
    report: Mapped[Optional["StoredReport"]] = relationship()


class Blob(Base):
    """One validated prediction table as Parquet bytes, keyed by their sha256: ``location``
    names its artifact file (``data`` is then empty), or, when it is NULL (no artifact store,
    or a row from before one), ``data`` holds the bytes."""

    __tablename__ = "blob"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))  # SQLite: 64 bits already
    data: Mapped[bytes] = mapped_column(LargeBinary)
    location: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("run_id", "split", name="uq_submission_run_id_split"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    split: Mapped[str] = mapped_column(String(10))
    n_rows: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(ForeignKey("blob.content_hash"))
    source: Mapped[Optional[str]] = mapped_column(Text)  # the file it came from, for messages

    run: Mapped[Run] = relationship(back_populates="submissions")


class Baseline(Base):
    __tablename__ = "baseline"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_baseline_run_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)


class StoredReport(Base):
    """The report as computed at submission: JSON, plus its text and Markdown renderings."""

    __tablename__ = "report"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)


class RunStatistics(Base):
    """One split's statistics as computed at submission (``diagnose.service.run_statistics``
    reads them): the bytes of ``_statistics`` and the version of that codec."""

    __tablename__ = "run_statistics"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    split: Mapped[str] = mapped_column(String(10), primary_key=True)
    codec: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Tag(Base):
    """A reviewer's error categories for one sample of one submission."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("submission_id", "sample_id", name="uq_tag_submission_id_sample_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[str] = mapped_column(String(200))
    tags: Mapped[str] = mapped_column(Text)  # categories separated by ';' as in the input format
    reviewer: Mapped[Optional[str]] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ApiKey(Base):
    """A key of the HTTP API (``diagnose serve``): only the sha256 of the secret is kept.

    ``scope`` is read, write (read and write) or admin (every project, and keys); a read or
    write key belongs to one project. ``prefix`` is the key's public part, used to find its row.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
