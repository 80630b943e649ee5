"""The streaming engines' inputs: which engine runs, and the record batches of a split's
files (a file, a folder or a glob of CSV/Parquet parts) read with ``pyarrow``.
"""
from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from .. import settings
from ..exceptions import InputError, UsageError
from ..ingest import Columns, check_csv_file, is_utf8, label_columns, refuse_ragged_csv
from ._chunks import coalesced
from ._csvtext import TEXT_BLOCK, csv_tables, header, open_csv
from ._retype import CsvTypes, contains, conversion_error, known_types, loosened
from ._spill import Spill

BATCH_ROWS = 1 << 20  # rows per record batch: about 25 MB of three float columns
CSV_BLOCK = 1 << 22  # bytes of CSV text per batch of the dataset scanner (remote CSV: it cuts by bytes, not rows)
# batches the scanner decodes ahead of the one being computed on: pyarrow's default (16
# batches, 4 files) holds hundreds of MB of decoded columns while the kernel is the slow side
READ_AHEAD = {"batch_readahead": 1, "fragment_readahead": 1}


def pick_engine(engine: str | None, sources: Mapping[str, Any], encoding: str | None = None) -> str:
    """The engine to run: the one asked for (or ``DIAGNOSE_ENGINE``), ``auto`` resolved by
    the size of the input files (DataFrames and Arrow tables are already in memory); a
    folder or a glob of parts is streamed whatever its size (the memory engine reads files).
    The streaming engines read CSV as UTF-8: with another ``encoding``, ``auto`` is the memory
    engine for single CSV files, and streaming CSV (asked for, or parts) is refused.

    >>> pick_engine("auto", {"cv": "no-such-file.csv"}), pick_engine("arrow", {})
    ('memory', 'arrow')
    >>> pick_engine("auto", {"cv": "parts/*.csv"}), pick_engine("auto", {"cv": "cv.csv"}, "latin-1")
    ('arrow', 'memory')
    """
    chosen = settings.get("engine") if engine is None else str(engine).lower()
    if chosen not in settings.ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of {', '.join(settings.ENGINES)}")
    text = encoding is not None and not is_utf8(encoding) and _holds_csv(sources)
    if text and (chosen in ("arrow", "dask") or (chosen == "auto" and any(_parts(str(s)) for s in sources.values()))):
        raise UsageError(f"the streaming engines read CSV as UTF-8, not {encoding}: use --engine memory on "
                         "single files, or save the files as UTF-8")
    if chosen != "auto":
        return chosen
    if text:
        return "memory"
    if not all(isinstance(s, (str, os.PathLike)) for s in sources.values()):
        return "memory"
    if any(_parts(str(s)) for s in sources.values()):
        return "arrow"
    size = sum(os.path.getsize(p) for s in sources.values() for p in _local_files(str(s)) if os.path.isfile(p))
    return "arrow" if size > float(settings.get("stream_above_mb")) * 1e6 else "memory"


def _holds_csv(sources: Mapping[str, Any]) -> bool:
    """Whether any of the paths among ``sources`` (files, folders, globs, URLs) is CSV."""
    paths = [str(s) for s in sources.values() if isinstance(s, (str, os.PathLike))]
    return any(not f.lower().endswith((".parquet", ".pq")) for p in paths for f in (_local_files(p) or [p]))


def _parts(path: str) -> bool:
    """``path`` names a local folder or a glob of files (not a file whose name holds ``*?[``)."""
    return "://" not in path and (os.path.isdir(path) or (any(c in path for c in "*?[") and not os.path.exists(path)))


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
    # the batches of this input's earlier passes, for the next ones (see ._spill)
    spill: Spill = field(default_factory=Spill, compare=False, repr=False)
    # a CSV input's types where they differ from its first block's (see ._retype)
    types: CsvTypes = field(default_factory=CsvTypes, compare=False, repr=False)

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
        if not files and os.path.isdir(name):
            raise InputError("is a folder holding no file", file=name,
                             fix="Give a CSV or Parquet file, or a folder of .csv or .parquet parts")
        if not files or not all(os.path.isfile(f) for f in files):
            raise InputError("no such file, folder or glob", file=name, fix="Check the path")
        kind = _format(list(files), name)
        return cls(name, tuple(files), kind, types=known_types(tuple(files)) if kind == "csv" else CsvTypes())

    @property
    def local_parquet(self) -> bool:
        return self.format == "parquet" and "://" not in self.name

    @property
    def local_csv(self) -> bool:
        return self.format == "csv" and "://" not in self.name

    def names(self, columns: Columns) -> list[str]:
        """The column names, of the first file as ``pyarrow.dataset`` reads them (local
        files by ``pyarrow.parquet`` and ``pyarrow.csv``: no import of ``pyarrow.dataset``,
        which imports pandas, a third of a second)."""
        try:
            if self.local_parquet:
                import pyarrow.parquet as pq

                return pq.read_schema(self.files[0]).names
            if self.local_csv:
                return self.csv_schema(columns).names
            return self.dataset(columns).schema.names
        except (pa.ArrowException, OSError) as exc:  # an empty CSV, a file that is not Parquet
            raise read_error(self.name, exc, self) from None

    def csv_schema(self, columns: Columns) -> pa.Schema:
        """The columns and types of a local CSV input as ``pyarrow.dataset`` gives them: the
        first block of the first file decides (labels read as text); every file is then
        read with these types."""
        from pyarrow import csv

        if self.spill.schema is None:  # first, the whole-file read's checks of its first bytes
            check_csv_file(self.files[0], self.name if len(self.files) == 1 else self.files[0])
            with open_csv(self.files[0], read_options=csv.ReadOptions(block_size=CSV_BLOCK),
                          convert_options=_csv_convert(columns)) as reader:
                self.spill.schema = reader.schema
        return self.spill.schema

    def csv_type(self, column: str, columns: Columns) -> pa.DataType:
        """The type a CSV column is read with: its first block's, loosened where a later
        value needed (as the memory engine types it, by the whole file; see ._retype)."""
        return self.types.loosened.get(column) or self.csv_schema(columns).field(column).type

    def dataset(self, columns: Columns):
        import pyarrow.dataset as ds

        if self.format == "csv":
            from pyarrow import csv

            # blocks of CSV_BLOCK bytes (200k rows of a binary task), not pyarrow's 1 MB blocks: fewer
            # per-batch costs; larger blocks decode slower (16 MB: a third more CPU)
            fmt: Any = ds.CsvFileFormat(convert_options=_csv_convert(columns),
                                        read_options=csv.ReadOptions(block_size=CSV_BLOCK))
        elif "://" in self.name:
            fmt = "parquet"  # remote: pre-buffering saves round trips
        else:
            # a local file is read one row group at a time: pre-buffering would keep every
            # range read until the file is closed, which grows with the file (0.9 GB of a
            # 100M-row file), not with the batch
            options = ds.ParquetFragmentScanOptions(pre_buffer=False)
            fmt = ds.ParquetFileFormat(default_fragment_scan_options=options)
        return ds.dataset(list(self.files), format=fmt)


def _csv_convert(columns: Columns, types: Mapping[str, pa.DataType] | None = None):
    """How CSV text becomes columns: labels as text, empty cells as nulls; with ``types``,
    only those columns, of those types (a file that lacks one gives nulls)."""
    from pyarrow import csv

    if types is None:
        return csv.ConvertOptions(strings_can_be_null=True,
                                  column_types={c: pa.string() for c in label_columns(columns)})
    return csv.ConvertOptions(strings_can_be_null=True, column_types=dict(types), include_columns=list(types),
                              include_missing_columns=True)


def _csv_batches(source: Input, path: str, columns: list[str], cols: Columns, block_size: int | None = None,
                 also: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The batches of ``columns`` of one CSV file of ``source`` (``also``: columns converted
    too, to find their types, but not given), parsed a block of text at a time on every core
    (see ._csvtext; ``block_size``: its bytes). A value that the column's type refuses
    loosens the type (see ._retype) and the reading goes on from the block that held it."""
    start = 0  # the byte of the first block not given
    names: list[str] = []  # the header's, read once a block after the first needs them

    def columns_of_file() -> list[str]:
        if not names:
            names.extend(header(path))
        return names

    while True:
        types = {c: source.csv_type(c, cols) for c in [*columns, *(also or [])]}
        try:
            for end, table in csv_tables(path, _csv_convert(cols, types), columns_of_file, block_size or TEXT_BLOCK,
                                          start):
                table = table.select(columns) if also else table
                yield from table.to_batches(max_chunksize=BATCH_ROWS)
                start = end
            return
        except pa.ArrowInvalid as exc:
            if not _loosen(source, path, exc, cols):
                raise


def _loosen(source: Input, path: str, exc: BaseException, cols: Columns) -> bool:
    """Loosen the type of the column whose value ``exc`` (a CSV conversion error) names, as
    the memory engine's whole-file inference would; ``False`` for any other error."""
    found = conversion_error(exc)
    names = header(path) if found is not None else []
    if found is None or found[0] >= len(names) or names[found[0]] in label_columns(cols):
        return False
    column, value = names[found[0]], found[1]
    old = source.csv_type(column, cols)
    new = loosened(old, value)
    source.types.loosened[column] = new
    source.types.checked.discard(column)
    if not contains(new, old):  # the rows before were read with a type the new one does not hold
        _check_types(source, [column], cols)
    return True


def _check_types(source: Input, columns: list[str], cols: Columns) -> None:
    """Read ``columns`` of every file of a CSV input once, to find their types (no row kept)."""
    for path in source.files:
        for _ in _csv_batches(source, path, columns, cols):
            pass
    source.types.checked.update(columns)


def read_error(name: str, exc: BaseException, source: Input | None = None) -> InputError:
    """The message for a file that pyarrow cannot read: the first line of its error; for a
    row of another field count in a local CSV ``source``, the memory engine's message.

    >>> read_error("cv.csv", OSError("Empty CSV file")).problem
    'cannot be read (Empty CSV file)'
    """
    if source is not None and source.local_csv and "Expected" in str(exc):
        for path in source.files:  # raises the message that names the rows
            refuse_ragged_csv(path, source.name if len(source.files) == 1 else path)
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


def row_groups(file, columns: list[str], groups: Iterable[int] | None = None) -> Iterator[pa.RecordBatch]:
    """The batches of a Parquet file (``groups``: of those row groups only): a row group of
    up to ``2 * BATCH_ROWS`` rows read whole (a third less CPU than ``iter_batches``'
    incremental decoding), a larger one ``BATCH_ROWS`` at a time, so memory stays bounded
    by the batch, not the row group.

    >>> import tempfile, pyarrow.parquet as pq
    >>> path = f"{tempfile.mkdtemp()}/a.parquet"
    >>> pq.write_table(pa.table({"y_true": [0, 1] * 5, "y_score": [0.5] * 10}), path, row_group_size=4)
    >>> [b.num_rows for b in row_groups(pq.ParquetFile(path), ["y_true"], groups=[1, 2])]
    [4, 2]
    """
    for i in range(file.num_row_groups) if groups is None else groups:
        if file.metadata.row_group(i).num_rows > 2 * BATCH_ROWS:
            yield from file.iter_batches(batch_size=BATCH_ROWS, row_groups=[i], columns=columns)
        else:
            yield from file.read_row_group(i, columns=columns, use_threads=False).to_batches()


def first_rows(source: Input, columns: list[str], cols: Columns, rows: int = 8) -> pa.Table:
    """The first ``rows`` rows of ``source`` (fewer when it has fewer), without decoding a
    whole batch: what the plan reads to pick the metric.

    >>> import os, tempfile, pyarrow.parquet as pq
    >>> folder = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"y_true": [0, 1] * 10, "y_score": [0.5] * 20}), f"{folder}/a.parquet")
    >>> first_rows(Input.of(f"{folder}/a.parquet"), ["y_true"], Columns()).to_pydict()
    {'y_true': [0, 1, 0, 1, 0, 1, 0, 1]}
    """
    try:
        if source.local_parquet:
            for _, file, wanted in _whole_parquet_files(source, columns, cols):
                for batch in file.iter_batches(batch_size=rows, columns=wanted):
                    if batch.num_rows:
                        return pa.Table.from_batches([batch])
        if source.local_csv:
            schema = source.csv_schema(cols)
            wanted = [c for c in columns if c in schema.names]
            for path in source.files:
                for batch in _csv_batches(source, path, wanted, cols, block_size=1 << 20):  # pyarrow's own block
                    if batch.num_rows:
                        return pa.Table.from_batches([batch.slice(0, rows)])
            return pa.schema([(c, source.csv_type(c, cols)) for c in wanted]).empty_table()
        dataset = source.dataset(cols)
        return dataset.head(rows, columns=[c for c in columns if c in dataset.schema.names], **READ_AHEAD)
    except (pa.ArrowException, OSError) as exc:
        raise read_error(source.name, exc, source) from None


def _whole_parquet_files(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, Any, list[str]]]:
    """(path, ``pyarrow.parquet.ParquetFile``, the columns to read) of the local Parquet files of
    ``source`` in order, up to the first that lacks one of the columns (the dataset scanner
    reads that one and the rest, the missing column as nulls)."""
    import pyarrow.parquet as pq

    wanted = [c for c in columns if c in source.names(cols)]
    for path in source.files:
        file = pq.ParquetFile(path, pre_buffer=False)
        if not all(c in file.schema_arrow.names for c in wanted):
            return
        yield path, file, wanted


def _files(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, Iterator[pa.RecordBatch]]]:
    """(file, its batches) of every file of ``source``. A local Parquet file is read row
    group by row group with ``pyarrow.parquet`` and one batch of read-ahead: the dataset
    scanner reads ahead of a slow consumer without bound (0.5 GB of a 100M-row file behind
    the kernel). Local CSV is read by ``pyarrow.csv`` with the types of the first block
    (see :meth:`Input.csv_schema`), loosened as a later value needs (the memory engine's types,
    see ._retype): a statistics pass reads on with the looser type (its rows so far stay
    right: an integer read as float is the same number, a number where the memory engine
    reads text is refused by the kernel), and also converts the id column to find its type;
    any other pass first reads the columns whose type is not yet known over the whole input
    (a pass of ids or whole rows must not change type midway). The scanner reads the rest,
    and a Parquet part that lacks a column (as nulls)."""
    done = 0
    if source.local_parquet:
        for path, file, wanted in _whole_parquet_files(source, columns, cols):
            yield path, _read_ahead(coalesced(row_groups(file, wanted), BATCH_ROWS))
            done += 1
        if done == len(source.files):
            return
    if source.local_csv:
        names = source.csv_schema(cols).names
        wanted = [c for c in columns if c in names]
        unknown = [c for c in wanted if c not in source.types.checked and c not in label_columns(cols)]  # text
        also: list[str] = []
        if needed_columns(wanted, cols, split_column=True) != wanted:  # ids or whole rows
            if unknown:
                _check_types(source, unknown, cols)
        elif cols.id in names and cols.id not in source.types.checked:
            also = [cols.id]
        for path in source.files:
            yield path, _read_ahead(coalesced(_csv_batches(source, path, wanted, cols, also=also), BATCH_ROWS))
        source.types.checked.update(wanted + also)
        return
    dataset = source.dataset(cols)
    for fragment in list(dataset.get_fragments())[done:]:
        yield fragment.path, fragment.to_batches(columns=[c for c in columns if c in dataset.schema.names],
                                                 batch_size=BATCH_ROWS, **READ_AHEAD)


def batches(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, int, pa.RecordBatch]]:
    """(file, first row number, record batch) of every batch of ``source``, in file order.
    CSV and remote files are read the first time these columns are asked for, and from the
    spill of that pass the next times (:class:`._spill.Spill`: the same batches, not parsed
    or downloaded again); local Parquet decodes about as fast as its spill would be written."""
    try:
        # only the statistics' columns are spilled (the engines' passes), not a whole table
        # read once (a submit's), and only where the temporary folder has room for three
        # times the input's bytes (a binary CSV's spill is about its own size)
        if source.local_parquet or needed_columns(columns, cols, split_column=True) != list(columns):
            yield from _read(source, columns, cols)
            return
        source.spill.expected = 3 * sum(os.path.getsize(f) for f in source.files if os.path.isfile(f))
        again = source.spill.replay(columns)
        yield from again if again is not None else source.spill.passing(columns, _read(source, columns, cols))
    except (pa.ArrowException, OSError) as exc:
        raise read_error(source.name, exc, source) from None


def _read(source: Input, columns: list[str], cols: Columns) -> Iterator[tuple[str, int, pa.RecordBatch]]:
    for path, read in _files(source, columns, cols):
        first = 1
        for batch in read:
            if batch.num_rows:
                yield path, first, batch
                first += batch.num_rows


def needed_columns(names: list[str], cols: Columns, *, split_column: bool) -> list[str]:
    """The columns the statistics read: labels, scores, predictions, weights (and the split)."""
    keep = {cols.y_true, cols.y_score, cols.y_pred, cols.weight} | ({cols.split} if split_column else set())
    prefixes = (cols.prob_prefix, cols.true_prefix, cols.score_prefix)
    return [c for c in names if c in keep or c.startswith(prefixes)]
