"""Stored statistics: every sample run's per-split statistics come back from the store equal
to the bit to those computed from its validated splits; a damaged or hostile blob is the
project's error (DiagnoseError), never a crash or an object built from it; a store from
before (revision 0003) upgrades, its runs read as having no statistics."""
from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.exceptions import DiagnoseError
from diagnose.service._statistics import REGISTRY, decode_statistics, encode_statistics
from diagnose.store._models import RunStatistics
from diagnose.store._statistics import MAGIC, Registry, decode_value, encode_value, same

SAMPLES = ["breast_cancer", "diabetes_linear", "diabetes_poly", "digits", "high_bias", "high_variance",
           "multilabel", "skewed"]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_runs_statistics_round_trip_to_the_bit(sqlite_url, sample_dir, name):
    folder = sample_dir / name
    files = {split: str(folder / f"{split}.csv") for split in ("train", "cv", "test")}
    prepared = service.prepare_run(**files, baselines={"human": 0.01})
    with service.session(sqlite_url) as s, s.begin():
        service.submit_prepared(s, prepared, project="samples", run=name)
    with service.session(sqlite_url) as s:
        back = service.run_statistics(s, "samples", name)
    fresh = service.statistics_of(prepared.splits)
    assert back is not None and list(back) == ["train", "cv", "test"]
    assert same(back, fresh)
    # not a tautology: the stored sums give the memory report's errors (an independent path)
    for split in ("train", "cv", "test"):
        assert back[split].stats.error(split).error == pytest.approx(prepared.report.splits[split].error,
                                                                    rel=1e-12, abs=1e-12)
    if prepared.splits.task == "binary":
        assert back["cv"].scores is not None and back["cv"].scores.rows == prepared.splits.cv.n
        assert int(back["cv"].scores.hist.total.sum()) == prepared.splits.cv.n
        assert back["train"].scores is None


def test_a_memory_submit_stores_what_the_streamed_kernel_computes(sqlite_url, case):
    """statistics_of is the arrow engine's kernel and order: on one file read both ways the
    finished figures agree to 1e-12."""
    from diagnose.options import ReportOptions
    from diagnose.service._engines import arrow_statistics, collect_statistics, make_plan
    from diagnose.service._inputs import Input

    prepared = service.prepare_run(**case)
    inputs = {split: Input.of(path) for split, path in case.items()}
    streamed = collect_statistics(inputs, make_plan(inputs, ReportOptions.of(None)), arrow_statistics)
    memory = service.statistics_of(prepared.splits)
    for split in ("train", "cv", "test"):
        assert memory[split].stats.error(split).error == pytest.approx(streamed[split].stats.error(split).error,
                                                                      rel=1e-12, abs=1e-15)
    assert np.array_equal(memory["cv"].scores.hist.total, streamed["cv"].scores.hist.total)


def _stored_blob(url, frame):
    with service.session(url) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=frame, cv=frame)
        return store.stored_statistics(s, "p", "r")


def _hostile(blob: bytes, *, header=None, body=None) -> bytes:
    """``blob`` with its header (a dict, or raw bytes) and/or its compressed arrays replaced."""
    (size,) = struct.unpack("<I", blob[4:8])
    head = json.loads(blob[8:8 + size]) if header is None or callable(header) else header
    if callable(header):
        head = header(head)
    raw = head if isinstance(head, bytes) else json.dumps(head).encode()
    return MAGIC + struct.pack("<I", len(raw)) + raw + (blob[8 + size:] if body is None else body)


def _first_array(head):
    return head["arrays"][0]


CORRUPTIONS = {
    "not JSON": lambda b: _hostile(b, header=b"{not json"),
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "wrong magic": lambda b: b"PK\x03\x04" + b[4:],
    "object dtype": lambda b: _hostile(b, header=lambda h: {**h, "arrays": [["|O", a[1]] for a in h["arrays"]]}),
    "big-endian dtype": lambda b: _hostile(b, header=lambda h: {**h, "arrays": [[">i8", a[1]] for a in h["arrays"]]}),
    "wrong length": lambda b: _hostile(b, header=lambda h: {**h, "arrays": [[a[0], [a[1][0] + 1]]
                                                                             for a in h["arrays"]]}),
    "short body": lambda b: _hostile(b, body=zlib.compress(b"\0" * 10)),
    "not zlib": lambda b: _hostile(b, body=b"garbage"),
    "huge shape": lambda b: _hostile(b, header=lambda h: {**h, "arrays": [["<f8", [1 << 29, 1 << 29]]]}),
    "unknown class": lambda b: _hostile(b, header=lambda h: {**h, "root": {"@class": "Popen", "@fields": {}}}),
    "array out of range": lambda b: _hostile(b, header=lambda h: {**h, "root": {"@array": 99}}),
    "field of the wrong type": lambda b: _hostile(b, header=lambda h: {
        **h, "root": {**h["root"], "@fields": {**h["root"]["@fields"], "stats": "x"}}}),
    "unknown field": lambda b: _hostile(b, header=lambda h: {
        **h, "root": {**h["root"], "@fields": {**h["root"]["@fields"], "__class__": 1}}}),
    "not a Found": lambda b: _hostile(b, header=lambda h: {**h, "root": [1, 2]}),
    "nesting past the limit": lambda b: _hostile(b, header=("{\"root\": " + "[" * 200 + "]" * 200
                                                            + ", \"arrays\": []}").encode()),
    "JSON nested past Python's recursion": lambda b: _hostile(b, header=b"[" * 200000),
    "histogram of the wrong length": lambda b: _hostile(b, header=lambda h: {
        **h, "arrays": [[a[0], [a[1][0] // 2]] for a in h["arrays"]]}, body=zlib.compress(
            zlib.decompress(b[8 + struct.unpack("<I", b[4:8])[0]:])[: len(zlib.decompress(
                b[8 + struct.unpack("<I", b[4:8])[0]:])) // 2])),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_hostile_statistics_blob_is_the_projects_error(sqlite_url, rng, kind):
    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 300), "y_score": rng.random(300)})
    blobs = _stored_blob(sqlite_url, frame)
    bad = CORRUPTIONS[kind](blobs["cv"])
    with pytest.raises(DiagnoseError, match=r"statistics of p/r:cv"):
        decode_statistics({"cv": bad}, what="p/r")
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        s.execute(update(RunStatistics).where(RunStatistics.split == "cv").values(data=bad))
    with Session(engine) as s:
        with pytest.raises(DiagnoseError, match=r"statistics of p/r:cv"):
            service.run_statistics(s, "p", "r")
    engine.dispose()


def test_statistics_of_another_codec_version_are_refused(sqlite_url, rng):
    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 50), "y_score": rng.random(50)})
    _stored_blob(sqlite_url, frame)
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        s.execute(update(RunStatistics).values(codec=99))
    with Session(engine) as s, pytest.raises(DiagnoseError, match="codec 99"):
        service.run_statistics(s, "p", "r")
    engine.dispose()


def test_the_codec_builds_only_registered_classes_and_refuses_what_it_cannot_store():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Secret:
        x: int

    with pytest.raises(TypeError, match="not in the statistics registry"):
        encode_value(Secret(1), REGISTRY)
    with pytest.raises(TypeError, match="list"):
        encode_value([1, 2], REGISTRY)
    with pytest.raises(TypeError, match="dtype"):
        encode_value(np.array(["a"], dtype=object), REGISTRY)
    # a blob naming a class that exists but is not registered here: refused by name
    blob = encode_value(Secret(1), Registry([Secret]))
    with pytest.raises(DiagnoseError, match="Secret"):
        decode_value(blob, REGISTRY, what="x")
    # values keep their exact bits and kinds
    value = (0.1, -0.0, float("inf"), float("nan"), 2**70, True, None, "é", np.arange(5, dtype=np.int32),
             np.array([[1.5, np.nan]]), np.zeros(0, bool))
    assert same(decode_value(encode_value(value, REGISTRY), REGISTRY, what="x"), value)


def test_every_class_that_found_holds_is_registered():
    """Found's field annotations reach only registered classes (a field another module adds
    is registered without a change to the codec)."""
    from diagnose.service._partials import Found
    from diagnose.service._statistics import CLASSES, reachable

    assert set(reachable(Found)) <= set(REGISTRY.classes)
    assert {c.__name__ for c in CLASSES} <= set(REGISTRY.classes)


def test_a_store_at_revision_0003_upgrades_and_its_runs_have_no_statistics(db_url, rng):
    from diagnose.store._engine import SCHEMA_HEAD

    frame = pd.DataFrame({"id": range(100), "y_true": rng.integers(0, 2, 100), "y_score": rng.random(100)})
    engine = store.make_engine(db_url, migrate=False)
    store.upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (name, created_at) VALUES ('old', CURRENT_TIMESTAMP)"))
        project_id = conn.execute(text("SELECT id FROM project WHERE name = 'old'")).scalar()
        enc = store.encode_table(service.prepare_run(frame, frame).splits.cv.table)
        conn.execute(text("INSERT INTO run (project_id, name, created_at, task, metric, ingest, params, verdict) "
                          "VALUES (:p, 'r0', CURRENT_TIMESTAMP, 'binary', 'error_rate', :ingest, '{}', "
                          "'inconclusive')"),
                     {"p": project_id, "ingest": '{"columns": {}, "positive_label": null, "classes": ["0", "1"]}'})
        run_id = conn.execute(text("SELECT id FROM run WHERE name = 'r0'")).scalar()
        conn.execute(text("INSERT INTO blob (content_hash, size, data, created_at) VALUES (:h, :n, :d, "
                          "CURRENT_TIMESTAMP)"), {"h": enc.content_hash, "n": len(enc.data), "d": enc.data})
        for split in ("train", "cv"):
            conn.execute(text("INSERT INTO submission (run_id, split, n_rows, content_hash) VALUES (:r, :s, :n, :h)"),
                         {"r": run_id, "s": split, "n": enc.n_rows, "h": enc.content_hash})
    engine.dispose()
    engine = store.make_engine(db_url)  # upgrades on first use
    assert store.current_revision(engine) == SCHEMA_HEAD == "0004"
    with Session(engine) as s, s.begin():
        assert service.run_statistics(s, "old", "r0") is None
        assert store.load_run_splits(s, "old", "r0").cv.n == 100
        service.submit_files(s, project="old", run="r1", train=frame, cv=frame)
    with Session(engine) as s, s.begin():
        assert sorted(service.run_statistics(s, "old", "r1")) == ["cv", "train"]
        store.delete_run(s, "old", "r1")
        assert store.count_rows(s)["run_statistics"] == 0
    engine.dispose()


def test_deleting_a_project_deletes_its_statistics(sqlite_url, rng):
    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 50), "y_score": rng.random(50)})
    _stored_blob(sqlite_url, frame)
    with service.session(sqlite_url) as s, s.begin():
        assert store.count_rows(s)["run_statistics"] == 2
        store.delete_project(s, "p")
        assert store.count_rows(s)["run_statistics"] == 0


def test_found_blobs_are_small_for_a_mostly_empty_histogram(rng):
    """65,536 buckets x 3 int64 arrays compress: a 300-row cv split takes tens of kB, not 1.5 MB."""
    from diagnose.ingest import load_splits

    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 300), "y_score": rng.random(300)})
    blobs = encode_statistics(service.statistics_of(load_splits(frame, frame)))
    assert len(blobs["cv"]) < 60_000 and len(blobs["train"]) < 30_000


def test_statistics_the_reader_would_refuse_are_not_stored(tmp_path, monkeypatch):
    """A header above the reader's limit (thousands of classes) was stored, then refused on
    every read; now the run is stored without statistics and readers use its rows."""
    from diagnose.store import _statistics

    monkeypatch.setattr(_statistics, "MAX_HEADER_BYTES", 64)
    t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with service.session(url) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=t, cv=t)
    with service.session(url) as s:
        assert service.run_statistics(s, "p", "r") is None
        assert store.load_run_splits(s, "p", "r").cv.n == 40  # the rows, which readers fall back to
