"""The stored runs a curve is built from: the runs that carry a training-set size or a
parameter, their prediction tables, and the baselines stored with them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exceptions import UsageError
from ..ingest import RawTable
from ..options import Columns
from ._artifacts import table_bytes
from ._codec import decode_table
from ._models import Blob, Run, Submission
from ._runs import find_project


@dataclass(frozen=True)
class CurveTables:
    """The stored tables of a curve's runs, one per (run value, split), how they were read, and
    the baselines stored with those runs (the lowest value per name)."""

    groups: dict[tuple[Any, str], RawTable]
    column: str
    columns: Columns
    positive_label: str | None
    baselines: dict[str, float]


def project_runs(session: Session, project: str, names: Sequence[str] | None) -> list[Run]:
    """The runs of ``project``, oldest first, or those ``names`` in their order (a missing one is bad usage).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=run, train=t, cv=t) for run in ("r1", "r2", "r3")]
    ...     [[run.name for run in project_runs(s, "demo", names)] for names in (None, ["r3", "r1"])]
    [['r1', 'r2', 'r3'], ['r3', 'r1']]
    """
    project_id = find_project(session, project, create=False)
    rows = list(session.scalars(select(Run).where(Run.project_id == project_id)
                                .order_by(Run.created_at, Run.id)))
    if names is not None:
        by_name = {r.name: r for r in rows}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise UsageError(f"no run(s) {', '.join(missing)} in project '{project}'")
        rows = [by_name[n] for n in names]
    return rows


def curve_rows(session: Session, project: str, *, by: str, runs: Sequence[str] | None) -> dict[Any, Run]:
    """The runs that have ``by``, keyed by its value; one value per run, one task for all.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"m={m}", train=t, cv=t, train_size=m) for m in (20, 40)]
    ...     {size: run.name for size, run in curve_rows(s, "demo", by="train_size", runs=None).items()}
    {20: 'm=20', 40: 'm=40'}
    """
    chosen: dict[Any, Run] = {}
    for row in project_runs(session, project, runs):
        value = row.train_size if by == "train_size" else (row.params or {}).get(by)
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # as a run's column of whole numbers reads from a file
        if value in chosen:
            raise UsageError(f"runs '{chosen[value].name}' and '{row.name}' of project '{project}' both have "
                             f"{by} = {value}; choose the runs to use (--runs)")
        chosen[value] = row
    if not chosen:
        what = "a train_size (submit --train-size)" if by == "train_size" else f"a parameter '{by}' (submit --param)"
        raise UsageError(f"no run of project '{project}' has {what}")
    tasks = {row.task for row in chosen.values()}
    if len(tasks) > 1:
        kinds = ", ".join(f"{row.name} ({row.task})" for row in chosen.values())
        raise UsageError(f"the runs of project '{project}' with {by} are of different tasks: {kinds}; a curve "
                         "compares runs of one kind of model: choose the runs to use (--runs), or keep "
                         "each model's runs in a project of its own")
    return chosen


def curve_tables(session: Session, project: str, *, by: str, runs: Sequence[str] | None = None,
                 splits: Sequence[str] = ("train", "cv", "test")) -> CurveTables:
    """The stored tables of the runs of ``project`` that have ``by`` (``"train_size"`` or a
    parameter name), keyed by (that value, split).

    Runs without the value are left out; two runs with the same value are an error (name
    the ones to use with ``runs``). Each stored table is already one (run, split), so it
    goes to validation as it is, with no regrouping of rows.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"m={m}", train=t, cv=t, train_size=m) for m in (20, 40)]
    ...     sorted(curve_tables(s, "demo", by="train_size").groups)
    [(20, 'cv'), (20, 'train'), (40, 'cv'), (40, 'train')]
    """
    chosen = curve_rows(session, project, by=by, runs=runs)
    opts = next(iter(chosen.values())).ingest or {}
    cols = Columns.from_mapping(opts.get("columns"))
    column = cols.train_size if by == "train_size" else cols.param_prefix + by
    groups = {}
    for value, row in chosen.items():
        subs = session.execute(select(Submission.split, Blob.content_hash, Blob.data, Blob.location)
                               .join(Blob, Blob.content_hash == Submission.content_hash)
                               .where(Submission.run_id == row.id, Submission.split.in_(list(splits)))).all()
        for split, content_hash, data, location in subs:
            table = decode_table(table_bytes(session, content_hash, data, location,
                                             what=f"{project}/{row.name}:{split}"))
            table = table.drop_columns([c for c in (cols.split, column) if c in table.column_names])
            groups[value, split] = RawTable(table, f"{project}/{row.name}:{split}", split)
    baselines: dict[str, float] = {}
    for row in chosen.values():
        for b in row.baselines:
            baselines[b.name] = min(baselines.get(b.name, b.value), b.value)
    return CurveTables(groups, column, cols, opts.get("positive_label"), baselines)
