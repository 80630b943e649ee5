"""The command line's progress bar, in a real process: drawn when stderr is a terminal (a
pseudo-terminal here), absent when stderr is a pipe, with ``--quiet`` or DIAGNOSE_PROGRESS=0;
the report on stdout is the same either way."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from tests.fixtures import ROOT, binary_frame

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
MAIN = "import sys; from diagnose.cli import main; sys.exit(main())"


@pytest.fixture
def parts(tmp_path) -> list[str]:
    """A run as globs of three Parquet parts per split: each pass reads three batches."""
    rng = np.random.default_rng(7)
    for split in ("train", "cv"):
        for i in range(3):
            binary_frame(rng, 200).drop(columns="id").to_parquet(tmp_path / f"{split}-{i}.parquet")
    return ["report", "--engine", "arrow", "--format", "json",
            "--train", str(tmp_path / "train-*.parquet"), "--cv", str(tmp_path / "cv-*.parquet")]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DIAGNOSE_PROGRESS"}
    return {**env, **extra}


def run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``diagnose args`` with stderr on a pseudo-terminal: (exit code, stdout, all stderr bytes)."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", MAIN, *args], stdout=subprocess.PIPE, stderr=follower,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:  # read while it runs, so that a full terminal buffer never blocks it
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO: the process closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(leader)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_a_terminal_shows_the_bar_and_a_pipe_does_not(parts):
    code, on_terminal, bar = run_on_terminal(parts, _env())
    assert code == 0, bar
    # the ETA needs a redraw after the first file is done, which the 10-per-second throttle may
    # skip on a fast run: tests/ingest/test_progress.py checks it with a fake clock
    assert "statistics of" in bar and "-*.parquet" in bar and "rows/s" in bar
    assert "threshold pass" in bar  # the later passes of the binary threshold search
    assert bar.rstrip(" ").endswith("\r")  # the last bar is wiped: the terminal is left clean

    piped = subprocess.run([sys.executable, "-c", MAIN, *parts], capture_output=True, text=True, cwd=ROOT,
                           env=_env())
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == on_terminal  # the bar never reaches stdout and changes nothing


@pytest.mark.parametrize("how", ["--quiet", "-q", "DIAGNOSE_PROGRESS=0"])
def test_quiet_and_the_setting_turn_it_off_on_a_terminal(parts, how):
    if how.startswith("-"):
        code, _, bar = run_on_terminal([how, *parts], _env())
    else:
        code, _, bar = run_on_terminal(parts, _env(DIAGNOSE_PROGRESS="0"))
    assert code == 0 and bar == ""


def test_a_bad_input_on_a_terminal_leaves_one_clean_error_line(tmp_path, parts):
    (tmp_path / "cv-1.parquet").write_bytes(b"PAR1 not parquet")
    code, _, err = run_on_terminal(parts, _env())
    assert code == 2
    last = err.replace("\r\n", "\n").split("\r")[-1]  # what is left after the bar's wipe
    assert last.strip().startswith("error: ") and "cv-*.parquet: cannot be read" in last and "Traceback" not in err


def test_quiet_ends_with_the_command(parts):
    # in process (the library used after a command): --quiet holds for that command only
    from click.testing import CliRunner

    from diagnose.cli import main
    from diagnose.ingest import _progress

    seen = []
    real = _progress.progress_shown

    def spy(stream=None):
        seen.append(_progress._QUIET.get())
        return real(stream)

    import unittest.mock

    with unittest.mock.patch.object(_progress, "progress_shown", spy):
        result = CliRunner().invoke(main, ["--quiet", *parts], catch_exceptions=False)
    assert result.exit_code == 0 and seen and all(seen)
    assert _progress._QUIET.get() is False
