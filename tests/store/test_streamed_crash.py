"""``kill -9`` during a streamed submit (``--engine arrow``): as for the memory submit
(``test_crash.py``), every stored run is whole or absent and every stored table's file holds
its hash; the killed runs' placed files are garbage that ``prune_blobs`` removes, and their
staging files (``.streamed-*.tmp``) once they are an hour old."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import store
from diagnose.store._models import Blob
from tests.store.test_crash import _whole_runs_only

_CHILD = """
import sys, time
import numpy as np, pandas as pd
from diagnose import service
from diagnose.store import _runs

seed, url, run, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rng = np.random.default_rng(seed)
n = 20_000
paths = {}
for split in ("train", "cv"):
    y = rng.integers(0, 2, n)
    paths[split] = f"{folder}/{split}-{seed}.parquet"
    pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": rng.random(n)}).to_parquet(paths[split])
original = _runs._store_blob

def announced(session, enc, location):
    print("inside", flush=True)  # the files are placed and the run row is written
    time.sleep(0.5)
    original(session, enc, location)

_runs._store_blob = announced
with service.session(url) as s, s.begin():
    service.submit_streamed(s, project="crash", run=run, **paths, baselines={"human": 0.1})
print("committed", flush=True)
"""
REPEATS = 2


def test_kill_9_during_a_streamed_submit_leaves_no_partial_run(sqlite_url, tmp_path):
    root = tmp_path / "store.artifacts"
    store.make_engine(sqlite_url).dispose()
    delays = random.Random(20261130)
    inside = 0
    for i in range(REPEATS):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(i), sqlite_url, f"r{i}", str(tmp_path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip() == "inside", f"the child ended before its transaction (exit {child.poll()})"
            time.sleep(delays.uniform(0.0, 0.03))
            os.kill(child.pid, signal.SIGKILL)
            rest = child.stdout.read()
        finally:
            child.kill()
            child.wait(timeout=30)
        inside += "committed" not in rest
        _whole_runs_only(sqlite_url, root)
    assert inside >= 1, "no kill landed inside a transaction: the test proved nothing"
    engine = store.make_engine(sqlite_url)
    try:
        with Session(engine) as s, s.begin():
            kept = {Path(loc).name for loc in s.scalars(select(Blob.location))}
            placed = {p.name for p in root.iterdir() if p.name.endswith(".parquet")}
            staging = [p for p in root.iterdir() if p.name.endswith(".tmp")]
            assert kept <= placed and staging  # the killed submits left their staging files
            assert store.prune_blobs(s) == len(placed - kept)  # fresh staging files stay: a writer may own them
        for p in staging:  # an hour later they are stale
            os.utime(p, (time.time() - 7200, time.time() - 7200))
        with Session(engine) as s, s.begin():
            store.prune_blobs(s)
        assert {p.name for p in root.iterdir()} == kept
    finally:
        engine.dispose()
