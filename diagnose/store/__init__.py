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

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_names
from ._values import (
    Encoded,
    KeyInfo,
    KeyList,
    ProjectList,
    ProjectSummary,
    RunList,
    RunSummary,
    StoredRun,
    SubmissionInfo,
    whole_number,
)

# name -> private module; the modules that need SQLAlchemy load on first use, so that
# rendering a stored run (diagnose.present) does not import the database layer
_LAZY = {
    "decode_table": "_codec", "encode_table": "_codec", "check_blob_size": "_codec", "MAX_BLOB_BYTES": "_codec",
    "artifact_root": "_artifacts", "table_size_limit": "_artifacts",
    "CurveTables": "_curves", "curve_rows": "_curves", "curve_tables": "_curves", "project_runs": "_curves",
    "StoredSplit": "_curves", "stored_split": "_curves", "curve_baselines": "_curves", "curve_reading": "_curves",
    "current_revision": "_engine", "database_errors": "_engine", "head_revision": "_engine",
    "make_engine": "_engine", "upgrade": "_engine", "sqlite_path": "_engine", "check_new_run": "_checks",
    "check_run_values": "_checks",
    "delete_run": "_runs", "find_project": "_runs", "prune_blobs": "_runs", "submit_run": "_runs",
    "delete_project": "_runs", "rename_run": "_runs", "project_summaries": "_queries",
    "count_rows": "_queries", "get_run": "_queries", "list_projects": "_queries", "list_runs": "_queries",
    "load_run_splits": "_queries", "previous_run": "_queries", "stored_reports": "_queries",
    "stored_statistics": "_queries", "store_run": "_runs", "run_parameters": "_params", "read_table": "_artifacts",
    "StreamedTable": "_streamed", "stream_table": "_streamed", "staging_folder": "_streamed",
    "Registry": "_statistics", "decode_value": "_statistics", "encode_value": "_statistics",
    "StatisticsTooLarge": "_statistics",
    "Base": "_models",
    "create_key": "_keys", "list_keys": "_keys", "revoke_key": "_keys", "verify_key": "_keys",
    "delete_tags": "_tags", "get_tags": "_tags", "save_tags": "_tags", "set_tags": "_tags",
}
if TYPE_CHECKING:
    from ._artifacts import artifact_root, read_table, table_size_limit
    from ._checks import check_new_run, check_run_values
    from ._codec import MAX_BLOB_BYTES, check_blob_size, decode_table, encode_table
    from ._curves import (
        CurveTables,
        StoredSplit,
        curve_baselines,
        curve_reading,
        curve_rows,
        curve_tables,
        project_runs,
        stored_split,
    )
    from ._engine import current_revision, database_errors, head_revision, make_engine, sqlite_path, upgrade
    from ._keys import create_key, list_keys, revoke_key, verify_key
    from ._models import Base
    from ._params import run_parameters
    from ._queries import (
        count_rows,
        get_run,
        list_projects,
        list_runs,
        load_run_splits,
        previous_run,
        project_summaries,
        stored_reports,
        stored_statistics,
    )
    from ._runs import (
        delete_project,
        delete_run,
        find_project,
        prune_blobs,
        rename_run,
        store_run,
        submit_run,
    )
    from ._statistics import Registry, StatisticsTooLarge, decode_value, encode_value
    from ._streamed import StreamedTable, staging_folder, stream_table
    from ._tags import delete_tags, get_tags, save_tags, set_tags

__all__ = [
    "Base", "CurveTables", "Encoded", "KeyInfo", "KeyList", "RunList", "RunSummary", "StoredRun", "SubmissionInfo",
    "MAX_BLOB_BYTES", "artifact_root", "check_blob_size", "check_new_run", "check_run_values",
    "sqlite_path", "table_size_limit",
    "count_rows", "current_revision", "curve_rows", "curve_tables",
    "database_errors", "decode_table",
    "delete_run", "delete_tags", "encode_table", "find_project", "get_run", "get_tags", "head_revision",
    "list_projects", "list_runs", "load_run_splits", "make_engine", "previous_run", "project_runs",
    "prune_blobs", "save_tags", "set_tags", "stored_reports", "submit_run", "upgrade",
    "create_key", "list_keys", "revoke_key", "verify_key",
    "ProjectList", "ProjectSummary", "delete_project", "project_summaries", "rename_run",
    "whole_number", "stored_statistics", "store_run", "run_parameters", "read_table",
    "StreamedTable", "staging_folder", "stream_table", "Registry", "StatisticsTooLarge", "decode_value", "encode_value",
    "StoredSplit", "stored_split", "curve_baselines", "curve_reading",
]


def _moved(name: str) -> Any:  # workflows that moved to diagnose.service (prepare_run, run_overview, ...)
    from .. import _compat

    return _compat.moved(__name__, name)


__getattr__, __dir__ = lazy_names(__name__, {name: f".{module}" for name, module in _LAZY.items()}, _moved)
