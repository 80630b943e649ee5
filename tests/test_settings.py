"""Settings: declared once, read from the environment, each documented in docs/settings.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from diagnose import settings
from diagnose.exceptions import UsageError

README = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def _settings_table() -> dict[str, list[str]]:
    """Rows of the settings table of docs/settings.md: first cell -> cells."""
    section = README.read_text(encoding="utf-8")
    rows = {}
    for line in section.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s\-|]+\|$", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    rows = _settings_table()
    assert setting.name in rows, f"docs/settings.md lacks a row for '{setting.name}'"
    row = " | ".join(rows[setting.name])
    assert setting.env in row, f"docs/settings.md row of '{setting.name}' does not name {setting.env}"
    default = str(setting.default)
    assert default in row or default.rstrip("0").rstrip(".") in row, \
        f"docs/settings.md row of '{setting.name}' does not give the default {default}"


def test_settings_have_help_and_distinct_env_vars():
    assert all(s.help and s.env.startswith("DIAGNOSE_") for s in settings.SETTINGS)
    assert len({s.env for s in settings.SETTINGS}) == len(settings.SETTINGS)


def test_environment_overrides_the_default(monkeypatch):
    monkeypatch.delenv("DIAGNOSE_BUSY_TIMEOUT", raising=False)
    assert settings.get("busy_timeout") == 30.0
    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "4.5")
    assert settings.get("busy_timeout") == 4.5
    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="DIAGNOSE_BUSY_TIMEOUT"):
        settings.get("busy_timeout")
    with pytest.raises(UsageError, match="unknown setting"):
        settings.get("colour")


def test_default_database_is_a_sqlite_file_in_the_home_folder(monkeypatch):
    monkeypatch.delenv("DIAGNOSE_DATABASE_URL", raising=False)
    url = settings.database_url()
    assert url == "sqlite:///" + str(Path.home() / ".diagnose" / "diagnose.db")
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert settings.database_url() == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "-0.5"])
def test_busy_timeout_must_be_finite_seconds(monkeypatch, raw):
    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", raw)
    with pytest.raises(UsageError, match="DIAGNOSE_BUSY_TIMEOUT"):
        settings.get("busy_timeout")


def test_bad_busy_timeout_is_one_clear_error_on_the_command_line(monkeypatch):
    from click.testing import CliRunner

    from diagnose.cli import main

    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "nan")
    result = CliRunner().invoke(main, ["runs", "--project", "p"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: environment variable DIAGNOSE_BUSY_TIMEOUT")


def test_home_folder_is_expanded_for_a_sqlite_url_with_a_driver(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from diagnose.cli import main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", "sqlite+pysqlite:///~/store/runs.db")
    assert settings.database_url() == f"sqlite+pysqlite:///{tmp_path / 'store' / 'runs.db'}"
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "store" / "runs.db").is_file()
