"""The columns a streamed pass read, kept for the next passes over the same input.

The arrow engine reads cv and test twice (the statistics, then the threshold search) and a
``--data`` file three times. Parsing the same CSV again is most of a second pass's time
(about 0.8 s of CPU a 10M-row file); local Parquet decodes about as fast as a spill is
written, so only CSV and remote inputs are spilled (see :func:`._inputs.batches`).
:class:`Spill` writes each batch of the first pass, as read (the needed columns only,
before any check), to an uncompressed Arrow IPC file in a temporary folder, and the next
pass reads that file back one batch at a time: the same batches, so the same checks and
messages, for a copy of about 13 bytes a row of a binary CSV (its labels are text). Memory
stays bounded by one batch (the file is read, not memory-mapped); the files go when the
input's :class:`Spill` does (or at exit; on Linux they have no name from the start, so a
killed process leaves nothing), and nothing is spilled when the temporary folder has less
than ``MIN_FREE`` bytes free beyond the spill's likely size.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator

import pyarrow as pa

MIN_FREE = 2 << 30  # bytes the temporary folder must keep free for a spill to be written

Batches = Iterator[tuple[str, int, pa.RecordBatch]]


class Spill:
    """The spilled passes of one input, by the columns they read.

    >>> b = pa.record_batch({"y_true": [0, 1], "y_score": [0.2, 0.9]})
    >>> spill = Spill()
    >>> first = list(spill.passing(("y_true", "y_score"), iter([("a.csv", 1, b), ("a.csv", 3, b)])))
    >>> again = list(spill.replay(("y_true", "y_score")))
    >>> [(path, row, batch.equals(b)) for path, row, batch in again]
    [('a.csv', 1, True), ('a.csv', 3, True)]
    >>> spill.close(); spill.replay(("y_true", "y_score")) is None
    True
    """

    def __init__(self) -> None:
        self.schema: pa.Schema | None = None  # a CSV input's columns and types, once read
        self.expected = 0  # bytes a spill of the input may take (the folder must have them free, and MIN_FREE)
        self._done: dict[tuple[str, ...], tuple[str, list[tuple[str, int]]]] = {}
        self._fds: list[int] = []
        self._paths: list[str] = []
        self._finalizer = weakref.finalize(self, _release, self._fds, self._paths)

    def _new_file(self) -> str | None:
        """A new spill file's name to open, or ``None`` when the temporary folder lacks room.
        Where ``/proc/self/fd`` exists (Linux) the file is unlinked at once and reached
        through its descriptor, so nothing is left behind however the process ends."""
        if shutil.disk_usage(tempfile.gettempdir()).free < MIN_FREE + self.expected:
            return None
        fd, path = tempfile.mkstemp(prefix="diagnose-spill-", suffix=".arrow")
        if os.path.isdir("/proc/self/fd"):
            os.unlink(path)
            self._fds.append(fd)
            return f"/proc/self/fd/{fd}"
        os.close(fd)
        self._paths.append(path)
        return path

    def replay(self, columns: Iterable[str]) -> Batches | None:
        """The batches of an earlier complete pass that read ``columns`` (``None``: none)."""
        found = self._done.get(tuple(columns))
        if found is None or not os.path.exists(found[0]):
            return None
        path, where = found

        def read() -> Batches:
            with pa.OSFile(path) as f:
                reader = pa.ipc.open_file(f)
                for i, (source, first) in enumerate(where):
                    yield source, first, reader.get_batch(i)

        return read()

    def passing(self, columns: Iterable[str], batches: Batches) -> Batches:
        """``batches``, written to a spill file as they pass; the spill counts for
        :meth:`replay` once the pass is complete (a pass stopped early, or whose batches
        change schema, is dropped). The writes run on a thread of their own, one batch
        behind the caller at most (Arrow writes without the GIL), beside the caller's kernel."""
        from concurrent.futures import Future, ThreadPoolExecutor

        key = tuple(columns)
        path = None if key in self._done else self._new_file()
        if path is None:
            yield from batches
            return
        where: list[tuple[str, int]] = []
        writer: list = []  # the IPC writer, once the first batch gives the schema
        failed = False

        def write(batch: pa.RecordBatch) -> None:
            if not writer:
                writer.append(pa.ipc.new_file(path, batch.schema))
            writer[0].write_batch(batch)

        pending: Future | None = None
        pool = ThreadPoolExecutor(1, thread_name_prefix="diagnose-spill")
        try:
            for item in batches:
                if pending is not None and not failed:
                    failed = pending.exception() is not None  # another schema, a full disk: stop spilling
                if not failed:
                    pending = pool.submit(write, item[2])
                    where.append(item[:2])
                yield item
            if pending is not None and not failed:
                failed = pending.exception() is not None
            if writer and not failed:
                try:
                    writer[0].close()  # the footer: a full disk fails here too
                    writer.pop()
                    self._done[key] = (path, where)
                except (pa.ArrowException, OSError):
                    failed = True
            if failed or not where:  # a write failed, or no rows at all
                _drop(writer.pop() if writer else None, path)
        finally:
            pool.shutdown(wait=True)  # a pass stopped early: its last write ends before the file goes
            if writer:  # stopped early or failed: not a whole pass
                _drop(writer.pop(), path)

    def close(self) -> None:
        """Remove the spill files now."""
        self._done.clear()
        self._finalizer()


def _release(fds: list[int], paths: list[str]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)
    fds.clear()
    paths.clear()


def _drop(writer, path: str | None) -> tuple[None, None]:
    """Close a spill's writer and give back its bytes (the file itself goes with the spill)."""
    if writer is not None:
        try:
            writer.close()
        except (pa.ArrowException, OSError):
            pass
    if path is not None and os.path.exists(path):
        os.truncate(path, 0)
    return None, None
