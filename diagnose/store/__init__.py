"""The run store: projects, runs, their predictions, baselines, reports and reviewers' tags.

Open a session yourself and pass it to the repository functions; every write is one
transaction::

    from sqlalchemy.orm import Session
    from diagnose import store

    engine = store.make_engine()           # DIAGNOSE_DATABASE_URL, migrated on first use
    with Session(engine) as s, s.begin():
        store.submit_run(s, project="churn", run="r1", splits=splits, report=report)
    with Session(engine) as s:
        runs = store.list_runs(s, "churn")
"""
from __future__ import annotations

from .analysis import (
                         curve_runs,
                         learning_curve_from_store,
                         tally_from_store,
                         validation_curve_from_store,
)
from .engine import current_revision, head_revision, make_engine, upgrade
from .overview import run_overview
from .repository import (
                         count_rows,
                         decode_table,
                         delete_run,
                         encode_table,
                         get_run,
                         list_projects,
                         list_runs,
                         load_run_splits,
                         previous_run,
                         prune_blobs,
                         submit_run,
)
from .submit import PreparedRun, prepare_run, submit_files, submit_prepared
from .tags import delete_tags, get_tags, save_tags, set_tags
from .values import Encoded, RunList, RunSummary, StoredRun, SubmissionInfo

__all__ = [
    "make_engine", "upgrade", "current_revision", "head_revision",
    "submit_run", "list_runs", "list_projects", "get_run", "previous_run", "load_run_splits",
    "prepare_run", "submit_prepared", "submit_files", "PreparedRun",
    "learning_curve_from_store", "validation_curve_from_store", "tally_from_store", "curve_runs",
    "run_overview", "delete_run", "prune_blobs", "set_tags", "save_tags", "get_tags", "delete_tags", "count_rows", "encode_table", "decode_table",
    "Encoded", "RunList", "RunSummary", "StoredRun", "SubmissionInfo",
]
