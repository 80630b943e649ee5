"""Engines for the run store, with migrations applied on first use.

SQLite gets WAL (readers never block the writer) and a busy timeout (a writer waits for
another writer's lock instead of failing). pysqlite's own transaction handling is turned
off so that SQLAlchemy's BEGIN covers every statement, DDL included: migrations are then
one transaction, and concurrent first uses cannot half-create the schema.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from .. import settings
from ..exceptions import DiagnoseError, UsageError
from ._dialects import migration_lock, sqlite_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# the newest revision in migrations/versions (a test checks it against alembic): comparing
# with it spares every command the import of alembic once the schema is current
SCHEMA_HEAD = "0004"


def make_engine(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Engine:
    """An engine on ``url`` (default: the ``DIAGNOSE_DATABASE_URL`` setting), schema up to date.

    ``create=False`` is for reading: a SQLite file that does not exist, or a database without
    the store's tables, is a UsageError (nothing is created: a mistyped path stays a mistake);
    a store at an older schema is still brought up to date.

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> engine = make_engine("sqlite:///" + os.path.join(folder, "runs.db"))
    >>> current_revision(engine) == head_revision()
    True
    >>> make_engine("sqlite:///" + os.path.join(folder, "typo", "runs.db"), create=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: no run store at .../typo/runs.db: the file does not exist ...
    >>> os.path.exists(os.path.join(folder, "typo"))
    False
    """
    from sqlalchemy.exc import ArgumentError

    where = "the database URL" if url else "DIAGNOSE_DATABASE_URL"
    url = settings.expand_url(url) if url else settings.database_url()
    parsed = _parse_url(url, where)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sqlite_engine(parsed, create=create)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:  # an unknown dialect or a driver not installed
        shown = settings.shown_url(url)
        raise UsageError(f"{where} {shown} cannot be used: {type(exc).__name__}: {exc}") from None
    try:
        if not create:  # before the first connection, which would create the file
            _check_sqlite_file(parsed, where)
        if migrate and (stored := _stored_revision(engine)) != SCHEMA_HEAD:
            if stored is None and not create:
                raise UsageError(f"{where} {settings.shown_url(url)} holds no run store yet (no diagnose "
                                 "tables): check the URL; the first `diagnose submit` creates the store")
            upgrade(engine)
    except BaseException:  # unreachable, no database, newer schema: no pooled connection left behind
        engine.dispose()
        raise
    return engine


def sqlite_path(url: str | None = None) -> Path | None:
    """The file of a SQLite store at ``url`` (default: the ``DIAGNOSE_DATABASE_URL``
    setting); ``None`` for another database, an in-memory one or a URL that does not parse
    (opening the store then says what is wrong).

    >>> sqlite_path("sqlite:////tmp/runs.db"), sqlite_path("postgresql+psycopg://db/runs")
    (PosixPath('/tmp/runs.db'), None)
    """
    url = settings.expand_url(url) if url else settings.database_url()
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any unparsable URL: make_engine words the error
        return None
    return _sqlite_file(parsed)


def _sqlite_file(parsed) -> Path | None:
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _check_sqlite_file(parsed, where: str) -> None:
    """For reading: a SQLite file that does not exist is a mistake to report, not a file to create."""
    path = _sqlite_file(parsed)
    if path is None:
        return
    if not path.is_file():
        state = "is a folder" if path.is_dir() else "does not exist"
        raise UsageError(f"no run store at {path}: the file {state} (from {where}). Check the path; "
                         "nothing was created. The first `diagnose submit` creates the store")


def _parse_url(url: str, where: str):
    """The URL parsed, or a UsageError that says how to write it (never echoing its text, which
    may hold a password).

    >>> _parse_url("postgres://ann:s3cret@db/runs", "DIAGNOSE_DATABASE_URL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: DIAGNOSE_DATABASE_URL starts with postgres://, which SQLAlchemy does not ...
    """
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number fails here
    except ArgumentError:
        raise UsageError(f"{where} is not a SQLAlchemy URL; write e.g. sqlite:///path/to/runs.db "
                         "or postgresql+psycopg://user@host/db") from None
    except ValueError:
        raise UsageError(f"{where} has a port that is not a number; write it as "
                         "postgresql+psycopg://user:password@host:5432/database (or leave the port out)") from None
    driver = parsed.drivername
    if driver == "postgres" or driver.startswith("postgres+"):
        raise UsageError(f"{where} starts with {driver}://, which SQLAlchemy does not know; write "
                         "postgresql+psycopg:// instead (the rest of the URL stays as it is)")
    if driver == "postgresql":
        import importlib.util

        if importlib.util.find_spec("psycopg2") is None:  # SQLAlchemy's default PostgreSQL driver
            raise UsageError(f"{where} starts with postgresql://, whose default driver (psycopg2) is not "
                             "installed; write postgresql+psycopg:// instead (the rest of the URL stays as it is)")
    return parsed


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database that cannot be reached, is locked or is no database (a file of another
    kind, a server that refuses the statements) into a DiagnoseError (CLI exit 2).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.db")
    >>> _ = open(path, "w").write("not a database " * 100)
    >>> with database_errors():
    ...     make_engine("sqlite:///" + path)
    Traceback (most recent call last):
    ...
    diagnose.exceptions.DiagnoseError: database error (file is not a database)
    """
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        hint = ""
        if "locked" in detail:
            hint = ("; another writer held the lock for longer than DIAGNOSE_BUSY_TIMEOUT "
                    f"({settings.get('busy_timeout'):g} s): try again or raise it")
        raise DiagnoseError(f"database error ({detail}){hint}") from None


def _config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration shipped with this version of diagnose."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # diagnose ships its migrations
    return head


def _known_revisions(cfg) -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}


def _stored_revision(engine: Engine) -> str | None:
    """The alembic_version row, read without importing alembic (None for a new database)."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database).

    >>> import os, tempfile
    >>> from sqlalchemy import create_engine
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
    >>> current_revision(create_engine(url)), current_revision(make_engine(url)) == head_revision()
    (None, True)
    """
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations up to ``revision`` in one transaction; returns (before, after).

    Concurrent callers serialise on a lock (SQLite's write lock, a PostgreSQL advisory
    lock), and whoever comes second finds the work done.

    >>> import os, tempfile
    >>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"), migrate=False)
    >>> before, after = upgrade(engine)
    >>> before, after == head_revision()
    (None, True)
    >>> upgrade(engine) == (after, after)  # already up to date: nothing to do
    True
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        conn = conn.execution_options(diagnose_immediate=True)
        with conn.begin():
            migration_lock(conn)
            before = MigrationContext.configure(conn).get_current_revision()
            cfg = _config(conn)
            if before is not None and before not in _known_revisions(cfg):
                raise DiagnoseError(
                    f"the database schema is at revision {before}, which this version of diagnose "
                    f"does not know (its newest is {head_revision()}): a newer diagnose wrote it; "
                    "upgrade diagnose to use this database")
            command.upgrade(cfg, revision)
            after = MigrationContext.configure(conn).get_current_revision()
    return before, after
