"""Every case of the bad-input corpus (``cases.py``) through the real command line: exit code
2, one message naming what is wrong and the fix, no traceback, no new row in the store; and,
for the cases marked ``library``, the same message from ``diagnose.report`` as an
:class:`~diagnose.exceptions.InputError` or :class:`~diagnose.exceptions.UsageError`.

Cases with a special file that could block (a FIFO) run in a subprocess with a timeout,
so that a regression fails instead of hanging the suite.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import diagnose
from diagnose.cli import main
from tests.bad_input.cases import CASES, DANGLING, FIFO, FOLDER, LOOP, PASSWORD, Case
from tests.fixtures import row_counts

# the file each special marker becomes
_MAKERS = {
    FIFO: os.mkfifo,
    FOLDER: os.mkdir,
    LOOP: lambda path: os.symlink(path.name, path),
    DANGLING: lambda path: os.symlink("nowhere.csv", path),
}


def lay_out(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, str):
            _MAKERS[content](path)
        else:
            path.write_bytes(content)


def invoke(case: Case, folder: Path, url: str) -> tuple[int, str]:
    """Exit code and all output (stdout and stderr) of the case's command, run in ``folder``."""
    env = {"DIAGNOSE_DATABASE_URL": url, **case.env}
    if FIFO in case.files.values():
        command = [sys.executable, "-c", "from diagnose.cli import main; main()", *case.args]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120,
                              env={**os.environ, **env}, errors="backslashreplace")
        return done.returncode, done.stdout + done.stderr
    result = CliRunner().invoke(main, list(case.args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_one_clear_message(case, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    lay_out(case, work)
    monkeypatch.chdir(work)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    before = row_counts(url)
    code, output = invoke(case, work, url)
    assert code == 2, output
    assert "Traceback" not in output
    assert "rror: " in output  # ours ("error: ...") or click's usage error ("Error: ...")
    for fragment in case.expect:
        assert fragment in output, f"{fragment!r} not in {output!r}"
    assert PASSWORD not in output
    assert row_counts(url) == before


LIBRARY_CASES = [c for c in CASES if c.library]


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=[c.name for c in LIBRARY_CASES])
def test_the_library_raises_the_command_line_message(case, tmp_path, monkeypatch):
    lay_out(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, output = invoke(case, tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    cli_message = next(line for line in output.splitlines() if line.startswith("error: "))[len("error: "):]
    args = list(case.args[case.args.index("--train"):])
    kwargs, options = {}, {}
    while args:
        flag, value = args.pop(0), args.pop(0)
        name = flag.lstrip("-").replace("-", "_")
        (kwargs if name in ("train", "cv", "test", "data") else options)[name] = value
    with pytest.raises((diagnose.InputError, diagnose.UsageError)) as caught:
        diagnose.report(**kwargs, **options)
    assert str(caught.value) == cli_message


def test_the_corpus_covers_every_kind_of_input():
    assert len(CASES) >= 60
    kinds = {Path(name).suffix for c in CASES for name in c.files}
    assert {".csv", ".parquet", ".toml"} <= kinds
    assert {FIFO, FOLDER, LOOP} <= {v for c in CASES for v in c.files.values() if isinstance(v, str)}
