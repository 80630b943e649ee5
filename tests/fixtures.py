"""What the tests share: paths to the repository's data and small prediction tables.

Pytest fixtures built on these live in ``conftest.py``; test modules import the plain
helpers from here (``from tests.fixtures import binary_frame``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


def binary_frame(rng: np.random.Generator, n: int, *, signal: float = 0.5) -> pd.DataFrame:
    """A binary predictions table whose scores carry some signal about the labels."""
    y = rng.integers(0, 2, n)
    score = np.clip(y * signal + rng.random(n) * (1 - signal), 0, 1)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score})


def misclassified_share(path) -> float:
    """Independent oracle: the share of rows misclassified at score >= 0.5, straight from a binary CSV."""
    frame = pd.read_csv(path)
    return float(np.mean((frame["y_score"] >= 0.5).astype(int) != frame["y_true"]))


def run_cli(args, url: str):
    """The command line, in process, on the database at ``url``."""
    from click.testing import CliRunner

    from diagnose.cli import main

    return CliRunner().invoke(main, args, env={"DIAGNOSE_DATABASE_URL": url}, catch_exceptions=False)


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of the database at ``url``."""
    from sqlalchemy.orm import Session

    from diagnose import store

    engine = store.make_engine(url)
    try:
        with Session(engine) as s:
            return store.count_rows(s)
    finally:
        engine.dispose()


def whole_runs_only(url: str, root: Path) -> int:
    """Check that every stored run of the store at ``url`` is complete (its train and cv
    submissions, its report, no blob of a rolled-back run, each artifact file under ``root``'s
    folder holding the bytes of its hash, SQLite's integrity check); returns how many runs there are."""
    import hashlib

    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from diagnose import store
    from diagnose.store._models import Blob, Run, StoredReport, Submission

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


# put before a child script of kill_inside_transactions: it says "inside" from within the
# submit's transaction (the run row is written, the tables and the report are not) and holds
# the transaction open for half a second, so that a busy machine cannot let it commit first
ANNOUNCE_INSIDE = """
import time as _time
from diagnose.store import _runs as _announced_runs
_store_blob = _announced_runs._store_blob

def _announced(session, enc, location):
    print("inside", flush=True)
    _time.sleep(0.5)
    _store_blob(session, enc, location)

_announced_runs._store_blob = _announced
"""


def kill_inside_transactions(child: str, args, *, repeats: int, seed: int, cwd: Path, check) -> int:
    """``kill -9`` inside submits: run the script ``child`` ``repeats`` times (``python -c``,
    after :data:`ANNOUNCE_INSIDE`; arguments ``args(i)``), each killed with SIGKILL after a
    seeded random delay of 0-30 ms once it says it is inside its transaction, then ``check()``
    the store. ``child`` prints "committed" after its commit. Returns how many kills landed
    before the commit, and fails unless at least one did (else the test proved nothing)."""
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    delays = random.Random(seed)
    inside = 0
    for i in range(repeats):
        proc = subprocess.Popen([sys.executable, "-c", ANNOUNCE_INSIDE + child, *map(str, args(i))],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # blocks until the child is inside the transaction
            assert line.strip() == "inside", f"the child ended before its transaction (exit {proc.poll()})"
            time.sleep(delays.uniform(0.0, 0.03))
            os.kill(proc.pid, signal.SIGKILL)
            rest = proc.stdout.read()
        finally:
            proc.kill()
            proc.wait(timeout=30)
        inside += "committed" not in rest
        print(f"kill {i}: {'before' if 'committed' not in rest else 'after'} the commit")
        check()
    assert inside >= 1, "no kill landed inside a transaction: the test proved nothing"
    return inside
