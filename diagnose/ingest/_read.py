"""Reading CSV and Parquet files (and DataFrames) into Arrow tables, and Arrow into numpy."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError
from ._values import Source


def read_table(source: Source, *, encoding: str = "utf-8") -> tuple[pa.Table, str]:
    """Read one CSV or Parquet file (or take a DataFrame) as an Arrow table.

    ``source`` may also be a binary file object with a ``name`` (an upload held in
    memory, such as ``io.BytesIO`` or Streamlit's ``UploadedFile``); messages name it
    by that name. Returns the table and the name to use in messages.

    >>> import io
    >>> upload = io.BytesIO(b"y_true,y_score\\n1,0.9\\n0,0.2\\n"); upload.name = "cv.csv"
    >>> table, name = read_table(upload)
    >>> table.num_rows, name
    (2, 'cv.csv')
    """
    if isinstance(source, pa.Table):
        return source, "<table>"
    if hasattr(source, "read"):
        name = str(getattr(source, "name", None) or "<upload>")
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        return _read_any(_Bytes(bytes(data), name), encoding), name
    if not isinstance(source, (str, os.PathLike)):
        return _from_pandas(source), "<DataFrame>"
    path = Path(source)
    name = str(source)
    if not path.exists():
        raise InputError("file not found", file=name, fix="Check the path")
    if path.is_dir():
        raise InputError("is a folder, not a file", file=name, fix="Give a CSV or Parquet file")
    return _read_any(_File(path, name), encoding), name


class _File:
    """A file on disk, as the readers below see it."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name, self.suffix = path, name, path.suffix.lower()

    def size(self) -> int:
        return self.path.stat().st_size

    def head(self, n: int) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def arrow(self):
        return self.path

    def text(self, encoding: str):
        return open(self.path, newline="", encoding=encoding, errors="replace")


class _Bytes:
    """An upload held in memory, as the readers below see it."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name, self.suffix = data, name, Path(name).suffix.lower()

    def size(self) -> int:
        return len(self.data)

    def head(self, n: int) -> bytes:
        return self.data[:n]

    def arrow(self):
        return pa.BufferReader(self.data)

    def text(self, encoding: str):
        import io

        return io.TextIOWrapper(io.BytesIO(self.data), newline="", encoding=encoding, errors="replace")


def _read_any(src: "_File | _Bytes", encoding: str) -> pa.Table:
    name = src.name
    if src.size() == 0:
        raise InputError("the file is empty", file=name, fix="Give a CSV or Parquet file with a header and rows")
    head = src.head(65536)
    if head[:4] == b"PAR1" or src.suffix in (".parquet", ".pq"):
        table = _read_parquet(src, name)
    else:
        table = _read_csv(src, name, head, encoding)
    if table.num_rows == 0:
        raise InputError(
            "has a header but no rows", file=name, fix="Add at least one row of predictions"
        )
    return table


def _read_parquet(src: "_File | _Bytes", name: str) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(src.arrow())
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"cannot be read as Parquet ({_first_line(exc)})",
            file=name,
            fix="Give a valid Parquet file, or a CSV file",
        ) from None


def _read_csv(src: "_File | _Bytes", name: str, head: bytes, encoding: str) -> pa.Table:
    from pyarrow import csv

    if b"\x00" in head:
        raise InputError(
            "holds binary content, not CSV text",
            file=name,
            fix="Give a CSV text file (UTF-8) or a Parquet file ending in .parquet",
        )
    if encoding.lower().replace("-", "") in ("utf8",):
        _check_utf8(head, name)
    if not head.strip():
        raise InputError("the file is empty", file=name, fix="Give a CSV file with a header and rows")
    try:
        return csv.read_csv(
            src.arrow(),
            read_options=csv.ReadOptions(encoding=encoding),
            convert_options=csv.ConvertOptions(strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        text = _first_line(exc)
        if "UTF8" in text or "utf8" in text or "utf-8" in text.lower():
            raise InputError(
                "is not valid UTF-8 text",
                file=name,
                fix="Save it as UTF-8, or give its encoding (--encoding latin-1)",
            ) from None
        rows, counts, width = _ragged_rows(src, encoding)
        if rows:
            raise InputError(
                f"cannot be parsed as CSV: the header has {width} fields, some rows another count",
                file=name, rows=rows[:5], values=counts[:5], n_bad=len(rows),
                fix="Give every row as many fields as the header (quote fields that hold commas)",
            ) from None
        raise InputError(
            f"cannot be parsed as CSV ({text})",
            file=name,
            fix="Check that every row has as many fields as the header",
        ) from None
    except LookupError as exc:
        raise InputError(f"cannot be read ({_first_line(exc)})", file=name,
                         fix="Give an encoding name Python knows, such as utf-8, latin-1 or cp1252") from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot be read ({_first_line(exc)})", file=name) from None


def _ragged_rows(src: "_File | _Bytes", encoding: str) -> tuple[list[int], list[int], int]:
    """Rows (numbered after the header) whose field count differs from the header's.

    Only called once parsing has failed, so a plain Python scan is fine here."""
    import csv as pycsv

    rows, counts, width = [], [], 0
    try:
        with src.text(encoding) as fh:
            reader = pycsv.reader(fh)
            width = len(next(reader, []))
            for number, record in enumerate(reader, start=1):
                if record and len(record) != width:
                    rows.append(number)
                    counts.append(len(record))
    except (OSError, LookupError, pycsv.Error):
        return [], [], width
    return rows, counts, width


def _check_utf8(head: bytes, name: str) -> None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the chunk is fine
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return
        line = head[: exc.start].count(b"\n") + 1
        raise InputError(
            f"is not valid UTF-8 text (byte 0x{head[exc.start]:02x} on line {line}"
            + (f", row {line - 1})" if line > 1 else ", the header)"),
            file=name,
            fix="Save it as UTF-8, or give its encoding (--encoding latin-1)",
        ) from None


def _from_pandas(frame) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        # mixed-type object columns: fall back to strings so validation can name the rows
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        return pa.Table.from_pandas(frame, preserve_index=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_NUMPY_TYPES = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}


def to_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Arrow column -> numpy; numeric columns without nulls straight from their buffers.

    (pyarrow's own ``to_numpy`` imports pandas, a third of a second at the CLI.)

    >>> to_numpy(pa.chunked_array([[1, 2], [3]])).tolist(), to_numpy(pa.array([1.5, None])).tolist()
    ([1, 2, 3], [1.5, nan])
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    dtype = _NUMPY_TYPES.get(col.type)
    if dtype is not None and col.null_count == 0:
        parts = [np.frombuffer(ch.buffers()[1], dtype=dtype, count=len(ch), offset=ch.offset * np.dtype(dtype).itemsize)
                 for ch in chunks if len(ch)]
        if not parts:
            return np.empty(0, dtype=dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    if pa.types.is_boolean(col.type) and col.null_count == 0:
        return to_numpy(pc.cast(col, pa.int8())).astype(bool)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col.to_numpy(zero_copy_only=False)
