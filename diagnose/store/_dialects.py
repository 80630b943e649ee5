"""Everything that differs between the databases the store runs on (SQLite, PostgreSQL).

SQLite gets WAL (readers never block the writer), a busy timeout (a writer waits for
another writer's lock instead of failing) and big pages; pysqlite's own transaction
handling is turned off so that SQLAlchemy's BEGIN covers every statement, DDL included.
Inserts that may race with another writer are ``ON CONFLICT`` statements on both
databases; any other database falls back to a check or a delete inside the caller's
transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from .. import settings

# any constant: PostgreSQL sessions that migrate take this advisory lock first
PG_MIGRATION_LOCK = 7_310_426_001
# and this one around artifact files: writers checking theirs, cleaners removing unused ones
PG_ARTIFACT_LOCK = 7_310_426_002
_ON_CONFLICT = ("sqlite", "postgresql")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def sqlite_engine(url: Any, *, create: bool = True) -> Engine:
    """An engine on a SQLite file (created with its folder on first use unless ``create`` is
    false), set up for several writers."""
    database = url.database or ""
    if create and database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    timeout = float(settings.get("busy_timeout"))
    engine = create_engine(url, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        # big pages write the Parquet blobs 3-4x faster; only takes effect on a new file,
        # so it must come before WAL mode is set
        cursor.execute("PRAGMA page_size=65536")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        # with WAL, NORMAL never corrupts and skips an fsync per commit (a power cut may
        # lose the last commits whole, never half of one)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock at once (waiting up to the busy timeout); a
        # deferred transaction that read first could not wait for it later
        immediate = conn.get_execution_options().get("diagnose_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def claim_write_lock(session: Session) -> None:
    """On SQLite, take the write lock with the transaction's first statement.

    A transaction that reads first and writes later cannot wait for another writer
    (SQLite answers "database is locked" at once); a write as the first statement
    waits up to the busy timeout instead.
    """
    if _dialect(session) == "sqlite":
        session.execute(text("UPDATE project SET name = name WHERE 1 = 0"))


def artifact_lock(conn: Any) -> None:
    """Serialise the artifact files' checks and removals (on SQLite, the write lock that every
    writer already holds does it: a Session here has claimed it, a cleaner begins IMMEDIATE)."""
    dialect = _dialect(conn) if isinstance(conn, Session) else conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_ARTIFACT_LOCK})


def migration_lock(conn: Any) -> None:
    """Serialise concurrent migrations (SQLite's write lock does it there already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})


def insert_ignore(session: Session, model: Any, values: dict[str, Any], *, key: Sequence[str]) -> None:
    """Insert a row unless one with the same ``key`` exists (race-free where the database can)."""
    dialect = _dialect(session)
    if dialect in _ON_CONFLICT:
        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key)))
        return
    table = model.__table__
    found = session.execute(table.select().where(*(table.c[k] == values[k] for k in key))).first()
    if found is None:
        session.execute(table.insert().values(**values))


def upsert(session: Session, model: Any, rows: list[dict[str, Any]], *, key: Sequence[str],
           update: Sequence[str]) -> None:
    """Insert ``rows``, replacing the ``update`` columns of rows whose ``key`` exists (one statement)."""
    table = model.__table__
    dialect = _dialect(session)
    if dialect in _ON_CONFLICT:
        stmt = import_module(f"sqlalchemy.dialects.{dialect}").insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=list(key),
                                          set_={c: stmt.excluded[c] for c in update})
    else:  # other databases: replace by delete + insert inside the caller's transaction
        for row in rows:
            session.execute(table.delete().where(*(table.c[k] == row[k] for k in key)))
        stmt = table.insert()
    session.execute(stmt, rows)  # executemany: one statement for all rows
