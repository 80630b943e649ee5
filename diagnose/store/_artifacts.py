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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .. import settings
from ..exceptions import DiagnoseError, UsageError
from ._dialects import artifact_lock
from ._models import Blob

IN_DATABASE = "database"  # the DIAGNOSE_ARTIFACT_URL value that keeps the tables in the database
_NAME = re.compile(r"^[0-9a-f]{64}\.parquet$")
_STALE_TEMP_SECONDS = 3600.0  # a temporary file this old belongs to no writer still running
_PENDING = "diagnose_unused_artifacts"


def artifact_root(db_url: Any) -> str | None:
    """Where the tables of the store at ``db_url`` go: a folder, a URL, or None (the database).

    >>> artifact_root("sqlite:////data/runs.db"), artifact_root("postgresql+psycopg://db/runs")
    ('/data/runs.artifacts', None)
    """
    configured = str(settings.get("artifact_url")).strip()
    if configured.lower() == IN_DATABASE:
        return None
    if configured:
        return configured if "://" in configured else str(Path(configured).expanduser().resolve())
    return _beside_database(db_url)


def location_for(root: str, name: str, db_url: Any) -> str:
    """The location the database keeps for file ``name``: relative to the SQLite file's folder
    for the default folder (the two move together), else the full path or URL without credentials.

    >>> location_for("/data/runs.artifacts", "ab.parquet", "sqlite:////data/runs.db")
    'runs.artifacts/ab.parquet'
    >>> location_for("s3://key:secret@bucket/runs", "ab.parquet", "sqlite:////data/runs.db")
    's3://bucket/runs/ab.parquet'
    """
    if "://" in root:
        return _without_secrets(root.rstrip("/")) + "/" + name
    default = _beside_database(db_url)
    if default is not None and Path(root) == Path(default):
        return f"{Path(root).name}/{name}"
    return str(Path(root) / name)


def _beside_database(db_url: Any) -> str | None:
    """The folder ``<stem>.artifacts`` beside a SQLite file (None for any other database, and
    for a URL that cannot be read, which opening the store reports).

    >>> _beside_database("sqlite:///runs.db") == str(Path("runs.artifacts")), _beside_database("no url")
    (True, None)
    """
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(str(db_url)) if isinstance(db_url, str) else db_url
        parsed.port  # noqa: B018 - a port that is not a number fails here
    except (ArgumentError, ValueError):
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return str(path.parent / f"{path.stem}.artifacts")


def _without_secrets(url: str) -> str:
    """A URL with no user, password or query (which may carry keys), fit to store and show.

    >>> _without_secrets("s3://AKIA:s3cret@bucket/runs?region=eu-west-1")
    's3://bucket/runs'
    """
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


def _resolve(location: str, db_url: Any) -> str:
    """The full path or URL of a stored location (credentials from DIAGNOSE_ARTIFACT_URL)."""
    if "://" in location:
        configured = str(settings.get("artifact_url")).strip()
        if "://" in configured:
            prefix = _without_secrets(configured.rstrip("/")) + "/"
            if location.startswith(prefix):
                parts = urlsplit(configured.rstrip("/"))
                return urlunsplit(parts._replace(path=parts.path + "/" + location[len(prefix):]))
        return location
    path = Path(location)
    if not path.is_absolute():
        parsed = make_url(str(db_url)) if isinstance(db_url, str) else db_url
        path = Path(parsed.database or ".").expanduser().parent / path
    return str(path)


def _filesystem(target: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path in it) for a URL; None for a local path."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    if "://" not in target or target.startswith("file://"):
        return None, urlsplit(target).path if target.startswith("file://") else target
    try:
        return pafs.FileSystem.from_uri(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise UsageError(f"DIAGNOSE_ARTIFACT_URL {_without_secrets(target)} cannot be used: {exc}; "
                             "give a folder, a file:// or s3:// URL, or install fsspec") from None
        fs, path = url_to_fs(target)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def write(target: str, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (temporary name, then rename); an
    existing file of the same size (same hash, same bytes) is left as it is."""
    fs, path = _filesystem(target)
    if fs is None:
        final = Path(path)
        if final.is_file() and final.stat().st_size == len(data):
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
        try:
            with open(temp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        return
    import pyarrow.fs as pafs

    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File and info.size == len(data):
        return
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as out:  # an object store shows an object only once it is whole
        out.write(data)


def read(location: str, content_hash: str, db_url: Any, *, what: str) -> bytes:
    """The bytes at ``location``, checked against their sha256 (DiagnoseError if missing or changed)."""
    target = _resolve(location, db_url)
    fs, path = _filesystem(target)
    try:
        if fs is None:
            data = Path(path).read_bytes()
        else:
            with fs.open_input_file(path) as f:
                data = f.readall()
    except (OSError, FileNotFoundError):
        raise DiagnoseError(f"the stored table of {what} is missing from the artifact store "
                            f"({_without_secrets(target)}); restore the file from a backup, "
                            "or delete the run") from None
    return verified(data, content_hash, what=what, where=_without_secrets(target))


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


def _exists(target: str) -> bool:
    fs, path = _filesystem(target)
    if fs is None:
        return Path(path).is_file()
    import pyarrow.fs as pafs

    return bool(fs.get_file_info(path).type == pafs.FileType.File)


def _remove(target: str) -> None:
    fs, path = _filesystem(target)
    if fs is None:
        Path(path).unlink(missing_ok=True)
    else:
        try:
            fs.delete_file(path)
        except FileNotFoundError:
            pass


def _engine(session: Session) -> Engine:
    return session.get_bind().engine  # (an Engine's .engine is itself)


def ensure_written(session: Session, data: dict[str, bytes]) -> None:
    """Inside the writer's transaction, under the artifact lock: put back any file of ``data``
    (hash -> bytes) that a concurrent prune or delete removed since it was written."""
    if not data:
        return
    artifact_lock(session)
    db_url = _engine(session).url
    rows = session.execute(select(Blob.content_hash, Blob.location)
                           .where(Blob.content_hash.in_(list(data)), Blob.location.is_not(None)))
    for content_hash, location in rows:
        target = _resolve(str(location), db_url)
        if not _exists(target):
            write(target, data[content_hash])


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
                        _remove(_resolve(location, engine.url))
    except Exception:  # noqa: BLE001 - the commit stands; prune_blobs collects what stays
        pass


def orphans(session: Session) -> list[tuple[str, str]]:
    """Files under the current root that no blob row refers to (left by crashed or rolled-back
    writers), and stale temporary files, as (hash, location) pairs."""
    db_url = _engine(session).url
    root = artifact_root(db_url)
    if root is None:
        return []
    fs, path = _filesystem(root)
    now = time.time()
    found: dict[str, str] = {}
    if fs is None:
        folder = Path(path)
        entries = [(p.name, p.stat().st_mtime) for p in folder.iterdir()] if folder.is_dir() else []
    else:
        import pyarrow.fs as pafs

        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        entries = [(i.base_name, i.mtime.timestamp() if i.mtime else now) for i in infos]
    for name, mtime in entries:
        if _NAME.match(name):
            found[name[:64]] = location_for(root, name, db_url)
        elif name.startswith(".") and name.endswith(".tmp") and now - mtime > _STALE_TEMP_SECONDS:
            found[name] = location_for(root, name, db_url)  # (no row has a temporary name as hash)
    for content_hash in pending_removal(session):
        found.pop(content_hash, None)
    if not found:
        return []
    known = set(session.scalars(select(Blob.content_hash).where(Blob.content_hash.in_(list(found)))))
    return [(h, loc) for h, loc in found.items() if h not in known]


def place(session: Session, tables: dict[str, tuple[Any, Any]]) -> dict[str, str | None]:
    """Before the transaction writes rows: write each encoded table (split -> (pred, Encoded))
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
    for split, (pred, enc) in tables.items():
        if root is None:
            check_blob_size(len(enc.data), source=pred.source, split=split)
            out[enc.content_hash] = None
            continue
        name = f"{enc.content_hash}.parquet"
        target = root.rstrip("/") + "/" + name if "://" in root else str(Path(root) / name)
        if enc.content_hash not in known:
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
