"""What a run must be before anything is written: names and values the store can keep, and a
run name its project does not hold yet.

:func:`check_new_run` is what a submit can know before it reads its files (the streaming
submit asks it before its first pass, minutes sooner than its commit);
:func:`~diagnose.store.store_run` checks the same again inside its transaction, where a
concurrent submit that took the name meanwhile is caught.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..exceptions import UsageError
from ._models import Baseline, Project, Run


def check_new_run(conn: Any, project: str, run: str, *, baselines: Mapping[str, float] | None = None,
                  params: Mapping[str, Any] | None = None, train_size: float | None = None) -> None:
    """Refuse (UsageError, with the messages of :func:`~diagnose.store.store_run`) a run whose
    names or given values the store would refuse, or whose name the project already holds;
    ``conn`` (a Session or Connection) only reads. A project that does not exist yet is no
    refusal: the submit creates it.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
    >>> with session(url) as s:
    ...     check_new_run(s, "demo", "r1")  # no project 'demo' yet: nothing to refuse
    >>> with session(url) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    >>> with session(url) as s:
    ...     check_new_run(s, "demo", "r1")
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: run 'r1' already exists in project 'demo'; give the run another name (--run)
    """
    if not project or not run:
        raise UsageError("a project name and a run name are needed")
    check_run_values(project, run, baselines or {}, params or {}, train_size)
    taken = select(Run.id).join(Project, Run.project_id == Project.id).where(Project.name == project,
                                                                              Run.name == run)
    if conn.scalar(taken) is not None:
        raise duplicate(project, run)


def duplicate(project: str, run: str) -> UsageError:
    """The refusal of a run name its project holds already.

    >>> str(duplicate("demo", "r1"))
    "run 'r1' already exists in project 'demo'; give the run another name (--run)"
    """
    return UsageError(f"run '{run}' already exists in project '{project}'; give the run another name (--run)")


def check_text(what: str, value: str) -> None:
    """Refuse a name that is not UTF-8 text (bytes passed through as surrogates), which no
    database could store or look up.

    >>> check_text("run name", "r" + chr(0xDCFF))  # the byte 0xff, passed through as a surrogate
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: run name 'r\\xff' is not UTF-8 text; give it as UTF-8 text
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = repr(value.encode("utf-8", "surrogateescape"))[2:-1]
        raise UsageError(f"{what} '{shown}' is not UTF-8 text; give it as UTF-8 text") from None


def check_length(what: str, value: str, column) -> None:
    """Refuse a name longer than its database ``column`` keeps (or not UTF-8 text).

    >>> check_length("run name", "x" * 300, Run.__table__.c.name)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: run name 'xxx...' has 300 characters; the store keeps at most ...
    """
    check_text(what, value)
    limit = column.type.length
    if len(value) > limit:
        raise UsageError(f"{what} '{value[:40]}...' has {len(value)} characters; the store keeps at most {limit}")


def check_run_values(project: str, run: str, baselines: Mapping[str, float], params: Mapping[str, Any],
                     train_size: float | None) -> None:
    """Refuse, before any write, what the database would reject (PostgreSQL: over-long names,
    NaN in JSON) or could store but not give back as JSON (NaN, infinity).

    >>> check_run_values("demo", "r1", {"human": 0.05}, {"C": 1.0}, 0.5)  # nothing to refuse
    >>> check_run_values("demo", "r1", {}, {"C": float("nan")}, None)
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: parameter 'C' is nan; give a finite number or a word
    """
    check_length("project name", project, Project.__table__.c.name)
    check_length("run name", run, Run.__table__.c.name)
    for name, value in baselines.items():
        check_length("baseline name", name, Baseline.__table__.c.name)
        if not math.isfinite(float(value)):
            raise UsageError(f"baseline '{name}' is {value}; give a finite number")
    for name, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"parameter '{name}' is {value}; give a finite number or a word")
    if train_size is not None and not (math.isfinite(train_size) and train_size > 0):
        raise UsageError(f"train size {train_size} is not a training-set size; give a positive number")
