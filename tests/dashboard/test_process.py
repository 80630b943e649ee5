"""``diagnose dashboard`` as a service manager runs it: SIGTERM or SIGINT to the command, or
SIGTERM to the Streamlit server itself, stops the server within 5 seconds, and nothing is left
answering on the port. Real processes on a free port over a temporary SQLite database."""
from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from tests.dashboard import servers

STOP_WITHIN = 5.0  # seconds: what the issue asks of a stop


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {**os.environ, "DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'runs.db'}"}


def _gone_within(seconds: float, proc, pids: list[int], port: int) -> float:
    """Seconds until ``proc`` has exited, every pid is gone and the port is closed (fails after
    ``seconds``)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if proc.poll() is not None and not any(servers.alive(p) for p in pids) and not servers.listening(port):
            return time.monotonic() - start
        time.sleep(0.05)
    left = [p for p in pids if servers.alive(p)]
    pytest.fail(f"{seconds:.0f} s after the signal: diagnose exit code {proc.poll()}, processes still "
                f"running {left}, port {port} {'open' if servers.listening(port) else 'closed'}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_command_stops_the_server(env, tmp_path, sig):
    proc, port = servers.start(env, tmp_path / "server.log")
    try:
        streamlit = servers.children(proc.pid)
        assert len(streamlit) == 1 and servers.alive(streamlit[0])
        os.kill(proc.pid, sig)  # the command alone, as systemd's KillMode=mixed or a shell's kill does
        _gone_within(STOP_WITHIN, proc, streamlit, port)
        assert proc.returncode == 0  # a requested stop is a clean exit
    finally:
        servers.stop(proc)


def test_sigterm_to_the_streamlit_server_stops_it_and_the_command(env, tmp_path):
    proc, port = servers.start(env, tmp_path / "server.log")
    try:
        [streamlit] = servers.children(proc.pid)
        os.kill(streamlit, signal.SIGTERM)
        _gone_within(STOP_WITHIN, proc, [streamlit], port)
    finally:
        servers.stop(proc)


@pytest.mark.skipif(sys.platform != "linux", reason="the server learns of its parent's death through Linux's "
                                                     "PR_SET_PDEATHSIG")
def test_sigkill_to_the_command_still_stops_the_server(env, tmp_path):
    """SIGKILL leaves the command no chance to pass anything on: the server is told by the kernel."""
    proc, port = servers.start(env, tmp_path / "server.log")
    try:
        [streamlit] = servers.children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        _gone_within(STOP_WITHIN, proc, [streamlit], port)
    finally:
        servers.stop(proc)


def test_a_server_that_ignores_sigterm_is_killed(tmp_path):
    """The fallback: a child that ignores SIGTERM is killed after the grace period."""
    import subprocess

    script = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "print('ready', flush=True); time.sleep(60)")
    runner = ("import sys; from diagnose.cli.dashboard import serve; "
              f"sys.exit(serve([sys.executable, '-c', {script!r}], dict(__import__('os').environ), grace=1.0))")
    proc = subprocess.Popen([sys.executable, "-c", runner], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        [child] = servers.children(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)
        start = time.monotonic()
        assert proc.wait(timeout=STOP_WITHIN) == 0
        while servers.alive(child) and time.monotonic() - start < STOP_WITHIN:
            time.sleep(0.05)
        assert not servers.alive(child), "the child that ignores SIGTERM survived"
        assert time.monotonic() - start >= 0.9  # it had its grace period first
    finally:
        servers.stop(proc)
