"""Where a CSV file's header starts: after the blank lines (and a UTF-8 byte order mark
before them) that pyarrow's reader skips, which may fill whole blocks of their own, on which
pyarrow then finds no columns. Both engines start reading there, so a file's reading does
not depend on how many blank lines precede its header."""
from __future__ import annotations

import os
from typing import BinaryIO

from ..exceptions import InputError

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which pyarrow skips at the start of a file
HEAD = 1 << 16  # the bytes a file is first looked at by (binary content, UTF-8, emptiness)


def csv_header_offset(stream: BinaryIO, size: int = 1 << 16) -> int | None:
    """The byte of ``stream`` (read from its start) at which the header starts: 0 when no
    blank line precedes it, ``None`` when the file holds nothing but blank lines (and a byte
    order mark): an empty file. A line of spaces is not blank (pyarrow reads it as a row).

    >>> import io
    >>> csv_header_offset(io.BytesIO(BOM + b"\\r\\n\\n\\ra,b\\n1,2\\n")), csv_header_offset(io.BytesIO(b"a\\n1\\n"))
    (7, 0)
    >>> csv_header_offset(io.BytesIO(b"\\n" * 70000 + b"a\\n"), size=1000), csv_header_offset(io.BytesIO(b"\\r\\n \\n"))
    (70000, 2)
    >>> csv_header_offset(io.BytesIO(BOM + b"\\n\\n")) is None
    True
    """
    data = stream.read(max(size, len(BOM)))
    at = bom = len(BOM) if data.startswith(BOM) else 0
    data = data[bom:] or stream.read(size)
    while data:
        rest = data.lstrip(b"\r\n")
        at += len(data) - len(rest)
        if rest:
            return at if at > bom else 0
        data = stream.read(size)
    return None


def refuse_empty_csv(path: str, name: str) -> None:
    """Raise the message of an empty file (no byte; or only blank lines, or only blanks in a
    small file) as the whole-file read gives it, for the readers that read a file in parts.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "cv.csv")
    >>> _ = open(path, "w").write("\\n\\n")
    >>> refuse_empty_csv(path, "cv.csv")
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: the file is empty. Give a CSV file with a header and rows
    """
    size = os.path.getsize(path)
    if size == 0:
        raise InputError("the file is empty", file=name, fix="Give a CSV or Parquet file with a header and rows")
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
        fh.seek(0)
        if (not head.strip() and size <= len(head)) or csv_header_offset(fh) is None:
            raise InputError("the file is empty", file=name, fix="Give a CSV file with a header and rows")
