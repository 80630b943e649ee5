"""Stored-run helpers for commands owned elsewhere (``curve``, ``errors tally``): each opens
the configured database, reads, and closes it, so those commands stay one call long."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.orm import Session

from .analysis import (
    learning_curve_from_store,
    tally_from_store,
    validation_curve_from_store,
)
from .engine import database_errors, make_engine
from .repository import load_run_splits
from .tags import save_tags


@contextmanager
def _session() -> Iterator[Session]:
    with database_errors():
        engine = make_engine()
        try:
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()


def stored_learning_curve(project: str, runs: Sequence[str] = (), **options):
    with _session() as session:
        return learning_curve_from_store(session, project, runs=list(runs) or None, **options)


def stored_validation_curve(project: str, runs: Sequence[str] = (), *, param: str, **options):
    with _session() as session:
        return validation_curve_from_store(session, project, param=param, runs=list(runs) or None, **options)


def stored_tally(project: str, run: str, *, total_errors: int | None = None):
    with _session() as session:
        return tally_from_store(session, project, run, total_errors=total_errors)


def stored_cv(project: str, run: str):
    """The validated cv predictions of a stored run."""
    with _session() as session:
        return load_run_splits(session, project, run).cv


def stored_save_tags(project: str, run: str, tags, *, reviewer: str | None = None) -> int:
    """Save ``tags`` (sample id -> tags) for the stored run's cv rows in one transaction."""
    with _session() as session, session.begin():
        return save_tags(session, project=project, run=run, tags=tags, reviewer=reviewer)
