"""Pytest fixtures every test module can use: sample data, a seeded generator, and
databases (a fresh SQLite file per test; PostgreSQL where the environment gives one).
The plain helpers behind them are in :mod:`tests.fixtures`."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import SAMPLE


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def case(sample_dir) -> dict[str, str]:
    """The breast-cancer sample run's train, cv and test files."""
    folder = sample_dir / "breast_cancer"
    return {split: str(folder / f"{split}.csv") for split in ("train", "cv", "test")}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


# ------------------------------------------------------------------ databases (run store)
# Every test gets its own SQLite file as the default database, so nothing ever writes to
# the user's ~/.diagnose. PostgreSQL tests use DIAGNOSE_TEST_POSTGRES_URL (set by .ci/run),
# each in a freshly created schema that is dropped afterwards.

POSTGRES_ENV = "DIAGNOSE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "DIAGNOSE_REQUIRE_POSTGRES"


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", f"sqlite:///{tmp_path / 'diagnose-default.db'}")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """URL of a fresh (not yet created) SQLite database file."""
    return f"sqlite:///{tmp_path / 'store.db'}"


def _postgres_or_skip() -> str:
    import os

    url = os.environ.get(POSTGRES_ENV, "").strip()
    required = os.environ.get(REQUIRE_POSTGRES_ENV, "") == "1"
    if not url:
        reason = f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        pytest.fail(reason + f", and {REQUIRE_POSTGRES_ENV}=1 demands them") if required else pytest.skip(reason)
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network failure means: no server here
        reason = f"PostgreSQL at {POSTGRES_ENV}={url} is unreachable ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        pytest.fail(reason + f"; {REQUIRE_POSTGRES_ENV}=1 demands it") if required else pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (via search_path), dropped on leaving."""
    import uuid

    from sqlalchemy import create_engine, text

    base = _postgres_or_skip()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema, dropped after the test."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """A fresh database URL: runs each test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def store_engine(db_url):
    """An engine on a fresh, migrated database (SQLite and PostgreSQL)."""
    from diagnose.store import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def scheduler():
    """The address of a real Dask LocalCluster of 2 in-process workers (the [dask] extra, which
    the test extra installs: missing, this fails rather than skips)."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address
