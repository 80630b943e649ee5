"""No database password in any output: every command that names the database, its error
messages, its log records and the dashboard's sidebar show the URL with the password masked,
whether the password is in the URL's user part or in its query (``?password=``).

The commands run against a real PostgreSQL server (trust authentication accepts any password,
so the URL can carry one); the URLs that cannot be used need no server.
"""
from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from diagnose import settings
from diagnose.cli import dashboard as dashboard_command
from diagnose.cli import main
from tests.fixtures import SAMPLE

SECRET = "Hunter2-s3cret-pw"
BREAST = SAMPLE / "breast_cancer"


def _with_password(url: str, where: str) -> str:
    parsed = make_url(url)
    if where == "user":
        parsed = parsed.set(password=SECRET)
    else:
        parsed = parsed.update_query_dict({"password": SECRET})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(params=["user", "query"])
def secret_url(request, postgres_url) -> str:
    """A PostgreSQL URL that holds SECRET as its password (trust authentication ignores it)."""
    url = _with_password(postgres_url, request.param)
    assert SECRET in url
    return url


def _invoke(args: list[str], url: str):
    return CliRunner().invoke(main, args, env={"DIAGNOSE_DATABASE_URL": url})


def test_no_command_shows_the_password(secret_url, monkeypatch, caplog):
    monkeypatch.setattr(dashboard_command, "serve", lambda cmd, env: 0)
    caplog.set_level(logging.DEBUG)
    files = ["--train", str(BREAST / "train.csv"), "--cv", str(BREAST / "cv.csv")]
    runs = [["submit", "--project", "p", "--run", "r1", *files], ["runs", "--project", "p"], ["show", "p", "r1"],
            ["db", "upgrade"], ["dashboard", "--port", "8791"], ["show", "p", "missing-run"]]
    outputs = []
    for args in runs:
        result = _invoke(args, secret_url)
        assert result.exit_code in (0, 2), (args, result.output)
        outputs.append(result.output)
    everything = "\n".join(outputs)
    assert SECRET not in everything and SECRET not in caplog.text
    assert "***" in everything  # the URL is named, masked (submit, db upgrade, dashboard)


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://ann:{SECRET}@127.0.0.1:notaport/db",   # a port that is no number
    f"nosuchdialect://ann:{SECRET}@127.0.0.1/db",                   # a dialect SQLAlchemy does not know
    f"postgresql+psycopg://ann:{SECRET}@127.0.0.1:1/db",            # nothing listens there
    f"postgresql+psycopg://ann@127.0.0.1:1/db?password={SECRET}",
    f"this is no url {SECRET}",
], ids=["port", "dialect", "refused", "query", "garbage"])
def test_a_database_that_cannot_be_used_is_named_without_its_password(url, caplog):
    caplog.set_level(logging.DEBUG)
    result = _invoke(["runs", "--project", "p"], url)
    assert result.exit_code == 2 and result.stderr.startswith("error: "), result.output
    assert SECRET not in result.output and SECRET not in caplog.text


def test_the_dashboard_sidebar_masks_the_password(secret_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.test_pages import _page

    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", secret_url)
    at = AppTest.from_function(_page, args=("runs",), default_timeout=60).run()
    captions = [c.value for c in at.sidebar.caption]
    assert any("database:" in c for c in captions), captions
    shown = "\n".join(captions + [e.value for kind in ("caption", "info", "warning", "error", "markdown")
                                  for e in getattr(at, kind)])
    assert SECRET not in shown and "\\*\\*\\*" in shown  # the mask, escaped as text


def test_shown_url_masks_every_form_of_password():
    for url in (f"postgresql+psycopg://ann:{SECRET}@h/db", f"postgresql+psycopg://ann@h/db?password={SECRET}",
                f"postgresql+psycopg://ann@h/db?sslpassword={SECRET}&sslmode=require",
                f"mysql+pymysql://ann:{SECRET}@h:3306/db?charset=utf8", f"postgresql://ann:{SECRET}@h:x/db"):
        shown = settings.shown_url(url)
        assert SECRET not in shown, shown
    assert settings.shown_url("postgresql+psycopg://ann@h/db?sslmode=require") == \
        "postgresql+psycopg://ann@h/db?sslmode=require"  # nothing secret: shown as given
