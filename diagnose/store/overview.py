"""A project's runs as one table: verdict, errors, gaps and date (the dashboard's Runs page)."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..comparison import KEY_NUMBERS, key_numbers
from .models import Run, StoredReport
from .repository import _aware, _project_id
from .values import _whole

OVERVIEW_COLUMNS = ("run", "created_at", "task", *(name for name, _ in KEY_NUMBERS), "train_size", "params")


def run_overview(session: Session, project: str) -> "pd.DataFrame":  # noqa: F821
    """One row per run of ``project``, oldest first, with the key numbers of its stored report.

    >>> import os, tempfile, pandas as pd
    >>> from sqlalchemy.orm import Session
    >>> from diagnose.store import make_engine, submit_files
    >>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with Session(engine) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t, baselines={"human": 0.0})
    >>> with Session(engine) as s:
    ...     run_overview(s, "demo")[["run", "verdict", "J_cv", "bias gap"]].values.tolist()
    [['r1', 'good_fit', 0.0, 0.0]]
    """
    import pandas as pd

    project_id = _project_id(session, project, create=False)
    rows = session.execute(select(Run, StoredReport.data)
                           .join(StoredReport, StoredReport.run_id == Run.id, isouter=True)
                           .where(Run.project_id == project_id)
                           .order_by(Run.created_at, Run.id)).all()
    records = []
    for run, data in rows:
        numbers = key_numbers(json.loads(data) if data else {})
        numbers["verdict"] = numbers["verdict"] or run.verdict
        records.append({"run": run.name, "created_at": _aware(run.created_at), "task": run.task, **numbers,
                        "train_size": _whole(run.train_size), "params": dict(run.params or {})})
    return pd.DataFrame(records, columns=list(OVERVIEW_COLUMNS))


__all__ = ["run_overview", "OVERVIEW_COLUMNS"]
