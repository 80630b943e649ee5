"""A long streamed submit (``diagnose submit --engine arrow``) and what happens meanwhile:

- a run name the project holds already (and whatever else the store refuses without reading
  a row) is refused before the first pass, with the message and exit code of the commit-time
  check, which still catches a name taken during the passes;
- a concurrent ``prune_blobs`` never removes the staging files of a submit still running,
  however old they are (the writer holds them: ``store._holds``), nor a table placed from
  them by a hard link; once the writer lets go they are garbage again.

Staleness is made with ``os.utime`` (two hours back): no sleeps.
"""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from diagnose import service, store
from diagnose.cli import main
from diagnose.exceptions import UsageError
from diagnose.service import _engines, _streamed_submit
from diagnose.service._streamed_submit import prepare_streamed, submit_prepared_stream
from tests.fixtures import binary_frame, row_counts

TWO_HOURS_AGO = time.time() - 7200


def _files(folder, rng, n=1000):
    paths = {}
    for split in ("train", "cv"):
        paths[split] = str(folder / f"{split}.parquet")
        binary_frame(rng, n).to_parquet(paths[split])
    return paths


def _submit(url, paths, *extra, engine="arrow"):
    return CliRunner().invoke(main, ["submit", "--project", "p", "--run", "r", "--train", paths["train"], "--cv",
                                     paths["cv"], "--engine", engine, *extra], env={"DIAGNOSE_DATABASE_URL": url})


def _no_pass(monkeypatch):
    """Make every pass over the inputs (and the head check before them) a test failure."""
    def ran(*args, **kwargs):
        raise AssertionError("a pass over the inputs ran")

    monkeypatch.setattr(_streamed_submit, "_preflight", ran)
    monkeypatch.setattr(_streamed_submit, "_write_tables", ran)
    monkeypatch.setattr(_engines, "streamed_run", ran)


def _listing(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_taken_run_name_is_refused_before_the_first_pass(tmp_path, rng, monkeypatch):
    paths = _files(tmp_path, rng)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert _submit(url, paths).exit_code == 0
    at_commit = _submit(url, paths, engine="memory")  # the memory submit finds it at its commit
    assert at_commit.exit_code == 2 and "run 'r' already exists in project 'p'" in at_commit.output
    stored = _listing(tmp_path / "store.artifacts")
    _no_pass(monkeypatch)
    early = _submit(url, paths)
    assert (early.exit_code, early.output) == (2, at_commit.output)
    assert "Traceback" not in early.output
    assert _listing(tmp_path / "store.artifacts") == stored  # no staging file was written
    assert row_counts(url)["run"] == 1


@pytest.mark.parametrize("extra, message", [
    (["--train-size", "-5"], "train size -5.0 is not a training-set size"),
    (["--param", "C=nan"], "parameter 'C' is nan"),
    (["--baseline", "b" * 101 + "=0.1"], "baseline name 'bbb"),
    (["--project", "p" * 201], "project name 'ppp"),
])
def test_what_the_store_refuses_without_rows_is_refused_before_the_first_pass(tmp_path, rng, monkeypatch, extra,
                                                                               message):
    paths = _files(tmp_path, rng)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    at_commit = _submit(url, paths, *extra, engine="memory")
    assert at_commit.exit_code == 2 and message in at_commit.output
    _no_pass(monkeypatch)
    early = _submit(url, paths, *extra)
    assert (early.exit_code, early.output) == (2, at_commit.output)
    assert _listing(tmp_path / "store.artifacts") == []


def test_an_over_long_run_name_is_refused_before_the_first_pass(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _no_pass(monkeypatch)
    with pytest.raises(UsageError, match="run name 'xxx.*' has 300 characters"):
        prepare_streamed("never-read.csv", "never-read.csv", db_url=url, project="p", run="x" * 300)


def test_a_name_taken_during_the_passes_is_still_refused_at_the_commit(db_url, tmp_path, rng, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(tmp_path / "art"))
    paths = _files(tmp_path, rng)
    with prepare_streamed(paths["train"], paths["cv"], db_url=db_url, project="p", run="r") as prepared:
        with service.session(db_url) as s, s.begin():  # a concurrent submit takes the name meanwhile
            service.submit_files(s, project="p", run="r", train=pd.read_parquet(paths["train"]).head(40),
                                 cv=pd.read_parquet(paths["cv"]).head(40))
        with pytest.raises(UsageError, match="run 'r' already exists in project 'p'; give the run another name"):
            with service.session(db_url) as s, s.begin():
                submit_prepared_stream(s, prepared, project="p", run="r")
    with service.session(db_url) as s:
        assert store.load_run_splits(s, "p", "r").cv.n == 40  # the concurrent run, untouched


def test_submit_streamed_checks_the_name_before_its_passes(sqlite_url, tmp_path, rng, monkeypatch):
    paths = _files(tmp_path, rng)
    with service.session(sqlite_url) as s, s.begin():
        service.submit_streamed(s, project="p", run="r", **paths)
    _no_pass(monkeypatch)
    with pytest.raises(UsageError, match="run 'r' already exists"), service.session(sqlite_url) as s, s.begin():
        service.submit_streamed(s, project="p", run="r", **paths)


def test_prune_keeps_a_live_submits_staging_files_however_old(db_url, tmp_path, rng, monkeypatch):
    root = tmp_path / "art"
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(root))
    paths = _files(tmp_path, rng)
    with prepare_streamed(paths["train"], paths["cv"], db_url=db_url, project="p", run="r") as prepared:
        staging = sorted(root.glob(".streamed-*.tmp"))
        assert len(staging) == 2  # train's and cv's, in the artifact folder
        cv = prepared.tables["cv"][1]
        placed = root / f"{cv.content_hash}.parquet"  # as store_run places it before its rows
        os.link(cv.path, placed)
        dead = root / ".streamed-cv.0123456789abcdef.tmp"  # a crashed writer's: nobody holds it
        dead.write_bytes(b"PAR1")
        for p in [*staging, dead]:
            os.utime(p, (TWO_HOURS_AGO, TWO_HOURS_AGO))
        with service.session(db_url) as s, s.begin():
            assert store.prune_blobs(s) == 0  # (temporary files are not counted)
        assert all(p.exists() for p in staging) and placed.exists()
        assert not dead.exists()  # prune did run: the stale file no writer holds went
        placed.unlink()
        with service.session(db_url) as s, s.begin():
            submit_prepared_stream(s, prepared, project="p", run="r")
    with service.session(db_url) as s:
        back = store.load_run_splits(s, "p", "r")
    assert (back.train.n, back.cv.n) == (1000, 1000)
    assert not list(root.glob("*.tmp"))


def test_a_staging_file_is_garbage_once_its_writer_lets_go(sqlite_url, tmp_path):
    root = tmp_path / "store.artifacts"
    table = store.stream_table(pa.schema({"y": pa.float64()}), source="cv.csv", split="cv", db_url=sqlite_url)
    table.write(pa.record_batch({"y": np.arange(100, dtype=float)}))
    enc = table.finish()
    placed = root / f"{enc.content_hash}.parquet"
    os.link(table.path, placed)
    os.utime(table.path, (TWO_HOURS_AGO, TWO_HOURS_AGO))
    with service.session(sqlite_url) as s, s.begin():
        assert store.prune_blobs(s) == 0
    assert _listing(root) == sorted([placed.name, os.path.basename(table.path)])
    table._sink.let_go()  # as when the process dies: the hold goes, the files stay
    with service.session(sqlite_url) as s, s.begin():
        assert store.prune_blobs(s) == 1  # the placed file (the stale staging file goes uncounted)
    assert _listing(root) == []
    table.discard()  # (nothing left to remove)


def test_a_refused_input_leaves_no_new_store_behind(tmp_path, rng):
    # the early check on a SQLite store that does not exist yet checks names only: a bad file
    # then leaves no database file (nor artifact folder) behind, as the memory path
    paths = _files(tmp_path, rng)
    bad = binary_frame(rng, 50).astype({"y_score": str})
    bad.loc[3, "y_score"] = "high"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    db = tmp_path / "new" / "runs.db"
    db.parent.mkdir()
    result = _submit(f"sqlite:///{db}", {**paths, "cv": str(tmp_path / "bad.csv")})
    assert result.exit_code == 2 and "bad.csv" in result.output and "y_score" in result.output
    assert not db.exists() and _listing(db.parent) == []
    # a run name that is too long is still refused up front, without a store
    result = _submit(f"sqlite:///{db}", paths, "--run", "x" * 300)
    assert result.exit_code == 2 and "run name" in result.output and not db.exists()
    assert _submit(f"sqlite:///{db}", paths).exit_code == 0 and db.exists()  # a good run creates it
