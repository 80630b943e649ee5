"""Where things are in a CSV file's text. The header starts after the blank lines (and a UTF-8
byte order mark before them) that pyarrow's reader skips, which may fill whole blocks of
their own, on which pyarrow then finds no columns: both engines start reading there, so a
file's reading does not depend on how many blank lines precede its header. Messages name a
bad byte or a ragged row by its line and by its row as the reader numbers rows (from 1 after
the header, blank lines not counted)."""
from __future__ import annotations

import os
import re
from typing import BinaryIO

from ..exceptions import InputError

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which pyarrow skips at the start of a file
HEAD = 1 << 16  # the bytes a file is first looked at by (binary content, UTF-8, emptiness)


def csv_header_offset(stream: BinaryIO, size: int = 1 << 16, *, bom: bool = True) -> int | None:
    """The byte of ``stream`` (read from its start) at which the header starts: 0 when no
    blank line precedes it, ``None`` when the file holds nothing but blank lines (and a byte
    order mark): an empty file. A line of spaces is not blank (pyarrow reads it as a row).
    ``bom``: a UTF-8 byte order mark may come first (not in other encodings).

    >>> import io
    >>> csv_header_offset(io.BytesIO(BOM + b"\\r\\n\\n\\ra,b\\n1,2\\n")), csv_header_offset(io.BytesIO(b"a\\n1\\n"))
    (7, 0)
    >>> csv_header_offset(io.BytesIO(b"\\n" * 70000 + b"a\\n"), size=1000), csv_header_offset(io.BytesIO(b"\\r\\n \\n"))
    (70000, 2)
    >>> csv_header_offset(io.BytesIO(BOM + b"\\n\\n")) is None
    True
    """
    data = stream.read(max(size, len(BOM)))
    at = mark = len(BOM) if bom and data.startswith(BOM) else 0
    data = data[mark:] or stream.read(size)
    while data:
        rest = data.lstrip(b"\r\n")
        at += len(data) - len(rest)
        if rest:
            return at if at > mark else 0
        data = stream.read(size)
    return None


def check_csv_file(path: str, name: str, encoding: str = "utf-8") -> None:
    """The checks the whole-file read makes on a CSV's first bytes (:func:`check_csv_head`, and
    a file of no byte), for the readers that read a file in parts: the same messages.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "cv.csv")
    >>> _ = open(path, "w").write("\\n\\n")
    >>> check_csv_file(path, "cv.csv")
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: the file is empty. Give a CSV file with a header and rows
    """
    if os.path.getsize(path) == 0:
        raise InputError("the file is empty", file=name, fix="Give a CSV or Parquet file with a header and rows")
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
    check_csv_head(_Local(path), name, head, encoding)


class _Local:
    """A file on disk as the checks here read it (the whole-file reader's files have these too)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def binary(self):
        return open(self.path, "rb")

    def text(self, encoding: str):
        return open(self.path, newline="", encoding=encoding, errors="replace")

    def size(self) -> int:
        return os.path.getsize(self.path)


def check_csv_head(src, name: str, head: bytes, encoding: str) -> int:
    """Refuse a CSV whose first bytes (``head``) are not text, not UTF-8 (when it is read as
    UTF-8), or empty (blank lines only; blanks only in a small file); else the byte its header
    starts at (:func:`header_start`). ``src``: the file, with ``binary()`` and ``size()``.

    >>> import io
    >>> class Upload:
    ...     def binary(self): return io.BytesIO(b"a\\x00")
    ...     def size(self): return 2
    >>> check_csv_head(Upload(), "cv.csv", b"a\\x00", "utf-8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: holds binary content, not CSV text. Give a CSV text file (UTF-8) or ...
    """
    if b"\x00" in head:
        raise InputError("holds binary content, not CSV text", file=name,
                         fix="Give a CSV text file (UTF-8) or a Parquet file ending in .parquet")
    if encoding.lower().replace("-", "") == "utf8":
        check_utf8(head, name)
    start = header_start(src, head, encoding)
    if start is None or (not head.strip() and src.size() <= len(head)):
        raise InputError("the file is empty", file=name, fix="Give a CSV file with a header and rows")
    return start


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` names UTF-8 (any spelling); not for a name that is no text encoding
    Python knows (the whole-file reader then names it).

    >>> is_utf8("UTF_8"), is_utf8("utf-8-sig"), is_utf8("latin-1"), is_utf8("hex"), is_utf8("klingon")
    (True, True, False, False, False)
    """
    import codecs

    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def header_start(src, head: bytes, encoding: str) -> int | None:
    """The byte a CSV's header starts at when blank lines precede it (they may fill more than
    pyarrow's first block, on which it finds no columns), 0 when none do, ``None`` when the
    file holds nothing else (:func:`csv_header_offset`). ``src``: the file or upload, with a
    ``binary()`` stream; ``head``: its first bytes. Any encoding that writes line ends as ASCII
    does (UTF-8, Latin-1, cp1252...); a byte order mark is UTF-8's only.

    >>> import io
    >>> class Upload:
    ...     def __init__(self, data): self.data = data
    ...     def binary(self): return io.BytesIO(self.data)
    >>> data = b"\\n\\n" + b"a,b\\n1,2\\n"
    >>> header_start(Upload(data), data, "utf-8"), header_start(Upload(data), data, "latin-1")
    (2, 2)
    >>> header_start(Upload(BOM), BOM, "utf-8") is None, header_start(Upload(data), data, "utf-16")
    (True, 0)
    """
    import codecs

    try:
        codec = codecs.lookup(encoding).name
        if "\r\n".encode(codec, "replace") != b"\r\n":
            return 0
    except (LookupError, UnicodeError):
        return 0  # the read names the encoding it cannot use
    lead = head[len(BOM):] if codec.startswith("utf-8") and head.startswith(BOM) else head
    if not lead and len(head) == len(BOM):
        return None  # a byte order mark alone
    if lead[:1] not in (b"\r", b"\n"):
        return 0
    with src.binary() as fh:
        return csv_header_offset(fh, bom=codec.startswith("utf-8"))


_LINE_END = re.compile(rb"\r\n|\r|\n")


def where(before: bytes, lines: int = 0, rows: int = 0) -> str:
    """``on line L, row R`` (or ``, the header``) of the byte after ``before``, the text of a
    file up to it (``lines`` line ends and ``rows`` lines that are not blank came earlier):
    rows are numbered as the reader numbers them, from 1 after the header, blank lines not
    counted.

    >>> where(b"\\n\\nid,y\\n\\n1,0\\n2,"), where(b"\\r\\nid,")
    ('on line 6, row 2', 'on line 2, the header')
    """
    parts = _LINE_END.split(before)
    lines += len(parts) - 1
    rows += sum(1 for p in parts[:-1] if p)
    return f"on line {lines + 1}, " + (f"row {rows}" if rows else "the header")


def check_utf8(head: bytes, name: str) -> None:
    """Refuse a file whose first bytes are not UTF-8, naming the first bad byte's line and row.

    >>> check_utf8(b"id,y\\n\\n1,\\xe9\\n", "cv.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: is not valid UTF-8 text (byte 0xe9 on line 3, row 1). Save it as UTF-8, ...
    """
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the chunk is fine
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return
        before = head[:exc.start].removeprefix(BOM)  # a byte order mark alone on its line is no row
        raise InputError(f"is not valid UTF-8 text (byte 0x{head[exc.start]:02x} {where(before)})",
                         file=name, fix="Save it as UTF-8, or give its encoding (--encoding latin-1)") from None


def refuse_bad_utf8(src, name: str, column: str) -> None:
    """Find the first byte that is not UTF-8 anywhere in the file (``src.binary()``) and name
    its line and row.

    >>> import io
    >>> class Upload:
    ...     def binary(self): return io.BytesIO(b"id,y\\n1,a\\n2,\\xe9\\n")
    >>> refuse_bad_utf8(Upload(), "cv.csv", "y")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: is not valid UTF-8 text (byte 0xe9 at offset 11 on line 3, row 2). ...
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = rows = 0
    carry = b""  # the last line of the chunks so far, not yet ended
    with src.binary() as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = f"byte 0x{chunk[exc.start]:02x} at offset {offset + exc.start}"
                before = carry + chunk[:exc.start]
                before = before.removeprefix(BOM) if offset == 0 else before
                raise InputError(f"is not valid UTF-8 text ({at} {where(before, lines, rows)})",
                                 file=name, column=column,
                                 fix="Save it as UTF-8, or give its encoding (--encoding latin-1)") from None
            data = (carry + chunk).removeprefix(BOM) if offset == 0 else carry + chunk
            offset += len(chunk)
            tail = b"\r" if data.endswith(b"\r") else b""  # its \n may start the next chunk
            parts = _LINE_END.split(data[:len(data) - len(tail)])
            lines += len(parts) - 1
            rows += sum(1 for p in parts[:-1] if p)
            carry = parts[-1] + tail
    raise InputError(f"column '{column}' holds bytes that are not UTF-8 text", file=name, column=column,
                     fix="Save it as UTF-8, or give its encoding (--encoding latin-1)")


def column_named(message: str, head: bytes) -> str:
    """The column a pyarrow CSV message names by number (``In CSV column #2: ...``), by its
    name in the header (the first line of ``head`` that is not blank).

    >>> column_named("In CSV column #1: CSV conversion error to string: invalid UTF8 data", b"\\nid,split\\n1,a")
    'split'
    """
    import csv as pycsv

    found = re.search(r"column #(\d+)", message)
    lines = [line for line in _LINE_END.split(head.removeprefix(BOM)) if line]
    names = next(pycsv.reader([lines[0].decode("utf-8", "replace")]), []) if lines else []
    i = int(found.group(1)) if found else -1
    return names[i] if 0 <= i < len(names) else (f"#{i + 1}" if found else "?")


def ragged_rows(src, encoding: str) -> tuple[list[int], list[int], int]:
    """Rows (numbered after the header, blank lines not counted) whose field count differs
    from the header's, with their counts, and the header's width. Only called once parsing has
    failed, so a plain Python scan is fine here.

    >>> import io
    >>> class Upload:
    ...     def text(self, encoding): return io.StringIO("\\n\\nid,y\\n1,0\\n\\n2,0,9\\n")
    >>> ragged_rows(Upload(), "utf-8")
    ([2], [3], 2)
    """
    import csv as pycsv

    rows: list[int] = []
    counts: list[int] = []
    width = 0
    try:
        with src.text(encoding) as fh:
            # blank lines are no rows, nor is a byte order mark alone on the first line
            records = (record for record in pycsv.reader(fh) if record and record != ["\ufeff"])
            width = len(next(records, []))
            for number, record in enumerate(records, start=1):
                if len(record) != width:
                    rows.append(number)
                    counts.append(len(record))
    except (OSError, LookupError, UnicodeError, pycsv.Error):
        return [], [], width
    return rows, counts, width


def refuse_ragged(src, name: str, encoding: str) -> None:
    """Raise the message naming the rows whose field count differs from the header's
    (:func:`ragged_rows`), when there are any.

    >>> import io
    >>> class Upload:
    ...     def text(self, encoding): return io.StringIO("id,y\\n1,0\\n2,0,9\\n")
    >>> refuse_ragged(Upload(), "cv.csv", "utf-8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: cannot be parsed as CSV: the header has 2 fields, ...; row 2 holds 3. ...
    """
    rows, counts, width = ragged_rows(src, encoding)
    if rows:
        raise InputError(f"cannot be parsed as CSV: the header has {width} fields, some rows another count",
                         file=name, rows=rows[:5], values=counts[:5], n_bad=len(rows),
                         fix="Give every row as many fields as the header (quote fields that hold commas)")


def refuse_ragged_csv(path: str, name: str, encoding: str = "utf-8") -> None:
    """:func:`refuse_ragged` for a file on disk, for the readers that read it in parts (whose
    parse error names no row): the whole-file read's message.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "cv.csv")
    >>> _ = open(path, "w").write("id,y\\n1,0\\n")
    >>> refuse_ragged_csv(path, "cv.csv") is None
    True
    """
    refuse_ragged(_Local(path), name, encoding)
