"""Housekeeping: list projects, rename and delete runs, delete projects (one transaction each,
tags go with their run, unused blobs pruned); read-only commands never create a store.

Every database test runs on SQLite and on PostgreSQL (``db_url``).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.exceptions import UsageError
from diagnose.store._models import Blob, Submission
from tests.fixtures import binary_frame, row_counts, run_cli


def _submit(engine, project: str, run: str, train, cv) -> None:
    with Session(engine) as s, s.begin():
        service.submit_files(s, project=project, run=run, train=train, cv=cv, baselines={"human": 0.1})


def test_rename_keeps_tables_report_and_tags(store_engine, rng):
    frame = binary_frame(rng, 120)
    _submit(store_engine, "p", "old", frame, frame)
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="p", run="old", sample_id="7", tags="blurry")
        before = store.get_run(s, "p", "old")
    with Session(store_engine) as s, s.begin():
        assert store.rename_run(s, "p", "old", "new").run == "new"
    with Session(store_engine) as s:
        after = store.get_run(s, "p", "new")
        assert after.report == before.report and after.text == before.text
        assert after.summary.created_at == before.summary.created_at
        assert store.get_tags(s, project="p", run="new")["tags"].tolist() == ["blurry"]
        assert store.load_run_splits(s, "p", "new").cv.n == 120
        with pytest.raises(UsageError, match="no run 'old'"):
            store.get_run(s, "p", "old")


def test_rename_onto_a_taken_name_changes_nothing(store_engine, rng):
    frame = binary_frame(rng, 80)
    _submit(store_engine, "p", "a", frame, frame)
    _submit(store_engine, "p", "b", frame, frame)
    _submit(store_engine, "q", "c", frame, frame)
    with Session(store_engine) as s, s.begin(), pytest.raises(UsageError, match="run 'b' already exists"):
        store.rename_run(s, "p", "a", "b")
    with Session(store_engine) as s, s.begin():
        store.rename_run(s, "p", "a", "c")  # a name another project has is free here
        with pytest.raises(UsageError, match="no project 'nope'"):
            store.rename_run(s, "nope", "a", "x")
    with Session(store_engine) as s:
        assert [r.run for r in store.list_runs(s, "p")] == ["c", "b"]


def test_delete_project_takes_runs_tags_keys_and_only_its_own_blobs(store_engine, rng):
    shared, own_a, own_b, other = (binary_frame(rng, n) for n in (100, 110, 120, 130))
    _submit(store_engine, "gone", "r1", shared, own_a)
    _submit(store_engine, "gone", "r2", shared, own_b)
    _submit(store_engine, "kept", "r1", shared, other)
    with Session(store_engine) as s, s.begin():
        store.set_tags(s, project="gone", run="r1", sample_id="1", tags="x")
        store.set_tags(s, project="kept", run="r1", sample_id="1", tags="y")
        store.create_key(s, project="gone", scope="read")
    with Session(store_engine) as s, s.begin():
        assert store.delete_project(s, "gone") == 2
    with Session(store_engine) as s:
        assert store.list_projects(s) == ["kept"]
        counts = store.count_rows(s)
        # oracle: what "kept" alone holds: 1 run, train + cv submissions, its 2 distinct tables
        assert {k: counts[k] for k in ("project", "run", "submission", "baseline", "report", "tag", "blob")} == \
            {"project": 1, "run": 1, "submission": 2, "baseline": 1, "report": 1, "tag": 1, "blob": 2}
        assert set(s.scalars(select(Blob.content_hash))) == set(s.scalars(select(Submission.content_hash)))
        assert store.load_run_splits(s, "kept", "r1").train.n == 100  # the shared table survived
        assert list(store.list_keys(s)) == []
        with pytest.raises(UsageError, match="no project 'gone'"):
            store.delete_project(s, "gone")


def test_delete_run_with_pruning_keeps_shared_blobs(store_engine, rng):
    shared, own = binary_frame(rng, 100), binary_frame(rng, 90)
    _submit(store_engine, "p", "keep", shared, shared)
    _submit(store_engine, "p", "drop", shared, own)
    with Session(store_engine) as s, s.begin():
        assert store.delete_run(s, "p", "drop", keep_blobs=False)
    with Session(store_engine) as s:
        assert store.count_rows(s)["blob"] == 1 and store.load_run_splits(s, "p", "keep").cv.n == 100


def test_project_summaries_count_runs(store_engine, rng):
    frame = binary_frame(rng, 60)
    for project, runs in (("b", 3), ("a", 1)):
        for i in range(runs):
            _submit(store_engine, project, f"r{i}", frame, frame)
    with Session(store_engine) as s, s.begin():
        store.find_project(s, "c", create=True)
        assert [(p.project, p.runs) for p in store.project_summaries(s)] == [("a", 1), ("b", 3), ("c", 0)]


# ------------------------------------------------------------------ the command line


def test_cli_housekeeping_round_trip(db_url, case):
    for project, run in (("p", "r1"), ("p", "r2"), ("q", "r1")):
        assert run_cli(["submit", "--project", project, "--run", run, "--train", case["train"], "--cv",
                        case["cv"]], db_url).exit_code == 0
    listed = json.loads(run_cli(["projects", "--format", "json"], db_url).stdout)
    assert [(p["project"], p["runs"]) for p in listed] == [("p", 2), ("q", 1)]
    assert "p           2" in run_cli(["projects"], db_url).stdout

    taken = run_cli(["runs", "rename", "p", "r1", "r2"], db_url)
    assert taken.exit_code == 2 and "run 'r2' already exists in project 'p'" in taken.output
    assert run_cli(["runs", "rename", "p", "r1", "first"], db_url).exit_code == 0
    assert [r["run"] for r in json.loads(run_cli(["runs", "--project", "p", "--format", "json"], db_url).stdout)] \
        == ["first", "r2"]
    assert run_cli(["runs", "delete", "p", "r2"], db_url).exit_code == 0
    missing = run_cli(["runs", "delete", "p", "r2"], db_url)
    assert missing.exit_code == 2 and "no run 'r2'" in missing.output

    from click.testing import CliRunner

    from diagnose.cli import main

    declined = CliRunner().invoke(main, ["projects", "delete", "q"], input="n\n", env={"DIAGNOSE_DATABASE_URL": db_url})
    assert declined.exit_code == 2 and "nothing was deleted" in declined.output
    no_answer = CliRunner().invoke(main, ["projects", "delete", "q"], input="", env={"DIAGNOSE_DATABASE_URL": db_url})
    assert no_answer.exit_code == 2 and row_counts(db_url)["project"] == 2
    yes = CliRunner().invoke(main, ["projects", "delete", "q"], input="y\n", env={"DIAGNOSE_DATABASE_URL": db_url})
    assert yes.exit_code == 0, yes.output
    assert run_cli(["projects", "delete", "p", "--yes"], db_url).exit_code == 0
    assert set(row_counts(db_url).values()) == {0}


def test_runs_without_project_or_subcommand_is_bad_usage(sqlite_url):
    result = run_cli(["runs"], sqlite_url)
    assert result.exit_code == 2 and "Missing option '--project'" in result.output


# ------------------------------------------------------------------ reading never creates


@pytest.mark.parametrize("args", [
    ["runs", "--project", "p"], ["show", "p", "r"], ["projects"], ["curve", "learning", "--project", "p"],
    ["curve", "validation", "--project", "p", "--param", "C"], ["errors", "tally", "--project", "p", "--run", "r"],
    ["compare", "--project", "p", "--run", "a", "--against", "b"], ["runs", "delete", "p", "r"],
    ["runs", "rename", "p", "r", "s"], ["projects", "delete", "p", "--yes"],
])
def test_reading_a_mistyped_sqlite_path_creates_nothing(tmp_path, args):
    path = tmp_path / "typo" / "deeper" / "runs.db"
    result = run_cli(args, f"sqlite:///{path}")
    assert result.exit_code == 2, result.output
    assert f"no run store at {path}" in result.output and "diagnose submit" in result.output
    assert not (tmp_path / "typo").exists()


def test_gate_no_regression_on_a_missing_store_compares_with_nothing(tmp_path, case):
    rules = tmp_path / "rules.toml"
    rules.write_text('rules = ["cv.error <= 0.5"]\nno_regression = {metric = "cv.error", tolerance = 0.005}\n')
    result = run_cli(["gate", str(rules), "--train", case["train"], "--cv", case["cv"], "--project", "p"],
                     f"sqlite:///{tmp_path / 'nowhere' / 'runs.db'}")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "nowhere").exists()


def test_reading_an_empty_database_creates_no_tables(db_url):
    from sqlalchemy import create_engine, inspect

    if db_url.startswith("sqlite"):
        Path(db_url.removeprefix("sqlite:///")).touch()  # an empty file, as a mistaken path can be
    result = run_cli(["runs", "--project", "p"], db_url)
    assert result.exit_code == 2 and "holds no run store yet" in result.output
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    # a write creates it
    assert run_cli(["db", "upgrade"], db_url).exit_code == 0
    assert run_cli(["runs", "--project", "p"], db_url).exit_code == 2  # now: no such project, said so


def test_library_lookups_refuse_names_that_are_not_utf8(tmp_path):
    from diagnose.exceptions import UsageError
    from diagnose.service import session
    from diagnose.store import get_run, list_runs

    bad = b"caf\xe9".decode("utf-8", "surrogateescape")
    with session(f"sqlite:///{tmp_path / 'runs.db'}") as s:
        for call in (lambda: list_runs(s, bad), lambda: get_run(s, bad, "r1")):
            with pytest.raises(UsageError, match="is not UTF-8 text"):
                call()
