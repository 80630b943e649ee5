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

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import store
from diagnose.store._models import Blob
from tests.fixtures import kill_inside_transactions, run_cli, whole_runs_only

# the child: a submit of 100,000 rows per split (ANNOUNCE_INSIDE says when it is in the transaction)
_CHILD = """
import sys
import numpy as np, pandas as pd
from diagnose import service

seed, url, run = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(seed)
n = 100_000
y = rng.integers(0, 2, n)
frame = pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": np.clip(0.5 * y + 0.5 * rng.random(n), 0, 1),
                      "note": rng.integers(0, 10**9, n).astype(str)})
with service.session(url) as s, s.begin():
    service.submit_files(s, project="crash", run=run, train=frame, cv=frame.iloc[::-1], baselines={"human": 0.1})
print("committed", flush=True)
"""
REPEATS = 3


def test_kill_9_during_submit_leaves_no_partial_run(db_url, tmp_path, monkeypatch):
    if db_url.startswith("sqlite"):
        root = tmp_path / "store.artifacts"  # the default folder beside the SQLite file
    else:
        root = tmp_path / "artifacts"
        monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(root))
    assert db_url.startswith("postgresql") or db_url.endswith("/store.db")
    store.make_engine(db_url).dispose()  # the schema exists before the first kill
    inside = kill_inside_transactions(_CHILD, lambda i: [i, db_url, f"r{i}"], repeats=REPEATS, seed=20240614,
                                      cwd=tmp_path, check=lambda: whole_runs_only(db_url, root))
    # the store still takes a run afterwards, and every run that did land is whole
    (tmp_path / "t.csv").write_text("y_true,y_score\n" + "0,0.2\n1,0.7\n" * 20)
    result = run_cli(["submit", "--project", "crash", "--run", "after", "--train", str(tmp_path / "t.csv"),
                      "--cv", str(tmp_path / "t.csv")], db_url)
    assert result.exit_code == 0, result.output
    assert whole_runs_only(db_url, root) == REPEATS - inside + 1
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
