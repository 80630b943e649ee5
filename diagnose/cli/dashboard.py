"""``diagnose dashboard``: start the Streamlit app on the configured database."""
from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import click

from ..exceptions import UsageError
from ._options import note, setting_option, setting_value


def app_path() -> Path:
    """The dashboard's entry script, found without importing the package (nothing under
    ``diagnose`` imports ``dashboard``; the two ship side by side)."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.origin:
        raise UsageError("the dashboard package is not installed beside diagnose; reinstall: pip install -e .")
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


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port to serve the dashboard on.")
@click.option("--address", default="localhost", show_default=True,
              help="Address to listen on (0.0.0.0 to let colleagues connect).")
@setting_option("upload_max_mb")
def dashboard(port, address, upload_max_mb):
    """Start the Streamlit dashboard on the configured database (DIAGNOSE_DATABASE_URL)."""
    from .. import settings
    from ..store import database_errors, make_engine

    url = settings.database_url()
    with database_errors():  # a database that cannot be opened fails here, with exit 2
        make_engine(url).dispose()
    _check_port(address, port)
    max_mb = float(setting_value("upload_max_mb", upload_max_mb))
    host = "localhost" if address in ("0.0.0.0", "::") else address
    note(f"dashboard on http://{host}:{port} over {settings.shown_url(url)} (stop it with Ctrl+C)")
    # the Upload page reads the limit from the setting: hand the server the one in force
    env = {**os.environ, settings.setting("upload_max_mb").env: repr(max_mb)}
    try:
        code = subprocess.call(streamlit_command(port=port, address=address, max_mb=max_mb), env=env)
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)
