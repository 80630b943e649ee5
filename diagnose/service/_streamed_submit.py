"""Submitting a run by streaming (``diagnose submit --engine arrow``): files of any size, in the
memory of a few record batches.

:func:`prepare_streamed` computes the report and each split's statistics with the arrow
engine (:func:`~._engines.streamed_run`: every row validated by the kernel), then reads each
input once more, whole rows, and writes each split's table into a Parquet file in the store's
staging folder (``store.stream_table``: hashed as it is written), checking on the way that
the split's ids are unique (:class:`~._ids.UniqueIds`, bounded memory) and which
``train_size``/``param_<name>`` columns of train hold one value. A ``--data`` file gives one
table per split. Nothing is stored until :func:`submit_prepared_stream`, which places the
files and writes the rows in the caller's transaction (the crash-safety order of
``store._artifacts``); a refusal anywhere before leaves no row and no file. Given the run's
project and name, :func:`prepare_streamed` first asks the store whether it would take them
(``store.check_new_run``: a name the project holds already, an over-long name, a bad
``--train-size``), before its first pass rather than minutes later at the commit, which
checks again (a concurrent submit may take the name meanwhile).
"""
from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..bias_variance import Report
from ..exceptions import InputError, UsageError
from ..ingest import Checker, Columns
from ..options import ReportOptions
from ._ids import UniqueIds
from ._inputs import Input, batches

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..store import Encoded, RunSummary, StreamedTable


_NAN = float("nan")  # the one NaN object: a set of values counts it once


@dataclass
class PreparedStream:
    """A validated run whose tables wait in staging files: its report, statistics (bytes),
    tables (split -> (source, Encoded)), reading options and constant train columns. Use it
    as a context manager (or call ``discard``): the staging files go at the end."""

    report: Report
    task: str
    classes: tuple[str, ...]
    tables: dict[str, tuple[str, Encoded]]
    statistics: dict[str, bytes]
    baselines: Mapping[str, float]
    columns: Mapping[str, str]
    positive_label: str | None
    constants: dict[str, Any]
    writers: list[StreamedTable] = field(default_factory=list, repr=False)

    def discard(self) -> None:
        for writer in self.writers:
            writer.discard()

    def __enter__(self) -> PreparedStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


class _Constants:
    """The ``train_size``/``param_<name>`` columns of one split, over batches: a split holding
    several values of one is refused as the memory path refuses it (a table of curve runs);
    train's single values are the run's parameters."""

    CAP = 10_000  # distinct values kept per column (the message counts up to here)

    def __init__(self, names: list[str], cols: Columns, name: str) -> None:
        self.cols, self.name = cols, name
        self.values: dict[str, set] = {n: set() for n in names
                                       if n == cols.train_size or n.startswith(cols.param_prefix)}
        self.with_nulls: set[str] = set()

    def add(self, batch: pa.RecordBatch) -> None:
        for column, seen in self.values.items():
            if column in batch.schema.names and len(seen) <= self.CAP:
                # as the memory path: empty cells are no value (but keep the column from being the
                # run's parameter), and NaN is one value however often
                if batch.column(column).null_count:
                    self.with_nulls.add(column)
                values = pc.unique(pc.drop_null(batch.column(column))).to_pylist()
                seen.update(_NAN if isinstance(v, float) and math.isnan(v) else v for v in values)
                if len(seen) > 1:
                    self._refuse(column, len(seen))

    def _refuse(self, column: str, distinct: int) -> None:
        cols = self.cols
        command = "diagnose curve learning FILE" if column == cols.train_size else \
            f"diagnose curve validation FILE --param {column[len(cols.param_prefix):]}"
        shown = f"{distinct}" if distinct <= self.CAP else f"over {self.CAP}"
        raise InputError(f"holds {shown} runs (column '{column}' has {shown} values), not one run",
                         file=self.name, column=column, fix=f"Use `{command}`, or give the rows of one run only")

    def constant(self) -> dict[str, Any]:
        return {n: next(iter(v)) for n, v in self.values.items() if len(v) == 1 and n not in self.with_nulls}


def _as_text(batch: pa.RecordBatch, name: str) -> pa.RecordBatch:
    """Binary columns as text, as the memory path reads them; bytes that are not UTF-8 are refused."""
    for i, f in enumerate(batch.schema):
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            try:
                text = pc.cast(batch.column(i), pa.string())
            except pa.ArrowInvalid:
                raise InputError(f"column '{f.name}' holds bytes that are not UTF-8 text", file=name, column=f.name,
                                 fix="Save it as UTF-8, or give its encoding (--encoding latin-1)") from None
            batch = batch.set_column(i, f.name, text)
    return batch


def _preflight(inputs: Mapping[str, Input], opts: ReportOptions) -> None:
    """The memory path's file checks (encoding, separator, ragged rows, duplicate columns, no
    rows, bytes that are not text, not a Parquet file), with its messages, on the head of every
    local file: 1 MiB of a CSV (whole lines), a Parquet file whole up to 64 MiB, else its first
    batch of rows. The rows past the head are checked by the kernel as they stream."""
    import io

    import pyarrow.parquet as pq

    from ..ingest import label_columns, read_table

    text = label_columns(opts.column_names)
    for source in inputs.values():
        for path in source.files:
            if "://" in path:
                continue
            size = os.path.getsize(path)
            if source.format == "parquet" and size > PARQUET_HEAD:
                try:
                    first = next(pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=1 << 16), None)
                except (pa.ArrowException, OSError) as exc:
                    raise _read_error(path, exc) from None
                if first is None:
                    continue  # no rows: the engine says so
                head = io.BytesIO()
                pq.write_table(pa.Table.from_batches([first]), head)
                data = head.getvalue()
            else:
                with open(path, "rb") as f:
                    data = f.read(PARQUET_HEAD if source.format == "parquet" else CSV_HEAD + 1)
                if source.format == "csv" and len(data) > CSV_HEAD and b"\n" in data[:CSV_HEAD]:
                    data = data[:data.rindex(b"\n", 0, CSV_HEAD) + 1]
            upload = io.BytesIO(data)
            upload.name = path
            read_table(upload, encoding=opts.encoding, text_columns=text)


CSV_HEAD = 1 << 20
PARQUET_HEAD = 64 << 20


def _read_error(name: str, exc: BaseException) -> InputError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot be read ({first})", file=name, fix="Give a valid CSV or Parquet file")


def _write_tables(inputs: Mapping[str, Input], cols: Columns, db_url: Any) -> tuple[dict, dict, list]:
    """One pass over each input, all columns: its splits' tables written to staging files,
    their ids checked, train's constant columns found. Returns (tables, constants, writers)."""
    from ..store import stream_table

    writers: dict[str, StreamedTable] = {}
    tables: dict[str, tuple[str, Encoded]] = {}
    constants: dict[str, _Constants] = {}
    ids: dict[str, UniqueIds] = {}
    try:
        for given, source in inputs.items():
            names = source.names(cols)
            keep = [n for n in names if n != cols.split]
            split_column = cols.split in names
            ids = {}
            for path, first, batch in batches(source, names, cols):
                numbers = np.arange(first, first + batch.num_rows)
                parts = _by_split(batch, given, path, numbers, cols) if split_column else {given: (batch, numbers)}
                for split, (part, at) in parts.items():
                    part = _as_text(part.select([n for n in keep if n in part.schema.names]), path)
                    if split not in writers:
                        writers[split] = stream_table(part.schema, source=source.name, split=split, db_url=db_url)
                    writers[split].write(part)
                    if cols.id in part.schema.names:
                        shown = path if len(source.files) == 1 else source.name  # (a part: named by part=)
                        ids.setdefault(split, UniqueIds(shown, cols.id)).add(part.column(cols.id), at, part=path)
                    constants.setdefault(split, _Constants(keep, cols, source.name)).add(part)
            for split, check in ids.items():
                check.check(functools.partial(_reread_ids, source, split, split_column, cols))
        for split, writer in writers.items():
            source_name = inputs[split].name if split in inputs else inputs["data"].name
            tables[split] = (source_name, writer.finish() if writer.limit is None else writer.in_memory())
    except BaseException:
        for writer in writers.values():
            writer.discard()
        for check in ids.values():  # the id keys spilled to disk by a pass that failed
            check.close()
        raise
    return tables, constants["train"].constant() if "train" in constants else {}, list(writers.values())


def _by_split(batch: pa.RecordBatch, given: str, path: str, numbers: np.ndarray,
              cols: Columns) -> dict[str, tuple[pa.RecordBatch, np.ndarray]]:
    """The rows of each split in a batch with a split column, with their row numbers."""
    labels = Checker(pa.Table.from_batches([batch]), path, numbers).split_labels(cols, "train, cv or test on every row")
    out = {}
    for name in ("train", "cv", "test"):
        mask = labels == name
        if given != "data" and name != given:
            continue  # (the statistics pass refused a split file holding other splits)
        if mask.all():
            out[name] = (batch, numbers)
        elif mask.any():
            out[name] = (batch.filter(pa.array(mask)), numbers[mask])
    return out


def _reread_ids(source: Input, split: str, split_column: bool,
                cols: Columns) -> Iterator[tuple[np.ndarray, pa.Array, str]]:
    """(row numbers, ids, part file) of ``split`` again, for a message or to confirm hashed ids."""
    wanted = [cols.id, cols.split] if split_column else [cols.id]
    for path, first, batch in batches(source, wanted, cols):
        numbers = np.arange(first, first + batch.num_rows)
        if split_column:
            mask = Checker(pa.Table.from_batches([batch]), path, numbers).split_labels(
                cols, "train, cv or test on every row") == split
            batch, numbers = batch.filter(pa.array(mask)), numbers[mask]
        yield numbers, batch.column(cols.id), path


def prepare_streamed(train=None, cv=None, test=None, *, data=None, baselines: Mapping[str, float] | None = None,
                     options: ReportOptions | None = None, db_url: Any = None, project: str | None = None,
                     run: str | None = None, params: Mapping[str, Any] | None = None,
                     train_size: float | None = None, **overrides: Any) -> PreparedStream:
    """Validate the files, compute the report and statistics and write the tables to staging
    files, streaming (paths, folders or globs of CSV/Parquet); nothing is stored yet. With
    ``project`` and ``run`` (and the ``params``/``train_size`` to be given to
    :func:`submit_prepared_stream`), the store at ``db_url`` is opened as the commit opens it
    and asked first whether it takes the run (:func:`~diagnose.store.check_new_run`): a taken
    name is refused before any file is read.

    >>> import os, tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"id": range(40), "y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> frame.to_parquet(f"{folder}/t.parquet")
    >>> with prepare_streamed(f"{folder}/t.parquet", f"{folder}/t.parquet",
    ...                       db_url=f"sqlite:///{folder}/runs.db") as prepared:
    ...     prepared.report.splits["cv"].error, prepared.tables["cv"][1].n_rows, sorted(prepared.statistics)
    (0.0, 40, ['cv', 'train'])
    """
    from ..store import staging_folder
    from ._engines import keep_heap, streamed_run
    from ._statistics import encode_statistics

    opts = ReportOptions.of(options, **overrides)
    if project is not None or run is not None:
        _check_up_front(db_url, project or "", run or "", baselines=baselines, params=params, train_size=train_size)
    sources = {"train": train, "cv": cv, "test": test, "data": data}
    inputs = {split: Input.of(src) for split, src in sources.items() if src is not None}
    _preflight(inputs, opts)
    # tables kept inside the database have its size limit: then the tables are written first,
    # so that a split too large is refused before the report is computed
    limited = staging_folder(db_url)[1] is not None
    writers: list = []
    try:
        if limited:
            tables, constants, writers = _write_tables(inputs, opts.column_names, db_url)
        report, found, plan = streamed_run(sources, engine="arrow", baselines=baselines, options=opts)
        keep_heap()
        statistics = encode_statistics(found)
        if not limited:
            tables, constants, writers = _write_tables(inputs, opts.column_names, db_url)
    except (pa.ArrowException, UnicodeDecodeError) as exc:  # what the engine's reader does not name
        for writer in writers:
            writer.discard()
        raise _read_error(", ".join(s.name for s in inputs.values()), exc) from None
    except BaseException:
        for writer in writers:
            writer.discard()
        raise
    given = {name: value for name, value in report.baselines.items() if name in (baselines or {})}
    return PreparedStream(report=report, task=plan.task, classes=tuple(plan.classes), tables=tables,
                          statistics=statistics, baselines=given, columns=opts.column_map,
                          positive_label=opts.positive_label, constants=constants, writers=writers)


def _check_up_front(db_url: Any, project: str, run: str, **values: Any) -> None:
    """The store's refusals of the run that need none of its rows, on the store the commit
    writes to (opened as the commit opens it): read, then let go. A SQLite store that does
    not exist yet holds no run: only the names and values are checked, and no file is
    created (a refused input leaves nothing behind)."""
    from ..store import check_new_run, check_run_values, sqlite_path
    from ._stored import session

    if db_url is not None and not isinstance(db_url, str):  # an engine's URL object
        db_url = db_url.render_as_string(hide_password=False)
    path = sqlite_path(db_url)
    if path is not None and not path.exists():
        if not project or not run:
            check_new_run(None, project, run)  # its message for a missing name
        check_run_values(project, run, values.get("baselines") or {}, values.get("params") or {},
                         values.get("train_size"))
        return
    with session(db_url) as s:
        check_new_run(s, project, run, **values)


def submit_prepared_stream(session: Session, prepared: PreparedStream, *, project: str, run: str,
                           params: Mapping[str, Any] | None = None, train_size: float | None = None) -> RunSummary:
    """Store a :class:`PreparedStream` (inside ``with Session(engine) as s, s.begin():``).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20}).to_parquet(f"{folder}/t.parquet")
    >>> url = f"sqlite:///{folder}/runs.db"
    >>> with prepare_streamed(f"{folder}/t.parquet", f"{folder}/t.parquet", db_url=url) as prepared:
    ...     with session(url) as s, s.begin():
    ...         submit_prepared_stream(s, prepared, project="demo", run="r1", train_size=40).train_size
    40
    """
    from ..present import render
    from ..store import run_parameters, store_run

    cols = Columns.from_mapping(prepared.columns)
    train_size, params = run_parameters(prepared.constants, cols, train_size, params)
    rendered = (render(prepared.report, "text"), render(prepared.report, "markdown"))
    return store_run(session, project=project, run=run, task=prepared.task, classes=prepared.classes,
                     tables=prepared.tables, report=prepared.report, baselines=prepared.baselines, params=params,
                     train_size=train_size, columns=prepared.columns, positive_label=prepared.positive_label,
                     rendered=rendered, statistics=prepared.statistics)


def submit_streamed(session: Session, *, project: str, run: str, params: Mapping[str, Any] | None = None,
                    train_size: float | None = None, **sources: Any) -> tuple[RunSummary, Report]:
    """Validate files, compute the report and store the run, streaming; ``sources`` as
    :func:`prepare_streamed`. Returns the stored run's summary and its report.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20}).to_parquet(f"{folder}/t.parquet")
    >>> with session(f"sqlite:///{folder}/runs.db") as s, s.begin():
    ...     summary, report = submit_streamed(s, project="demo", run="r1", train=f"{folder}/t.parquet",
    ...                                       cv=f"{folder}/t.parquet")
    >>> summary.verdict
    'inconclusive'
    """
    if sources.get("baseline_files"):
        raise UsageError("--baseline-file needs the rows themselves (its ids are joined to cv's): use "
                         "--engine memory, or give its cv error as --baseline (engine arrow)")
    sources.pop("baseline_files", None)
    from ..store import check_new_run

    # before the passes, on a connection of its own (the session's first statement must be a write)
    with session.get_bind().engine.connect() as conn:
        check_new_run(conn, project, run, baselines=sources.get("baselines"), params=params, train_size=train_size)
    with prepare_streamed(db_url=session.get_bind().engine.url, **sources) as prepared:
        summary = submit_prepared_stream(session, prepared, project=project, run=run, params=params,
                                         train_size=train_size)
        # the files are placed (linked or copied) by now; the staging copies go on exit
        return summary, prepared.report
