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

from ..exceptions import UsageError
from ..ingest import label_columns
from ..stats import Plan
from ._partials import Found, found_in, job_in

SPLIT_EVERY = 8  # partitions merged per task of the tree reduce


def _import_dask():
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
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


def _merge(parts: list) -> dict[str, Found]:
    """Merge a group of partitions' statistics (each a dict split -> Found, or a Series of one)."""
    out: dict[str, Found] = {}
    for part in parts:
        found = part.iloc[0] if hasattr(part, "iloc") else part
        for key, stats in found.items():
            out[key] = stats if key not in out else out[key].merge(stats)
    return out


def _frame(source, plan: Plan):
    import dask.dataframe as dd

    from ._inputs import needed_columns

    names = source.dataset(plan.columns).schema.names if "://" not in source.name else None
    paths = list(source.files)
    if source.format == "csv":
        head = dd.read_csv(paths, dtype={c: "string" for c in label_columns(plan.columns)}, blocksize="64MB")
        columns = needed_columns(names or list(head.columns), plan.columns, split_column=True)
        return head[columns]
    frame = dd.read_parquet(paths)
    columns = needed_columns(names or list(frame.columns), plan.columns, split_column=True)
    return frame[columns]


@contextmanager
def dask_runner(scheduler: str | None) -> Iterator:
    """A runner for :func:`._engines.collect_statistics` and a scanner for the later passes
    of the threshold search, on a Dask client: the one at ``scheduler`` (an address), else a
    local cluster started for the command."""
    from .. import settings

    _import_dask()
    import dask
    from distributed import Client, LocalCluster

    address = scheduler or settings.get("scheduler")
    cluster = None
    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)

    def run(source, plan: Plan, split: str | None) -> dict[str, Found]:
        frame = _frame(source, plan)
        parts = frame.map_partitions(_partition, plan, split, source.name, meta=(None, object))
        level = list(parts.to_delayed())
        while len(level) > 1:
            level = [dask.delayed(_merge)(level[i:i + SPLIT_EVERY]) for i in range(0, len(level), SPLIT_EVERY)]
        result = client.compute(level[0]).result() if level else {}
        return result if isinstance(result, dict) else _merge([result])

    def scan(source, plan: Plan, split: str, job) -> list:
        frame = _frame(source, plan)
        parts = frame.map_partitions(_job, plan, split, source.name, job, meta=(None, object))
        return [r for r in client.compute(parts).result() if r is not None]

    try:
        yield run, scan
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
