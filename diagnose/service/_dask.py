"""The dask engine: the statistics kernel per partition on a Dask cluster, then a tree reduce.

``dask.dataframe`` reads the same paths as the arrow engine plus fsspec URLs (``s3://``,
``gs://``, ...); each partition goes through :func:`diagnose.stats.batch_statistics` as an
Arrow table (``map_partitions``), and the partitions' statistics are merged pairwise-by-groups
(``SPLIT_EVERY`` at a time) on the workers, so only one merged value reaches the client.
Install it with ``pip install 'diagnose[dask]'``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exceptions import DiagnoseError, UsageError
from ..ingest import label_columns, progress_note, progress_shown
from ..stats import Plan
from ._partials import Found, found_in, job_in

SPLIT_EVERY = 8  # partitions merged per task of the tree reduce
# rows per task of a local Parquet input (whole row groups): 3 × 10M rows in 1M-row row
# groups make 10 tasks a split, enough to keep every worker busy; dask.dataframe made one
# 10M-row pandas partition a file, so one worker did a split alone, and the kernel ran on
# arrays 10 times the size of a batch
PIECE_ROWS = 1 << 20


def _import_dask(dataframe: bool = False):
    """Dask and distributed (and, with ``dataframe``, ``dask.dataframe``: about 1 s of
    imports, pandas among them, which local Parquet's tasks do not need)."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401

        if dataframe:
            import dask.dataframe  # noqa: F401
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'diagnose[dask]'") from None


def _partition(frame, plan: Plan, split: str | None, name: str, partition_info: Any = None):
    """The kernel on one pandas partition, as a one-element object Series (what map_partitions wants)."""
    import pandas as pd
    import pyarrow as pa

    number = partition_info["number"] if partition_info else 0
    table = pa.Table.from_pandas(frame, preserve_index=False)
    has_split = plan.columns.split in table.column_names
    found = found_in(table, plan, source=f"{name} (partition {number + 1}, rows counted from its start)",
                     split=None if has_split else split) if table.num_rows else {}
    return pd.Series([found], dtype=object)


def _job(frame, plan: Plan, split: str, name: str, job, partition_info: Any = None):
    """A job of a later pass on one pandas partition's rows of ``split`` (see :func:`._partials.job_in`)."""
    import pandas as pd
    import pyarrow as pa

    number = partition_info["number"] if partition_info else 0
    table = pa.Table.from_pandas(frame, preserve_index=False)
    found = job_in(table, plan, job, source=f"{name} (partition {number + 1}, rows counted from its start)",
                   split=split, split_column=plan.columns.split in table.column_names) if table.num_rows else None
    return pd.Series([found], dtype=object)


def _pieces(source, columns: list[str]) -> list[tuple[str, tuple[int, ...], int]] | None:
    """(file, row groups, first row number) of each task over a local Parquet input, from
    the files' footers; ``None`` (dask.dataframe reads it) for CSV, remote files, or a part
    that lacks one of the ``columns``."""
    if not source.local_parquet:
        return None
    import pyarrow.parquet as pq

    out = []
    for path in source.files:
        file = pq.ParquetFile(path)
        if not all(c in file.schema_arrow.names for c in columns):
            return None
        group: list[int] = []
        start = rows = 0
        for i in range(file.metadata.num_row_groups):
            n = file.metadata.row_group(i).num_rows
            if group and rows + n > PIECE_ROWS:
                out.append((path, tuple(group), start + 1))
                start, group, rows = start + rows, [], 0
            group.append(i)
            rows += n
        if group:
            out.append((path, tuple(group), start + 1))
    return out


def _piece_batches(path: str, groups: tuple[int, ...], first_row: int, columns: list[str]):
    """(first row number, batch) of the row groups ``groups`` of ``path``, on a worker."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ._inputs import read_error, row_groups

    try:
        for batch in row_groups(pq.ParquetFile(path, pre_buffer=False), columns, groups):
            if batch.num_rows:
                yield first_row, batch
                first_row += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise read_error(path, exc) from None


def _piece_found(path: str, groups: tuple[int, ...], first_row: int, columns: list[str], plan: Plan,
                 split: str | None) -> dict[str, Found]:
    """The arrow engine's kernel on some row groups of a local Parquet file, on a worker:
    batches read by pyarrow, no pandas; messages name the file and its row numbers."""
    out: dict[str, Found] = {}
    for first, batch in _piece_batches(path, groups, first_row, columns):
        has_split = plan.columns.split in batch.schema.names
        found = found_in(batch, plan, source=path, split=None if has_split else split, first_row=first)
        for key, stats in found.items():
            out[key] = stats if key not in out else out[key].merge(stats)
    return out


def _piece_job(path: str, groups: tuple[int, ...], first_row: int, columns: list[str], plan: Plan, split: str,
               job) -> list:
    """A later pass's ``job`` on each batch of some row groups (see :func:`._partials.job_in`)."""
    out = []
    for first, batch in _piece_batches(path, groups, first_row, columns):
        found = job_in(batch, plan, job, source=path, split=split, first_row=first,
                       split_column=plan.columns.split in batch.schema.names)
        if found is not None:
            out.append(found)
    return out


def _merge(parts: list) -> dict[str, Found]:
    """Merge a group of partitions' statistics (each a dict split -> Found, or a Series of one)."""
    out: dict[str, Found] = {}
    for part in parts:
        found = part.iloc[0] if hasattr(part, "iloc") else part
        for key, stats in found.items():
            out[key] = stats if key not in out else out[key].merge(stats)
    return out


def _frame(source, plan: Plan):
    _import_dask(dataframe=True)
    import dask.dataframe as dd

    from ._inputs import needed_columns

    names = source.dataset(plan.columns).schema.names if "://" not in source.name else None
    paths = list(source.files)
    if source.format == "csv":
        # only the columns the statistics read: a column they do not read (an id that is a number
        # for the first rows and text later) is not parsed, so its types cannot clash
        wanted = needed_columns(names, plan.columns, split_column=True) if names else None
        head = dd.read_csv(paths, dtype={c: "string" for c in label_columns(plan.columns)}, blocksize="64MB",
                           usecols=wanted)
        return head[needed_columns(list(head.columns), plan.columns, split_column=True)]
    frame = dd.read_parquet(paths)
    columns = needed_columns(names or list(frame.columns), plan.columns, split_column=True)
    return frame[columns]


def _by_arrow(exc: ValueError, source, read: Any) -> Any:
    """The pass ``read`` by the arrow engine, when pandas refused a local CSV whose column
    changes kind after the rows dask sampled for its types (a number, then text): the arrow
    engine's reader types columns by the whole file, as the memory engine does, so it gives
    the same figures, or the memory engine's message for the rows that hold text."""
    if isinstance(exc, DiagnoseError) or not source.local_csv:
        raise exc
    return read()


def _dashboard_link(client: Any) -> str | None:
    try:
        return client.dashboard_link or None
    except (KeyError, AttributeError, OSError):  # a scheduler without the dashboard (bokeh missing)
        return None


# what a local cluster's worker imports before it is forked from the fork server
WORKER_MODULES = ("distributed", "pyarrow.parquet", "diagnose.service._dask", "diagnose.service._partials")


def _worker_start() -> str:
    """How a local cluster's workers start: from a fork server where there is one (Linux,
    macOS), a clean process that imports :data:`WORKER_MODULES` once and forks each worker
    from there, so a worker starts in a fraction of a second without a new interpreter
    importing them again. The server is started here, at once: it imports while this process
    imports Dask and starts the scheduler. Not forked from this process: it runs threads
    (Dask's event loop logs to stderr from one), and a fork that catches one holding a lock
    (stderr's buffer) leaves the worker waiting on it forever: the cluster never starts.

    >>> _worker_start() in ("forkserver", "spawn")
    True
    """
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    # distributed's own preload list (pandas among them) comes later: the server runs by then
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(WORKER_MODULES))
    forkserver.ensure_running()
    return "forkserver"


@contextmanager
def dask_runner(scheduler: str | None) -> Iterator:
    """A runner for :func:`._engines.collect_statistics` and a scanner for the later passes
    of the threshold search, on a Dask client: the one at ``scheduler`` (an address), else a
    local cluster started for the command."""
    from .. import settings

    address = scheduler or settings.get("scheduler")
    method = None if address else _worker_start()  # the workers' server imports while this process does
    _import_dask()
    import dask
    from distributed import Client, LocalCluster

    from ._engines import arrow_scan, arrow_statistics

    cluster = None
    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    else:
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
    # on a terminal, once: where to watch the tasks (Dask's dashboard is this engine's progress view)
    if progress_shown() and (link := _dashboard_link(client)):
        progress_note(f"Dask dashboard: {link}")

    def columns(source, plan: Plan) -> list[str]:
        from ._inputs import needed_columns

        return needed_columns(source.names(plan.columns), plan.columns, split_column=True)

    def reduce(futures: list) -> dict[str, Found]:
        while len(futures) > 1:
            futures = [client.submit(_merge, futures[i:i + SPLIT_EVERY]) for i in range(0, len(futures), SPLIT_EVERY)]
        return futures[0].result() if futures else {}

    def run(source, plan: Plan, split: str | None) -> dict[str, Found]:
        wanted = columns(source, plan)
        pieces = _pieces(source, wanted)
        if pieces is not None:
            return reduce([client.submit(_piece_found, *piece, wanted, plan, split, pure=False) for piece in pieces])
        frame = _frame(source, plan)
        parts = frame.map_partitions(_partition, plan, split, source.name, meta=(None, object))
        level = list(parts.to_delayed())
        while len(level) > 1:
            level = [dask.delayed(_merge)(level[i:i + SPLIT_EVERY]) for i in range(0, len(level), SPLIT_EVERY)]
        try:
            result = client.compute(level[0]).result() if level else {}
        except ValueError as exc:
            return _by_arrow(exc, source, lambda: arrow_statistics(source, plan, split))
        return result if isinstance(result, dict) else _merge([result])

    def scan(source, plan: Plan, split: str, job) -> list:
        wanted = columns(source, plan)
        pieces = _pieces(source, wanted)
        if pieces is not None:
            done = client.gather([client.submit(_piece_job, *piece, wanted, plan, split, job, pure=False)
                                  for piece in pieces])
            return [found for part in done for found in part]
        frame = _frame(source, plan)
        parts = frame.map_partitions(_job, plan, split, source.name, job, meta=(None, object))
        try:
            return [r for r in client.compute(parts).result() if r is not None]
        except ValueError as exc:
            return _by_arrow(exc, source, lambda: arrow_scan(source, plan, split, job))

    try:
        yield run, scan
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
