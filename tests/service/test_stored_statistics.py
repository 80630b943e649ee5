"""Stored runs without their rows decoded: curves from each run's stored statistics, and the
error sample drawn by a pass over a stored split in batches.

Oracles: the row path of the same functions (the stored tables decoded and validated, as
before statistics were stored), equal to 1e-12; and ``sample_errors`` on the decoded cv
split, row for row.
"""
from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from diagnose import service, store
from diagnose.error_analysis import sample_errors
from diagnose.exceptions import UsageError
from diagnose.service import _stored


def _submit_groups(engine, frame: pd.DataFrame, by: str, project: str) -> None:
    for value, group in frame.groupby(by, sort=True):
        with Session(engine) as s, s.begin():
            service.submit_files(s, project=project, run=f"{by}={value}", data=group.reset_index(drop=True))


def _close(a, b, path: str = "") -> None:
    """Equal, with floats to 1e-12 (relative above 1)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12 * max(1.0, abs(b)), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _both_paths(engine, fn, **kwargs):
    """The curve from the stored statistics (asserting that path was taken) and from the rows."""
    taken = []
    real = _stored._curve_statistics

    def spy(*args, **kw):
        found = real(*args, **kw)
        taken.append(found is not None)
        return found

    with Session(engine) as s:
        with mock.patch.object(_stored, "_curve_statistics", spy):
            from_stats = fn(s, **kwargs)
        with mock.patch.object(_stored, "statistics_reader", lambda: None):
            from_rows = fn(s, **kwargs)
    return from_stats, from_rows, taken


@pytest.mark.parametrize("name, by, project, kwargs", [
    ("learning_high_variance.csv", "train_size", "lc", {"baselines": {"human": 0.01}}),
    ("learning_high_bias.csv", "train_size", "lb", {}),
    ("learning_high_bias.csv", "train_size", "lb", {"tolerance": 0.05, "target": 0.1}),
])
def test_learning_curve_from_statistics_equals_the_row_path(store_engine, sample_dir, name, by, project, kwargs):
    _submit_groups(store_engine, pd.read_csv(sample_dir / "curves" / name), by, project)
    stats, rows, taken = _both_paths(store_engine, service.learning_curve_from_store, project=project, **kwargs)
    assert taken == [True]
    _close(stats.to_dict(), rows.to_dict())


@pytest.mark.parametrize("name, param, kwargs", [
    ("validation_lambda.csv", "lambda", {}),
    ("validation_lambda.csv", "lambda", {"tie": "largest"}),
    ("validation_degree.csv", "degree", {}),
])
def test_validation_curve_from_statistics_equals_the_row_path(store_engine, sample_dir, name, param, kwargs):
    _submit_groups(store_engine, pd.read_csv(sample_dir / "curves" / name), f"param_{param}", "vc")
    stats, rows, taken = _both_paths(store_engine, service.validation_curve_from_store, project="vc", param=param,
                                     **kwargs)
    assert taken == [True]
    _close(stats.to_dict(), rows.to_dict())


def test_a_curve_reads_the_rows_when_a_run_has_no_statistics_or_another_metric(store_engine, sample_dir):
    _submit_groups(store_engine, pd.read_csv(sample_dir / "curves" / "learning_high_bias.csv"), "train_size", "lb")
    # another metric than the one the statistics were counted in: the rows give it
    stats, rows, taken = _both_paths(store_engine, service.learning_curve_from_store, project="lb",
                                     metric="log_loss")
    assert taken == [False]
    assert stats.metric == "log_loss"
    _close(stats.to_dict(), rows.to_dict())
    # one run stored before statistics were kept (None): the rows again
    real = service.run_statistics
    with mock.patch.object(service, "run_statistics",
                           lambda s, p, r: None if r.endswith("=50") else real(s, p, r), create=True):
        stats, rows, taken = _both_paths(store_engine, service.learning_curve_from_store, project="lb")
    assert taken == [False]
    _close(stats.to_dict(), rows.to_dict())


def test_a_curve_from_statistics_reads_no_stored_table(store_engine, sample_dir):
    _submit_groups(store_engine, pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv"), "train_size",
                   "lc")

    def refuse(*args, **kwargs):
        raise AssertionError("a stored table was decoded")

    with Session(store_engine) as s, mock.patch.object(_stored, "curve_tables", refuse):
        curve = service.learning_curve_from_store(s, "lc")
    assert [p.value for p in curve.points] == [50, 100, 200, 400, 800, 1078]


# ----------------------------------------------------------------------------- the streamed sample


def _frame(n: int, seed: int, kind: str, ids: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out: dict = {}
    if ids == "int":
        out["id"] = rng.permutation(n) * 7 + 3
    elif ids == "text":
        out["id"] = [f"row-{i}" for i in rng.permutation(n)]
    elif ids == "float":
        out["id"] = rng.permutation(n) / 4 - 50.0
    if kind == "binary":
        out["y_true"] = rng.integers(0, 2, n)
        out["y_score"] = np.round(rng.random(n), 3)  # ties between scores
    elif kind == "labels":  # text labels with a positive label
        out["y_true"] = np.where(rng.random(n) < 0.4, "yes", "no")
        out["y_score"] = rng.random(n)
    elif kind == "multiclass":
        out["y_true"] = rng.choice(["cat", "dog", "eel"], n)
        p = rng.dirichlet(np.ones(3), n)
        for j, c in enumerate(["cat", "dog", "eel"]):
            out[f"y_prob_{c}"] = p[:, j]
    elif kind == "multilabel":
        for label in ("red", "blue"):
            out[f"y_true_{label}"] = rng.integers(0, 2, n)
            out[f"y_score_{label}"] = rng.random(n)
    else:
        out["y_true"] = rng.normal(size=n)
        out["y_pred"] = out["y_true"] + rng.normal(size=n) * rng.random(n)
    out["region"] = rng.choice(["north", "south", "west"], n)
    out["age"] = rng.integers(18, 90, n)
    return pd.DataFrame(out)


@pytest.mark.parametrize("kind, ids", [("binary", "int"), ("binary", "none"), ("binary", "float"), ("labels", "text"),
                                       ("multiclass", "int"), ("multilabel", "text"), ("regression", "int"),
                                       ("regression", "none")])
@pytest.mark.parametrize("within", [None, "region=west"])
def test_the_streamed_sample_is_the_whole_splits_sample(sqlite_url, kind, ids, within):
    options = {"positive_label": "yes"} if kind == "labels" else {}
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=_frame(300, 1, kind, ids), cv=_frame(1000, 2, kind, ids),
                             **options)
    with Session(engine) as s:
        cv = store.load_run_splits(s, "p", "r").cv
        for n, seed, batch_rows in ((25, 0, 64), (25, 7, 333), (5000, 1, 100), (1, 3, 1000)):
            whole = sample_errors(cv, n=n, seed=seed, within=within)
            streamed = service.error_sample_from_store(s, "p", "r", n=n, seed=seed, within=within,
                                                       batch_rows=batch_rows)
            pd.testing.assert_frame_equal(streamed.frame, whole.frame)
            assert (streamed.total_errors, streamed.cv_n, streamed.cut, streamed.warnings) == \
                (whole.total_errors, whole.cv_n, whole.cut, whole.warnings)
            assert streamed.summary() == whole.summary()
    engine.dispose()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_the_streamed_sample_of_a_weighted_run_is_the_whole_splits_sample(sqlite_url, kind):
    """Weights of 0 on every row but a few (the first row's and the sampled rows' among them):
    a batch's weights, or the drawn rows', sum to 0, which the whole split's do not. The sample
    is the whole split's, row for row (no weight shows in it)."""
    frames = {}
    for name, (n, seed) in {"train": (300, 1), "cv": (1000, 2)}.items():
        frame = _frame(n, seed, kind, "int")
        frame["weight"] = np.where(np.arange(n) % 400 == 7, 2.5, 0.0)
        frames[name] = frame
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", **frames)
    with Session(engine) as s:
        cv = store.load_run_splits(s, "p", "r").cv
        assert cv.weight is not None and cv.weight.sum() == 7.5
        for n, seed, within, batch_rows in ((1, 0, None, 64), (25, 7, "region=west", 100), (5000, 1, None, 333)):
            whole = sample_errors(cv, n=n, seed=seed, within=within)
            streamed = service.error_sample_from_store(s, "p", "r", n=n, seed=seed, within=within,
                                                       batch_rows=batch_rows)
            pd.testing.assert_frame_equal(streamed.frame, whole.frame)
            assert (streamed.total_errors, streamed.cut, streamed.warnings) == \
                (whole.total_errors, whole.cut, whole.warnings)
            assert "weight" not in streamed.frame.columns
    engine.dispose()


def test_the_streamed_sample_names_binary_classes_without_statistics(sqlite_url):
    """A run stored before statistics were kept: the labels of every stored split name the classes."""
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=_frame(200, 1, "labels", "text"),
                             cv=_frame(400, 2, "labels", "text"), positive_label="yes")
    with Session(engine) as s, mock.patch.object(_stored, "statistics_reader", lambda: None):
        whole = sample_errors(store.load_run_splits(s, "p", "r").cv, n=30, seed=4)
        streamed = service.error_sample_from_store(s, "p", "r", n=30, seed=4, batch_rows=50)
    pd.testing.assert_frame_equal(streamed.frame, whole.frame)
    assert set(whole.frame["y_true"]) == {"yes", "no"}
    engine.dispose()


def test_the_streamed_sample_refuses_bad_usage(sqlite_url):
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=_frame(50, 1, "binary", "int"),
                             cv=_frame(50, 2, "binary", "int"))
    with Session(engine) as s:
        with pytest.raises(UsageError, match="at least 1"):
            service.error_sample_from_store(s, "p", "r", n=0)
        with pytest.raises(UsageError, match="no test split"):
            store.stored_split(s, "p", "r", "test")
    engine.dispose()


def test_the_tally_of_a_big_run_reads_no_row(sqlite_url):
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=_frame(50, 1, "binary", "int"),
                             cv=_frame(200, 2, "binary", "int"))
        sample = service.error_sample_from_store(s, "p", "r", n=10)
        store.save_tags(s, project="p", run="r", tags={i: "glare" for i in sample.frame["id"][:4]})
    with Session(engine) as s, mock.patch.object(_stored, "load_run_splits", side_effect=AssertionError):
        tally = service.tally_from_store(s, "p", "r", total_errors=sample.total_errors, cv_n=sample.cv_n)
    with Session(engine) as s:
        oracle = service.tally_from_store(s, "p", "r")
    assert tally.to_dict() == oracle.to_dict()
    engine.dispose()


def test_the_curve_command_on_stored_runs_reads_their_statistics(sqlite_url, sample_dir):
    import json

    from tests.fixtures import run_cli

    engine = store.make_engine(sqlite_url)
    _submit_groups(engine, pd.read_csv(sample_dir / "curves" / "learning_high_variance.csv"), "train_size", "lc")
    _submit_groups(engine, pd.read_csv(sample_dir / "curves" / "validation_degree.csv"), "param_degree", "vd")
    engine.dispose()
    with mock.patch.object(_stored, "curve_tables", _refuse_tables):
        learning = run_cli(["curve", "learning", "--project", "lc", "--baseline", "human=0.01", "--format", "json"],
                           sqlite_url)
        validation = run_cli(["curve", "validation", "--project", "vd", "--param", "degree", "--tie", "largest",
                              "--format", "json"], sqlite_url)
    assert learning.exit_code == 0 and validation.exit_code == 0, learning.output + validation.output
    with service.session(sqlite_url) as s, mock.patch.object(_stored, "statistics_reader", lambda: None):
        rows_lc = service.learning_curve_from_store(s, "lc", baselines={"human": 0.01})
        rows_vd = service.validation_curve_from_store(s, "vd", param="degree", tie="largest")
    _close(json.loads(learning.output), json.loads(json.dumps(rows_lc.to_dict())))
    _close(json.loads(validation.output), json.loads(json.dumps(rows_vd.to_dict())))


def _refuse_tables(*args, **kwargs):
    raise AssertionError("a stored table was decoded")


def test_a_slice_on_a_label_column_gets_the_whole_splits_message(sqlite_url):
    """``within`` naming the label column of a regression run: the message of sample_errors on
    the whole split (no slice column), not a missing label column (a review found the cut's
    pass dropping the label column when a slice named it)."""
    from diagnose.exceptions import DiagnoseError

    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="r", train=_frame(300, 1, "regression", "int"),
                             cv=_frame(1000, 2, "regression", "int"))
    with Session(engine) as s:
        cv = store.load_run_splits(s, "p", "r").cv
        with pytest.raises(DiagnoseError) as whole:
            sample_errors(cv, n=10, within="y_true=1")
        with pytest.raises(DiagnoseError) as streamed:
            service.error_sample_from_store(s, "p", "r", n=10, within="y_true=1")
        assert type(streamed.value) is type(whole.value) and "slice column 'y_true'" in str(streamed.value)
    engine.dispose()
