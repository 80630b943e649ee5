"""Reading the store: projects, runs with their stored reports, a run's tables validated back
into :class:`~diagnose.ingest.Splits`, and the rows per table. Every function takes a
Session the caller opened; runs come back as the frozen values of :mod:`diagnose.store`.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..exceptions import DiagnoseError
from ..ingest import SPLITS, Columns, RawTable, Splits, parse_splits, task_type
from ._artifacts import read_table
from ._models import Baseline, Blob, Project, Run, RunStatistics, StoredReport, Submission, Tag
from ._runs import aware, find_project, run_row, run_summary
from ._values import ProjectSummary, RunSummary, StoredRun, SubmissionInfo


def list_projects(session: Session) -> list[str]:
    """The names of the stored projects, sorted.

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [find_project(s, name, create=True) for name in ("spam", "churn")]
    ...     list_projects(s)
    ['churn', 'spam']
    """
    return list(session.scalars(select(Project.name).order_by(Project.name)))


def project_summaries(session: Session) -> list[ProjectSummary]:
    """Every stored project with its number of runs, sorted by name (one query).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="spam", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     _ = find_project(s, "churn", create=True)
    ...     [(p.project, p.runs) for p in project_summaries(s)]
    [('churn', 0), ('spam', 2)]
    """
    rows = session.execute(select(Project.name, func.count(Run.id), Project.created_at)
                           .outerjoin(Run, Run.project_id == Project.id)
                           .group_by(Project.id, Project.name, Project.created_at).order_by(Project.name))
    return [ProjectSummary(project=name, runs=int(n), created_at=aware(created)) for name, n, created in rows]


def list_runs(session: Session, project: str) -> list[RunSummary]:
    """The runs of a project, oldest first.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     [r.run for r in list_runs(s, "demo")]
    ['r1', 'r2']
    """
    project_id = find_project(session, project, create=False)
    rows = session.scalars(select(Run).where(Run.project_id == project_id)
                           .order_by(Run.created_at, Run.id))
    return [run_summary(r, project) for r in rows]


def get_run(session: Session, project: str, run: str) -> StoredRun:
    """A stored run with its report (JSON, text and Markdown as computed at submission).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t, baselines={"human": 0.01})
    ...     stored = get_run(s, "demo", "r1")
    >>> stored.report["verdict"], stored.baselines, [sub.split for sub in stored.submissions]
    ('inconclusive', {'human': 0.01}, ['train', 'cv'])
    """
    return _stored(session, run_row(session, project, run), project)


def stored_reports(session: Session, project: str) -> list[tuple[RunSummary, dict[str, Any]]]:
    """Every run of ``project`` with its stored JSON report, oldest first, in one query.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     [(summary.run, report["verdict"]) for summary, report in stored_reports(s, "demo")]
    [('r1', 'inconclusive'), ('r2', 'inconclusive')]
    """
    project_id = find_project(session, project, create=False)
    rows = session.execute(select(Run, StoredReport.data)
                           .join(StoredReport, StoredReport.run_id == Run.id, isouter=True)
                           .where(Run.project_id == project_id)
                           .order_by(Run.created_at, Run.id)).all()
    return [(run_summary(run, project), json.loads(data) if data else {}) for run, data in rows]


def previous_run(session: Session, project: str, run: str | None = None) -> StoredRun | None:
    """The run stored just before ``run`` (or the latest one when ``run`` is None).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2")]
    ...     previous_run(s, "demo", "r2").summary.run, previous_run(s, "demo").summary.run
    ('r1', 'r2')
    """
    project_id = find_project(session, project, create=False)
    query = select(Run).where(Run.project_id == project_id)
    if run is not None:
        current = run_row(session, project, run)
        query = query.where((Run.created_at < current.created_at)
                            | ((Run.created_at == current.created_at) & (Run.id < current.id)))
    row = session.scalar(query.order_by(Run.created_at.desc(), Run.id.desc()).limit(1))
    return None if row is None else _stored(session, row, project)


def _stored(session: Session, row: Run, project: str) -> StoredRun:
    rep = session.get(StoredReport, row.id)
    subs = session.scalars(select(Submission).where(Submission.run_id == row.id)).all()
    order = {s: i for i, s in enumerate(SPLITS)}
    subs = sorted(subs, key=lambda s: order.get(s.split, 99))
    return StoredRun(
        summary=run_summary(row, project),
        report=json.loads(rep.data) if rep else {},
        text=rep.text if rep else "",
        markdown=rep.markdown if rep else "",
        baselines={b.name: b.value for b in row.baselines},
        submissions=tuple(SubmissionInfo(split=s.split, n_rows=s.n_rows, content_hash=s.content_hash,
                                         source=s.source) for s in subs),
    )


def load_run_splits(session: Session, project: str, run: str) -> Splits:
    """The stored tables of a run, validated back into :class:`~diagnose.ingest.Splits`.

    Other commands use it to build curves and error tallies from stored runs.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     splits = load_run_splits(s, "demo", "r1")
    >>> splits.task, splits.cv.n, splits.cv.y_true[:4].tolist()
    ('binary', 40, [0, 1, 0, 1])
    """
    row = run_row(session, project, run)
    opts = row.ingest or {}
    raws = {}
    for sub in session.scalars(select(Submission).where(Submission.run_id == row.id)):
        what = f"{project}/{run}:{sub.split}"
        blob = session.execute(select(Blob.data, Blob.location).where(Blob.content_hash == sub.content_hash)).one()
        table = read_table(session, sub.content_hash, blob.data, blob.location, what=what)
        raws[sub.split] = RawTable(table, what, sub.split)
    raws = {s: raws[s] for s in SPLITS if s in raws}
    # the class list of probability columns, so that every split lines up with train
    classes = opts.get("classes") if task_type(row.task).one_of_classes else None
    parsed, warnings = parse_splits(raws, task=row.task, columns=Columns.from_mapping(opts.get("columns")),
                                    positive_label=opts.get("positive_label"), classes=classes)
    return Splits(task=row.task, train=parsed["train"], cv=parsed["cv"], test=parsed.get("test"),
                  warnings=tuple(warnings))


def stored_statistics(session: Session, project: str, run: str) -> dict[str, bytes] | None:
    """The statistics blobs of a run by split (train, cv, test order), as ``submit`` stored
    them; None for a run stored without (before diagnose kept them). ``diagnose.service.
    run_statistics`` decodes them.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     sorted(stored_statistics(s, "demo", "r1"))
    ['cv', 'train']
    """
    from ._statistics import CODEC_VERSION

    row = run_row(session, project, run)
    found = session.execute(select(RunStatistics.split, RunStatistics.codec, RunStatistics.data)
                            .where(RunStatistics.run_id == row.id)).all()
    if not found:
        return None
    for split, codec, _ in found:
        if codec != CODEC_VERSION:
            raise DiagnoseError(f"the statistics of {project}/{run}:{split} were stored by another version of "
                                f"diagnose (codec {codec}; this one reads {CODEC_VERSION}): upgrade diagnose, "
                                "or delete the run and submit it again")
    order = {s: i for i, s in enumerate(SPLITS)}
    return {split: bytes(data) for split, _, data in sorted(found, key=lambda r: order.get(r[0], 99))}


def count_rows(session: Session) -> dict[str, int]:
    """Rows per table (for tests and ``diagnose db``).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)  # train and cv: one blob
    ...     count_rows(s)
    {'project': 1, 'run': 1, 'blob': 1, 'submission': 2, 'baseline': 0, 'report': 1, 'tag': 0, 'run_statistics': 2}
    """
    tables = (Project, Run, Blob, Submission, Baseline, StoredReport, Tag, RunStatistics)
    return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in tables}
