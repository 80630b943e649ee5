"""Settings, declared once: each has a name, a default, a help text and an environment variable.

docs/settings.md documents every entry of :data:`SETTINGS` (a test checks it).
Values are read from the environment on every call, so a changed variable takes effect
without a restart.

>>> setting("busy_timeout").env, setting("busy_timeout").default
('DIAGNOSE_BUSY_TIMEOUT', 30.0)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .exceptions import UsageError

DEFAULT_DATABASE_URL = "sqlite:///~/.diagnose/diagnose.db"


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, meaning and the environment variable that overrides it."""

    name: str
    default: Any
    help: str
    env: str
    parse: Callable[[str], Any] = str


def _seconds(raw: str) -> float:
    """A finite, non-negative number of seconds (ValueError otherwise)."""
    value = float(raw)
    if not (0 <= value < float("inf")):
        raise ValueError(raw)
    return value


def _megabytes(raw: str) -> float:
    """A positive, finite number of megabytes (ValueError otherwise)."""
    value = float(raw)
    if not (0 < value < float("inf")):
        raise ValueError(raw)
    return value


def _rows(raw: str) -> int:
    """A whole number of rows, at least 0 (ValueError otherwise)."""
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _flag(raw: str) -> bool:
    """1/true/yes/on or 0/false/no/off, in any case (ValueError otherwise)."""
    word = raw.strip().lower()
    if word not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError(raw)
    return word in ("1", "true", "yes", "on")


ENGINES = ("auto", "memory", "arrow", "dask")


def _choice(raw: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, in any case (ValueError otherwise)."""
    word = raw.strip().lower()
    if word not in choices:
        raise ValueError(raw)
    return word


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", DEFAULT_DATABASE_URL,
            "SQLAlchemy URL of the run store; the default is an embedded SQLite file in your home "
            "folder (created on first use). PostgreSQL: postgresql+psycopg://user@host/db",
            "DIAGNOSE_DATABASE_URL"),
    Setting("busy_timeout", 30.0,
            "seconds a SQLite writer waits for another writer's lock before giving up",
            "DIAGNOSE_BUSY_TIMEOUT", _seconds),
    Setting("artifact_url", "",
            "where the run store keeps its prediction tables: a folder or a pyarrow/fsspec URL "
            "(file://, s3://, gs://), or 'database' for inside the database; unset: a folder "
            "<name>.artifacts beside a SQLite file, inside the database for PostgreSQL",
            "DIAGNOSE_ARTIFACT_URL"),
    Setting("upload_max_mb", 200.0,
            "largest file, in megabytes, that the dashboard's Upload page accepts (bigger files: "
            "diagnose submit)",
            "DIAGNOSE_UPLOAD_MAX_MB", _megabytes),
    Setting("dashboard_password", "",
            "password the dashboard asks for before it shows any page; required when it listens on an "
            "address other than localhost; never shown or logged",
            "DIAGNOSE_DASHBOARD_PASSWORD"),
    Setting("dashboard_read_only", False,
            "1 to turn off the dashboard's writes: its Upload page and the saving of tags",
            "DIAGNOSE_DASHBOARD_READ_ONLY", _flag),
    Setting("dashboard_big_run_rows", 1_000_000,
            "cv rows above which the dashboard's Error analysis page opens with the sample only (drawn by "
            "a pass in batches) and reads every cv row for cohorts, slices, suspects and the row-by-row "
            "comparison only when asked (a button)",
            "DIAGNOSE_DASHBOARD_BIG_RUN_ROWS", _rows),
    # diagnose serve, and the command line as its client
    Setting("server", "",
            "URL of a diagnose server (diagnose serve); when set, submit, runs, show, gate and "
            "errors tally --save go through its HTTP API instead of the database",
            "DIAGNOSE_SERVER"),
    Setting("key", "",
            "the API key the command line sends to DIAGNOSE_SERVER (diagnose keys create); never shown",
            "DIAGNOSE_KEY"),
    Setting("max_request_mb", 1024.0,
            "largest request body, in megabytes, that diagnose serve accepts (bigger: 413)",
            "DIAGNOSE_MAX_REQUEST_MB", _megabytes),
    Setting("rate_limit", 600.0,
            "requests per minute that diagnose serve accepts from one key (per worker; 0: no limit)",
            "DIAGNOSE_RATE_LIMIT", _seconds),
    Setting("request_timeout", 600.0,
            "seconds diagnose serve gives one request, upload and report included; a submission "
            "that takes longer stores nothing",
            "DIAGNOSE_REQUEST_TIMEOUT", _megabytes),
    # how diagnose report computes: in memory, streamed with pyarrow, or on a Dask cluster
    Setting("engine", "auto",
            "how diagnose report computes: memory (whole tables), arrow (streams record batches in "
            "constant memory), dask (a Dask cluster), or auto (arrow when the files are larger than "
            "DIAGNOSE_STREAM_ABOVE_MB, else memory)",
            "DIAGNOSE_ENGINE", lambda raw: _choice(raw, ENGINES)),
    Setting("stream_above_mb", 2048.0,
            "input size, in megabytes, above which --engine auto streams (the arrow engine)",
            "DIAGNOSE_STREAM_ABOVE_MB", _megabytes),
    Setting("scheduler", "",
            "address of a Dask scheduler for --engine dask (tcp://host:8786); unset, a local cluster "
            "is started for the command",
            "DIAGNOSE_SCHEDULER"),
    Setting("progress", True,
            "0 to turn off the progress bar that reads and passes over big inputs draw on stderr when it "
            "is a terminal (never drawn when stderr is piped or redirected; diagnose --quiet also turns it off)",
            "DIAGNOSE_PROGRESS", _flag),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The declaration of one setting: its name, default, help text and environment variable.

    >>> s = setting("busy_timeout")
    >>> s.env, s.default
    ('DIAGNOSE_BUSY_TIMEOUT', 30.0)
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UsageError(f"unknown setting '{name}'; the settings are {', '.join(_BY_NAME)}") from None


def get(name: str) -> Any:
    """The current value of a setting: its environment variable when set, else the default.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"DIAGNOSE_BUSY_TIMEOUT": "5"}):
    ...     get("busy_timeout")
    5.0
    """
    s = setting(name)
    raw = os.environ.get(s.env, "").strip()
    if not raw:
        return s.default
    try:
        return s.parse(raw)
    except ValueError:
        raise UsageError(f"environment variable {s.env}={raw!r} is not valid: {s.help}") from None


def database_url() -> str:
    """The database URL with a leading ``~`` of a SQLite path expanded.

    >>> import os
    >>> os.environ["DIAGNOSE_DATABASE_URL"], saved = "sqlite:///~/runs.db", os.environ.get("DIAGNOSE_DATABASE_URL")
    >>> database_url() == "sqlite:///" + str(Path.home() / "runs.db")
    True
    >>> _ = os.environ.pop("DIAGNOSE_DATABASE_URL") if saved is None else os.environ.update(DIAGNOSE_DATABASE_URL=saved)
    """
    return expand_url(str(get("database_url")))


def shown_url(url: str | None = None) -> str:
    """A database URL for people, with its password masked (default: the configured database).

    >>> shown_url("postgresql+psycopg://ann:s3cret@db.example/runs")
    'postgresql+psycopg://ann:***@db.example/runs'
    >>> shown_url("postgresql+psycopg://ann@db.example/runs?password=s3cret&sslmode=require")
    'postgresql+psycopg://ann@db.example/runs?password=***&sslmode=require'
    >>> shown_url("not a url")
    '(a database URL that cannot be read)'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url or database_url())
    except (ArgumentError, ValueError):  # its text may hold a password: never echo it
        return "(a database URL that cannot be read)"
    # drivers also take a password (or a key) as a query parameter: ?password=...
    query = {k: "***" if _SECRET_QUERY.search(k) else v for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


_SECRET_QUERY = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)


def expand_url(url: str) -> str:
    """Expand ``~`` in a SQLite file URL (SQLAlchemy itself does not).

    >>> expand_url("sqlite:///~/x.db") == "sqlite:///" + str(Path.home() / "x.db")
    True
    >>> expand_url("sqlite+pysqlite:///~/x.db") == "sqlite+pysqlite:///" + str(Path.home() / "x.db")
    True
    >>> expand_url("postgresql+psycopg://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    # sqlite:/// or sqlite+<driver>:///, then a path starting with ~
    m = re.match(r"(sqlite(?:\+\w+)?:///)(~.*)$", url)
    if m:
        return m.group(1) + str(Path(m.group(2)).expanduser())
    return url
