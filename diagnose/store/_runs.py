"""Writing runs: every function takes a Session the caller opened.

Writes are meant to run as one transaction each::

    with Session(engine) as s, s.begin():
        submit_run(s, project="churn", run="r1", splits=splits, report=report)

A failure anywhere inside rolls the whole submission back. Rows leave the store only as
the frozen values of :mod:`diagnose.store` (``RunSummary``, ``StoredRun``); reading them back is ``_queries``.

>>> import os, tempfile, pandas as pd
>>> from sqlalchemy.orm import Session
>>> from diagnose.bias_variance import build_report
>>> from diagnose.ingest import load_splits
>>> from diagnose.store import get_run, list_runs, load_run_splits, make_engine
>>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> frame = pd.DataFrame({"id": range(40), "y_true": [0, 1] * 20, "y_score": [0.3, 0.8] * 20})
>>> splits = load_splits(frame, frame)
>>> with Session(engine) as s, s.begin():
...     submit_run(s, project="demo", run="r1", splits=splits,
...                report=build_report(splits, baselines={"human": 0.05})).verdict
'inconclusive'
>>> with Session(engine) as s:
...     [r.run for r in list_runs(s, "demo")], get_run(s, "demo", "r1").baselines
(['r1'], {'human': 0.05})
>>> with Session(engine) as s:
...     load_run_splits(s, "demo", "r1").cv.n
40
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..exceptions import UsageError
from ..ingest import Columns, Splits
from . import _artifacts as artifacts
from ._checks import check_length, check_run_values, check_text, duplicate
from ._codec import encode_table
from ._dialects import claim_write_lock, insert_ignore
from ._models import ApiKey, Baseline, Blob, Project, Run, RunStatistics, StoredReport, Submission, Tag, utcnow
from ._params import constants_of, run_parameters
from ._values import Encoded, RunSummary


def submit_run(
    session: Session,
    *,
    project: str,
    run: str,
    splits: Splits,
    report: Any,
    baselines: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    train_size: float | None = None,
    columns: Mapping[str, str] | None = None,
    positive_label: str | None = None,
    encoded: Mapping[str, Encoded] | None = None,
    rendered: tuple[str, str] | None = None,
    statistics: Mapping[str, bytes] | None = None,
) -> RunSummary:
    """Store a validated run (its split tables, baselines, parameters and report).

    ``report`` is the :class:`~diagnose.bias_variance.Report` computed from ``splits``, and
    ``rendered`` its text and Markdown (asked of the report, before any write, when not given);
    ``columns``/``positive_label`` are the reading options, kept so that the stored
    tables validate back into the same splits. ``train_size`` and ``params`` default to
    the constant ``train_size`` / ``param_<name>`` columns of the train table.
    ``encoded`` may hold the splits' :func:`encode_table` results, computed beforehand;
    ``statistics`` each split's statistics as bytes (``diagnose.service`` encodes them), stored
    in the same transaction.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose import bias_variance, ingest, service
    >>> splits = ingest.load_splits(*[pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})] * 2)
    >>> with service.session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     submit_run(s, project="demo", run="r1", splits=splits, report=bias_variance.build_report(splits)).verdict
    'inconclusive'
    """
    if not project or not run:
        raise UsageError("a project name and a run name are needed")
    cols = Columns.from_mapping(columns)
    # encode before touching the database: the transaction then only writes bytes
    tables = {name: (pred.source, (encoded or {}).get(name) or encode_table(pred.table))
              for name, pred in splits.items()}
    train_size, params = run_parameters(constants_of(splits, cols), cols, train_size, params)
    return store_run(session, project=project, run=run, task=splits.task, classes=tuple(splits.train.classes),
                     tables=tables, report=report, baselines=baselines, params=params, train_size=train_size,
                     columns=columns, positive_label=positive_label, rendered=rendered, statistics=statistics)


def store_run(session: Session, *, project: str, run: str, task: str, classes: tuple, report: Any,
              tables: Mapping[str, tuple[str | None, Encoded]], baselines: Mapping[str, float] | None = None,
              params: Mapping[str, Any] | None = None, train_size: float | None = None,
              columns: Mapping[str, str] | None = None, positive_label: str | None = None,
              rendered: tuple[str, str] | None = None, statistics: Mapping[str, bytes] | None = None) -> RunSummary:
    """Store a run from its encoded tables (split -> (source, :class:`Encoded`), the bytes in
    memory or, ``Encoded.path``, in a local file) without the rows themselves: the streaming
    submit's entry; :func:`submit_run` reads tables and parameters from validated splits.

    >>> import os, tempfile
    >>> import pyarrow as pa
    >>> from diagnose import bias_variance, ingest, service
    >>> from diagnose.store import encode_table
    >>> table = pa.table({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> report = bias_variance.build_report(ingest.load_splits(table, table))
    >>> enc = encode_table(table)
    >>> with service.session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     store_run(s, project="demo", run="r1", task="binary", classes=("0", "1"), report=report,
    ...               tables={"train": ("t.parquet", enc), "cv": ("t.parquet", enc)}).verdict
    'inconclusive'
    """
    from ._statistics import CODEC_VERSION

    if not project or not run:
        raise UsageError("a project name and a run name are needed")
    if baselines is None:  # the report's own, minus the trivial one it always computes
        baselines = {k: v for k, v in report.to_dict().get("baselines", {}).items()
                     if k != "trivial" and v is not None}
    params = dict(params or {})
    check_run_values(project, run, baselines, params, train_size)
    report_dict = report.to_dict()
    text, markdown = rendered or (report.to_text(), report.to_markdown())
    # the artifact files first (a crash leaves files without rows, for prune), then the rows
    locations = artifacts.place(session, tables)

    claim_write_lock(session)
    project_id = find_project(session, project, create=True)
    if session.scalar(select(Run.id).where(Run.project_id == project_id, Run.name == run)) is not None:
        raise duplicate(project, run)
    cv_error = report_dict["splits"]["cv"]["error"]
    row = Run(project_id=project_id, name=run, task=task, metric=report_dict["metric"],
              ingest={"columns": dict(columns or {}), "positive_label": positive_label,
                      "classes": list(classes)},
              params=params, train_size=train_size, verdict=report_dict["verdict"], cv_error=cv_error)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another writer created the same run name meanwhile
        raise duplicate(project, run) from None
    for name, (source, enc) in tables.items():
        _store_blob(session, enc, locations[enc.content_hash])
        session.add(Submission(run_id=row.id, split=name, n_rows=enc.n_rows,
                               content_hash=enc.content_hash, source=source))
    for name, value in (baselines or {}).items():
        session.add(Baseline(run_id=row.id, name=name, value=float(value)))
    for name, data in (statistics or {}).items():
        session.add(RunStatistics(run_id=row.id, split=name, codec=CODEC_VERSION, data=data))
    session.flush()
    artifacts.ensure_written(session, {enc.content_hash: enc for _, enc in tables.values()
                                       if locations[enc.content_hash] is not None})
    _store_report(session, row.id, report_dict, text, markdown)
    return run_summary(row, project)


def _store_blob(session: Session, enc: Encoded, location: str | None) -> None:
    """Insert the row (the bytes, or the location of their artifact file) unless identical
    content is already stored (race-free)."""
    insert_ignore(session, Blob, {"content_hash": enc.content_hash, "size": enc.nbytes,
                                  "data": enc.data if location is None else b"", "location": location,
                                  "created_at": utcnow()}, key=["content_hash"])


def _store_report(session: Session, run_id: int, report_dict: dict, text: str, markdown: str) -> None:
    session.add(StoredReport(run_id=run_id, data=json.dumps(report_dict, allow_nan=False),
                             text=text, markdown=markdown))
    session.flush()


def find_project(session: Session, name: str, *, create: bool) -> int:
    """The id of a project; with ``create``, made when missing, else a missing one is bad usage.

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     find_project(s, "demo", create=True) == find_project(s, "demo", create=False)
    True
    """
    check_text("project name", name)
    if create:
        insert_ignore(session, Project, {"name": name, "created_at": utcnow()}, key=["name"])
    found = session.scalar(select(Project.id).where(Project.name == name))
    if found is None:  # (with create it was just inserted, so only a lookup can miss)
        known = session.scalars(select(Project.name).order_by(Project.name)).all()
        raise UsageError(f"no project '{name}' in the store; projects: {', '.join(known) or 'none yet'}")
    return found


def run_summary(row: Run, project: str) -> RunSummary:
    return RunSummary(project=project, run=row.name, created_at=aware(row.created_at), task=row.task,
                      metric=row.metric, verdict=row.verdict, cv_error=row.cv_error,
                      train_size=row.train_size, params=dict(row.params or {}))


def aware(value):
    from datetime import timezone

    # SQLite hands back naive datetimes (they were written in UTC); PostgreSQL hands back the
    # session's time zone, which need not be UTC: the listings say UTC
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def run_row(session: Session, project: str, run: str) -> Run:
    project_id = find_project(session, project, create=False)
    check_text("run name", run)
    row = session.scalar(select(Run).where(Run.project_id == project_id, Run.name == run))
    if row is None:
        names = session.scalars(select(Run.name).where(Run.project_id == project_id)
                                .order_by(Run.created_at.desc(), Run.id.desc()).limit(10)).all()
        raise UsageError(f"no run '{run}' in project '{project}'; recent runs: {', '.join(names) or 'none'}")
    return row


def delete_run(session: Session, project: str, run: str, *, missing_ok: bool = False,
               keep_blobs: bool = True) -> bool:
    """Delete a run with its submissions, baselines, report and tags. Its blobs stay unless
    ``keep_blobs=False``, which deletes those no other run uses (else see :func:`prune_blobs`).
    Returns whether a run was deleted.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     delete_run(s, "demo", "r1"), delete_run(s, "demo", "r1", missing_ok=True)
    (True, False)
    """
    claim_write_lock(session)
    try:
        row = run_row(session, project, run)
    except UsageError:
        if missing_ok:
            return False
        raise
    _delete_runs(session, select(Run.id).where(Run.id == row.id), keep_blobs=keep_blobs)
    return True


def _delete_runs(session: Session, run_ids: Any, *, keep_blobs: bool) -> None:
    """Delete the runs ``run_ids`` (a select of ids) and everything that hangs off them."""
    sub_ids = select(Submission.id).where(Submission.run_id.in_(run_ids))
    hashes = [] if keep_blobs else list(session.scalars(
        select(Submission.content_hash).where(Submission.run_id.in_(run_ids)).distinct()))
    # explicit children first: no reliance on ON DELETE CASCADE being enforced
    session.execute(delete(Tag).where(Tag.submission_id.in_(sub_ids)))
    for model in (Submission, Baseline, StoredReport, RunStatistics):
        session.execute(delete(model).where(model.run_id.in_(run_ids)))
    session.execute(delete(Run).where(Run.id.in_(run_ids)))
    if hashes:
        _prune(session, Blob.content_hash.in_(hashes))
    session.expire_all()


def rename_run(session: Session, project: str, run: str, new: str) -> RunSummary:
    """Give run ``run`` of ``project`` the name ``new`` (its tables, report and tags stay with
    it); a name the project already has is a UsageError.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
    >>> with session(url) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     rename_run(s, "demo", "r1", "baseline").run
    'baseline'
    >>> with session(url) as s, s.begin():
    ...     rename_run(s, "demo", "r2", "baseline")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: run 'baseline' already exists in project 'demo'; choose another name, ...
    """
    if not new:
        raise UsageError("the new run name is empty; give a name")
    check_length("run name", new, Run.__table__.c.name)
    claim_write_lock(session)
    row = run_row(session, project, run)
    taken = UsageError(f"run '{new}' already exists in project '{project}'; choose another name, or "
                       f"delete that run first (diagnose runs delete {project} {new})")
    if new != run and session.scalar(select(Run.id).where(Run.project_id == row.project_id, Run.name == new)):
        raise taken
    try:
        session.execute(update(Run).where(Run.id == row.id).values(name=new))
        session.flush()
    except IntegrityError:  # another writer took the name meanwhile
        raise taken from None
    session.expire_all()
    return run_summary(session.get(Run, row.id), project)  # type: ignore[arg-type]


def delete_project(session: Session, project: str, *, keep_blobs: bool = False) -> int:
    """Delete a project with all its runs (their tables, reports and tags) and its API keys;
    the blobs no other project's run uses go too unless ``keep_blobs``. Returns how many
    runs were deleted.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> from diagnose.store import list_projects
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     delete_project(s, "demo"), list_projects(s)
    (2, [])
    """
    claim_write_lock(session)
    project_id = find_project(session, project, create=False)
    run_ids = select(Run.id).where(Run.project_id == project_id)
    n_runs = session.scalar(select(func.count()).select_from(run_ids.subquery())) or 0
    _delete_runs(session, run_ids, keep_blobs=keep_blobs)
    session.execute(delete(ApiKey).where(ApiKey.project_id == project_id))
    session.execute(delete(Project).where(Project.id == project_id))
    session.expire_all()
    return int(n_runs)


def prune_blobs(session: Session) -> int:
    """Delete blobs no submission refers to, and artifact files no blob refers to (left by a
    crash before a commit); returns how many. The files go once the transaction commits.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     delete_run(s, "demo", "r1"), prune_blobs(s)
    (True, 1)
    """
    claim_write_lock(session)
    n = _prune(session)
    left = artifacts.orphans(session)  # files of crashed or rolled-back writers
    artifacts.remove_after_commit(session, left)
    return n + sum(len(h) == 64 for h, _ in left)


def _prune(session: Session, *where: Any) -> int:
    """Delete the blobs (among ``where``) that no submission refers to; their artifact files go
    once the transaction commits."""
    used = select(Submission.content_hash).where(Submission.content_hash == Blob.content_hash)
    unused = [(h, str(loc)) for h, loc in session.execute(select(Blob.content_hash, Blob.location)
                                                     .where(~used.exists(), Blob.location.is_not(None), *where))]
    # a DML statement's result is a CursorResult (typed as a plain Result), which has the rowcount
    n = cast(CursorResult[Any], session.execute(delete(Blob).where(~used.exists(), *where))).rowcount
    artifacts.remove_after_commit(session, unused)
    return n
