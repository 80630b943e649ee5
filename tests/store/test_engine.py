"""The run store's engines: migrations, SQLite settings, databases that cannot be used.

Every database test runs on SQLite and on the real PostgreSQL (``db_url`` fixture);
without a PostgreSQL server those variants skip, unless DIAGNOSE_REQUIRE_POSTGRES=1.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.cli import main
from diagnose.exceptions import UsageError
from diagnose.store import Base
from tests.fixtures import row_counts, run_cli

TABLES = {"project", "run", "blob", "submission", "baseline", "report", "tag"}


def test_migrations_from_an_empty_database_match_the_models(store_engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert store.current_revision(store_engine) == store.head_revision()
    assert TABLES <= set(inspect(store_engine).get_table_names())
    with store_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


def test_db_upgrade_command_on_an_empty_database(db_url):
    first = run_cli(["db", "upgrade"], db_url)
    assert first.exit_code == 0, first.output
    assert "upgraded from an empty database to revision" in first.output
    again = run_cli(["db", "upgrade"], db_url)
    assert again.exit_code == 0 and "already at revision" in again.output
    assert row_counts(db_url)["run"] == 0


def test_sqlite_engine_uses_wal_and_a_busy_timeout(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "12.5")
    engine = store.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12500
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_default_database_is_the_configured_sqlite_file(tmp_path, monkeypatch, case):
    target = tmp_path / "nested" / "folder" / "runs.db"
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", f"sqlite:///{target}")
    result = CliRunner().invoke(main, ["submit", "--project", "p", "--run", "r", "--train", case["train"],
                                       "--cv", case["cv"]])
    assert result.exit_code == 0, result.output
    assert target.is_file()  # parent folders created on first use


def test_postgres_schema_isolation(postgres_url):
    """The PostgreSQL fixture really works in its own schema."""
    engine = store.make_engine(postgres_url)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    engine.dispose()
    assert schema.startswith("test_")


def test_schema_head_constant_matches_the_migrations():
    from diagnose.store._engine import SCHEMA_HEAD

    assert SCHEMA_HEAD == store.head_revision()


def test_a_sqlite_writer_waits_for_the_lock_up_to_the_busy_timeout(sqlite_url, monkeypatch, rng):
    """Another process holding the write lock delays a submit; with a tiny timeout it fails."""
    import sqlite3
    import threading
    import time

    from sqlalchemy.exc import OperationalError

    from tests.fixtures import binary_frame

    store.make_engine(sqlite_url).dispose()
    path = sqlite_url[len("sqlite:///"):]
    frame = binary_frame(rng, 100)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    holder.execute("BEGIN IMMEDIATE")
    locked_at = time.perf_counter()
    threading.Timer(0.6, lambda: holder.execute("COMMIT")).start()
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="waited", train=frame, cv=frame)
    assert time.perf_counter() - locked_at >= 0.55  # it could only land once the lock was free
    engine.dispose()

    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "0.05")
    holder.execute("BEGIN IMMEDIATE")
    try:
        engine = store.make_engine(sqlite_url)
        with pytest.raises(OperationalError, match="locked"):
            with Session(engine) as s, s.begin():
                service.submit_files(s, project="p", run="gave_up", train=frame, cv=frame)
        engine.dispose()
    finally:
        holder.execute("COMMIT")
        holder.close()
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s:
        assert [r.run for r in store.list_runs(s, "p")] == ["waited"]
    engine.dispose()


def test_an_unreachable_database_is_one_clear_error(case):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    for args in (["runs", "--project", "p"], ["show", "p", "r"], ["db", "upgrade"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]],
                 ["curve", "learning", "--project", "p"]):
        result = run_cli(args, url)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: database error (") and "Traceback" not in result.output


def _no_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


@pytest.mark.parametrize("url", [
    "not a url", "nosuchdialect://u:secret@h/db", "postgresql+nosuchdriver://u:secret@h/db",
    pytest.param("mysql+mysqldb://u:secret@h/db",
                 marks=pytest.mark.skipif(not _no_module("MySQLdb"), reason="MySQLdb is installed")),
])
def test_a_bad_database_url_is_one_clear_error(url):
    for args in (["runs", "--project", "p"], ["db", "upgrade"]):
        result = run_cli(args, url)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: DIAGNOSE_DATABASE_URL"), result.output
        assert "Traceback" not in result.output and "secret" not in result.output
    with pytest.raises(UsageError, match="the database URL"):
        store.make_engine(url)


def test_a_file_that_is_no_database_is_one_clear_error_and_stays_untouched(tmp_path, case):
    path = tmp_path / "cv.csv"
    path.write_bytes(open(case["cv"], "rb").read())
    before = path.read_bytes()
    for args in (["runs", "--project", "p"], ["show", "p", "r"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]]):
        result = run_cli(args, f"sqlite:///{path}")
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: database error (file is not a database)"), result.output
    assert path.read_bytes() == before


def test_a_database_from_a_newer_diagnose_is_refused_clearly(db_url, case):
    engine = store.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for args in (["runs", "--project", "p"], ["db", "upgrade"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]]):
        result = run_cli(args, db_url)
        assert result.exit_code == 2, (args, result.output)
        assert "revision 9999" in result.output and "upgrade diagnose" in result.output
        assert "Traceback" not in result.output
    engine = store.make_engine(db_url, migrate=False)
    with engine.connect() as conn:  # nothing was changed
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
        assert conn.execute(text("SELECT count(*) FROM run")).scalar() == 0
    engine.dispose()


def test_commands_close_their_database_connections(sqlite_url, case, tmp_path, monkeypatch):
    import diagnose.store as store_package

    engines = []
    real = store_package.make_engine

    def recording(*args, **kwargs):
        engines.append(real(*args, **kwargs))
        return engines[-1]

    monkeypatch.setattr(store_package, "make_engine", recording)
    rules = tmp_path / "rules.toml"
    rules.write_text('rules = ["cv.error <= 1"]\nno_regression = {metric = "cv.error"}\n')
    files = ["--train", case["train"], "--cv", case["cv"]]
    for args in (["db", "upgrade"], ["submit", "--project", "p", "--run", "r", *files], ["runs", "--project", "p"],
                 ["show", "p", "r"], ["gate", str(rules), "--project", "p", "--run", "r"],
                 ["gate", str(rules), "--project", "p", *files]):
        before = len(engines)
        result = run_cli(args, sqlite_url)
        assert result.exit_code == 0, (args, result.output)
        assert len(engines) > before, args
        assert all(e.pool.checkedin() == 0 and e.pool.checkedout() == 0 for e in engines), args


def test_make_engine_that_fails_leaves_no_open_connection(sqlite_url, monkeypatch):
    from diagnose.exceptions import DiagnoseError
    from diagnose.store import _dialects as engine_module

    engine = store.make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    made = []
    real = engine_module.create_engine
    monkeypatch.setattr(engine_module, "create_engine", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    with pytest.raises(DiagnoseError, match="revision 9999"):
        store.make_engine(sqlite_url)
    assert len(made) == 1 and made[0].pool.checkedin() == 0
