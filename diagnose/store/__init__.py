"""The run store: projects, runs, their predictions, baselines, reports and reviewers' tags.

Persistence only: the store keeps what the workflows of :mod:`diagnose.service` hand it
and gives it back as frozen values. Open a session yourself and pass it to the
functions; every write is one transaction::

    from sqlalchemy.orm import Session
    from diagnose import store

    engine = store.make_engine()           # DIAGNOSE_DATABASE_URL, migrated on first use
    with Session(engine) as s, s.begin():
        store.submit_run(s, project="churn", run="r1", splits=splits, report=report)
    with Session(engine) as s:
        runs = store.list_runs(s, "churn")

What differs between SQLite and PostgreSQL lives in one module (``_dialects``).

>>> import os, tempfile
>>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> current_revision(engine) == head_revision()
True
"""
from __future__ import annotations

from ._codec import decode_table, encode_table
from ._curves import CurveTables, curve_rows, curve_tables, project_runs, stored_baselines
from ._engine import current_revision, database_errors, head_revision, make_engine, upgrade
from ._runs import (count_rows, delete_run, find_project, get_run, list_projects, list_runs, load_run_splits,
                    previous_run, prune_blobs, stored_reports, submit_run)
from ._tags import delete_tags, get_tags, save_tags, set_tags
from ._values import Encoded, RunList, RunSummary, StoredRun, SubmissionInfo, whole_number

__all__ = [
    "CurveTables", "Encoded", "RunList", "RunSummary", "StoredRun", "SubmissionInfo",
    "count_rows", "current_revision", "curve_rows", "curve_tables", "database_errors", "decode_table",
    "delete_run", "delete_tags", "encode_table", "find_project", "get_run", "get_tags", "head_revision",
    "list_projects", "list_runs", "load_run_splits", "make_engine", "previous_run", "project_runs",
    "prune_blobs", "save_tags", "set_tags", "stored_baselines", "stored_reports", "submit_run", "upgrade",
    "whole_number",
]


def __getattr__(name: str):  # workflows that moved to diagnose.service (prepare_run, run_overview, ...)
    from .. import _compat

    return _compat.moved(__name__, name)
