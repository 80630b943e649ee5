"""`diagnose dashboard`: the streamlit command it runs, a database it cannot open, the password a
public address needs, --read-only, and the extra that installs Streamlit. (Real servers and
signals: tests/dashboard/test_process.py.)"""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from diagnose.cli import dashboard as command
from diagnose.cli import main


def _must_not_start(cmd, env):
    raise AssertionError("the server was started")


def test_dashboard_runs_streamlit_headless_on_the_app(monkeypatch, tmp_path):
    seen = {}

    def fake_serve(cmd, env):
        seen["cmd"], seen["env"] = cmd, env
        return 0

    monkeypatch.setattr(command, "serve", fake_serve)
    url = f"sqlite:///{tmp_path / 'd.db'}"
    result = CliRunner().invoke(main, ["dashboard", "--port", "8765"],
                                env={"DIAGNOSE_DATABASE_URL": url, "DIAGNOSE_UPLOAD_MAX_MB": "2.5"})
    assert result.exit_code == 0, result.output
    cmd = seen["cmd"]
    app = Path(cmd[4])
    assert cmd[1:4] == ["-m", "streamlit", "run"] and app.name == "app.py" and app.exists()
    assert app.parent.name == "dashboard"
    for flag in ("--server.headless=true", "--server.port=8765", "--server.maxUploadSize=3",
                 "--client.showErrorDetails=none"):
        assert flag in cmd
    assert "http://localhost:8765" in result.stderr and url in result.stderr
    assert (tmp_path / "d.db").exists()  # created and migrated before the server starts
    assert seen["env"]["DIAGNOSE_UPLOAD_MAX_MB"] == "2.5"


def test_the_upload_limit_can_be_given_on_the_command_line(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(command, "serve", lambda cmd, env: seen.update(cmd=cmd, env=env) or 0)
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_UPLOAD_MAX_MB": "2.5"}
    result = CliRunner().invoke(main, ["dashboard", "--port", "8766", "--upload-max-mb", "7"], env=env)
    assert result.exit_code == 0, result.output
    # the flag wins over the environment, for Streamlit's limit and for the Upload page's
    assert "--server.maxUploadSize=7" in seen["cmd"] and seen["env"]["DIAGNOSE_UPLOAD_MAX_MB"] == "7.0"
    bad = CliRunner().invoke(main, ["dashboard", "--upload-max-mb", "-1"], env=env)
    assert bad.exit_code == 2 and "is not valid" in bad.output


def test_a_database_that_cannot_be_opened_stops_before_the_server(monkeypatch, tmp_path):
    monkeypatch.setattr(command, "serve", _must_not_start)
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(main, ["dashboard"], env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{bad}"})
    assert result.exit_code == 2
    assert "error:" in result.stderr and "Traceback" not in result.output


def test_a_bad_upload_limit_is_refused(monkeypatch):
    monkeypatch.setattr(command, "serve", _must_not_start)
    result = CliRunner().invoke(main, ["dashboard"], env={"DIAGNOSE_UPLOAD_MAX_MB": "-3"})
    assert result.exit_code == 2 and "DIAGNOSE_UPLOAD_MAX_MB" in result.stderr


def test_a_port_in_use_is_refused_before_the_server(monkeypatch):
    import socket

    monkeypatch.setattr(command, "serve", _must_not_start)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["dashboard", "--port", str(port), "--address", "127.0.0.1"])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr


# ------------------------------------------------------------------ access: password, read-only

def test_a_public_address_needs_a_password(monkeypatch, tmp_path):
    monkeypatch.setattr(command, "serve", _must_not_start)
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_DASHBOARD_PASSWORD": ""}
    for address in ("0.0.0.0", "::", "192.168.1.20", "dashboard.lan"):
        result = CliRunner().invoke(main, ["dashboard", "--address", address], env=env)
        assert result.exit_code == 2, (address, result.output)
        assert result.stderr.startswith("error: ") and "Traceback" not in result.output
        assert "DIAGNOSE_DASHBOARD_PASSWORD" in result.stderr and "localhost" in result.stderr  # the two fixes
    assert not (tmp_path / "d.db").exists()  # refused before the database is touched


def test_with_a_password_a_public_address_starts_and_the_password_stays_secret(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(command, "serve", lambda cmd, env: seen.update(cmd=cmd, env=env) or 0)
    secret = "correct horse battery staple"
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_DASHBOARD_PASSWORD": secret}
    result = CliRunner().invoke(main, ["dashboard", "--address", "0.0.0.0", "--port", "8767"], env=env)
    assert result.exit_code == 0, result.output
    assert "--server.address=0.0.0.0" in seen["cmd"] and "password required" in result.stderr
    assert secret not in result.output and not any(secret in part for part in seen["cmd"])  # not in `ps` either
    # the server process reads the password from its environment, as the app's sign-in form does
    assert seen["env"]["DIAGNOSE_DASHBOARD_PASSWORD"] == secret


def test_loopback_addresses_need_no_password(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(command, "serve", lambda cmd, env: started.append(cmd) or 0)
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_DASHBOARD_PASSWORD": ""}
    for address in ("localhost", "127.0.0.1"):
        result = CliRunner().invoke(main, ["dashboard", "--address", address, "--port", "8768"], env=env)
        assert result.exit_code == 0, result.output
    assert len(started) == 2


def test_read_only_comes_from_the_flag_or_the_setting(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(command, "serve", lambda cmd, env: seen.append(env["DIAGNOSE_DASHBOARD_READ_ONLY"]) or 0)
    base = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_DASHBOARD_READ_ONLY": ""}
    cases = [([], {}, "0"), (["--read-only"], {}, "1"), ([], {"DIAGNOSE_DASHBOARD_READ_ONLY": "yes"}, "1"),
             ([], {"DIAGNOSE_DASHBOARD_READ_ONLY": "0"}, "0")]
    for args, extra, expected in cases:
        result = CliRunner().invoke(main, ["dashboard", "--port", "8769", *args], env={**base, **extra})
        assert result.exit_code == 0, result.output
        assert seen[-1] == expected, (args, extra)
        assert ("read-only" in result.stderr) == (expected == "1")
    bad = CliRunner().invoke(main, ["dashboard"], env={**base, "DIAGNOSE_DASHBOARD_READ_ONLY": "maybe"})
    assert bad.exit_code == 2 and "DIAGNOSE_DASHBOARD_READ_ONLY" in bad.stderr


def test_a_read_only_dashboard_never_creates_the_store(monkeypatch, tmp_path):
    monkeypatch.setattr(command, "serve", lambda cmd, env: 0)
    missing = tmp_path / "typo" / "d.db"
    result = CliRunner().invoke(main, ["dashboard", "--port", "8770", "--read-only"],
                                env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{missing}"})
    assert result.exit_code == 2 and "no run store" in result.stderr, result.output
    assert not (tmp_path / "typo").exists()


# ------------------------------------------------------------------ the slim install

def test_without_streamlit_the_command_names_the_extra(monkeypatch, tmp_path):
    import sys

    monkeypatch.setattr(command, "serve", _must_not_start)
    monkeypatch.setitem(sys.modules, "streamlit", None)  # as if not installed: find_spec gives None
    result = CliRunner().invoke(main, ["dashboard"], env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "pip install 'diagnose[dashboard]'" in result.stderr


def test_the_demo_and_the_library_need_no_streamlit(monkeypatch, tmp_path):
    """The README's first command works on the slim install: nothing on its way imports Streamlit."""
    import sys

    monkeypatch.setitem(sys.modules, "streamlit", None)  # any `import streamlit` now raises ImportError
    result = CliRunner().invoke(main, ["demo"], env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"})
    assert result.exit_code == 0, result.output
    assert "stored the sample runs" in result.stderr
    assert "browse them: pip install 'diagnose[dashboard]'" in result.stderr  # the extra, before the command
