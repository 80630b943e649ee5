"""Prediction tables written by streaming: record batches into a Parquet file, hashed as they
are written, so that a table of any size is stored in the memory of a few batches.

:func:`stream_table` opens a :class:`StreamedTable` in the staging folder of the store at
``db_url`` (the artifact folder itself for a local artifact store, so that placing the file
is a rename on one file system; a temporary folder otherwise). Its ``finish`` gives the
:class:`~diagnose.store.Encoded` (``path`` set, ``data`` empty) that
:func:`~diagnose.store.store_run` places as ``<sha256>.parquet`` before it writes the rows,
as for a table encoded in memory (``_artifacts``: file first, then rows). The temporary file
is named as the artifact store's temporary files are (``.<name>.tmp``), so that
:func:`~diagnose.store.prune_blobs` removes it after a crash; while its writer lives (until
``discard``) it holds the file (``_holds``: a lock the system drops when the process ends), so
that a prune never removes it, however long the submit's other passes take.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

from ._codec import MAX_BLOB_BYTES, check_blob_size, writer_options
from ._holds import hold, release
from ._values import Encoded


class _HashingFile:
    """A write-only file that hashes what goes through it (pyarrow writes Parquet into it)."""

    def __init__(self, path: str) -> None:
        # always a new file (O_EXCL: never one a symbolic link planted in a shared folder points at);
        # its mode is the umask's, as the artifact it becomes is read by whoever reads the store
        self._file = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
        self.mark = hold(self._file.fileno())  # the file is a live writer's until ``let_go``
        self.sha = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.sha.update(view)
        self._file.write(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self.closed = True

    def let_go(self) -> None:
        """Drop the writer's hold on the file (once it is removed)."""
        release(self.mark)
        self.mark = None


class StreamedTable:
    """One split's table being written: ``write`` record batches of one schema, then
    ``finish`` (the Encoded) or ``discard`` (the file goes). ``limit``: the most bytes the
    table may take (the database's limit when tables go inside it); more is an InputError
    raised as soon as the file passes it.

    >>> folder = tempfile.mkdtemp()
    >>> t = StreamedTable(folder, pa.schema({"y_true": pa.int64(), "y_score": pa.float64()}), source="cv.csv",
    ...                   split="cv")
    >>> for _ in range(3):
    ...     t.write(pa.record_batch({"y_true": [0, 1], "y_score": [0.2, 0.9]}))
    >>> enc = t.finish()
    >>> import pyarrow.parquet as pq
    >>> same = hashlib.sha256(open(enc.path, "rb").read()).hexdigest() == enc.content_hash
    >>> enc.n_rows, pq.read_table(enc.path).num_rows, same
    (6, 6, True)
    >>> t.discard(); os.path.exists(enc.path)
    False
    """

    def __init__(self, folder: str, schema: pa.Schema, *, source: str, split: str, limit: int | None = None) -> None:
        import pyarrow.parquet as pq

        Path(folder).mkdir(parents=True, exist_ok=True)
        self.path = str(Path(folder) / f".streamed-{split}.{uuid.uuid4().hex}.tmp")
        self.schema, self.source, self.split, self.limit = schema, source, split, limit
        self.rows = 0
        self._done: Encoded | None = None
        self._sink = _HashingFile(self.path)
        try:
            self._writer = pq.ParquetWriter(self._sink, schema, **writer_options(schema))
        except (pa.ArrowException, ValueError):  # a type these encodings do not take: defaults
            self._writer = pq.ParquetWriter(self._sink, schema, compression="zstd")
        except BaseException:
            self.discard()
            raise

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.schema != self.schema:
            batch = batch.cast(self.schema)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows
        if self.limit is not None and self._sink.size > self.limit:
            self.discard()
            check_blob_size(self._sink.size, source=self.source, split=self.split)

    def finish(self) -> Encoded:
        """Close the file; its sha256, rows, path and size."""
        if self._done is None:
            self._writer.close()
            self._sink.close()
            if self.limit is not None:
                check_blob_size(self._sink.size, source=self.source, split=self.split)
            self._done = Encoded(self._sink.sha.hexdigest(), b"", self.rows, path=self.path, size=self._sink.size)
        return self._done

    def in_memory(self) -> Encoded:
        """The finished table with its bytes read into memory (for a store that keeps tables
        inside the database; ``limit`` bounds them)."""
        enc = self.finish()
        data = Path(self.path).read_bytes()
        return Encoded(enc.content_hash, data, enc.n_rows)

    def discard(self) -> None:
        """Close and remove the file (also after ``finish``, once the run is stored)."""
        try:
            if self._done is None:
                try:
                    self._writer.close()
                except Exception:  # noqa: BLE001 - the file goes anyway
                    pass
            self._sink.close()
        finally:
            Path(self.path).unlink(missing_ok=True)
            self._sink.let_go()


def staging_folder(db_url: Any = None) -> tuple[str, int | None]:
    """Where a streamed table is written before it is placed, and the most bytes it may take:
    the artifact folder of a local artifact store (no limit); a temporary folder for an
    object store (no limit) or for tables kept in the database (its limit).

    >>> staging_folder("sqlite:////data/runs.db")
    ('/data/runs.artifacts', None)
    >>> staging_folder("postgresql+psycopg://db/runs")[1]
    1000000000
    """
    from .. import settings
    from ._artifacts import artifact_root

    url = db_url if db_url is not None else settings.database_url()
    root = artifact_root(url)
    if root is not None and "://" not in root:
        return root, None
    if root is not None and root.startswith("file://"):
        from urllib.parse import urlsplit

        return urlsplit(root).path, None
    return tempfile.gettempdir(), None if root is not None else MAX_BLOB_BYTES


def stream_table(schema: pa.Schema, *, source: str, split: str, db_url: Any = None) -> StreamedTable:
    """A :class:`StreamedTable` in the staging folder of the store at ``db_url`` (default: the
    configured store), with the limit of that store.

    >>> folder = tempfile.mkdtemp()
    >>> t = stream_table(pa.schema({"y": pa.float64()}), source="cv.csv", split="cv",
    ...                  db_url=f"sqlite:///{folder}/runs.db")
    >>> t.write(pa.record_batch({"y": [0.5]})); enc = t.finish(); t.discard()
    >>> enc.n_rows, os.path.dirname(t.path) == os.path.join(folder, "runs.artifacts")
    (1, True)
    """
    folder, limit = staging_folder(db_url)
    return StreamedTable(folder, schema, source=source, split=split, limit=limit)

