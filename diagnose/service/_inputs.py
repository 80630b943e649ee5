"""The streaming engines' inputs: which engine runs, and the record batches of a split's
files (a file, a folder or a glob of CSV/Parquet parts) read with ``pyarrow``.
"""
from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .. import settings
from ..exceptions import InputError, UsageError
from ..ingest import Columns, label_columns

BATCH_ROWS = 1 << 20  # rows per record batch: about 25 MB of three float columns
# batches the scanner decodes ahead of the one being computed on: pyarrow's default (16
# batches, 4 files) holds hundreds of MB of decoded columns while the kernel is the slow side
READ_AHEAD = {"batch_readahead": 1, "fragment_readahead": 1}


def pick_engine(engine: str | None, sources: Mapping[str, Any]) -> str:
    """The engine to run: the one asked for (or ``DIAGNOSE_ENGINE``), ``auto`` resolved by
    the size of the input files (DataFrames and Arrow tables are already in memory).

    >>> pick_engine("auto", {"cv": "no-such-file.csv"}), pick_engine("arrow", {})
    ('memory', 'arrow')
    """
    chosen = settings.get("engine") if engine is None else str(engine).lower()
    if chosen not in settings.ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of {', '.join(settings.ENGINES)}")
    if chosen != "auto":
        return chosen
    if not all(isinstance(s, (str, os.PathLike)) for s in sources.values()):
        return "memory"
    size = sum(os.path.getsize(p) for s in sources.values() for p in _local_files(str(s)) if os.path.isfile(p))
    return "arrow" if size > float(settings.get("stream_above_mb")) * 1e6 else "memory"


def _local_files(path: str) -> list[str]:
    if "://" in path:
        return []
    if os.path.isdir(path):
        return sorted(os.path.join(root, f) for root, _, files in os.walk(path) for f in files
                      if not f.startswith((".", "_")))
    if any(c in path for c in "*?["):
        return sorted(glob.glob(path))
    return [path]


def _format(paths: list[str], name: str) -> str:
    kinds = {"parquet" if p.lower().endswith((".parquet", ".pq")) else "csv" if p.lower().endswith(".csv")
             else "?" for p in paths}
    if len(kinds) != 1 or "?" in kinds:
        raise InputError("is not a set of CSV or Parquet files (the streaming engines read files ending in .csv, "
                         ".parquet or .pq, one kind per split)", file=name,
                         fix="Give CSV or Parquet parts, or use --engine memory")
    return kinds.pop()


@dataclass(frozen=True)
class Input:
    """One split's input for the streaming engines: its files and their format."""

    name: str
    files: tuple[str, ...]
    format: str

    @classmethod
    def of(cls, source: Any) -> Input:
        if not isinstance(source, (str, os.PathLike)):
            raise UsageError("the streaming engines (arrow, dask) read files, folders or globs; "
                             "give a path, or use --engine memory for a DataFrame or Arrow table")
        name = str(source)
        if "://" in name:
            return cls(name, (name,), _format([name.rstrip("/")], name) if "." in name.rsplit("/", 1)[-1]
                       else "parquet")
        files = _local_files(name)
        if not files or not all(os.path.isfile(f) for f in files):
            raise InputError("no such file, folder or glob", file=name, fix="Check the path")
        return cls(name, tuple(files), _format(list(files), name))

    @property
    def local_parquet(self) -> bool:
        return self.format == "parquet" and "://" not in self.name

    def names(self, columns: Columns) -> list[str]:
        """The column names, of the first file as ``pyarrow.dataset`` reads them (local
        Parquet by ``pyarrow.parquet``: no import of ``pyarrow.dataset`` and pandas)."""
        if self.local_parquet:
            import pyarrow.parquet as pq

            return pq.read_schema(self.files[0]).names
        return self.dataset(columns).schema.names

    def dataset(self, columns: Columns):
        import pyarrow.dataset as ds

        if self.format == "csv":
            from pyarrow import csv

            convert = csv.ConvertOptions(strings_can_be_null=True,
                                         column_types={c: pa.string() for c in label_columns(columns)})
            fmt: Any = ds.CsvFileFormat(convert_options=convert)
        elif "://" in self.name:
            fmt = "parquet"  # remote: pre-buffering saves round trips
        else:
            # a local file is read one row group at a time: pre-buffering would keep every
            # range read until the file is closed, which grows with the file (0.9 GB of a
            # 100M-row file), not with the batch
            options = ds.ParquetFragmentScanOptions(pre_buffer=False)
            fmt = ds.ParquetFileFormat(default_fragment_scan_options=options)
        return ds.dataset(list(self.files), format=fmt)


def _read_error(name: str, exc: BaseException) -> InputError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot be read ({first})", file=name, fix="Give a valid CSV or Parquet file")


def _read_ahead(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches of ``it``, the next one read by a thread while the caller computes on
    this one: reading overlaps the kernel, and at most two batches are held."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(next, it, None)
        while (batch := pending.result()) is not None:
            pending = pool.submit(next, it, None)
            yield batch


def _files(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, Iterator[pa.RecordBatch]]]:
    """(file, its batches) of every file of ``source``. A local Parquet file is read row
    group by row group with ``pyarrow.parquet`` and one batch of read-ahead: the dataset
    scanner reads ahead of a slow consumer without bound (0.5 GB of a 100M-row file behind
    the kernel). The scanner reads the rest, and a part that lacks a column (as nulls)."""
    done = 0
    if source.local_parquet:
        import pyarrow.parquet as pq

        wanted = [c for c in columns if c in source.names(cols)]
        for path in source.files:
            file = pq.ParquetFile(path, pre_buffer=False)
            if not all(c in file.schema_arrow.names for c in wanted):
                break
            yield path, _read_ahead(file.iter_batches(batch_size=BATCH_ROWS, columns=wanted))
            done += 1
        else:
            return
    dataset = source.dataset(cols)
    for fragment in list(dataset.get_fragments())[done:]:
        yield fragment.path, fragment.to_batches(columns=[c for c in columns if c in dataset.schema.names],
                                                 batch_size=BATCH_ROWS, **READ_AHEAD)


def batches(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, int, pa.RecordBatch]]:
    """(file, first row number, record batch) of every batch of ``source``, in file order."""
    try:
        for path, read in _files(source, columns, cols):
            first = 1
            for batch in read:
                if batch.num_rows:
                    yield path, first, batch
                    first += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise _read_error(source.name, exc) from None


def needed_columns(names: list[str], cols: Columns, *, split_column: bool) -> list[str]:
    """The columns the statistics read: labels, scores, predictions, weights (and the split)."""
    keep = {cols.y_true, cols.y_score, cols.y_pred, cols.weight} | ({cols.split} if split_column else set())
    prefixes = (cols.prob_prefix, cols.true_prefix, cols.score_prefix)
    return [c for c in names if c in keep or c.startswith(prefixes)]
