"""Reading CSV and Parquet files (and DataFrames) into Arrow tables, and Arrow into numpy."""
from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError, UsageError
from ._csvhead import HEAD, check_csv_head, column_named, refuse_bad_utf8, refuse_ragged
from ._files import regular_file
from ._progress import BIG_READ, CountedFile, ProgressBar, read_row_groups
from ._values import Source


def read_table(source: Source, *, encoding: str = "utf-8", text_columns: Iterable[str] = (),
               dictionary_columns: Iterable[str] = ()) -> tuple[pa.Table, str]:
    """Read one CSV or Parquet file (or take a DataFrame) as an Arrow table.

    ``source`` may also be a binary file object with a ``name`` (an upload held in
    memory, such as ``io.BytesIO`` or Streamlit's ``UploadedFile``); messages name it
    by that name. Returns the table and the name to use in messages. A CSV's
    ``text_columns`` (the labels) are read as text, so that class ``01`` stays ``01``.
    Every table is refused when two columns share a name, when it has no rows, or when
    a column holds bytes that are not UTF-8 text. ``dictionary_columns``: those of them a
    Parquet file holds as text, and those of them a CSV holds (as text, whatever they look
    like), come dictionary-encoded, marked as text (:func:`read_as_dictionary`); a
    DataFrame or a table is taken as it is.

    >>> import io
    >>> upload = io.BytesIO(b"y_true,y_score\\n1,0.9\\n0,0.2\\n"); upload.name = "cv.csv"
    >>> table, name = read_table(upload)
    >>> table.num_rows, name
    (2, 'cv.csv')
    >>> read_table(io.BytesIO(b"y_true,y_true\\n1,0\\n"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: <upload>: has 2 columns named 'y_true' (columns 1, 2). Give every column its...
    """
    if isinstance(source, pa.Table):
        return _checked(source, "<table>"), "<table>"
    if hasattr(source, "read"):
        name = str(getattr(source, "name", None) or "<upload>")
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        return _read_any(_Bytes(bytes(data), name), encoding, tuple(text_columns), tuple(dictionary_columns)), name
    if not isinstance(source, (str, os.PathLike)):
        return _from_pandas(source), "<DataFrame>"
    path = Path(source)
    name = str(source)
    regular_file(path, name, what="a CSV or Parquet file")
    return _read_any(_File(path, name), encoding, tuple(text_columns), tuple(dictionary_columns)), name


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

    def binary(self):
        return open(self.path, "rb")


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

    def binary(self):
        import io

        return io.BytesIO(self.data)


def _read_any(src: "_File | _Bytes", encoding: str, text_columns: tuple[str, ...],
              dictionary_columns: tuple[str, ...] = ()) -> pa.Table:
    name = src.name
    if src.size() == 0:
        raise InputError("the file is empty", file=name, fix="Give a CSV or Parquet file with a header and rows")
    head = src.head(HEAD)
    bar = _bar(src)
    if head[:4] == b"PAR1" or src.suffix in (".parquet", ".pq"):
        with bar or nullcontext():
            table = _read_parquet(src, name, bar, dictionary_columns)
        return _checked(table, name)
    with bar or nullcontext():
        table = _read_csv(src, name, head, encoding, text_columns, bar, dictionary_columns)
    _refuse_duplicates(table.column_names, name)
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    if binary:  # Arrow reads a column holding bytes that are not UTF-8 as binary
        refuse_bad_utf8(src, name, binary[0])
    return _checked(table, name)


def _checked(table: pa.Table, name: str) -> pa.Table:
    """Refuse a table with two columns of one name or no rows; binary columns become text."""
    _refuse_duplicates(table.column_names, name)
    if table.num_rows == 0:
        raise InputError("has a header but no rows", file=name, fix="Add at least one row of predictions")
    for i, f in enumerate(table.schema):
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            try:
                table = table.set_column(i, f.name, pc.cast(table.column(i), pa.string()))
            except pa.ArrowInvalid:
                raise InputError(f"column '{f.name}' holds bytes that are not UTF-8 text", file=name,
                                 column=f.name, fix="Give text columns as UTF-8 strings") from None
    return table


def _refuse_duplicates(names: list[str], name: str) -> None:
    if len(set(names)) == len(names):
        return
    seen: dict[str, list[int]] = {}
    for i, column in enumerate(names, start=1):
        seen.setdefault(column, []).append(i)
    column, where = next((c, w) for c, w in seen.items() if len(w) > 1)
    raise InputError(f"has {len(where)} columns named '{column}' (columns {', '.join(map(str, where))})",
                     file=name, column=column,
                     fix="Give every column its own name: rename or drop the copies")


def _bar(src: "_File | _Bytes") -> ProgressBar | None:
    """A progress bar for reading a big file on disk, when one is shown (a terminal)."""
    if not isinstance(src, _File) or src.size() < BIG_READ:
        return None
    bar = ProgressBar(f"reading {src.name}", total=src.size())
    return bar if bar.active else None


def _csv_source(src: "_File | _Bytes", bar: ProgressBar | None, start: int = 0):
    """What ``pyarrow.csv`` reads, for a ``with`` block: the file counted by ``bar`` when there
    is one; from byte ``start`` (the header's, after blank lines) when it is not 0."""
    if start:
        stream = pa.OSFile(str(src.path)) if isinstance(src, _File) else pa.BufferReader(src.data)
        stream.seek(start)
        return stream
    if bar is not None and isinstance(src, _File):
        return CountedFile(src.path, bar)
    return nullcontext(src.arrow())


_DICTIONARY_MARK = {b"diagnose.read_as_dictionary": b"text"}


def read_as_dictionary(field: pa.Field) -> bool:
    """Whether a column was text in its file, read dictionary-encoded on request
    (``read_table(..., dictionary_columns=...)``), rather than a file's own categories.

    >>> read_as_dictionary(pa.field("split", pa.dictionary(pa.int32(), pa.string())))
    False
    """
    return pa.types.is_dictionary(field.type) and (field.metadata or {}).get(b"diagnose.read_as_dictionary") == b"text"


def _with_dictionaries(src: "_File | _Bytes", columns: tuple[str, ...], bar: ProgressBar | None) -> pa.Table | None:
    """The Parquet file with those of ``columns`` it holds as text read dictionary-encoded and
    marked (row group by row group when ``bar`` shows it, as ``read_row_groups``); ``None``
    when none is, or on any failure (the plain read then gives its message)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(src.arrow())
        text = [c for c in columns if "." not in c and schema.get_field_index(c) >= 0
                and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))]
        if not text:
            return None
        if bar is None or not isinstance(src, _File):
            # the file's own reader, not read_table: no pyarrow.dataset (which imports pandas)
            with pq.ParquetFile(src.arrow(), read_dictionary=text) as file:
                table = file.read()
        else:
            file = pq.ParquetFile(src.path, read_dictionary=text)
            total, rows, parts = max(file.metadata.num_rows, 1), 0, []
            for i in range(file.num_row_groups):
                parts.append(file.read_row_group(i))
                rows += parts[-1].num_rows
                bar.update((bar.total or 0) * rows / total, rows=rows)
            table = pa.concat_tables(parts) if parts else file.schema_arrow.empty_table()
    except (pa.ArrowException, OSError):
        return None
    return _marked(table, text)


def _marked(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``table`` with those of ``columns`` it holds dictionary-encoded marked as text read so."""
    for i, field in enumerate(table.schema):
        if field.name in columns and pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.with_metadata({**(field.metadata or {}), **_DICTIONARY_MARK}),
                                     table.column(i))
    return table


def _read_parquet(src: "_File | _Bytes", name: str, bar: ProgressBar | None = None,
                  dictionary_columns: tuple[str, ...] = ()) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        table = _with_dictionaries(src, dictionary_columns, bar) if dictionary_columns else None
        if table is not None:
            return table
        if bar is not None and isinstance(src, _File):
            return read_row_groups(src.path, bar)
        return pq.read_table(src.arrow())
    except (pa.ArrowException, OSError) as exc:
        try:  # a schema that names a column twice reads, but its table does not
            _refuse_duplicates(pq.read_schema(src.arrow()).names, name)
        except (pa.ArrowException, OSError):
            pass
        raise InputError(
            f"cannot be read as Parquet ({_first_line(exc)})",
            file=name,
            fix="Give a valid Parquet file, or a CSV file",
        ) from None


def _read_csv(src: "_File | _Bytes", name: str, head: bytes, encoding: str,
              text_columns: tuple[str, ...] = (), bar: ProgressBar | None = None,
              dictionary_columns: tuple[str, ...] = ()) -> pa.Table:
    from pyarrow import csv

    start = check_csv_head(src, name, head, encoding)
    coded = pa.dictionary(pa.int32(), pa.string())  # a few names, hashed by the parser: no string a row
    types = {**{c: coded for c in dictionary_columns}, **{c: pa.string() for c in text_columns}}
    convert = csv.ConvertOptions(strings_can_be_null=True, column_types=types)
    try:
        if not getattr(codecs.lookup(encoding), "_is_text_encoding", True):  # hex, base64, zlib...
            raise LookupError(f"'{encoding}' is not a text encoding")
        with _csv_source(src, bar, start) as source:
            table = csv.read_csv(source, read_options=csv.ReadOptions(encoding=encoding), convert_options=convert)
            return _marked(table, dictionary_columns)
    except pa.ArrowInvalid as exc:
        text = _first_line(exc)
        if "UTF8" not in text:
            # a quoted field holding a line break: Arrow splits a large file into blocks at
            # line breaks unless told that values may hold them (slower, so only on need)
            try:
                with _csv_source(src, bar, start) as source:
                    table = csv.read_csv(source, read_options=csv.ReadOptions(encoding=encoding),
                                         parse_options=csv.ParseOptions(newlines_in_values=True),
                                         convert_options=convert)
                    return _marked(table, dictionary_columns)
            except pa.ArrowInvalid as again:
                text = _first_line(again)
        if "UTF8" in text or "utf8" in text or "utf-8" in text.lower():
            if encoding.lower().replace("-", "") == "utf8":  # a column read as text: find the byte
                refuse_bad_utf8(src, name, column_named(text, head))
            raise InputError(
                "is not valid UTF-8 text",
                file=name,
                fix="Save it as UTF-8, or give its encoding (--encoding latin-1)",
            ) from None
        refuse_ragged(src, name, encoding)
        raise InputError(
            f"cannot be parsed as CSV ({text})",
            file=name,
            fix="Check that every row has as many fields as the header",
        ) from None
    except LookupError as exc:
        raise InputError(f"cannot be read ({_first_line(exc)})", file=name,
                         fix="Give an encoding name Python knows, such as utf-8, latin-1 or cp1252") from None
    except UnicodeError as exc:  # a text the encoding cannot decode (utf-16 without its BOM, ...)
        raise InputError(f"cannot be read as {encoding} ({_first_line(exc)})", file=name,
                         fix="Give the file's encoding (--encoding), or save it as UTF-8") from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot be read ({_first_line(exc)})", file=name) from None


def _from_pandas(frame) -> pa.Table:
    if not hasattr(frame, "columns") or not hasattr(frame, "dtypes"):
        raise UsageError(f"cannot read predictions from a {type(frame).__name__}; give a CSV or Parquet "
                         "path, a pandas DataFrame or an Arrow table")
    _refuse_duplicates([str(c) for c in frame.columns], "<DataFrame>")
    if len(frame) == 0:
        raise InputError("has no rows", file="<DataFrame>", fix="Give at least one row of predictions")
    try:
        return _checked(pa.Table.from_pandas(frame, preserve_index=False), "<DataFrame>")
    except (pa.ArrowException, TypeError, ValueError):
        # mixed-type object columns: fall back to strings so validation can name the rows
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        return _checked(pa.Table.from_pandas(frame, preserve_index=False), "<DataFrame>")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
