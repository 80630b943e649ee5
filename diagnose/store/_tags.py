"""Reviewers' error categories, stored per submission and sample id (one row each, replaced
on a second save), so that a team tags a run's cv errors together and tallies them later.

>>> import os, tempfile, pandas as pd
>>> from sqlalchemy.orm import Session
>>> from diagnose.service import submit_files
>>> from diagnose.store import make_engine
>>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> frame = pd.DataFrame({"id": range(40), "y_true": [0, 1] * 20, "y_score": [0.3, 0.8] * 20})
>>> with Session(engine) as s, s.begin():
...     _ = submit_files(s, project="demo", run="r1", train=frame, cv=frame)
>>> with Session(engine) as s, s.begin():
...     save_tags(s, project="demo", run="r1", tags={3: ["blurry", "dark"], 5: "glare"})
2
>>> with Session(engine) as s:
...     get_tags(s, project="demo", run="r1")["tags"].tolist()
['blurry;dark', 'glare']
>>> with Session(engine) as s, s.begin():
...     delete_tags(s, project="demo", run="r1", sample_ids=[3, 7])
1
>>> with Session(engine) as s:
...     get_tags(s, project="demo", run="r1")["sample_id"].tolist()
['5']
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Table, select
from sqlalchemy.orm import Session

from ..exceptions import UsageError
from ._dialects import claim_write_lock, upsert
from ._models import Submission, Tag, utcnow
from ._runs import check_length, run_row


def _submission_id(session: Session, project: str, run: str, split: str) -> int:
    row = run_row(session, project, run)
    sid = session.scalar(select(Submission.id).where(Submission.run_id == row.id, Submission.split == split))
    if sid is None:
        raise UsageError(f"run '{run}' of project '{project}' has no {split} split")
    return sid


def set_tags(session: Session, *, project: str, run: str, sample_id: str, tags: str | list[str],
             reviewer: str | None = None, split: str = "cv") -> None:
    """Record (or replace) a reviewer's error categories for one sample.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     set_tags(s, project="demo", run="r1", sample_id="7", tags=["blurry", "dark"], reviewer="ana")
    ...     get_tags(s, project="demo", run="r1").loc[0, ["sample_id", "tags", "reviewer"]].tolist()
    ['7', 'blurry;dark', 'ana']
    """
    save_tags(session, project=project, run=run, tags={sample_id: tags}, reviewer=reviewer, split=split)


def save_tags(session: Session, *, project: str, run: str, tags: Mapping[Any, str | list[str]],
              reviewer: str | None = None, split: str = "cv") -> int:
    """Record (or replace) error categories for many samples in one statement.

    ``tags`` maps sample id -> ``"a;b"`` or ``["a", "b"]``. Returns how many were saved.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     save_tags(s, project="demo", run="r1", tags={3: "glare", 7: ["blurry", "dark"]}, reviewer="ana")
    2
    """
    ids = [str(k) for k in tags]
    if not ids:
        return 0
    longest = max(ids, key=len)
    check_length("sample id", longest, Tag.__table__.c.sample_id)
    if reviewer is not None:
        check_length("reviewer", reviewer, Tag.__table__.c.reviewer)
    claim_write_lock(session)
    sid = _submission_id(session, project, run, split)
    now = utcnow()
    rows = [{"submission_id": sid, "sample_id": key, "reviewer": reviewer, "updated_at": now,
             "tags": value if isinstance(value, str) else ";".join(t.strip() for t in value if t.strip())}
            for key, value in zip(ids, tags.values())]
    # an upsert, so two reviewers saving the same sample at once cannot collide
    upsert(session, Tag, rows, key=["submission_id", "sample_id"], update=["tags", "reviewer", "updated_at"])
    return len(rows)


def delete_tags(session: Session, *, project: str, run: str, sample_ids, split: str = "cv") -> int:
    """Remove the stored categories of these samples (a reviewer cleared them); returns how
    many rows were removed.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     _ = save_tags(s, project="demo", run="r1", tags={3: "glare", 7: "blurry"})
    ...     delete_tags(s, project="demo", run="r1", sample_ids=[3, 9])  # 9 has no tags
    1
    """
    ids = [str(i) for i in sample_ids]
    if not ids:
        return 0
    claim_write_lock(session)
    sid = _submission_id(session, project, run, split)
    table = cast(Table, Tag.__table__)  # typed as any FromClause; a declarative class maps a Table
    # a DML statement's result is a CursorResult (typed as a plain Result), which has the rowcount
    result = cast(CursorResult[Any], session.execute(
        table.delete().where(table.c.submission_id == sid, table.c.sample_id.in_(ids))))
    return int(result.rowcount or 0)


def get_tags(session: Session, *, project: str, run: str, split: str = "cv"):
    """Reviewers' tags of a stored split as a DataFrame: sample_id, tags, reviewer, updated_at.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     _ = save_tags(s, project="demo", run="r1", tags={3: "glare", 7: ["blurry", "dark"]}, reviewer="ana")
    ...     get_tags(s, project="demo", run="r1")[["sample_id", "tags", "reviewer"]].values.tolist()
    [['3', 'glare', 'ana'], ['7', 'blurry;dark', 'ana']]
    """
    import pandas as pd

    sid = _submission_id(session, project, run, split)
    rows = session.execute(select(Tag.sample_id, Tag.tags, Tag.reviewer, Tag.updated_at)
                           .where(Tag.submission_id == sid).order_by(Tag.id)).all()
    return pd.DataFrame(rows, columns=["sample_id", "tags", "reviewer", "updated_at"])
