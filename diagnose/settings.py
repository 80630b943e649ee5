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


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", DEFAULT_DATABASE_URL,
            "SQLAlchemy URL of the run store; the default is an embedded SQLite file in your home "
            "folder (created on first use). PostgreSQL: postgresql+psycopg://user@host/db",
            "DIAGNOSE_DATABASE_URL"),
    Setting("busy_timeout", 30.0,
            "seconds a SQLite writer waits for another writer's lock before giving up",
            "DIAGNOSE_BUSY_TIMEOUT", _seconds),
    Setting("upload_max_mb", 200.0,
            "largest file, in megabytes, that the dashboard's Upload page accepts (bigger files: "
            "diagnose submit)",
            "DIAGNOSE_UPLOAD_MAX_MB", _megabytes),
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
    >>> shown_url("not a url")
    '(a database URL that cannot be read)'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url or database_url()).render_as_string(hide_password=True)
    except ArgumentError:  # its text may hold a password: never echo it
        return "(a database URL that cannot be read)"


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
