"""A real ``diagnose serve`` per test module and database (SQLite, and PostgreSQL where the
environment gives one), started as a subprocess on a free port of 127.0.0.1, with keys
made on its database: project A (read, write), project B (write) and an admin key.

The server runs with a small request cap (``CAP_MB``) so that the 413 path is cheap to reach.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_schema

CAP_MB = 2
STARTUP_SECONDS = 60


@dataclass
class Server:
    url: str
    db_url: str
    keys: dict[str, str] = field(default_factory=dict)
    log: Path | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, folder: Path, **env: str) -> tuple[subprocess.Popen, str, Path]:
    """``diagnose serve`` on a free port over ``db_url``; returns the process, its URL and its log."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    environ = {**os.environ, "DIAGNOSE_DATABASE_URL": db_url, "DIAGNOSE_MAX_REQUEST_MB": str(CAP_MB), **env}
    environ.pop("DIAGNOSE_SERVER", None)
    code = "import sys; from diagnose.cli import main; sys.exit(main())"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=environ)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as answer:
                if answer.status == 200:
                    return process, url, log
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"diagnose serve did not start:\n{log.read_text()}")
        time.sleep(0.2)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def make_keys(db_url: str) -> dict[str, str]:
    from sqlalchemy.orm import Session

    from diagnose import store

    engine = store.make_engine(db_url)
    try:
        with Session(engine) as s, s.begin():
            made = {"a_read": store.create_key(s, project="A", scope="read", name="reader-a")[1],
                    "a_write": store.create_key(s, project="A", scope="write", name="ci-a")[1],
                    "b_write": store.create_key(s, project="B", scope="write", name="ci-b")[1],
                    "admin": store.create_key(s, project=None, scope="admin", name="root")[1]}
    finally:
        engine.dispose()
    return made


@pytest.fixture(scope="module")
def module_postgres_url():
    """A fresh PostgreSQL schema for one test module, dropped afterwards."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory) -> Server:
    """A running server with keys, on a fresh database of each kind."""
    folder = tmp_path_factory.mktemp("serve")
    if request.param == "sqlite":
        db_url = f"sqlite:///{folder / 'store.db'}"
    else:
        db_url = request.getfixturevalue("module_postgres_url")
    keys = make_keys(db_url)
    process, url, log = start_server(db_url, folder)
    try:
        yield Server(url=url, db_url=db_url, keys=keys, log=log)
    finally:
        stop_server(process)
