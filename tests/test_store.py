"""The run store: migrations, submit/list/show round trips, atomicity and concurrent writers.

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
from click.testing import CliRunner
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from diagnose import store
from diagnose.cli import main
from diagnose.errors import UsageError
from diagnose.store import _runs as repository
from diagnose.store.models import Base, Blob

TABLES = {"project", "run", "blob", "submission", "baseline", "report", "tag"}


@pytest.fixture
def case(sample_dir):
    folder = sample_dir / "breast_cancer"
    return {split: str(folder / f"{split}.csv") for split in ("train", "cv", "test")}


def _cv_error(path: str) -> float:
    """Independent oracle: misclassified share at score >= 0.5, straight from the CSV."""
    frame = pd.read_csv(path)
    return float(np.mean((frame["y_score"] >= 0.5).astype(int) != frame["y_true"]))


def _cli(args, url):
    return CliRunner().invoke(main, args, env={"DIAGNOSE_DATABASE_URL": url}, catch_exceptions=False)


def _counts(url):
    engine = store.make_engine(url)
    try:
        with Session(engine) as s:
            return store.count_rows(s)
    finally:
        engine.dispose()


# ------------------------------------------------------------------ migrations


def test_migrations_from_an_empty_database_match_the_models(store_engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert store.current_revision(store_engine) == store.head_revision()
    assert TABLES <= set(inspect(store_engine).get_table_names())
    with store_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


def test_db_upgrade_command_on_an_empty_database(db_url):
    first = _cli(["db", "upgrade"], db_url)
    assert first.exit_code == 0, first.output
    assert "upgraded from an empty database to revision" in first.output
    again = _cli(["db", "upgrade"], db_url)
    assert again.exit_code == 0 and "already at revision" in again.output
    assert _counts(db_url)["run"] == 0


def test_sqlite_engine_uses_wal_and_a_busy_timeout(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "12.5")
    engine = store.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12500
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_default_database_is_the_configured_sqlite_file(tmp_path, monkeypatch, case):
    target = tmp_path / "nested" / "folder" / "runs.db"
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", f"sqlite:///{target}")
    result = CliRunner().invoke(main, ["submit", "--project", "p", "--run", "r", "--train", case["train"],
                                       "--cv", case["cv"]])
    assert result.exit_code == 0, result.output
    assert target.is_file()  # parent folders created on first use


# ------------------------------------------------------------------ round trips


def test_submit_runs_show_round_trip(db_url, case):
    args = ["--train", case["train"], "--cv", case["cv"], "--test", case["test"], "--baseline", "human=0.02"]
    first = _cli(["submit", "--project", "bc", "--run", "r1", *args, "--param", "C=0.3", "--train-size", "341"], db_url)
    assert first.exit_code == 0, first.output
    second = _cli(["submit", "--project", "bc", "--run", "r2", *args, "--format", "json"], db_url)
    assert second.exit_code == 0, second.output

    listed = _cli(["runs", "--project", "bc", "--format", "json"], db_url)
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert [r["run"] for r in runs] == ["r1", "r2"]
    expected = _cv_error(case["cv"])
    for r in runs:
        assert r["verdict"] == "good_fit"
        assert r["cv_error"] == pytest.approx(expected, abs=1e-12)
        assert datetime.fromisoformat(r["created_at"]).tzinfo is not None
    assert runs[0]["params"] == {"C": 0.3} and runs[0]["train_size"] == 341
    assert type(runs[0]["train_size"]) is int  # a size, not 341.0
    assert runs[0]["created_at"] <= runs[1]["created_at"]

    text_list = _cli(["runs", "--project", "bc"], db_url)
    assert "r1" in text_list.output and "good_fit" in text_list.output

    shown = _cli(["show", "bc", "r1", "--format", "json"], db_url)
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["splits"]["cv"]["error"] == pytest.approx(expected, abs=1e-12)
    assert report["splits"]["test"]["n"] == len(pd.read_csv(case["test"]))
    assert report["baselines"]["human"] == 0.02
    fresh = _cli(["report", *args, "--format", "json"], db_url)
    assert json.loads(fresh.stdout) == report  # stored exactly as computed
    for fmt, marker in (("text", "diagnose report"), ("markdown", "| split |")):
        out = _cli(["show", "bc", "r2", "--format", fmt], db_url)
        assert out.exit_code == 0 and marker in out.output and "run r2" in out.output


def test_identical_content_is_stored_once_and_hashes_match(db_url, case):
    for run in ("a", "b"):
        assert _cli(["submit", "--project", "p", "--run", run, "--train", case["train"], "--cv", case["cv"],
                     "--test", case["test"]], db_url).exit_code == 0
    counts = _counts(db_url)
    assert counts["submission"] == 6 and counts["blob"] == 3 and counts["run"] == 2
    engine = store.make_engine(db_url)
    with Session(engine) as s:
        for blob in s.scalars(select(Blob)):
            assert hashlib.sha256(blob.data).hexdigest() == blob.content_hash
            assert blob.data[:4] == b"PAR1" and blob.size == len(blob.data)
    engine.dispose()


def test_stored_splits_load_back_as_the_original_values(store_engine, sample_dir):
    folder = sample_dir / "digits"
    summary_args = dict(train=str(folder / "train.csv"), cv=str(folder / "cv.csv"), baselines={"human": 0.01})
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="digits", run="r1", **summary_args)
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
    from conftest import binary_frame

    frame = binary_frame(rng, 200)
    with Session(store_engine) as s, s.begin():
        for name in ("first", "second", "third"):
            store.submit_files(s, project="p", run=name, train=frame, cv=frame)
    with Session(store_engine) as s:
        assert store.previous_run(s, "p", "third").summary.run == "second"
        assert store.previous_run(s, "p", "first") is None
        assert store.previous_run(s, "p").summary.run == "third"
        with pytest.raises(UsageError, match="no run 'fourth' in project 'p'"):
            store.get_run(s, "p", "fourth")
        with pytest.raises(UsageError, match="no project 'q'"):
            store.list_runs(s, "q")


def test_show_unknown_run_is_bad_usage(db_url, case):
    _cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]], db_url)
    result = _cli(["show", "p", "nope"], db_url)
    assert result.exit_code == 2 and "no run 'nope'" in result.output


def test_tags_are_one_row_per_sample_and_replaced(store_engine, rng):
    from conftest import binary_frame

    frame = binary_frame(rng, 50)
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=frame, cv=frame)
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="r", sample_id="7", tags=["blurry", "dark"], reviewer="ann")
        store.set_tags(s, project="p", run="r", sample_id="9", tags="mislabeled")
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="r", sample_id="7", tags="blurry", reviewer="bob")
    with Session(store_engine) as s:
        tags = store.get_tags(s, project="p", run="r")
    assert tags.set_index("sample_id")["tags"].to_dict() == {"7": "blurry", "9": "mislabeled"}
    assert tags.set_index("sample_id")["reviewer"]["7"] == "bob"


# ------------------------------------------------------------------ reliability


def test_a_bad_file_stores_nothing(db_url, case, tmp_path):
    bad = pd.read_csv(case["cv"])
    bad.loc[3, "y_score"] = 1.3
    bad_path = tmp_path / "bad_cv.csv"
    bad.to_csv(bad_path, index=False)
    result = _cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", str(bad_path)], db_url)
    assert result.exit_code == 2
    assert "must lie in [0, 1]" in result.output and "row 4" in result.output
    assert set(_counts(db_url).values()) == {0}


def test_a_duplicate_run_name_is_refused_and_changes_nothing(db_url, case):
    args = ["--train", case["train"], "--cv", case["cv"]]
    assert _cli(["submit", "--project", "p", "--run", "r", *args], db_url).exit_code == 0
    before = _counts(db_url)
    again = _cli(["submit", "--project", "p", "--run", "r", *args], db_url)
    assert again.exit_code == 2 and "already exists" in again.output
    assert _counts(db_url) == before


def test_a_crash_midway_leaves_no_partial_rows(store_engine, monkeypatch, rng):
    from conftest import binary_frame

    seen = {}

    def crash(session, *args, **kwargs):
        session.flush()
        seen.update(store.count_rows(session))  # rows were written inside the transaction...
        raise RuntimeError("power cut")

    monkeypatch.setattr(repository, "_store_report", crash)
    frame = binary_frame(rng, 300)
    with pytest.raises(RuntimeError, match="power cut"):
        with Session(store_engine) as s, s.begin():
            store.submit_files(s, project="p", run="r", train=frame, cv=frame, baselines={"human": 0.1})
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
    for proc, (out, err) in zip(procs, outs):
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

    from conftest import binary_frame

    store.make_engine(db_url).dispose()
    frames = [binary_frame(np.random.default_rng(i), 5_000) for i in range(4)]

    def write(i):
        engine = store.make_engine(db_url)
        try:
            with Session(engine) as s, s.begin():
                store.submit_files(s, project="t", run=f"r{i}", train=frames[i], cv=frames[i])
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    engine = store.make_engine(db_url)
    with Session(engine) as s:
        assert sorted(r.run for r in store.list_runs(s, "t")) == ["r0", "r1", "r2", "r3"]
    engine.dispose()


def test_postgres_schema_isolation(postgres_url):
    """The PostgreSQL fixture really works in its own schema."""
    engine = store.make_engine(postgres_url)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    engine.dispose()
    assert schema.startswith("test_")


def test_schema_head_constant_matches_the_migrations():
    from diagnose.store.engine import SCHEMA_HEAD

    assert SCHEMA_HEAD == store.head_revision()


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


# ------------------------------------------------------------------ curves and tallies from stored runs


def _submit_groups(engine, frame, by, project):
    """Store each group of a curve file as its own run (train_size/param read from the columns)."""
    for value, group in frame.groupby(by, sort=True):
        with Session(engine) as s, s.begin():
            store.submit_files(s, project=project, run=f"{by}={value}", data=group.reset_index(drop=True))


def test_learning_curve_from_stored_runs(store_engine, sample_dir):
    from diagnose.curve_learning import learning_curve
    from diagnose.store.analysis import learning_curve_from_store

    path = sample_dir / "curves" / "learning_high_variance.csv"
    frame = pd.read_csv(path)
    _submit_groups(store_engine, frame, "train_size", "lc")
    with Session(store_engine) as s:
        assert sorted(r.train_size for r in store.list_runs(s, "lc")) == [50, 100, 200, 400, 800, 1078]
        stored = learning_curve_from_store(s, "lc", baselines={"human": 0.01})
    probs = [c for c in frame.columns if c.startswith("y_prob_")]
    for point in stored.points:  # independent oracle: argmax error per train_size, from pandas
        cv = frame[(frame.train_size == point.value) & (frame.split == "cv")]
        wrong = np.array([int(c[len("y_prob_"):]) for c in probs])[cv[probs].to_numpy().argmax(1)] != cv.y_true
        assert point.cv.error == pytest.approx(wrong.mean(), abs=1e-12)
    from_file = learning_curve(str(path), baselines={"human": 0.01})
    assert stored.verdict == from_file.verdict
    assert [p.value for p in stored.points] == [p.value for p in from_file.points]


def test_validation_curve_from_stored_runs(store_engine, sample_dir):
    from diagnose.store.analysis import validation_curve_from_store

    frame = pd.read_csv(sample_dir / "curves" / "validation_lambda.csv")
    _submit_groups(store_engine, frame, "param_lambda", "vc")
    with Session(store_engine) as s:
        curve = validation_curve_from_store(s, "vc", param="lambda")
    half_mse = {lam: float(((g.y_pred - g.y_true) ** 2).sum() / (2 * len(g)))
                for lam, g in frame[frame.split == "cv"].groupby("param_lambda")}
    assert curve.chosen == min(half_mse, key=half_mse.get)
    chosen_test = frame[(frame.split == "test") & (frame.param_lambda == curve.chosen)]
    assert curve.test.error == pytest.approx(((chosen_test.y_pred - chosen_test.y_true) ** 2).sum()
                                             / (2 * len(chosen_test)))


def test_two_runs_at_the_same_train_size_must_be_chosen(store_engine, rng):
    from conftest import binary_frame

    from diagnose.store.analysis import learning_curve_from_store

    frame = binary_frame(rng, 100)
    with Session(store_engine) as s, s.begin():
        for name in ("a", "b"):
            store.submit_files(s, project="p", run=name, train=frame, cv=frame, train_size=100)
    with Session(store_engine) as s, pytest.raises(UsageError, match="both have train_size = 100"):
        learning_curve_from_store(s, "p")


def test_tally_from_stored_tags(store_engine, rng):
    from conftest import binary_frame

    from diagnose.store.analysis import tally_from_store

    cv = binary_frame(rng, 400, signal=0.3)
    wrong_ids = cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=cv, cv=cv)
    with Session(store_engine) as s, s.begin():
        for i, sid in enumerate(wrong_ids[:10]):
            store.set_tags(s, project="p", run="r", sample_id=str(sid), tags="blurry" if i < 6 else "dark;blurry")
    with Session(store_engine) as s:
        t = tally_from_store(s, "p", "r")
    counts = {c.name: c.count for c in t.categories}
    assert counts == {"blurry": 10, "dark": 4}
    # 4 of 10 reviewed errors are 'dark': estimated share of all cv errors is 0.4
    dark = next(c for c in t.categories if c.name == "dark")
    assert dark.estimated_count == pytest.approx(0.4 * len(wrong_ids))


def test_tally_from_store_uses_the_predictions_given(store_engine, rng, monkeypatch):
    from conftest import binary_frame

    from diagnose.store import analysis

    cv = binary_frame(rng, 200, signal=0.3)
    wrong = cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=cv, cv=cv)
        store.save_tags(s, project="p", run="r", tags={str(i): "blurry" for i in wrong[:5]})
    with Session(store_engine) as s:
        pred = store.load_run_splits(s, "p", "r").cv
    monkeypatch.setattr(analysis, "load_run_splits", lambda *a, **k: pytest.fail("loaded the run again"))
    with Session(store_engine) as s:
        t = analysis.tally_from_store(s, "p", "r", predictions=pred)
    assert t.total_errors == len(wrong) and t.category("blurry").count == 5


def test_curves_refuse_runs_of_different_tasks_and_take_baselines_from_their_runs(store_engine, sample_dir):
    from diagnose.store.analysis import learning_curve_from_store

    frame = pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv")
    with Session(store_engine) as s, s.begin():
        for m, group in frame[frame.train_size.isin([50, 100])].groupby("train_size"):
            store.submit_files(s, project="p", run=f"m{m}", data=group, baselines={"human": 0.01})
        # another model of the project, with no train size: its baseline is not the curve's
        folder = sample_dir / "diabetes_poly"
        store.submit_files(s, project="p", run="reg", train=str(folder / "train.csv"), cv=str(folder / "cv.csv"),
                           baselines={"human": 0.0001})
    with Session(store_engine) as s:
        curve = learning_curve_from_store(s, "p")
    assert (curve.reference, curve.reference_name) == (0.01, "human")
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="reg-m300", train=str(folder / "train.csv"),
                           cv=str(folder / "cv.csv"), train_size=300)
    with Session(store_engine) as s, pytest.raises(UsageError, match=r"different tasks: m50 \(multiclass\), "
                                                                      r"m100 \(multiclass\), reg-m300 \(regression\)"):
        learning_curve_from_store(s, "p")


def test_delete_tags_removes_only_the_named_samples(store_engine, rng):
    from conftest import binary_frame

    cv = binary_frame(rng, 100)
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=cv, cv=cv)
        store.save_tags(s, project="p", run="r", tags={1: "a", 2: "b", 3: "c"}, reviewer="ana")
    with Session(store_engine) as s, s.begin():
        assert store.delete_tags(s, project="p", run="r", sample_ids=[2, 3, 99]) == 2
    with Session(store_engine) as s:
        tags = store.get_tags(s, project="p", run="r")
    assert tags[["sample_id", "tags", "reviewer"]].values.tolist() == [["1", "a", "ana"]]


def test_run_overview_lists_errors_gaps_and_parameters(store_engine, sample_dir):
    folder = sample_dir / "breast_cancer"
    files = {s: str(folder / f"{s}.csv") for s in ("train", "cv", "test")}
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="first", baselines={"human": 0.02}, train_size=341, **files)
        store.submit_files(s, project="p", run="second", params={"C": 10}, train=files["train"], cv=files["cv"])
    with Session(store_engine) as s:
        table = store.run_overview(s, "p")
    assert table["run"].tolist() == ["first", "second"]
    first = table.iloc[0]
    assert first["J_train"] == pytest.approx(_cv_error(files["train"]))
    assert first["J_cv"] == pytest.approx(_cv_error(files["cv"]))
    assert first["J_test"] == pytest.approx(_cv_error(files["test"]))
    assert first["bias gap"] == pytest.approx(_cv_error(files["train"]) - 0.02)
    assert first["train_size"] == 341 and first["created_at"].tzinfo is not None
    second = table.iloc[1]
    assert pd.isna(second["J_test"]) and second["params"] == {"C": 10}
    with Session(store_engine) as s, pytest.raises(UsageError, match="no project 'nope'"):
        store.run_overview(s, "nope")


def _submit_cv_run(url, tmp_path, rng) -> list:
    """Store run 'r' of project 'ea' (a 300-row binary cv file as train and cv) by the CLI;
    return the ids of its cv errors at score >= 0.5, computed from the frame."""
    from conftest import binary_frame

    cv = binary_frame(rng, 300, signal=0.3)
    cv_path = tmp_path / "cv.csv"
    cv.to_csv(cv_path, index=False)
    assert _cli(["submit", "--project", "ea", "--run", "r", "--train", str(cv_path), "--cv", str(cv_path)],
                url).exit_code == 0
    return cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()


def test_curve_and_tally_commands_take_a_project(sqlite_url, sample_dir, tmp_path, rng):
    frame = pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv")
    for m, group in frame.groupby("train_size"):
        path = tmp_path / f"m{m}.csv"
        group.to_csv(path, index=False)
        assert _cli(["submit", "--project", "lc", "--run", f"m{m}", "--data", str(path),
                     "--baseline", "human=0.01"], sqlite_url).exit_code == 0
    stored = _cli(["curve", "learning", "--project", "lc", "--format", "json"], sqlite_url)
    assert stored.exit_code == 0, stored.output
    from_file = _cli(["curve", "learning", str(sample_dir / "curves" / "learning_high_variance.csv"),
                      "--baseline", "human=0.01", "--format", "json"], sqlite_url)
    a, b = json.loads(stored.stdout), json.loads(from_file.stdout)
    assert a["verdict"] == b["verdict"] and a["baselines"] == b["baselines"] == {"human": 0.01}
    assert [p["cv_error"] for p in a["points"]] == pytest.approx([p["cv_error"] for p in b["points"]])
    some = _cli(["curve", "learning", "--project", "lc", "--runs", "m50", "--runs", "m100", "--format", "json"],
                sqlite_url)
    assert [p["train_size"] for p in json.loads(some.stdout)["points"]] == [50, 100]
    both = _cli(["curve", "learning", "x.csv", "--project", "lc"], sqlite_url)
    assert both.exit_code == 2
    neither = _cli(["curve", "validation", "--param", "lambda"], sqlite_url)
    assert neither.exit_code == 2

    wrong = _submit_cv_run(sqlite_url, tmp_path, rng)
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        for sid in wrong[:5]:
            store.set_tags(s, project="ea", run="r", sample_id=str(sid), tags="blurry")
    engine.dispose()
    tallied = _cli(["errors", "tally", "--project", "ea", "--run", "r", "--format", "json"], sqlite_url)
    assert tallied.exit_code == 0, tallied.output
    top = json.loads(tallied.stdout)["categories"][0]
    assert top["name"] == "blurry" and top["count"] == 5 and top["estimated_count"] == pytest.approx(len(wrong))
    tagged = tmp_path / "tagged.csv"
    pd.DataFrame({"id": wrong[:4], "tags": ["dark"] * 4}).to_csv(tagged, index=False)
    checked = _cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--format", "json"], sqlite_url)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["categories"][0]["estimated_count"] == pytest.approx(len(wrong))
    assert _cli(["errors", "tally", "--project", "ea"], sqlite_url).exit_code == 2


def test_tally_save_stores_a_reviewed_file_in_one_transaction(db_url, tmp_path, rng):
    """errors tally TAGGED --project --run --save: the tags land in the store (both databases),
    replace earlier ones, and a file that fails its checks stores nothing."""
    wrong = _submit_cv_run(db_url, tmp_path, rng)
    tagged = tmp_path / "tagged.csv"
    reviewed = pd.DataFrame({"id": wrong[:6], "tags": ["Dark; blurry", "dark", "blurry", "dark", "", "odd"]})
    reviewed.to_csv(tagged, index=False)
    saved = _cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save",
                  "--reviewer", "ann", "--format", "json"], db_url)
    assert saved.exit_code == 0, saved.output
    assert "saved the tags of 5 reviewed rows" in saved.stderr
    engine = store.make_engine(db_url)
    try:
        with Session(engine) as s:
            stored = store.get_tags(s, project="ea", run="r").set_index("sample_id")
        assert stored["tags"].to_dict() == {str(i): t for i, t in zip(wrong[:6], reviewed["tags"]) if t}
        assert set(stored["reviewer"]) == {"ann"}
        # the stored tally counts what the file said: dark 3, blurry 2, odd 1
        again = json.loads(_cli(["errors", "tally", "--project", "ea", "--run", "r", "--format", "json"],
                                db_url).stdout)
        assert {c["name"]: c["count"] for c in again["categories"]} == {"dark": 3, "blurry": 2, "odd": 1}
        # a second save replaces the same ids and keeps the others
        pd.DataFrame({"id": wrong[:1], "tags": ["glare"]}).to_csv(tagged, index=False)
        assert _cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save"],
                    db_url).exit_code == 0
        with Session(engine) as s:
            stored = store.get_tags(s, project="ea", run="r").set_index("sample_id")
        assert stored["tags"][str(wrong[0])] == "glare" and len(stored) == 5
        assert pd.isna(stored["reviewer"][str(wrong[0])])  # saved without --reviewer
        # an id that is not a cv row: exit 2, and nothing of the file is stored
        pd.DataFrame({"id": [wrong[1], 10**9], "tags": ["new", "new"]}).to_csv(tagged, index=False)
        bad = _cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save"], db_url)
        assert bad.exit_code == 2 and "not in the cv" in bad.output
        with Session(engine) as s:
            assert store.get_tags(s, project="ea", run="r").set_index("sample_id")["tags"][str(wrong[1])] == "dark"
    finally:
        engine.dispose()
    assert _cli(["errors", "tally", str(tagged), "--save"], db_url).exit_code == 2


def test_delete_run_and_prune_blobs(store_engine, rng):
    from conftest import binary_frame

    shared, own = binary_frame(rng, 100), binary_frame(rng, 120)
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="keep", train=shared, cv=shared, baselines={"human": 0.1})
        store.submit_files(s, project="p", run="drop", train=shared, cv=own, baselines={"human": 0.1})
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="drop", sample_id="3", tags="x")
    with Session(store_engine) as s, s.begin():
        assert store.delete_run(s, "p", "drop")
        assert not store.delete_run(s, "p", "drop", missing_ok=True)
    with Session(store_engine) as s:
        counts = store.count_rows(s)
        assert [r.run for r in store.list_runs(s, "p")] == ["keep"]
    assert counts == {"project": 1, "run": 1, "blob": 2, "submission": 2, "baseline": 1, "report": 1, "tag": 0}
    with Session(store_engine) as s, s.begin():
        assert store.prune_blobs(s) == 1  # only the dropped run's own cv table
    with Session(store_engine) as s:
        assert store.count_rows(s)["blob"] == 1
        assert store.load_run_splits(s, "p", "keep").cv.n == 100  # the shared blob survived


@pytest.mark.parametrize("case_name", ["breast_cancer", "digits", "multilabel", "diabetes_poly", "skewed"])
def test_every_sample_task_round_trips_through_the_store(sqlite_url, sample_dir, case_name):
    """Stored tables validate back into splits whose report equals the stored one."""
    from diagnose.diagnosis import build_report

    folder = sample_dir / case_name
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        store.submit_files(s, project="samples", run=case_name, train=str(folder / "train.csv"),
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


def test_a_sqlite_writer_waits_for_the_lock_up_to_the_busy_timeout(sqlite_url, monkeypatch, rng):
    """Another process holding the write lock delays a submit; with a tiny timeout it fails."""
    import sqlite3
    import threading
    import time

    from conftest import binary_frame
    from sqlalchemy.exc import OperationalError

    store.make_engine(sqlite_url).dispose()
    path = sqlite_url[len("sqlite:///"):]
    frame = binary_frame(rng, 100)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    holder.execute("BEGIN IMMEDIATE")
    locked_at = time.perf_counter()
    threading.Timer(0.6, lambda: holder.execute("COMMIT")).start()
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        store.submit_files(s, project="p", run="waited", train=frame, cv=frame)
    assert time.perf_counter() - locked_at >= 0.55  # it could only land once the lock was free
    engine.dispose()

    monkeypatch.setenv("DIAGNOSE_BUSY_TIMEOUT", "0.05")
    holder.execute("BEGIN IMMEDIATE")
    try:
        engine = store.make_engine(sqlite_url)
        with pytest.raises(OperationalError, match="locked"):
            with Session(engine) as s, s.begin():
                store.submit_files(s, project="p", run="gave_up", train=frame, cv=frame)
        engine.dispose()
    finally:
        holder.execute("COMMIT")
        holder.close()
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s:
        assert [r.run for r in store.list_runs(s, "p")] == ["waited"]
    engine.dispose()


def test_an_unreachable_database_is_one_clear_error(case):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    for args in (["runs", "--project", "p"], ["show", "p", "r"], ["db", "upgrade"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]],
                 ["curve", "learning", "--project", "p"]):
        result = _cli(args, url)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: database error (") and "Traceback" not in result.output


def _no_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


@pytest.mark.parametrize("url", [
    "not a url", "nosuchdialect://u:secret@h/db", "postgresql+nosuchdriver://u:secret@h/db",
    pytest.param("mysql+mysqldb://u:secret@h/db",
                 marks=pytest.mark.skipif(not _no_module("MySQLdb"), reason="MySQLdb is installed")),
])
def test_a_bad_database_url_is_one_clear_error(url):
    for args in (["runs", "--project", "p"], ["db", "upgrade"]):
        result = _cli(args, url)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: DIAGNOSE_DATABASE_URL"), result.output
        assert "Traceback" not in result.output and "secret" not in result.output
    with pytest.raises(UsageError, match="the database URL"):
        store.make_engine(url)


def test_a_file_that_is_no_database_is_one_clear_error_and_stays_untouched(tmp_path, case):
    path = tmp_path / "cv.csv"
    path.write_bytes(open(case["cv"], "rb").read())
    before = path.read_bytes()
    for args in (["runs", "--project", "p"], ["show", "p", "r"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]]):
        result = _cli(args, f"sqlite:///{path}")
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: database error (file is not a database)"), result.output
    assert path.read_bytes() == before


def test_a_database_from_a_newer_diagnose_is_refused_clearly(db_url, case):
    engine = store.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for args in (["runs", "--project", "p"], ["db", "upgrade"],
                 ["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]]):
        result = _cli(args, db_url)
        assert result.exit_code == 2, (args, result.output)
        assert "revision 9999" in result.output and "upgrade diagnose" in result.output
        assert "Traceback" not in result.output
    engine = store.make_engine(db_url, migrate=False)
    with engine.connect() as conn:  # nothing was changed
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
        assert conn.execute(text("SELECT count(*) FROM run")).scalar() == 0
    engine.dispose()


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
    result = _cli(["submit", *extra, "--train", case["train"], "--cv", case["cv"]], db_url)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert set(_counts(db_url).values()) == {0}
    listed = _cli(["runs", "--project", "p", "--format", "json"], db_url)  # nothing half-stored to choke on
    assert listed.exit_code == 2 and "no project 'p'" in listed.output


def test_an_over_long_sample_id_or_reviewer_is_refused(store_engine, rng):
    from conftest import binary_frame

    frame = binary_frame(rng, 20)
    with Session(store_engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=frame, cv=frame)
    for kwargs in ({"sample_id": "x" * 201}, {"sample_id": "3", "reviewer": "y" * 201}):
        with pytest.raises(UsageError, match="at most 200"):
            with Session(store_engine) as s, s.begin():
                store.set_tags(s, project="p", run="r", tags="blurry", **kwargs)
    with Session(store_engine) as s:
        assert store.count_rows(s)["tag"] == 0


def test_times_are_shown_in_utc_whatever_the_session_time_zone(postgres_url, rng):
    from datetime import timedelta, timezone

    from conftest import binary_frame

    tokyo = postgres_url + "%20-ctimezone%3DAsia%2FTokyo"  # UTC+9, no daylight saving
    engine = store.make_engine(tokyo)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW timezone").scalar() == "Asia/Tokyo"
    frame = binary_frame(rng, 40)
    before = datetime.now(timezone.utc)
    with Session(engine) as s, s.begin():
        store.submit_files(s, project="p", run="r", train=frame, cv=frame)
    after = datetime.now(timezone.utc)
    with Session(engine) as s:
        listed = store.list_runs(s, "p")[0]
        shown = store.get_run(s, "p", "r")
    engine.dispose()
    assert listed.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= listed.created_at <= after + timedelta(seconds=1)
    hours = {f"{t:%Y-%m-%d %H:}" for t in (before, after)}
    assert any(h in shown.to_text().splitlines()[0] for h in hours), shown.to_text().splitlines()[0]


def test_commands_close_their_database_connections(sqlite_url, case, tmp_path, monkeypatch):
    import diagnose.store as store_package

    engines = []
    real = store_package.make_engine

    def recording(*args, **kwargs):
        engines.append(real(*args, **kwargs))
        return engines[-1]

    monkeypatch.setattr(store_package, "make_engine", recording)
    rules = tmp_path / "rules.toml"
    rules.write_text('rules = ["cv.error <= 1"]\nno_regression = {metric = "cv.error"}\n')
    files = ["--train", case["train"], "--cv", case["cv"]]
    for args in (["db", "upgrade"], ["submit", "--project", "p", "--run", "r", *files], ["runs", "--project", "p"],
                 ["show", "p", "r"], ["gate", str(rules), "--project", "p", "--run", "r"],
                 ["gate", str(rules), "--project", "p", *files]):
        before = len(engines)
        result = _cli(args, sqlite_url)
        assert result.exit_code == 0, (args, result.output)
        assert len(engines) > before, args
        assert all(e.pool.checkedin() == 0 and e.pool.checkedout() == 0 for e in engines), args


def test_parameter_columns_of_any_type_are_stored(db_url, tmp_path):
    """A constant param_<name> column holding a date (pyarrow reads ISO dates as dates) or a
    library caller's numpy number is stored as JSON, not a serialisation traceback."""
    n = 60
    path = tmp_path / "dated.csv"
    pd.DataFrame({"id": range(n), "y_true": [0, 1] * (n // 2), "y_score": [0.3, 0.7] * (n // 2),
                  "param_cutoff": ["2024-01-31"] * n}).to_csv(path, index=False)
    result = _cli(["submit", "--project", "p", "--run", "r", "--train", str(path), "--cv", str(path)], db_url)
    assert result.exit_code == 0, result.output
    listed = json.loads(_cli(["runs", "--project", "p", "--format", "json"], db_url).stdout)
    assert listed[0]["params"] == {"cutoff": "2024-01-31"}
    engine = store.make_engine(db_url)
    frame = pd.read_csv(path)
    with Session(engine) as s, s.begin():
        store.submit_files(s, project="p", run="np", train=frame, cv=frame,
                           params={"C": np.float64(0.5), "depth": np.int64(3)})
    with Session(engine) as s:
        assert store.get_run(s, "p", "np").summary.params == {"C": 0.5, "depth": 3, "cutoff": "2024-01-31"}
    engine.dispose()


def test_make_engine_that_fails_leaves_no_open_connection(sqlite_url, monkeypatch):
    from diagnose.errors import DiagnoseError
    from diagnose.store import _dialects as engine_module

    engine = store.make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    made = []
    real = engine_module.create_engine
    monkeypatch.setattr(engine_module, "create_engine", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    with pytest.raises(DiagnoseError, match="revision 9999"):
        store.make_engine(sqlite_url)
    assert len(made) == 1 and made[0].pool.checkedin() == 0
