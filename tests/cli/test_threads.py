"""BLAS runs on one thread while diagnose computes (diagnose/_threads.py), and the caller's
limits come back afterwards."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from threadpoolctl import threadpool_info, threadpool_limits

import diagnose.service._inputs as inputs
from diagnose.cli import main
from diagnose.service import report


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    if not blas_threads():
        pytest.fail("numpy loaded no BLAS that threadpoolctl can see")
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(blas_threads()) == {2}
        yield


def spy_on_pick_engine(monkeypatch, module) -> list[list[int]]:
    """The BLAS threads at each call of ``module.pick_engine`` (the first step of a report)."""
    seen: list[list[int]] = []
    real = module.pick_engine

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "pick_engine", spy)
    return seen


def test_the_library_report_computes_on_one_blas_thread_and_restores_the_limit(two_blas_threads, monkeypatch):
    seen = spy_on_pick_engine(monkeypatch, inputs)
    frame = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": np.tile([0.2, 0.7], 50)})
    assert report(train=frame, cv=frame).splits["cv"].error == 0.0
    assert seen and set(seen[0]) == {1}
    assert set(blas_threads()) == {2}


def test_every_command_runs_on_one_blas_thread(two_blas_threads, monkeypatch, tmp_path):
    import diagnose.service as service

    seen = spy_on_pick_engine(monkeypatch, service)
    path = tmp_path / "split.csv"
    pd.DataFrame({"y_true": [0, 1] * 20, "y_score": np.tile([0.2, 0.7], 20)}).to_csv(path, index=False)
    result = CliRunner().invoke(main, ["report", "--train", str(path), "--cv", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert seen and set(seen[0]) == {1}
    assert set(blas_threads()) == {2}


def test_a_fresh_command_line_process_loads_its_blas_with_one_thread(tmp_path):
    # numpy is not loaded when the command line starts: the thread count must be asked for
    # before it loads (threadpoolctl only reaches libraries already loaded)
    import os
    import subprocess
    import sys

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: BLAS starts one thread anyway")
    path = tmp_path / "cv.csv"
    pd.DataFrame({"y_true": [0, 1] * 20, "y_score": np.tile([0.2, 0.7], 20)}).to_csv(path, index=False)
    code = ("import sys\nfrom diagnose.cli import main\n"
            f"main(['threshold', '--cv', {str(path)!r}], standalone_mode=False)\n"
            "from threadpoolctl import threadpool_info\n"
            "print(sorted({lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas'}))\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[1]"


def test_reports_on_two_threads_share_one_limit_and_restore_it_after_the_last():
    # (no outer threadpool_limits here: OpenBLAS ignores a limit set on another thread while
    # the main thread holds one of its own)
    import threading

    from diagnose._threads import one_blas_thread

    before = blas_threads()

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with one_blas_thread():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with one_blas_thread():
            b_in.set()
            a_out.wait(5)  # a has left: b still computes on one thread
            seen["b"] = blas_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert set(seen["b"]) == {1}
    assert blas_threads() == before
