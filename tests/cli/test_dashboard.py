"""`diagnose dashboard`: the streamlit command it runs, and a database it cannot open."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from diagnose.cli import dashboard as command
from diagnose.cli import main


def test_dashboard_runs_streamlit_headless_on_the_app(monkeypatch, tmp_path):
    seen = {}

    def fake_call(cmd, env=None):
        seen["cmd"], seen["env"] = cmd, env
        return 0

    monkeypatch.setattr(command.subprocess, "call", fake_call)
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
    monkeypatch.setattr(command.subprocess, "call", lambda cmd, env=None: seen.update(cmd=cmd, env=env) or 0)
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "DIAGNOSE_UPLOAD_MAX_MB": "2.5"}
    result = CliRunner().invoke(main, ["dashboard", "--port", "8766", "--upload-max-mb", "7"], env=env)
    assert result.exit_code == 0, result.output
    # the flag wins over the environment, for Streamlit's limit and for the Upload page's
    assert "--server.maxUploadSize=7" in seen["cmd"] and seen["env"]["DIAGNOSE_UPLOAD_MAX_MB"] == "7.0"
    bad = CliRunner().invoke(main, ["dashboard", "--upload-max-mb", "-1"], env=env)
    assert bad.exit_code == 2 and "is not valid" in bad.output


def test_a_database_that_cannot_be_opened_stops_before_the_server(monkeypatch, tmp_path):
    monkeypatch.setattr(command.subprocess, "call", lambda cmd: (_ for _ in ()).throw(AssertionError("started")))
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(main, ["dashboard"], env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{bad}"})
    assert result.exit_code == 2
    assert "error:" in result.stderr and "Traceback" not in result.output


def test_a_bad_upload_limit_is_refused(monkeypatch):
    monkeypatch.setattr(command.subprocess, "call", lambda cmd: 0)
    result = CliRunner().invoke(main, ["dashboard"], env={"DIAGNOSE_UPLOAD_MAX_MB": "-3"})
    assert result.exit_code == 2 and "DIAGNOSE_UPLOAD_MAX_MB" in result.stderr


def test_a_port_in_use_is_refused_before_the_server(monkeypatch):
    import socket

    monkeypatch.setattr(command.subprocess, "call", lambda cmd: (_ for _ in ()).throw(AssertionError("started")))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["dashboard", "--port", str(port), "--address", "127.0.0.1"])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
