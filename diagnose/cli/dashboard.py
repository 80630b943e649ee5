"""``diagnose dashboard``: start the Streamlit app on the configured database.

The server runs as a child process in its own process group. SIGTERM, SIGINT (Ctrl+C) or
SIGHUP to this command is passed on to the group, and whatever is still running
:data:`STOP_GRACE` seconds later is killed: a service manager's stop never leaves a server
answering.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from ..exceptions import UsageError
from ._options import note, setting_option, setting_value

STOP_GRACE = 3.0  # seconds the server gets to stop on its own before it is killed
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
EXTRA = "dashboard"  # the pyproject extra that installs the dashboard's dependencies


def app_path() -> Path:
    """The dashboard's entry script, found without importing the package (nothing under
    ``diagnose`` imports ``dashboard``; the two ship side by side)."""
    if importlib.util.find_spec("streamlit") is None:
        raise UsageError(f"the dashboard needs Streamlit, which the slim install leaves out: "
                         f"pip install 'diagnose[{EXTRA}]' (in a clone: pip install -e '.[{EXTRA}]')")
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.origin:
        raise UsageError(f"the dashboard package is not installed beside diagnose; reinstall: "
                         f"pip install -e '.[{EXTRA}]'")
    return Path(spec.origin).with_name("app.py")


def streamlit_command(*, port: int, address: str, max_mb: float) -> list[str]:
    """The ``streamlit run`` command line: headless, no stack traces on the page, the upload limit.

    >>> cmd = streamlit_command(port=8502, address="127.0.0.1", max_mb=200.0)
    >>> cmd[1:4], "--server.port=8502" in cmd, "--client.showErrorDetails=none" in cmd
    (['-m', 'streamlit', 'run'], True, True)
    """
    return [sys.executable, "-m", "streamlit", "run", str(app_path()),
            "--server.headless=true", f"--server.port={port}", f"--server.address={address}",
            # Streamlit's own limit is whole megabytes; the Upload page applies the exact one
            f"--server.maxUploadSize={max(1, math.ceil(max_mb))}",
            "--server.fileWatcherType=none", "--server.runOnSave=false",
            "--client.showErrorDetails=none", "--client.toolbarMode=minimal",
            "--browser.gatherUsageStats=false", "--global.developmentMode=false"]


def is_local(address: str) -> bool:
    """Whether only this machine can connect to ``address`` (localhost or a loopback address);
    any other address, host names included, counts as reachable by others.

    >>> is_local("localhost"), is_local("127.0.0.1"), is_local("::1"), is_local("0.0.0.0"), is_local("db.lan")
    (True, True, True, False, False)
    """
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port(address: str, port: int) -> None:
    """Refuse a port that is taken before Streamlit starts (it would exit 1, our 'gate failed')."""
    import socket

    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UsageError(f"cannot resolve the address '{address}'; give a host name or an IP address") from None
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError:
            raise UsageError(f"port {port} on {address} is in use (another dashboard?); pick another "
                             "with --port") from None


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass


def _stop_with_parent() -> None:
    """In the server process, before it starts (Linux): SIGTERM when this command dies, even by
    SIGKILL, which leaves no chance to forward anything."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the signal handlers below still cover a stop
        pass


def serve(command: list[str], env: dict[str, str], *, grace: float = STOP_GRACE) -> int:
    """Run ``command`` in its own process group until it ends or this process is asked to stop
    (SIGTERM, SIGINT, SIGHUP): then the group gets SIGTERM, and SIGKILL after ``grace`` seconds.
    Returns 0 after a requested stop, else the server's exit code."""
    proc = subprocess.Popen(command, env=env, start_new_session=True,
                            preexec_fn=_stop_with_parent if sys.platform == "linux" else None)
    asked: list[int] = []

    def stop(signum, frame) -> None:
        asked.append(signum)
        _signal_group(proc, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in FORWARDED}
    try:
        deadline = None
        while proc.poll() is None:
            if asked and deadline is None:
                deadline = time.monotonic() + grace
            if deadline is not None and time.monotonic() > deadline:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.05)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _signal_group(proc, signal.SIGKILL)  # anything the server started and left behind
    if asked:
        return 0
    code = proc.returncode
    return code if code >= 0 else 128 - code


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port to serve the dashboard on.")
@click.option("--address", default="localhost", show_default=True,
              help="Address to listen on; any but localhost (e.g. 0.0.0.0, to let colleagues connect) needs a "
                   "password in DIAGNOSE_DASHBOARD_PASSWORD.")
@click.option("--read-only", "read_only", is_flag=True, default=False,
              help="Turn off uploads and the saving of tags (default: DIAGNOSE_DASHBOARD_READ_ONLY).")
@setting_option("upload_max_mb")
def dashboard(port, address, read_only, upload_max_mb):
    """Start the Streamlit dashboard on the configured database (DIAGNOSE_DATABASE_URL).

    With DIAGNOSE_DASHBOARD_PASSWORD set, every page asks for that password first. SIGTERM or
    Ctrl+C stops the server (within a few seconds).
    """
    from .. import settings
    from ..store import database_errors, make_engine

    app_path()  # Streamlit missing: say which extra to install, before anything else
    password = str(settings.get("dashboard_password"))
    if not password and not is_local(address):
        raise UsageError(f"--address {address} lets other machines connect, and the dashboard has no password: "
                         f"set {settings.setting('dashboard_password').env} to one, or serve on localhost only "
                         "(the default)")
    read_only = read_only or bool(settings.get("dashboard_read_only"))
    url = settings.database_url()
    with database_errors():  # a database that cannot be opened fails here, with exit 2
        make_engine(url, create=not read_only).dispose()  # read-only: never creates a store
    _check_port(address, port)
    max_mb = float(setting_value("upload_max_mb", upload_max_mb))
    host = "localhost" if address in ("0.0.0.0", "::") else address
    extras = [w for w, on in (("password required", bool(password)), ("read-only", read_only)) if on]
    note(f"dashboard on http://{host}:{port} over {settings.shown_url(url)}"
         f"{' (' + ', '.join(extras) + ')' if extras else ''}; stop it with Ctrl+C")
    # the server reads its settings from the environment: hand it the ones in force
    env = {**os.environ, settings.setting("upload_max_mb").env: repr(max_mb),
           settings.setting("dashboard_read_only").env: "1" if read_only else "0",
           settings.setting("progress").env: "0"}  # the page shows the work; no bar on the terminal
    sys.exit(serve(streamlit_command(port=port, address=address, max_mb=max_mb), env))
