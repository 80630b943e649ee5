"""``kill -9`` during a streamed submit (``--engine arrow``): as for the memory submit
(``test_crash.py``, the same kill loop: ``tests.fixtures.kill_inside_transactions``), every
stored run is whole or absent and every stored table's file holds its hash; the killed runs'
placed files are garbage that ``prune_blobs`` removes, and their staging files
(``.streamed-*.tmp``) once they are an hour old (a killed writer holds them no longer)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import store
from diagnose.store._models import Blob
from tests.fixtures import kill_inside_transactions, whole_runs_only

_CHILD = """
import sys
import numpy as np, pandas as pd
from diagnose import service

seed, url, run, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rng = np.random.default_rng(seed)
n = 20_000
paths = {}
for split in ("train", "cv"):
    y = rng.integers(0, 2, n)
    paths[split] = f"{folder}/{split}-{seed}.parquet"
    pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": rng.random(n)}).to_parquet(paths[split])
with service.session(url) as s, s.begin():
    service.submit_streamed(s, project="crash", run=run, **paths, baselines={"human": 0.1})
print("committed", flush=True)
"""
REPEATS = 2


def test_kill_9_during_a_streamed_submit_leaves_no_partial_run(sqlite_url, tmp_path):
    root = tmp_path / "store.artifacts"
    store.make_engine(sqlite_url).dispose()
    kill_inside_transactions(_CHILD, lambda i: [i, sqlite_url, f"r{i}", tmp_path], repeats=REPEATS, seed=20261130,
                             cwd=tmp_path, check=lambda: whole_runs_only(sqlite_url, root))
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
