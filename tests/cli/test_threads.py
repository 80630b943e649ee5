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
