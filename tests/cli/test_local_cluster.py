"""`--engine dask` without a scheduler (issue 15): the command starts a local cluster whose
workers come from a fork server (forking the command's threaded process could leave a worker
waiting for ever on a lock another thread held: the cluster then never started). Run in a
fresh process, as a user runs it, with a time limit: a cluster that does not start fails the
test instead of hanging the suite. Its figures are the arrow engine's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "breast_cancer"
CLI = "import sys; from diagnose.cli import main; sys.argv[0] = 'diagnose'; main()"


def _report(engine: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CLI, "report", "--train", str(SAMPLE / "train.csv"),
                           "--cv", str(SAMPLE / "cv.csv"), "--test", str(SAMPLE / "test.csv"),
                           "--engine", engine, "--format", "json"],
                          capture_output=True, text=True, timeout=180, env=_without_scheduler())
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _without_scheduler() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "DIAGNOSE_SCHEDULER"}


def test_a_local_cluster_starts_from_a_fork_server_and_gives_the_arrow_figures():
    dask, arrow = _report("dask"), _report("arrow")
    for split in ("train", "cv", "test"):
        assert dask["splits"][split]["error"] == arrow["splits"][split]["error"]
        assert dask["splits"][split]["n"] == arrow["splits"][split]["n"]
    assert dask["verdict"] == arrow["verdict"]
