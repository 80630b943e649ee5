"""The stored runs a curve is built from: the runs that carry a training-set size or a
parameter, their prediction tables, and the baselines stored with them; and one stored
split read in record batches (:func:`stored_split`), for the passes that must not decode
a large split whole."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exceptions import DiagnoseError, UsageError
from ..ingest import RawTable
from ..options import Columns
from ._artifacts import table_bytes, verified_source
from ._codec import decode_table
from ._models import Blob, Run, Submission
from ._runs import find_project, run_row


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
    column, cols, positive_label = curve_reading(chosen, by)
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
    return CurveTables(groups, column, cols, positive_label, curve_baselines(chosen))


def curve_reading(chosen: Mapping[Any, Run], by: str) -> tuple[str, Columns, str | None]:
    """How the curve's runs were read (those of the first): the column that holds ``by``, the
    column names and the positive label.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"C={c}", train=t, cv=t, params={"C": c}) for c in (1, 2)]
    ...     curve_reading(curve_rows(s, "demo", by="C", runs=None), "C")[0]
    'param_C'
    """
    opts = next(iter(chosen.values())).ingest or {}
    cols = Columns.from_mapping(opts.get("columns"))
    column = cols.train_size if by == "train_size" else cols.param_prefix + by
    return column, cols, opts.get("positive_label")


def curve_baselines(chosen: Mapping[Any, Run]) -> dict[str, float]:
    """The baselines stored with the curve's runs, the lowest value per name.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"m={m}", train=t, cv=t, train_size=m,
    ...                       baselines={"human": h}) for m, h in ((20, 0.1), (40, 0.05))]
    ...     curve_baselines(curve_rows(s, "demo", by="train_size", runs=None))
    {'human': 0.05}
    """
    baselines: dict[str, float] = {}
    for row in chosen.values():
        for b in row.baselines:
            baselines[b.name] = min(baselines.get(b.name, b.value), b.value)
    return baselines


@dataclass(frozen=True)
class StoredSplit:
    """One stored split of a run, to read in record batches without decoding it whole: how
    the run was read (task, column names, positive label, classes) and where its verified
    Parquet is: ``source``, an artifact file's path on ``filesystem`` (``None``: local),
    read from there by row groups, or an Arrow buffer of the bytes kept in the database."""

    task: str
    columns: Columns
    positive_label: str | None
    classes: tuple[str, ...]
    name: str
    n_rows: int
    source: Any
    filesystem: Any = None

    def batches(self, columns: Sequence[str] | None = None, batch_rows: int = 1 << 20) -> Iterator[pa.RecordBatch]:
        """The split's rows in record batches of at most ``batch_rows``, with only ``columns``
        (those it has; all when ``None``); the split column, if stored, is left out.

        >>> import os, tempfile, pandas as pd
        >>> from diagnose.service import session, submit_files
        >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
        >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
        ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
        ...     cv = stored_split(s, "demo", "r1", "cv")
        >>> [b.num_rows for b in cv.batches(["y_true"], batch_rows=16)], cv.n_rows
        ([16, 16, 8], 40)
        """
        names = [n for n in self.names if columns is None or n in columns]
        yield from self._file().iter_batches(batch_size=batch_rows, columns=names)

    @property
    def names(self) -> list[str]:
        """The stored columns, the split column left out."""
        return [n for n in self._file().schema_arrow.names if n != self.columns.split]

    def take(self, rows: np.ndarray, columns: Sequence[str] | None = None) -> pa.Table:
        """The rows at the 0-based positions ``rows`` (ascending), with only ``columns`` (all
        but the split column when ``None``); only the row groups that hold them are read.

        >>> import os, tempfile, pandas as pd
        >>> from diagnose.service import session, submit_files
        >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": np.arange(40) / 40})
        >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
        ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
        ...     stored_split(s, "demo", "r1", "cv").take(np.array([1, 38])).column("y_score").to_pylist()
        [0.025, 0.95]
        """

        names = [n for n in self.names if columns is None or n in columns]
        schema = self._file().schema_arrow
        # text columns stay dictionary-encoded while whole row groups are read (no string is
        # built for the rows not taken), and are decoded for the rows taken
        text = [n for n in names if pa.types.is_string(schema.field(n).type) or
                pa.types.is_large_string(schema.field(n).type)]
        f = self._file(read_dictionary=text)
        meta = f.metadata
        starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
        group = np.searchsorted(starts, rows, side="right") - 1
        parts = [f.read_row_group(int(g), columns=names).take(pa.array(rows[group == g] - starts[g]))
                 for g in np.unique(group)]
        table = pa.concat_tables(parts) if parts else schema.empty_table().select(names)
        return table.cast(pa.schema([schema.field(n) for n in names])) if text else table

    def _file(self, **options: Any):
        import pyarrow.parquet as pq

        if isinstance(self.source, pa.Buffer):
            return pq.ParquetFile(pa.BufferReader(self.source), **options)
        try:
            return pq.ParquetFile(self.source, filesystem=self.filesystem, **options)
        except (OSError, FileNotFoundError):
            raise DiagnoseError(f"the stored table of {self.name} is missing from the artifact store; restore "
                                "the file from a backup, or delete the run") from None


def stored_split(session: Session, project: str, run: str, split: str) -> StoredSplit:
    """The stored ``split`` of a run (see :class:`StoredSplit`); a run without it is bad usage.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": np.arange(40) / 40})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     found = stored_split(s, "demo", "r1", "cv")
    >>> found.n_rows, found.names
    (40, ['y_true', 'y_score'])
    """
    row = run_row(session, project, run)
    found = session.execute(select(Submission.n_rows, Blob.content_hash, Blob.data, Blob.location)
                            .join(Blob, Blob.content_hash == Submission.content_hash)
                            .where(Submission.run_id == row.id, Submission.split == split)).first()
    if found is None:
        raise UsageError(f"run '{run}' of project '{project}' has no {split} split stored")
    what = f"{project}/{run}:{split}"
    opts = row.ingest or {}
    source, fs = verified_source(session, found.content_hash, found.data, found.location, what=what)
    return StoredSplit(row.task, Columns.from_mapping(opts.get("columns")), opts.get("positive_label"),
                       tuple(opts.get("classes") or ()), what, int(found.n_rows), source, fs)
