"""A local CSV file read as blocks of whole lines, each parsed by pyarrow on every core.

``pyarrow.csv.open_csv`` streams a file in constant memory but parses it on one thread, and
``read_csv`` parses on every core but holds the whole file. :func:`csv_tables` cuts the
file's text into blocks of about :data:`TEXT_BLOCK` bytes that end at a line's end and hands
each to ``read_csv`` (the first with the header, the others with the header's names): the
parse runs on every core, and memory stays bounded by a block (about 400,000 rows of a
binary file; more only for a line longer than a block). Cutting at newlines is what pyarrow
does itself unless told that values may hold newlines (``ParseOptions(newlines_in_values=True)``,
which diagnose does not use), so every block parses to the rows the whole file would give,
with the same messages. Blank lines are skipped by pyarrow wherever they are; those before
the header, which may fill whole blocks, are skipped here (:func:`header_at`), so that the
first block parsed holds the header.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyarrow as pa

from ..ingest import csv_header_offset

# bytes of text parsed at once, in pyarrow blocks of 1 MB on its threads: 4-16 MB cost the same
# CPU (about a tenth less than open_csv), 32 MB a tenth more
TEXT_BLOCK = 8 << 20


def _line_end(data: bytes) -> int:
    """The position after the last line end (``\\n`` or a bare ``\\r``, both of which end a
    line for pyarrow) in ``data``, or 0 when there is none."""
    return max(data.rfind(b"\n"), data.rfind(b"\r")) + 1


def header_at(path: str) -> int:
    """The byte the header starts at: after the blank lines (and a byte order mark before
    them) that pyarrow skips before it, which may fill blocks of their own
    (:func:`diagnose.ingest.csv_header_offset`); 0 when none precede it, or when the file holds
    nothing else (pyarrow then refuses it as a whole).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "wb").write(b"\\xef\\xbb\\xbf\\r\\n\\n\\ra,b\\n1,2\\n")
    >>> header_at(path)
    7
    """
    with open(path, "rb") as f:
        return csv_header_offset(f) or 0


@contextmanager
def open_csv(path: str, **options) -> Iterator:
    """``pyarrow.csv.open_csv`` of a local file from its header (:func:`header_at`): its first
    block holds rows, not only blank lines (on which pyarrow finds no columns).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("\\n" * 5000 + "a,b\\n1,2\\n")
    >>> from pyarrow import csv
    >>> with open_csv(path, read_options=csv.ReadOptions(block_size=1024)) as reader:
    ...     reader.read_all().to_pydict()
    {'a': [1], 'b': [2]}
    """
    from pyarrow import csv

    at = header_at(path)
    if not at:
        with csv.open_csv(path, **options) as reader:
            yield reader
        return
    with pa.OSFile(path) as source:
        source.seek(at)
        with csv.open_csv(source, **options) as reader:
            yield reader


def header(path: str) -> list[str]:
    """The column names of a CSV file, as ``pyarrow.csv`` reads its header (after any
    blank lines).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("\\n\\nid,y_true\\n1,0\\n")
    >>> header(path)
    ['id', 'y_true']
    """
    from pyarrow import csv

    with open_csv(path, read_options=csv.ReadOptions(block_size=1 << 20)) as reader:
        return reader.schema.names


def text_blocks(path: str, size: int = TEXT_BLOCK, start: int = 0) -> Iterator[tuple[int, pa.Buffer]]:
    """(byte offset, text) of consecutive blocks of the file from byte ``start``: each block
    ends at a line's end (``\\n``, or ``\\r`` alone; the last block: where the file ends) and
    holds about ``size`` bytes, more when one line is longer. A cut between the ``\\r`` and
    the ``\\n`` of a Windows line end leaves an empty line, which pyarrow skips. Nothing is
    copied after the read (the bytes after a block's last line end are read again, with the
    next block; a line longer than a block is read on in pieces and joined once).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "wb").write(b"a,b\\n1,2\\r3,4\\n55555,6")
    >>> [(at, block.to_pybytes()) for at, block in text_blocks(path, size=6)]
    [(0, b'a,b\\n'), (4, b'1,2\\r'), (8, b'3,4\\n'), (12, b'55555,6')]
    """
    with open(path, "rb") as f:
        f.seek(start)
        at = start
        while data := f.read(size):
            cut = len(data)
            if len(data) == size:  # more may follow: end at the last line end
                cut = _line_end(data)
                if not cut:  # a line longer than a block: read on to its end
                    pieces, length = [data], len(data)
                    while not cut and (more := f.read(size)):
                        pieces.append(more)
                        found = _line_end(more)
                        cut = length + found if found else 0
                        length += len(more)
                    data = b"".join(pieces)
                    cut = cut or len(data)
            yield at, pa.py_buffer(memoryview(data)[:cut])
            at += cut
            f.seek(at)


def csv_tables(path: str, convert, names: Callable[[], list[str]], size: int = TEXT_BLOCK, start: int = 0,
               ) -> Iterator[tuple[int, pa.Table]]:
    """(the byte after the block, its rows) of a local CSV file, block by block (see the
    module); ``names()``: the file's columns as its header gives them (asked for only when a
    block after the first is parsed: a small file is parsed once); ``start``: the byte a
    block starts at (0: the header's, after the blank lines before it: :func:`header_at`).
    ``convert``: pyarrow's ``ConvertOptions``. A block without rows (blank lines, or the
    header alone) gives nothing. A block pyarrow cannot read raises its error
    (``pyarrow.ArrowInvalid``): reading on from the last offset given reads the blocks not
    yet given.

    >>> import os, tempfile
    >>> from pyarrow import csv
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("y_true,y_score\\n1,0.5\\n\\n0,0.25\\n1,0.75\\n")
    >>> opts = csv.ConvertOptions(column_types={"y_true": pa.string()})
    >>> names = lambda: ["y_true", "y_score"]
    >>> [(at, t.column("y_score").to_pylist()) for at, t in csv_tables(path, opts, names, size=22)]
    [(22, [0.5]), (36, [0.25, 0.75])]
    """
    from pyarrow import csv

    # the header's block (-1: not read): it starts at the header, after the blank lines before it
    first = -1 if start else header_at(path)
    for at, block in text_blocks(path, size, max(start, first)):
        header = None if at == first else names()
        options = csv.ReadOptions(use_threads=True, block_size=max(1 << 20, size // 8), column_names=header)
        try:
            table = csv.read_csv(pa.BufferReader(block), read_options=options, convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            # a line longer than pyarrow's own block (1 MB): the text block parsed as one
            options = csv.ReadOptions(use_threads=False, block_size=block.size + 1, column_names=header)
            table = csv.read_csv(pa.BufferReader(block), read_options=options, convert_options=convert)
        if table.num_rows:  # a block of blank lines (or the header alone) gives no table
            yield at + block.size, table
