"""Where the artifact store's files are: the root for a store, the location a row keeps for a
file, and the path or URL (with its pyarrow filesystem) that a location resolves to. See
``_artifacts`` for the writing and reading of the files themselves.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url

from .. import settings
from ..exceptions import UsageError

IN_DATABASE = "database"  # the DIAGNOSE_ARTIFACT_URL value that keeps the tables in the database


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
    return beside_database(db_url)


def location_for(root: str, name: str, db_url: Any) -> str:
    """The location the database keeps for file ``name``: relative to the SQLite file's folder
    for the default folder (the two move together), else the full path or URL without credentials.

    >>> location_for("/data/runs.artifacts", "ab.parquet", "sqlite:////data/runs.db")
    'runs.artifacts/ab.parquet'
    >>> location_for("s3://key:secret@bucket/runs", "ab.parquet", "sqlite:////data/runs.db")
    's3://bucket/runs/ab.parquet'
    """
    if "://" in root:
        return without_secrets(root.rstrip("/")) + "/" + name
    default = beside_database(db_url)
    if default is not None and Path(root) == Path(default):
        return f"{Path(root).name}/{name}"
    return str(Path(root) / name)


def beside_database(db_url: Any) -> str | None:
    """The folder ``<stem>.artifacts`` beside a SQLite file (None for any other database, and
    for a URL that cannot be read, which opening the store reports).

    >>> beside_database("sqlite:///runs.db") == str(Path("runs.artifacts")), beside_database("no url")
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


def without_secrets(url: str) -> str:
    """A URL with no user, password or query (which may carry keys), fit to store and show.

    >>> without_secrets("s3://AKIA:s3cret@bucket/runs?region=eu-west-1")
    's3://bucket/runs'
    """
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


def resolve(location: str, db_url: Any) -> str:
    """The full path or URL of a stored location (credentials from DIAGNOSE_ARTIFACT_URL)."""
    if "://" in location:
        configured = str(settings.get("artifact_url")).strip()
        if "://" in configured:
            prefix = without_secrets(configured.rstrip("/")) + "/"
            if location.startswith(prefix):
                parts = urlsplit(configured.rstrip("/"))
                return urlunsplit(parts._replace(path=parts.path + "/" + location[len(prefix):]))
        return location
    path = Path(location)
    if not path.is_absolute():
        parsed = make_url(str(db_url)) if isinstance(db_url, str) else db_url
        path = Path(parsed.database or ".").expanduser().parent / path
    return str(path)


def filesystem(target: str) -> tuple[Any, str]:
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
            raise UsageError(f"DIAGNOSE_ARTIFACT_URL {without_secrets(target)} cannot be used: {exc}; "
                             "give a folder, a file:// or s3:// URL, or install fsspec") from None
        fs, path = url_to_fs(target)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path
