"""The artifact store: each stored prediction table as a file ``<sha256>.parquet``.

The database keeps, per table, its hash, size and location (``blob`` rows whose ``data`` is
NULL); the bytes live under a root that is, in order:

- ``DIAGNOSE_ARTIFACT_URL``: a local folder or any URL :func:`pyarrow.fs.FileSystem.from_uri`
  understands (``file://``, ``s3://``, ``gs://``, ``hdfs://``; other schemes through fsspec
  when it is installed), or ``database`` to keep the tables inside the database;
- for a SQLite file ``runs.db``: the folder ``runs.artifacts`` beside it;
- otherwise (PostgreSQL without the setting, an in-memory SQLite): inside the database, as
  before, with its limit of :data:`~diagnose.store.MAX_BLOB_BYTES` per table.

Crash safety comes from the order of writes: the file first (a temporary name, then a
rename), then the rows in the caller's transaction. A file without a row is garbage that
:func:`~diagnose.store.prune_blobs` removes; a row never points at a missing file. Files are
removed only after the transaction that dropped their last row commits, under the same lock
that writers take before they check, inside their transaction, that their files are there.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from .. import settings
from ..exceptions import DiagnoseError
from ._dialects import artifact_lock
from ._holds import held
from ._locations import artifact_root, filesystem, location_for, resolve, without_secrets
from ._models import Blob

_NAME = re.compile(r"^[0-9a-f]{64}\.parquet$")
_STALE_TEMP_SECONDS = 3600.0  # a temporary file this old belongs to no writer still running
_PENDING = "diagnose_unused_artifacts"


def write(target: str, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (temporary name, then rename); an
    existing file of the same size (same hash, same bytes) is left as it is."""

    def fill(temp: Path) -> None:
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def upload(out: Any) -> None:
        out.write(data)

    _put(target, len(data), fill, upload)


def write_file(target: str, source: str) -> None:
    """Put the local file ``source`` at ``target`` whole or not at all, leaving ``source`` as it
    is (a hard link under a temporary name, then a rename; a copy where links do not work, or
    a chunked upload to an object store); an existing file of the same size is left as it is."""
    import shutil

    def fill(temp: Path) -> None:
        try:
            os.link(source, temp)
        except OSError:  # another file system, or no hard links there
            shutil.copyfile(source, temp)
            with open(temp, "rb+") as out:
                os.fsync(out.fileno())

    def upload(out: Any) -> None:
        with open(source, "rb") as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)

    _put(target, os.path.getsize(source), fill, upload)


def _put(target: str, size: int, fill: Any, upload: Any) -> None:
    """``target`` whole or not at all: a local file by ``fill(temporary path)`` then a rename,
    an object by ``upload(output stream)`` (an object store shows an object only once it is
    whole); an existing file of ``size`` bytes (same hash, same bytes) is left as it is."""
    fs, path = filesystem(target)
    if fs is None:
        final = Path(path)
        if final.is_file() and final.stat().st_size == size:
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
        try:
            fill(temp)
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        return
    import pyarrow.fs as pafs

    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File and info.size == size:
        return
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as out:
        upload(out)


CHUNK = 8 << 20  # bytes per read when a file is hashed or copied


def read(location: str, content_hash: str, db_url: Any, *, what: str) -> bytes:
    """The bytes at ``location``, checked against their sha256 (DiagnoseError if missing or changed)."""
    target = resolve(location, db_url)
    fs, path = filesystem(target)
    try:
        if fs is None:
            data = Path(path).read_bytes()
        else:
            with fs.open_input_file(path) as f:
                data = f.readall()
    except (OSError, FileNotFoundError):
        raise DiagnoseError(f"the stored table of {what} is missing from the artifact store "
                            f"({without_secrets(target)}); restore the file from a backup, "
                            "or delete the run") from None
    return verified(data, content_hash, what=what, where=without_secrets(target))


def verified(data: bytes, content_hash: str, *, what: str, where: str = "the database") -> bytes:
    """``data`` if its sha256 is ``content_hash``, else a DiagnoseError.

    >>> verified(b"x", hashlib.sha256(b"y").hexdigest(), what="demo/r1:cv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.DiagnoseError: the stored table of demo/r1:cv in the database does not match its hash ...
    """
    if hashlib.sha256(data).hexdigest() != content_hash:
        raise DiagnoseError(f"the stored table of {what} in {where} does not match its hash (it changed "
                            "after it was stored); restore it from a backup, or delete the run")
    return data


def _missing(target: str, what: str) -> DiagnoseError:
    return DiagnoseError(f"the stored table of {what} is missing from the artifact store "
                         f"({without_secrets(target)}); restore the file from a backup, or delete the run")


def read_table(session: Session, content_hash: str, data: bytes, location: str | None, *, what: str,
               columns: list[str] | None = None) -> Any:
    """The verified Arrow table of a blob row (only ``columns``, when given). An artifact file
    is hashed in chunks and read by pyarrow from its path: its bytes are never held whole.

    >>> import pyarrow as pa
    >>> from diagnose.store._codec import encode_table
    >>> enc = encode_table(pa.table({"y": [1, 2]}))
    >>> read_table(None, enc.content_hash, enc.data, None, what="demo/r1:cv").num_rows
    2
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, fs = verified_source(session, content_hash, data, location, what=what)
    if isinstance(source, pa.Buffer):
        return pq.read_table(pa.BufferReader(source), columns=columns)
    try:
        return pq.read_table(source, filesystem=fs, columns=columns, pre_buffer=False)
    except (OSError, FileNotFoundError):
        raise _missing(str(resolve(str(location), _engine(session).url)), what) from None


def verified_source(session: Session, content_hash: str, data: bytes, location: str | None, *,
                    what: str) -> tuple[Any, Any]:
    """Where to read a blob row's verified Parquet from: ``(path, filesystem)`` for an
    artifact file (hashed in chunks, never held whole; filesystem ``None``: a local file),
    or ``(buffer, None)``, an Arrow buffer of the bytes in the row.

    >>> from diagnose.store._codec import encode_table
    >>> import pyarrow as pa
    >>> enc = encode_table(pa.table({"y": [1, 2]}))
    >>> type(verified_source(None, enc.content_hash, enc.data, None, what="demo/r1:cv")[0]).__name__
    'Buffer'
    """
    import pyarrow as pa

    if location is None:
        return pa.py_buffer(verified(data, content_hash, what=what)), None
    target = resolve(location, _engine(session).url)
    fs, path = filesystem(target)
    digest = hashlib.sha256()
    try:
        with (open(path, "rb") if fs is None else fs.open_input_stream(path)) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except (OSError, FileNotFoundError):
        raise _missing(target, what) from None
    if digest.hexdigest() != content_hash:
        raise DiagnoseError(f"the stored table of {what} in {without_secrets(target)} does not match its "
                            "hash (it changed after it was stored); restore it from a backup, or delete the run")
    return path, fs


def _exists(target: str) -> bool:
    fs, path = filesystem(target)
    if fs is None:
        return Path(path).is_file()
    import pyarrow.fs as pafs

    return bool(fs.get_file_info(path).type == pafs.FileType.File)


def _remove(target: str) -> None:
    fs, path = filesystem(target)
    if fs is None:
        Path(path).unlink(missing_ok=True)
    else:
        try:
            fs.delete_file(path)
        except FileNotFoundError:
            pass


def _engine(session: Session) -> Engine:
    return session.get_bind().engine  # (an Engine's .engine is itself)


def ensure_written(session: Session, data: dict[str, Any]) -> None:
    """Inside the writer's transaction, under the artifact lock: put back any file of ``data``
    (hash -> :class:`~diagnose.store.Encoded`) that a concurrent prune or delete removed since
    it was written."""
    if not data:
        return
    artifact_lock(session)
    db_url = _engine(session).url
    rows = session.execute(select(Blob.content_hash, Blob.location)
                           .where(Blob.content_hash.in_(list(data)), Blob.location.is_not(None)))
    for content_hash, location in rows:
        target = resolve(str(location), db_url)
        if not _exists(target):
            enc = data[content_hash]
            if enc.path is not None:
                write_file(target, enc.path)
            else:
                write(target, enc.data)


def remove_after_commit(session: Session, unused: list[tuple[str, str]]) -> None:
    """Remove the files of ``unused`` (hash, location) once the session's transaction commits,
    each only if no blob row refers to its hash by then; forgotten on rollback."""
    if not unused:
        return
    pending = session.info.setdefault(_PENDING, [])
    pending.extend(unused)
    if session.info.get(_PENDING + "_hooked"):
        return
    session.info[_PENDING + "_hooked"] = True

    def committed(sess: Session) -> None:
        items = sess.info.pop(_PENDING, [])
        if items:
            _remove_unused(_engine(sess), items)

    def rolled_back(sess: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:  # the outermost transaction
            sess.info.pop(_PENDING, None)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_soft_rollback", rolled_back)


def pending_removal(session: Session) -> set[str]:
    """The hashes whose files this session removes once it commits."""
    return {h for h, _ in session.info.get(_PENDING, [])}


def _remove_unused(engine: Engine, items: list[tuple[str, str]]) -> None:
    """Remove the files no row refers to, in a transaction holding the artifact lock; a failure
    leaves garbage for prune, never an error after a commit."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(diagnose_immediate=True)
            with conn.begin():
                artifact_lock(conn)
                hashes = sorted({h for h, _ in items})
                used = set(conn.scalars(select(Blob.content_hash).where(Blob.content_hash.in_(hashes))))
                for content_hash, location in items:
                    if content_hash not in used:
                        _remove(resolve(location, engine.url))
    except Exception:  # noqa: BLE001 - the commit stands; prune_blobs collects what stays
        pass


def orphans(session: Session) -> list[tuple[str, str]]:
    """Files under the current root that no blob row refers to (left by crashed or rolled-back
    writers), and stale temporary files, as (hash, location) pairs; a file a live writer holds
    (:func:`~._holds.hold`: a streamed submit's staging file, however old, and what it placed from it
    by a hard link) is not one of them."""
    db_url = _engine(session).url
    root = artifact_root(db_url)
    if root is None:
        return []
    fs, path = filesystem(root)
    now = time.time()
    found: dict[str, str] = {}
    names: dict[str, str] = {}
    if fs is None:
        folder = Path(path)
        entries = [(p.name, p.stat().st_mtime) for p in folder.iterdir()] if folder.is_dir() else []
    else:
        import pyarrow.fs as pafs

        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        entries = [(i.base_name, i.mtime.timestamp() if i.mtime else now) for i in infos]
    for name, mtime in entries:
        if _NAME.match(name):
            found[name[:64]], names[name[:64]] = location_for(root, name, db_url), name
        elif name.startswith(".") and name.endswith(".tmp") and now - mtime > _STALE_TEMP_SECONDS:
            found[name], names[name] = location_for(root, name, db_url), name  # (no row has a temporary name as hash)
    for content_hash in pending_removal(session):
        found.pop(content_hash, None)
    if not found:
        return []
    known = set(session.scalars(select(Blob.content_hash).where(Blob.content_hash.in_(list(found)))))
    return [(h, loc) for h, loc in found.items()
            if h not in known and not (fs is None and held(str(Path(path) / names[h])))]


def place(session: Session, tables: Mapping[str, tuple[Any, Any]]) -> dict[str, str | None]:
    """Before the transaction writes rows: write each encoded table (split -> (source, Encoded))
    to its artifact file, or check that it fits in the database; returns hash -> location
    (None: the bytes go into the row)."""
    from ._codec import check_blob_size

    db_url = _engine(session).url
    root = artifact_root(db_url)
    out: dict[str, str | None] = {}
    # content stored already is not written again (a row that vanishes meanwhile gets its
    # file back from ensure_written, inside the transaction)
    known: set[str] = set()
    if root is not None:  # read on a connection of its own: the session's first statement must be a write
        with _engine(session).connect() as conn:
            known = set(conn.scalars(select(Blob.content_hash).where(
                Blob.content_hash.in_([enc.content_hash for _, enc in tables.values()]))))
    for split, (source, enc) in tables.items():
        if root is None:
            if enc.path is not None:
                raise ValueError("a table kept inside the database needs its bytes in memory (Encoded.data)")
            check_blob_size(enc.nbytes, source=source or "<table>", split=split)
            out[enc.content_hash] = None
            continue
        name = f"{enc.content_hash}.parquet"
        target = root.rstrip("/") + "/" + name if "://" in root else str(Path(root) / name)
        if enc.content_hash not in known:
            if enc.path is not None:
                write_file(target, enc.path)
            else:
                write(target, enc.data)
        out[enc.content_hash] = location_for(root, name, db_url)
    return out


def table_bytes(session: Session, content_hash: str, data: bytes, location: str | None, *,
                what: str) -> bytes:
    """The verified bytes of a blob row, from the row or from its artifact file."""
    if location is None:
        return verified(data, content_hash, what=what)
    return read(location, content_hash, _engine(session).url, what=what)


def table_size_limit(db_url: Any = None) -> int | None:
    """The most bytes one stored table may take in the store at ``db_url`` (default: the
    configured one): the database's limit when tables go inside it, None for an artifact store.

    >>> table_size_limit("sqlite:////data/runs.db") is None, table_size_limit("postgresql+psycopg://db/runs")
    (True, 1000000000)
    """
    from . import _codec

    url = db_url if db_url is not None else settings.database_url()
    return _codec.MAX_BLOB_BYTES if artifact_root(url) is None else None

