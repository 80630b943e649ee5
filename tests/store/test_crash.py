"""``kill -9`` during a submit: the transaction is all or nothing, and SQLite's file stays sound.

A child process submits a run big enough for its transaction to take a while, says when it
is inside the transaction (after the run row is written, before the tables and the report),
holds it open for half a second so that a busy machine cannot let it commit first, and is
killed with SIGKILL after a short, seeded random delay. Afterwards every stored run is whole
(its two submissions, its blobs, its report) or absent, every stored table's artifact file is
there with the bytes of its hash, and SQLite's integrity check passes; the files of killed
runs are garbage that prune_blobs removes. Runs on SQLite and PostgreSQL (with an artifact
folder, DIAGNOSE_ARTIFACT_URL, there).
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from diagnose import store
from diagnose.store._models import Blob, Run, StoredReport, Submission
from tests.fixtures import run_cli

# the child: a submit of 100,000 rows per split, announcing "inside" from within the transaction
_CHILD = """
import sys, time
import numpy as np, pandas as pd
from diagnose import service
from diagnose.store import _runs

seed, url, run = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(seed)
n = 100_000
y = rng.integers(0, 2, n)
frame = pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": np.clip(0.5 * y + 0.5 * rng.random(n), 0, 1),
                      "note": rng.integers(0, 10**9, n).astype(str)})
original = _runs._store_blob

def announced(session, enc, location):
    print("inside", flush=True)  # the run row is written: the transaction is open
    time.sleep(0.5)  # and stays open past the kill, however busy the machine
    original(session, enc, location)

_runs._store_blob = announced
with service.session(url) as s, s.begin():
    service.submit_files(s, project="crash", run=run, train=frame, cv=frame.iloc[::-1], baselines={"human": 0.1})
print("committed", flush=True)
"""
REPEATS = 3


def _whole_runs_only(url: str, root: Path) -> int:
    """Check that every stored run is complete; returns how many runs there are."""
    engine = store.make_engine(url)
    try:
        with Session(engine) as s:
            runs = s.scalar(select(func.count()).select_from(Run)) or 0
            per_run = s.execute(select(Run.name, func.count(Submission.id)).outerjoin(Submission)
                                .group_by(Run.id, Run.name)).all()
            assert all(n == 2 for _, n in per_run), per_run  # train and cv, never one alone
            assert s.scalar(select(func.count()).select_from(StoredReport)) == runs
            used = set(s.scalars(select(Submission.content_hash)))
            assert set(s.scalars(select(Blob.content_hash))) == used  # no blob of a rolled-back run
            for content_hash, location in s.execute(select(Blob.content_hash, Blob.location)):
                assert location is not None  # (the tables went to the artifact store)
                path = Path(location) if Path(location).is_absolute() else root.parent / location
                assert hashlib.sha256(path.read_bytes()).hexdigest() == content_hash
            if s.get_bind().dialect.name == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        engine.dispose()
    return runs


def test_kill_9_during_submit_leaves_no_partial_run(db_url, tmp_path, monkeypatch):
    if db_url.startswith("sqlite"):
        root = tmp_path / "store.artifacts"  # the default folder beside the SQLite file
    else:
        root = tmp_path / "artifacts"
        monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(root))
    assert db_url.startswith("postgresql") or db_url.endswith("/store.db")
    store.make_engine(db_url).dispose()  # the schema exists before the first kill
    delays = random.Random(20240614)
    inside = 0  # kills that landed before the commit
    for i in range(REPEATS):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(i), db_url, f"r{i}"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()  # blocks until the child is inside the transaction
            assert line.strip() == "inside", f"the child ended before its transaction (exit {child.poll()})"
            time.sleep(delays.uniform(0.0, 0.03))
            os.kill(child.pid, signal.SIGKILL)
            rest = child.stdout.read()
        finally:
            child.kill()
            child.wait(timeout=30)
        inside += "committed" not in rest
        print(f"kill {i}: {'before' if 'committed' not in rest else 'after'} the commit")
        _whole_runs_only(db_url, root)
    assert inside >= 1, "no kill landed inside a transaction: the test proved nothing"
    # the store still takes a run afterwards, and every run that did land is whole
    (tmp_path / "t.csv").write_text("y_true,y_score\n" + "0,0.2\n1,0.7\n" * 20)
    result = run_cli(["submit", "--project", "crash", "--run", "after", "--train", str(tmp_path / "t.csv"),
                      "--cv", str(tmp_path / "t.csv")], db_url)
    assert result.exit_code == 0, result.output
    assert _whole_runs_only(db_url, root) == REPEATS - inside + 1
    # the killed runs' files are garbage: prune removes them and keeps every stored one
    engine = store.make_engine(db_url)
    try:
        with Session(engine) as s, s.begin():
            kept = {Path(loc).name for loc in s.scalars(select(Blob.location))}
            files = {p.name for p in root.iterdir()}
            assert kept <= files
            assert store.prune_blobs(s) == len(files - kept)
        assert {p.name for p in root.iterdir()} == kept
    finally:
        engine.dispose()
