"""A progress bar on stderr for reads and passes over big inputs.

One line redrawn in place (``\\r``), at most ten times a second: what is being done, how
much (bytes or rows, out of the total when it is known), rows per second and the time left.
The line is wiped when the work ends. It is drawn only when stderr is a terminal, and not
with ``DIAGNOSE_PROGRESS=0`` or inside :func:`quiet_progress` (``diagnose --quiet``): piped
or redirected output, logs and tests get no bar and no cost beyond one ``isatty`` call.

>>> import io
>>> class Terminal(io.StringIO):
...     def isatty(self): return True
>>> out, ticks = Terminal(), iter([0.0, 2.0, 2.05, 4.0])
>>> with ProgressBar("reading cv.csv", total=4e9, stream=out, clock=lambda: next(ticks)) as bar:
...     bar.update(1e9, rows=10_000_000)   # drawn: 2 s after the start
...     bar.update(1.1e9, rows=11_000_000) # not drawn: 0.05 s after the last line
...     bar.update(2e9, rows=20_000_000)
>>> print(out.getvalue().split("\\r")[1].rstrip())
reading cv.csv  1.0 GB / 4.0 GB (25%)  5.0M rows/s  ETA 6 s
>>> out.getvalue().endswith("\\r")  # wiped at the end
True
"""
from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, TypeVar

import pyarrow as pa

from .. import settings
from .._text import written_out

EVERY = 0.1  # seconds between two redraws: at most ten a second
BIG_READ = 64 * 10**6  # bytes: a file read whole draws a bar from this size (smaller ones take under a second)
# bytes: a part of a pass at least this big has its rows counted (a Parquet footer, 64 kB of a
# CSV), so that the bar moves inside it; smaller parts (a glob of thousands) count when done
COUNT_ROWS_ABOVE = 8 * 10**6
_QUIET: ContextVar[bool] = ContextVar("diagnose_quiet_progress", default=False)


def terminal_safe(text: str) -> str:
    """``text`` with every character that acts instead of showing written out (``\\x1b``,
    ``\\u202e``) instead of obeyed by the terminal: control characters (the bar is one line, so
    newline and tab too), bidirectional and zero-width characters, line and paragraph
    separators, lone surrogates; the same definition as :func:`diagnose.present.visible`
    (:mod:`diagnose._text`, a base module: ingest sits below present).

    >>> terminal_safe("cv\\x1b[2J.csv\\r")
    'cv\\\\x1b[2J.csv\\\\x0d'
    >>> print(terminal_safe("report\\u202eslx.csv\\u200b"))
    report\\u202eslx.csv\\u200b
    """
    return written_out(text)


@contextmanager
def quiet_progress() -> Iterator[None]:
    """No progress bar inside this block (the command line's ``--quiet``).

    >>> with quiet_progress():
    ...     progress_shown()
    False
    """
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def progress_shown(stream: IO[str] | None = None) -> bool:
    """Whether a bar goes to ``stream`` (stderr): it is a terminal, ``DIAGNOSE_PROGRESS`` is not
    0 and no :func:`quiet_progress` block is open.

    >>> import io
    >>> progress_shown(io.StringIO())
    False
    """
    stream = sys.stderr if stream is None else stream
    if _QUIET.get() or stream is None:
        return False
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False
    return bool(settings.get("progress"))


def progress_note(text: str, stream: IO[str] | None = None) -> None:
    """Write one line for people (a dashboard link) on stderr, where a bar would be shown.

    >>> import io
    >>> progress_note("dashboard: http://127.0.0.1:8787/status", io.StringIO())  # not a terminal: nothing
    """
    stream = sys.stderr if stream is None else stream
    if progress_shown(stream):
        stream.write(terminal_safe(text) + "\n")
        stream.flush()


def _amount(value: float, unit: str) -> str:
    steps = ("B", "kB", "MB", "GB", "TB") if unit == "bytes" else ("", "k", "M", "G", "T")
    i = 0
    while abs(value) >= 1000 and i < len(steps) - 1:
        value, i = value / 1000, i + 1
    if unit == "bytes":
        return f"{value:.0f} B" if i == 0 else f"{value:.1f} {steps[i]}"
    return f"{value:.0f}" if i == 0 else f"{value:.1f}{steps[i]}"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _columns(stream: IO[str]) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class ProgressBar:
    """One bar: :meth:`update` with the amount done (and the rows so far); a context manager
    that wipes the line at the end. Inactive (every call a no-op) unless :func:`progress_shown`.
    ``unit``: ``"bytes"`` or ``"rows"``; ``total`` ``None`` when unknown (no percentage, no ETA)."""

    def __init__(self, label: str, total: float | None = None, *, unit: str = "bytes",
                 stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 every: float | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.active = progress_shown(self.stream)
        self.label, self.unit, self.clock = terminal_safe(label), unit, clock
        self.every = EVERY if every is None else every
        self.total = float(total) if total and total > 0 else None
        self.done, self.rows = 0.0, 0
        self.start = clock() if self.active else 0.0
        self.last, self.width = float("-inf"), 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, done: float, *, rows: int | None = None) -> None:
        """The amount done so far (in the bar's unit) and the rows read so far."""
        if not self.active:
            return
        self.done = float(done)
        self.rows = int(done) if rows is None and self.unit == "rows" else (rows or self.rows)
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self._write(self.line(now - self.start))

    def line(self, elapsed: float) -> str:
        """The text of the bar after ``elapsed`` seconds, cut to the terminal's width."""
        amount = _amount(self.done, self.unit)
        if self.total:
            share = min(self.done / self.total, 1.0)
            amount += f" / {_amount(self.total, self.unit)} ({100 * share:.0f}%)"
        parts = [amount]
        if self.rows and elapsed > 0:
            parts.append(f"{_amount(self.rows / elapsed, 'rows')} rows/s")
        elif self.unit == "bytes" and self.done and elapsed > 0:  # rows unknown (a CSV being read)
            parts.append(f"{_amount(self.done / elapsed, 'bytes')}/s")
        if self.total and self.done > 0 and elapsed > 0:
            parts.append(f"ETA {_duration(elapsed * max(self.total - self.done, 0.0) / self.done)}")
        rest = "  " + "  ".join(parts)
        room = _columns(self.stream) - 1 - len(rest)
        label = self.label
        if len(label) > room:  # keep the start (what is done) and the end (the file's name)
            keep = max(room - 1, 0)
            label = label[:keep // 2] + "…" + label[len(label) - (keep - keep // 2):] if keep else ""
        return label + rest

    def _write(self, text: str) -> None:
        pad = max(self.width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        """Wipe the line (when one was drawn)."""
        if self.active and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
        self.active = False


def expected_rows(path: str, size: int | None = None) -> int | None:
    """The rows of a local file, cheaply: a Parquet file's footer, a CSV estimated from the line
    lengths of its first 64 kB (exact when it is shorter); ``None`` when unknown.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("y_true,y_score\\n1,0.5\\n0,0.25\\n")
    >>> expected_rows(f.name)
    2
    """
    try:
        if path.lower().endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return int(pq.read_metadata(path).num_rows)
        size = os.path.getsize(path) if size is None else size
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except Exception:  # a remote or unreadable file: the bar goes by whole files
        return None
    lines = head.count(b"\n") + (not head.endswith(b"\n") and bool(head))
    if len(head) >= size:
        return max(lines - 1, 0)
    return max(round(size / (len(head) / max(lines, 1))) - 1, 1)


Item = TypeVar("Item", bound=tuple)


def tracked_batches(items: Iterable[Item], files: Sequence[str], label: str, *,
                    stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic) -> Iterator[Item]:
    """The ``(file, first row, batch, ...)`` items of ``items``, unchanged, with a bar over the
    bytes of ``files``: the files done, plus the part of the current one that its rows make
    (:func:`expected_rows`, for a file of :data:`COUNT_ROWS_ABOVE` bytes or more). Without a
    bar, ``items`` itself goes through.

    >>> import io, pyarrow as pa
    >>> class Terminal(io.StringIO):
    ...     def isatty(self): return True
    >>> out, batch = Terminal(), pa.record_batch({"y": [1, 2]})
    >>> [b.num_rows for _, _, b in tracked_batches([("a.csv", 1, batch)], ["a.csv"], "cv", stream=out)]
    [2]
    >>> "cv  0 B" in out.getvalue()  # a.csv does not exist: its size and rows are unknown
    True
    """
    bar = ProgressBar(label, stream=stream, clock=clock)
    if not bar.active:
        yield from items
        return
    sizes = {f: _size(f) for f in files}
    bar.total = float(sum(s for s in sizes.values() if s is not None)) or None
    seen: dict[str, tuple[int, int | None]] = {}  # file -> (size, rows) of the files begun
    done, current, rows = 0.0, None, 0
    with bar:
        for item in items:
            path, first, batch = item[0], item[1], item[2]
            if path != current:
                if current is not None:
                    done += seen[current][0]
                current = path
                size = sizes.get(path, _size(path)) or 0
                seen[path] = (size, expected_rows(path, size) if size >= COUNT_ROWS_ABOVE else None)
            size, expected = seen[path]
            rows += batch.num_rows
            part = min((first - 1 + batch.num_rows) / expected, 1.0) if expected else 0.0
            bar.update(done + part * size, rows=rows)
            yield item


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path) if "://" not in path else None
    except OSError:
        return None


class CountedFile(io.RawIOBase):
    """A file on disk whose reads move ``bar`` by their bytes (what ``pyarrow.csv`` reads from).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("wb", delete=False) as f:
    ...     _ = f.write(b"y_true\\n1\\n")
    >>> bar = ProgressBar("reading", total=9, stream=io.StringIO())
    >>> with CountedFile(f.name, bar) as counted:
    ...     counted.read(), counted.done
    (b'y_true\\n1\\n', 9)
    """

    def __init__(self, path: str | os.PathLike, bar: ProgressBar) -> None:
        self.file, self.bar, self.done = open(path, "rb"), bar, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.file.readinto(buffer) or 0
        self.done += n
        self.bar.update(self.done)
        return n

    def close(self) -> None:
        self.file.close()
        super().close()


def read_row_groups(path: str | os.PathLike, bar: ProgressBar) -> pa.Table:
    """A Parquet file read one row group at a time, ``bar`` moved by their rows: the same
    table as ``pyarrow.parquet.read_table`` (a test holds them equal).

    >>> import tempfile, pyarrow.parquet as pq
    >>> path = os.path.join(tempfile.mkdtemp(), "cv.parquet")
    >>> pq.write_table(pa.table({"y": [1, 2, 3]}), path, row_group_size=2)
    >>> read_row_groups(path, ProgressBar("reading", total=1, stream=io.StringIO())).column("y").to_pylist()
    [1, 2, 3]
    """
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    total, rows, parts = max(file.metadata.num_rows, 1), 0, []
    for i in range(file.num_row_groups):
        parts.append(file.read_row_group(i))
        rows += parts[-1].num_rows
        bar.update((bar.total or 0) * rows / total, rows=rows)
    return pa.concat_tables(parts) if parts else file.schema_arrow.empty_table()
