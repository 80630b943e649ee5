"""The artifact store: tables as files beside the SQLite file (or under DIAGNOSE_ARTIFACT_URL),
verified on reading, removed with the last run that uses them, and stores from before it
(tables inside the database, schema 0002) still readable after the upgrade."""
from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.exceptions import DiagnoseError
from diagnose.store._models import Blob


def _frame(rng, n=200):
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"id": range(n), "y_true": y, "y_score": rng.random(n).round(6)})


def _submit(url, run, train, cv):
    with service.session(url) as s, s.begin():
        service.submit_files(s, project="p", run=run, train=train, cv=cv)


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_tables_go_beside_the_sqlite_file_and_read_back_verified(sqlite_url, tmp_path, rng):
    train, cv = _frame(rng), _frame(rng)
    _submit(sqlite_url, "r1", train, cv)
    folder = tmp_path / "store.artifacts"
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s:
        rows = s.execute(select(Blob.content_hash, Blob.size, Blob.data, Blob.location)).all()
        assert len(rows) == 2 and all(data == b"" for _, _, data, _ in rows)
        for content_hash, size, _, location in rows:
            assert location == f"store.artifacts/{content_hash}.parquet"  # relative: moves with the file
            data = (folder / f"{content_hash}.parquet").read_bytes()
            assert hashlib.sha256(data).hexdigest() == content_hash and size == len(data)
        back = store.load_run_splits(s, "p", "r1")
    assert back.cv.y_true.tolist() == cv["y_true"].tolist()
    assert back.train.y_score.tolist() == train["y_score"].tolist()
    # a changed file is refused, not read
    victim = folder / _files(folder)[0]
    victim.write_bytes(victim.read_bytes()[:-1] + b"x")
    with Session(engine) as s, pytest.raises(DiagnoseError, match="does not match its hash"):
        store.load_run_splits(s, "p", "r1")
    victim.unlink()
    with Session(engine) as s, pytest.raises(DiagnoseError, match="missing from the artifact store"):
        store.load_run_splits(s, "p", "r1")
    engine.dispose()


def test_deleting_runs_removes_only_unshared_files_after_commit(db_url, tmp_path, monkeypatch, rng):
    folder = tmp_path / "art"
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(folder))
    shared, own, other = _frame(rng), _frame(rng), _frame(rng)
    _submit(db_url, "keep", shared, other)
    _submit(db_url, "drop", shared, own)
    assert len(_files(folder)) == 3
    own_name = store.encode_table(__import__("diagnose").ingest.load_splits(shared, own).cv.table).content_hash
    with service.session(db_url) as s, s.begin():
        assert store.delete_run(s, "p", "drop", keep_blobs=False)
        assert len(_files(folder)) == 3  # nothing goes before the commit
    assert len(_files(folder)) == 2 and f"{own_name}.parquet" not in _files(folder)
    with pytest.raises(RuntimeError), service.session(db_url) as s, s.begin():  # a rolled-back delete
        store.delete_project(s, "p", keep_blobs=False)
        raise RuntimeError
    assert len(_files(folder)) == 2
    with service.session(db_url) as s:
        assert store.load_run_splits(s, "p", "keep").cv.n == 200
    with service.session(db_url) as s, s.begin():
        store.delete_project(s, "p", keep_blobs=False)
    assert _files(folder) == []


def test_a_url_with_credentials_is_never_stored(sqlite_url, tmp_path, monkeypatch, rng):
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", f"file://{tmp_path / 'u'}")
    _submit(sqlite_url, "r1", _frame(rng), _frame(rng))
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s:
        locations = list(s.scalars(select(Blob.location)))
        assert all(loc.startswith(f"file://{tmp_path / 'u'}/") for loc in locations)
        assert store.load_run_splits(s, "p", "r1").cv.n == 200
    engine.dispose()
    from diagnose.store._locations import without_secrets as _without_secrets
    assert _without_secrets("s3://AKIA:s3cret@bucket/x?secret_key=k") == "s3://bucket/x"


def test_database_setting_keeps_tables_in_rows_with_the_limit(sqlite_url, tmp_path, monkeypatch, rng):
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", "database")
    _submit(sqlite_url, "r1", _frame(rng), _frame(rng))
    assert not (tmp_path / "store.artifacts").exists()
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s:
        assert all(loc is None for loc in s.scalars(select(Blob.location)))
        assert store.load_run_splits(s, "p", "r1").cv.n == 200
    engine.dispose()


def test_a_store_at_revision_0002_keeps_its_runs_after_the_upgrade(db_url, tmp_path, monkeypatch, rng):
    from sqlalchemy import text

    from diagnose.store._engine import SCHEMA_HEAD

    train, cv = _frame(rng), _frame(rng)
    engine = store.make_engine(db_url, migrate=False)
    store.upgrade(engine, "0002")
    # a run as diagnose stored it before the artifact store: the bytes inside the blob row
    enc = store.encode_table(service.prepare_run(train, cv).splits.cv.table)
    tr = store.encode_table(service.prepare_run(train, cv).splits.train.table)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (name, created_at) VALUES ('old', CURRENT_TIMESTAMP)"))
        project_id = conn.execute(text("SELECT id FROM project WHERE name = 'old'")).scalar()
        conn.execute(text("INSERT INTO run (project_id, name, created_at, task, metric, ingest, params, verdict) "
                          "VALUES (:p, 'r0', CURRENT_TIMESTAMP, 'binary', 'error', :ingest, '{}', 'inconclusive')"),
                     {"p": project_id, "ingest": '{"columns": {}, "positive_label": null, "classes": [0, 1]}'})
        run_id = conn.execute(text("SELECT id FROM run WHERE name = 'r0'")).scalar()
        for split, e in (("train", tr), ("cv", enc)):
            conn.execute(text("INSERT INTO blob (content_hash, size, data, created_at) "
                              "VALUES (:h, :n, :d, CURRENT_TIMESTAMP)"),
                         {"h": e.content_hash, "n": len(e.data), "d": e.data})
            conn.execute(text("INSERT INTO submission (run_id, split, n_rows, content_hash) "
                              "VALUES (:r, :s, :n, :h)"), {"r": run_id, "s": split, "n": e.n_rows, "h": e.content_hash})
    engine.dispose()
    engine = store.make_engine(db_url)  # upgrades on first use
    assert store.current_revision(engine) == SCHEMA_HEAD
    with Session(engine) as s:
        back = store.load_run_splits(s, "old", "r0")
        assert back.cv.y_true.tolist() == cv["y_true"].tolist() and back.train.n == 200
    engine.dispose()
    # a new run beside it goes to the artifact store, and the old one stays readable
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", str(tmp_path / "art"))
    with service.session(db_url) as s, s.begin():
        service.submit_files(s, project="old", run="r1", train=train, cv=_frame(rng))
        assert store.load_run_splits(s, "old", "r0").cv.n == 200
    assert len(_files(tmp_path / "art")) == 1  # train is the old run's table: stored once, in its row
