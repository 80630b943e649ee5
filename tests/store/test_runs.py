"""Stored runs: submit/list/show round trips, atomicity, concurrent writers, tags, deletion.

Every database test runs on SQLite and on the real PostgreSQL (``db_url`` fixture);
without a PostgreSQL server those variants skip, unless DIAGNOSE_REQUIRE_POSTGRES=1.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.exceptions import UsageError
from diagnose.store import _runs as repository
from diagnose.store._artifacts import table_bytes
from diagnose.store._models import Blob
from tests.fixtures import misclassified_share, row_counts, run_cli


def test_submit_runs_show_round_trip(db_url, case):
    args = ["--train", case["train"], "--cv", case["cv"], "--test", case["test"], "--baseline", "human=0.02"]
    first = run_cli(["submit", "--project", "bc", "--run", "r1", *args, "--param", "C=0.3", "--train-size", "341"],
                    db_url)
    assert first.exit_code == 0, first.output
    second = run_cli(["submit", "--project", "bc", "--run", "r2", *args, "--format", "json"], db_url)
    assert second.exit_code == 0, second.output

    listed = run_cli(["runs", "--project", "bc", "--format", "json"], db_url)
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert [r["run"] for r in runs] == ["r1", "r2"]
    expected = misclassified_share(case["cv"])
    for r in runs:
        assert r["verdict"] == "inconclusive"  # as sample_data/README.md says
        assert r["cv_error"] == pytest.approx(expected, abs=1e-12)
        assert datetime.fromisoformat(r["created_at"]).tzinfo is not None
    assert runs[0]["params"] == {"C": 0.3} and runs[0]["train_size"] == 341
    assert type(runs[0]["train_size"]) is int  # a size, not 341.0
    assert runs[0]["created_at"] <= runs[1]["created_at"]

    text_list = run_cli(["runs", "--project", "bc"], db_url)
    assert "r1" in text_list.output and "inconclusive" in text_list.output

    shown = run_cli(["show", "bc", "r1", "--format", "json"], db_url)
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["splits"]["cv"]["error"] == pytest.approx(expected, abs=1e-12)
    assert report["splits"]["test"]["n"] == len(pd.read_csv(case["test"]))
    assert report["baselines"]["human"] == 0.02
    fresh = run_cli(["report", *args, "--format", "json"], db_url)
    assert json.loads(fresh.stdout) == report  # stored exactly as computed
    for fmt, marker in (("text", "diagnose report"), ("markdown", "| split |")):
        out = run_cli(["show", "bc", "r2", "--format", fmt], db_url)
        assert out.exit_code == 0 and marker in out.output and "run r2" in out.output


def test_identical_content_is_stored_once_and_hashes_match(db_url, case):
    for run in ("a", "b"):
        assert run_cli(["submit", "--project", "p", "--run", run, "--train", case["train"], "--cv", case["cv"],
                     "--test", case["test"]], db_url).exit_code == 0
    counts = row_counts(db_url)
    assert counts["submission"] == 6 and counts["blob"] == 3 and counts["run"] == 2
    engine = store.make_engine(db_url)
    with Session(engine) as s:
        for blob in s.scalars(select(Blob)):
            data = table_bytes(s, blob.content_hash, blob.data, blob.location, what="test")
            assert hashlib.sha256(data).hexdigest() == blob.content_hash
            assert data[:4] == b"PAR1" and blob.size == len(data)
    engine.dispose()


def test_stored_splits_load_back_as_the_original_values(store_engine, sample_dir):
    folder = sample_dir / "digits"
    summary_args = dict(train=str(folder / "train.csv"), cv=str(folder / "cv.csv"), baselines={"human": 0.01})
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="digits", run="r1", **summary_args)
    with Session(store_engine) as s:
        splits = store.load_run_splits(s, "digits", "r1")
    cv = pd.read_csv(folder / "cv.csv")
    classes = [c[len("y_prob_"):] for c in cv.columns if c.startswith("y_prob_")]
    assert splits.task == "multiclass" and list(splits.cv.classes) == classes
    np.testing.assert_array_equal(np.array(classes)[splits.cv.y_true], cv["y_true"].astype(str))
    np.testing.assert_allclose(splits.cv.y_score, cv[[f"y_prob_{c}" for c in classes]].to_numpy())
    np.testing.assert_array_equal(splits.cv.ids.astype(str), cv["id"].astype(str))
    assert splits.test is None and splits.train.n == len(pd.read_csv(folder / "train.csv"))


def test_previous_run_and_unknown_names(store_engine, rng):
    from tests.fixtures import binary_frame

    frame = binary_frame(rng, 200)
    with Session(store_engine) as s, s.begin():
        for name in ("first", "second", "third"):
            service.submit_files(s, project="p", run=name, train=frame, cv=frame)
    with Session(store_engine) as s:
        assert store.previous_run(s, "p", "third").summary.run == "second"
        assert store.previous_run(s, "p", "first") is None
        assert store.previous_run(s, "p").summary.run == "third"
        with pytest.raises(UsageError, match="no run 'fourth' in project 'p'"):
            store.get_run(s, "p", "fourth")
        with pytest.raises(UsageError, match="no project 'q'"):
            store.list_runs(s, "q")


def test_show_unknown_run_is_bad_usage(db_url, case):
    run_cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]], db_url)
    result = run_cli(["show", "p", "nope"], db_url)
    assert result.exit_code == 2 and "no run 'nope'" in result.output


def test_tags_are_one_row_per_sample_and_replaced(store_engine, rng):
    from tests.fixtures import binary_frame

    frame = binary_frame(rng, 50)
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=frame, cv=frame)
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="r", sample_id="7", tags=["blurry", "dark"], reviewer="ann")
        store.set_tags(s, project="p", run="r", sample_id="9", tags="mislabeled")
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="r", sample_id="7", tags="blurry", reviewer="bob")
    with Session(store_engine) as s:
        tags = store.get_tags(s, project="p", run="r")
    assert tags.set_index("sample_id")["tags"].to_dict() == {"7": "blurry", "9": "mislabeled"}
    assert tags.set_index("sample_id")["reviewer"]["7"] == "bob"


def test_a_bad_file_stores_nothing(db_url, case, tmp_path):
    bad = pd.read_csv(case["cv"])
    bad.loc[3, "y_score"] = 1.3
    bad_path = tmp_path / "bad_cv.csv"
    bad.to_csv(bad_path, index=False)
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", str(bad_path)],
                     db_url)
    assert result.exit_code == 2
    assert "must lie in [0, 1]" in result.output and "row 4" in result.output
    assert set(row_counts(db_url).values()) == {0}


def test_a_duplicate_run_name_is_refused_and_changes_nothing(db_url, case):
    args = ["--train", case["train"], "--cv", case["cv"]]
    assert run_cli(["submit", "--project", "p", "--run", "r", *args], db_url).exit_code == 0
    before = row_counts(db_url)
    again = run_cli(["submit", "--project", "p", "--run", "r", *args], db_url)
    assert again.exit_code == 2 and "already exists" in again.output
    assert row_counts(db_url) == before


def test_a_crash_midway_leaves_no_partial_rows(store_engine, monkeypatch, rng):
    from tests.fixtures import binary_frame

    seen = {}

    def crash(session, *args, **kwargs):
        session.flush()
        seen.update(store.count_rows(session))  # rows were written inside the transaction...
        raise RuntimeError("power cut")

    monkeypatch.setattr(repository, "_store_report", crash)
    frame = binary_frame(rng, 300)
    with pytest.raises(RuntimeError, match="power cut"):
        with Session(store_engine) as s, s.begin():
            service.submit_files(s, project="p", run="r", train=frame, cv=frame, baselines={"human": 0.1})
    assert seen["run"] == 1 and seen["blob"] == 1 and seen["submission"] == 2 and seen["baseline"] == 1
    with Session(store_engine) as s:
        assert set(store.count_rows(s).values()) == {0}  # ...and none survived


_WRITER = """
import sys
from diagnose.cli import main
main(sys.argv[1:])
"""


def test_four_concurrent_submits_all_land(db_url, tmp_path):
    rng = np.random.default_rng(7)
    n = 10_000
    paths = []
    for i in range(4):  # different content per writer, so each stores its own blobs
        y = rng.integers(0, 2, n)
        frame = pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": np.clip(y * 0.4 + rng.random(n) * 0.6, 0, 1)})
        path = tmp_path / f"run{i}.parquet"
        frame.to_parquet(path)
        paths.append(path)
    env = {"DIAGNOSE_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    # the database is still empty: the writers also race to create the schema
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, "submit", "--project", "conc", "--run", f"r{i}",
                               "--train", str(p), "--cv", str(p), "--format", "json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i, p in enumerate(paths)]
    outs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outs):
        assert proc.returncode == 0, err.decode()
    engine = store.make_engine(db_url)
    with Session(engine) as s:
        runs = store.list_runs(s, "conc")
        assert sorted(r.run for r in runs) == ["r0", "r1", "r2", "r3"]
        counts = store.count_rows(s)
    engine.dispose()
    assert counts["project"] == 1 and counts["submission"] == 8 and counts["blob"] == 4
    assert counts["report"] == 4


def test_concurrent_threads_with_separate_engines(db_url):
    """Threads with separate engines on one database all land."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.fixtures import binary_frame

    store.make_engine(db_url).dispose()
    frames = [binary_frame(np.random.default_rng(i), 5_000) for i in range(4)]

    def write(i):
        engine = store.make_engine(db_url)
        try:
            with Session(engine) as s, s.begin():
                service.submit_files(s, project="t", run=f"r{i}", train=frames[i], cv=frames[i])
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    engine = store.make_engine(db_url)
    with Session(engine) as s:
        assert sorted(r.run for r in store.list_runs(s, "t")) == ["r0", "r1", "r2", "r3"]
    engine.dispose()


def test_encoded_tables_round_trip_every_column_type():
    import pyarrow as pa

    table = pa.table({
        "id": pa.array([3, 1, 2], pa.int64()), "small": pa.array([1, 0, 1], pa.int8()),
        "y_score": [0.25, 0.5, 1e-300], "f32": pa.array([1.5, -2.0, 0.0], pa.float32()),
        "label": ["a", None, "c"], "flag": [True, False, None],
        "cat": pa.array(["x", "y", "x"]).dictionary_encode(), "half": pa.array([1, 2, 3], pa.float16()),
        "when": pa.array([0, 1, 2], pa.timestamp("ms")), "with.dot": [1.0, 2.0, 3.0],
    })
    encoded = store.encode_table(table)
    assert store.decode_table(encoded.data).equals(table)
    assert encoded.content_hash == hashlib.sha256(encoded.data).hexdigest()
    assert store.encode_table(table).content_hash == encoded.content_hash  # deterministic


def test_delete_tags_removes_only_the_named_samples(store_engine, rng):
    from tests.fixtures import binary_frame

    cv = binary_frame(rng, 100)
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=cv, cv=cv)
        store.save_tags(s, project="p", run="r", tags={1: "a", 2: "b", 3: "c"}, reviewer="ana")
    with Session(store_engine) as s, s.begin():
        assert store.delete_tags(s, project="p", run="r", sample_ids=[2, 3, 99]) == 2
    with Session(store_engine) as s:
        tags = store.get_tags(s, project="p", run="r")
    assert tags[["sample_id", "tags", "reviewer"]].values.tolist() == [["1", "a", "ana"]]


def test_delete_run_and_prune_blobs(store_engine, rng):
    from tests.fixtures import binary_frame

    shared, own = binary_frame(rng, 100), binary_frame(rng, 120)
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="keep", train=shared, cv=shared, baselines={"human": 0.1})
        service.submit_files(s, project="p", run="drop", train=shared, cv=own, baselines={"human": 0.1})
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="drop", sample_id="3", tags="x")
    with Session(store_engine) as s, s.begin():
        assert store.delete_run(s, "p", "drop")
        assert not store.delete_run(s, "p", "drop", missing_ok=True)
    with Session(store_engine) as s:
        counts = store.count_rows(s)
        assert [r.run for r in store.list_runs(s, "p")] == ["keep"]
    assert counts == {"project": 1, "run": 1, "blob": 2, "submission": 2, "baseline": 1, "report": 1, "tag": 0,
                      "run_statistics": 2}  # the kept run's train and cv statistics
    with Session(store_engine) as s, s.begin():
        assert store.prune_blobs(s) == 1  # only the dropped run's own cv table
    with Session(store_engine) as s:
        assert store.count_rows(s)["blob"] == 1
        assert store.load_run_splits(s, "p", "keep").cv.n == 100  # the shared blob survived


@pytest.mark.parametrize("case_name", ["breast_cancer", "digits", "multilabel", "diabetes_poly", "skewed"])
def test_every_sample_task_round_trips_through_the_store(sqlite_url, sample_dir, case_name):
    """Stored tables validate back into splits whose report equals the stored one."""
    from diagnose.bias_variance import build_report

    folder = sample_dir / case_name
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="samples", run=case_name, train=str(folder / "train.csv"),
                           cv=str(folder / "cv.csv"), test=str(folder / "test.csv"), baselines={"human": 0.01})
    with Session(engine) as s:
        stored = store.get_run(s, "samples", case_name)
        splits = store.load_run_splits(s, "samples", case_name)
    engine.dispose()
    assert [x.split for x in stored.submissions] == ["train", "cv", "test"]
    assert [x.n_rows for x in stored.submissions] == [len(pd.read_csv(folder / f"{sp}.csv"))
                                                      for sp in ("train", "cv", "test")]
    rebuilt = build_report(splits, baselines={"human": 0.01}).to_dict()
    assert json.loads(json.dumps(rebuilt)) == stored.report


@pytest.mark.parametrize("extra", [
    ["--project", "p" * 201, "--run", "r"],
    ["--project", "p", "--run", "r" * 201],
    ["--project", "p", "--run", "r", "--baseline", "b" * 101 + "=0.1"],
    ["--project", "p", "--run", "r", "--param", "C=nan"],
    ["--project", "p", "--run", "r", "--param", "C=inf"],
    ["--project", "p", "--run", "r", "--train-size", "nan"],
    ["--project", "p", "--run", "r", "--train-size", "-5"],
], ids=["long-project", "long-run", "long-baseline", "nan-param", "inf-param", "nan-size", "negative-size"])
def test_values_the_database_cannot_keep_are_refused_before_any_write(db_url, case, extra):
    result = run_cli(["submit", *extra, "--train", case["train"], "--cv", case["cv"]], db_url)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert set(row_counts(db_url).values()) == {0}
    listed = run_cli(["runs", "--project", "p", "--format", "json"], db_url)  # nothing half-stored to choke on
    assert listed.exit_code == 2 and "no project 'p'" in listed.output


def test_an_over_long_sample_id_or_reviewer_is_refused(store_engine, rng):
    from tests.fixtures import binary_frame

    frame = binary_frame(rng, 20)
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=frame, cv=frame)
    for kwargs in ({"sample_id": "x" * 201}, {"sample_id": "3", "reviewer": "y" * 201}):
        with pytest.raises(UsageError, match="at most 200"):
            with Session(store_engine) as s, s.begin():
                store.set_tags(s, project="p", run="r", tags="blurry", **kwargs)
    with Session(store_engine) as s:
        assert store.count_rows(s)["tag"] == 0


def test_times_are_shown_in_utc_whatever_the_session_time_zone(postgres_url, rng):
    from datetime import timedelta, timezone

    from tests.fixtures import binary_frame

    tokyo = postgres_url + "%20-ctimezone%3DAsia%2FTokyo"  # UTC+9, no daylight saving
    engine = store.make_engine(tokyo)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW timezone").scalar() == "Asia/Tokyo"
    frame = binary_frame(rng, 40)
    before = datetime.now(timezone.utc)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=frame, cv=frame)
    after = datetime.now(timezone.utc)
    with Session(engine) as s:
        listed = store.list_runs(s, "p")[0]
        shown = store.get_run(s, "p", "r")
    engine.dispose()
    assert listed.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= listed.created_at <= after + timedelta(seconds=1)
    hours = {f"{t:%Y-%m-%d %H:}" for t in (before, after)}
    assert any(h in shown.to_text().splitlines()[0] for h in hours), shown.to_text().splitlines()[0]


def test_parameter_columns_of_any_type_are_stored(db_url, tmp_path):
    """A constant param_<name> column holding a date (pyarrow reads ISO dates as dates) or a
    library caller's numpy number is stored as JSON, not a serialisation traceback."""
    n = 60
    path = tmp_path / "dated.csv"
    pd.DataFrame({"id": range(n), "y_true": [0, 1] * (n // 2), "y_score": [0.3, 0.7] * (n // 2),
                  "param_cutoff": ["2024-01-31"] * n}).to_csv(path, index=False)
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", str(path), "--cv", str(path)], db_url)
    assert result.exit_code == 0, result.output
    listed = json.loads(run_cli(["runs", "--project", "p", "--format", "json"], db_url).stdout)
    assert listed[0]["params"] == {"cutoff": "2024-01-31"}
    engine = store.make_engine(db_url)
    frame = pd.read_csv(path)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="np", train=frame, cv=frame,
                           params={"C": np.float64(0.5), "depth": np.int64(3)})
    with Session(engine) as s:
        assert store.get_run(s, "p", "np").summary.params == {"C": 0.5, "depth": 3, "cutoff": "2024-01-31"}
    engine.dispose()
