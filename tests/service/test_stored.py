"""Workflows over stored runs: curves, tallies of stored tags, the run overview, and the
commands that take --project.

Every database test runs on SQLite and on the real PostgreSQL (``db_url`` fixture);
without a PostgreSQL server those variants skip, unless DIAGNOSE_REQUIRE_POSTGRES=1.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.exceptions import UsageError
from tests.fixtures import misclassified_share, run_cli


def _submit_groups(engine, frame, by, project):
    """Store each group of a curve file as its own run (train_size/param read from the columns)."""
    for value, group in frame.groupby(by, sort=True):
        with Session(engine) as s, s.begin():
            service.submit_files(s, project=project, run=f"{by}={value}", data=group.reset_index(drop=True))


def test_learning_curve_from_stored_runs(store_engine, sample_dir):
    from diagnose.service import learning_curve, learning_curve_from_store

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
    from diagnose.service import validation_curve_from_store

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
    from diagnose.service import learning_curve_from_store
    from tests.fixtures import binary_frame

    frame = binary_frame(rng, 100)
    with Session(store_engine) as s, s.begin():
        for name in ("a", "b"):
            service.submit_files(s, project="p", run=name, train=frame, cv=frame, train_size=100)
    with Session(store_engine) as s, pytest.raises(UsageError, match="both have train_size = 100"):
        learning_curve_from_store(s, "p")


def test_tally_from_stored_tags(store_engine, rng):
    from diagnose.service import tally_from_store
    from tests.fixtures import binary_frame

    cv = binary_frame(rng, 400, signal=0.3)
    wrong_ids = cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=cv, cv=cv)
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
    from diagnose.service import _stored as analysis
    from tests.fixtures import binary_frame

    cv = binary_frame(rng, 200, signal=0.3)
    wrong = cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=cv, cv=cv)
        store.save_tags(s, project="p", run="r", tags={str(i): "blurry" for i in wrong[:5]})
    with Session(store_engine) as s:
        pred = store.load_run_splits(s, "p", "r").cv
    monkeypatch.setattr(analysis, "load_run_splits", lambda *a, **k: pytest.fail("loaded the run again"))
    with Session(store_engine) as s:
        t = analysis.tally_from_store(s, "p", "r", predictions=pred)
    assert t.total_errors == len(wrong) and t.category("blurry").count == 5


def test_curves_refuse_runs_of_different_tasks_and_take_baselines_from_their_runs(store_engine, sample_dir):
    from diagnose.service import learning_curve_from_store

    frame = pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv")
    with Session(store_engine) as s, s.begin():
        for m, group in frame[frame.train_size.isin([50, 100])].groupby("train_size"):
            service.submit_files(s, project="p", run=f"m{m}", data=group, baselines={"human": 0.01})
        # another model of the project, with no train size: its baseline is not the curve's
        folder = sample_dir / "diabetes_poly"
        service.submit_files(s, project="p", run="reg", train=str(folder / "train.csv"), cv=str(folder / "cv.csv"),
                           baselines={"human": 0.0001})
    with Session(store_engine) as s:
        curve = learning_curve_from_store(s, "p")
    assert (curve.reference, curve.reference_name) == (0.01, "human")
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="reg-m300", train=str(folder / "train.csv"),
                           cv=str(folder / "cv.csv"), train_size=300)
    with Session(store_engine) as s, pytest.raises(UsageError, match=r"different tasks: m50 \(multiclass\), "
                                                                      r"m100 \(multiclass\), reg-m300 \(regression\)"):
        learning_curve_from_store(s, "p")


def test_run_overview_lists_errors_gaps_and_parameters(store_engine, sample_dir):
    folder = sample_dir / "breast_cancer"
    files = {s: str(folder / f"{s}.csv") for s in ("train", "cv", "test")}
    with Session(store_engine) as s, s.begin():
        service.submit_files(s, project="p", run="first", baselines={"human": 0.02}, train_size=341, **files)
        service.submit_files(s, project="p", run="second", params={"C": 10}, train=files["train"], cv=files["cv"])
    with Session(store_engine) as s:
        table = service.run_overview(s, "p")
    assert table["run"].tolist() == ["first", "second"]
    first = table.iloc[0]
    assert first["J_train"] == pytest.approx(misclassified_share(files["train"]))
    assert first["J_cv"] == pytest.approx(misclassified_share(files["cv"]))
    assert first["J_test"] == pytest.approx(misclassified_share(files["test"]))
    assert first["bias gap"] == pytest.approx(misclassified_share(files["train"]) - 0.02)
    assert first["train_size"] == 341 and first["created_at"].tzinfo is not None
    second = table.iloc[1]
    assert pd.isna(second["J_test"]) and second["params"] == {"C": 10}
    with Session(store_engine) as s, pytest.raises(UsageError, match="no project 'nope'"):
        service.run_overview(s, "nope")


def _submit_cv_run(url, tmp_path, rng) -> list:
    """Store run 'r' of project 'ea' (a 300-row binary cv file as train and cv) by the CLI;
    return the ids of its cv errors at score >= 0.5, computed from the frame."""
    from tests.fixtures import binary_frame

    cv = binary_frame(rng, 300, signal=0.3)
    cv_path = tmp_path / "cv.csv"
    cv.to_csv(cv_path, index=False)
    assert run_cli(["submit", "--project", "ea", "--run", "r", "--train", str(cv_path), "--cv", str(cv_path)],
                url).exit_code == 0
    return cv.id[(cv.y_score >= 0.5).astype(int) != cv.y_true].tolist()


def test_curve_and_tally_commands_take_a_project(sqlite_url, sample_dir, tmp_path, rng):
    frame = pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv")
    for m, group in frame.groupby("train_size"):
        path = tmp_path / f"m{m}.csv"
        group.to_csv(path, index=False)
        assert run_cli(["submit", "--project", "lc", "--run", f"m{m}", "--data", str(path),
                     "--baseline", "human=0.01"], sqlite_url).exit_code == 0
    stored = run_cli(["curve", "learning", "--project", "lc", "--format", "json"], sqlite_url)
    assert stored.exit_code == 0, stored.output
    from_file = run_cli(["curve", "learning", str(sample_dir / "curves" / "learning_high_variance.csv"),
                      "--baseline", "human=0.01", "--format", "json"], sqlite_url)
    a, b = json.loads(stored.stdout), json.loads(from_file.stdout)
    assert a["verdict"] == b["verdict"] and a["baselines"] == b["baselines"] == {"human": 0.01}
    assert [p["cv_error"] for p in a["points"]] == pytest.approx([p["cv_error"] for p in b["points"]])
    some = run_cli(["curve", "learning", "--project", "lc", "--runs", "m50", "--runs", "m100", "--format", "json"],
                sqlite_url)
    assert [p["train_size"] for p in json.loads(some.stdout)["points"]] == [50, 100]
    both = run_cli(["curve", "learning", "x.csv", "--project", "lc"], sqlite_url)
    assert both.exit_code == 2
    neither = run_cli(["curve", "validation", "--param", "lambda"], sqlite_url)
    assert neither.exit_code == 2

    wrong = _submit_cv_run(sqlite_url, tmp_path, rng)
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        for sid in wrong[:5]:
            store.set_tags(s, project="ea", run="r", sample_id=str(sid), tags="blurry")
    engine.dispose()
    tallied = run_cli(["errors", "tally", "--project", "ea", "--run", "r", "--format", "json"], sqlite_url)
    assert tallied.exit_code == 0, tallied.output
    top = json.loads(tallied.stdout)["categories"][0]
    assert top["name"] == "blurry" and top["count"] == 5 and top["estimated_count"] == pytest.approx(len(wrong))
    tagged = tmp_path / "tagged.csv"
    pd.DataFrame({"id": wrong[:4], "tags": ["dark"] * 4}).to_csv(tagged, index=False)
    checked = run_cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--format", "json"], sqlite_url)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["categories"][0]["estimated_count"] == pytest.approx(len(wrong))
    assert run_cli(["errors", "tally", "--project", "ea"], sqlite_url).exit_code == 2


def test_tally_save_stores_a_reviewed_file_in_one_transaction(db_url, tmp_path, rng):
    """errors tally TAGGED --project --run --save: the tags land in the store (both databases),
    replace earlier ones, and a file that fails its checks stores nothing."""
    wrong = _submit_cv_run(db_url, tmp_path, rng)
    tagged = tmp_path / "tagged.csv"
    reviewed = pd.DataFrame({"id": wrong[:6], "tags": ["Dark; blurry", "dark", "blurry", "dark", "", "odd"]})
    reviewed.to_csv(tagged, index=False)
    saved = run_cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save",
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
        again = json.loads(run_cli(["errors", "tally", "--project", "ea", "--run", "r", "--format", "json"],
                                db_url).stdout)
        assert {c["name"]: c["count"] for c in again["categories"]} == {"dark": 3, "blurry": 2, "odd": 1}
        # a second save replaces the same ids and keeps the others
        pd.DataFrame({"id": wrong[:1], "tags": ["glare"]}).to_csv(tagged, index=False)
        assert run_cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save"],
                    db_url).exit_code == 0
        with Session(engine) as s:
            stored = store.get_tags(s, project="ea", run="r").set_index("sample_id")
        assert stored["tags"][str(wrong[0])] == "glare" and len(stored) == 5
        assert pd.isna(stored["reviewer"][str(wrong[0])])  # saved without --reviewer
        # an id that is not a cv row: exit 2, and nothing of the file is stored
        pd.DataFrame({"id": [wrong[1], 10**9], "tags": ["new", "new"]}).to_csv(tagged, index=False)
        bad = run_cli(["errors", "tally", str(tagged), "--project", "ea", "--run", "r", "--save"], db_url)
        assert bad.exit_code == 2 and "not in the cv" in bad.output
        with Session(engine) as s:
            assert store.get_tags(s, project="ea", run="r").set_index("sample_id")["tags"][str(wrong[1])] == "dark"
    finally:
        engine.dispose()
    assert run_cli(["errors", "tally", str(tagged), "--save"], db_url).exit_code == 2
