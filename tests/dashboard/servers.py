"""Real ``diagnose dashboard`` servers for the browser and process tests: start one on a free
port, wait until it answers, find its Streamlit child, stop the whole group."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures import ROOT

SERVER_START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def diagnose(*args: str) -> list[str]:
    """The ``diagnose`` command line of this interpreter (no reliance on the console script)."""
    return [sys.executable, "-c", "from diagnose.cli import main; main()", *args]


def answers(port: int) -> bool:
    """Whether a dashboard answers its health check on 127.0.0.1:``port``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def listening(port: int) -> bool:
    """Whether anything accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(env: dict[str, str], log: Path, *args: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """``diagnose dashboard --port P *args`` in its own session (so that a test can stop the whole
    group), stdout and stderr into ``log``; returns once the server answers."""
    port = port or free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(diagnose("dashboard", "--port", str(port), *args), env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not answers(port):
        if proc.poll() is not None:
            pytest.fail(f"diagnose dashboard exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"the dashboard did not answer on port {port} within {SERVER_START_TIMEOUT:.0f} s:\n"
                        f"{log.read_text(errors='replace')}")
        time.sleep(0.2)
    return proc, port


def children(pid: int) -> list[int]:
    """The direct children of process ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is running (a zombie, dead and not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop(proc: subprocess.Popen) -> None:
    """Stop diagnose and the Streamlit server it started (in a process group of its own), come
    what may: SIGTERM first, then SIGKILL for whatever is left."""
    servers = children(proc.pid)
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        for group in (proc.pid, *servers):
            try:
                os.killpg(group, sig)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not any(alive(pid) for pid in servers):
            return


# ------------------------------------------------------------------ a real browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_BROWSER_ENV = "DIAGNOSE_REQUIRE_BROWSER"

# Chromium flags: headless, and no calls home (the CI network is closed; without the
# background-networking flags Chromium keeps retrying).
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,2000")


def browser_or_skip() -> None:
    """Skip (or, with DIAGNOSE_REQUIRE_BROWSER=1, fail) when Chromium, its driver or selenium is missing,
    saying which and how to install it."""
    import importlib.util

    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    hint = "Debian: apt-get install chromium chromium-driver"
    if importlib.util.find_spec("selenium") is None:
        missing.append("selenium")
        hint += "; selenium: pip install -e '.[test]'"
    if missing:
        reason = f"the dashboard's browser tests need {' and '.join(missing)} ({hint})"
        required = os.environ.get(REQUIRE_BROWSER_ENV, "") == "1"
        pytest.fail(reason + f", and {REQUIRE_BROWSER_ENV}=1 demands it") if required else pytest.skip(reason)


def chromium(page_timeout: float):
    """A headless Chromium driven by Debian's chromedriver (Selenium Manager never downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # the explicit driver path already keeps Selenium Manager from running
        browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(page_timeout)
    return browser
