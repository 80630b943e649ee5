"""Curves from coded rows counted a few rows at a time, the trivial baseline from class
counts, and the file read while the curve's modules import on a thread.

Oracles: :func:`learning_curve_from_runs` / :func:`validation_curve_from_runs` of the runs
``load_runs`` validates group by group (the curve of record), ``np.bincount`` of the whole
column, and the trivial baseline computed from the largest run's own rows
(:func:`trivial_predictions` then :func:`split_error`). Equality is exact (``to_dict()``
and float ``==``), never a tolerance. The chunk size is made tiny so that every sum runs
over many chunks, with chunk edges inside groups. Seeded, a few thousand rows.
"""
from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pytest

from diagnose.curves import (
    _coded,
    learning_curve_from_coded,
    learning_curve_from_runs,
    validation_curve_from_coded,
    validation_curve_from_runs,
)
from diagnose.exceptions import InputError
from diagnose.ingest import Columns, _groups, chunked_bincount, coded_rows, load_runs
from diagnose.metrics import split_error, trivial_predictions
from diagnose.options import ReportOptions
from diagnose.service import _curves as service_curves

from .test_coded import _table


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of 97 rows (a prime, so chunk edges fall anywhere in the groups)."""
    monkeypatch.setattr(_groups, "CHUNK_ROWS", 97)
    monkeypatch.setattr(_coded, "CHUNK_ROWS", 97)


@pytest.mark.parametrize("weights", [False, True])
def test_chunked_bincount_equals_one_bincount(tiny_chunks, weights):
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 13, 1000).astype(np.int16)
    w = rng.integers(0, 2, 1000).astype(np.float64) if weights else None
    got = chunked_bincount(codes, 20, w)
    want = np.bincount(codes, weights=w, minlength=20)
    assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("kind,metric", [("binary", "error_rate"), ("binary", "log_loss"), ("multiclass", "error_rate"),
                                         ("labels", "error_rate"), ("regression", "mae")])
def test_learning_curve_over_many_chunks_equals_the_memory_path(tiny_chunks, kind, metric):
    table = _table(kind, "train_size", [400, 50, 100, 200, 800], seed=11 + len(kind))
    coded = coded_rows(table, "runs.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    assert coded is not None and coded.pred.n > 10 * 97
    runs = load_runs([(table, "runs.csv")], by="train_size", splits=("train", "cv"))
    got = learning_curve_from_coded(coded, metric=metric, baselines={"human": 0.01})
    assert got.to_dict() == learning_curve_from_runs(runs, metric=metric, baselines={"human": 0.01}).to_dict()


@pytest.mark.parametrize("kind,metric", [("binary", "error_rate"), ("multiclass", "error_rate")])
def test_validation_curve_over_many_chunks_equals_the_memory_path(tiny_chunks, kind, metric):
    table = _table(kind, "param_lambda", [0.01, 0.1, 1.0, 10.0], seed=3)
    coded = coded_rows(table, "runs.csv", by="param_lambda", columns=Columns())
    runs = load_runs([(table, "runs.csv")], by="param_lambda")
    got = validation_curve_from_coded(coded, param="lambda", metric=metric)
    assert got.to_dict() == validation_curve_from_runs(runs, param="lambda", metric=metric).to_dict()


def _binary_runs(train_ones: int, train_rows: int, cv_ones: int, cv_rows: int, seed: int) -> pa.Table:
    """Two runs; the largest's train rows hold ``train_ones`` positives of ``train_rows``."""
    rng = np.random.default_rng(seed)
    parts = []
    for size, (t1, tn, c1, cn) in ((10, (3, 8, 4, 9)), (20, (train_ones, train_rows, cv_ones, cv_rows))):
        for split, ones, rows in (("train", t1, tn), ("cv", c1, cn)):
            y = np.r_[np.ones(ones, np.int64), np.zeros(rows - ones, np.int64)]
            parts.append(pa.table({"split": [split] * rows, "train_size": [size] * rows, "y_true": y,
                                   "y_score": rng.random(rows).round(2)}))
    table = pa.concat_tables(parts)
    return table.take(rng.permutation(table.num_rows))


@pytest.mark.parametrize("train_ones,train_rows,cv_ones,cv_rows", [
    (6, 12, 5, 9),    # prior exactly 0.5: nudged to the negative side
    (7, 12, 5, 9),    # positives the majority
    (5, 12, 8, 9),    # negatives the majority
    (12, 12, 0, 7),   # train all positive, cv all negative
    (0, 5, 5, 5),
])
def test_trivial_error_from_class_counts_equals_the_rows(train_ones, train_rows, cv_ones, cv_rows):
    table = _binary_runs(train_ones, train_rows, cv_ones, cv_rows, seed=train_ones + cv_rows)
    coded = coded_rows(table, "t.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    last = len(coded.keys) - 1
    rows = [coded.rows_of(coded.code(last, s)) for s in ("train", "cv")]
    want = split_error(trivial_predictions(*rows), "error_rate", split="cv").error
    got = _coded._trivial_error(coded, "error_rate", _coded._class_cells(coded))
    assert got == want
    # the counted decision, by hand: positive only when positives are strictly the majority
    decided = int(2 * train_ones > train_rows)
    assert got == (cv_rows - (cv_ones if decided else cv_rows - cv_ones)) / cv_rows


def test_trivial_error_of_multiclass_ties_takes_the_first_class():
    rng = np.random.default_rng(2)
    y_train = np.array(["b", "a", "c", "a", "b", "c", "c", "b"])  # b and c tie with 3 rows each
    y_cv = rng.choice(["a", "b", "c"], 11)
    rows = []
    for size in (5, 9):
        for split, y in (("train", y_train), ("cv", y_cv)):
            p = rng.dirichlet([1, 1, 1], len(y))
            rows.append(pa.table({"split": [split] * len(y), "train_size": [size] * len(y), "y_true": y,
                                  **{f"y_prob_{c}": p[:, i] for i, c in enumerate("abc")}}))
    coded = coded_rows(pa.concat_tables(rows), "t.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    last = len(coded.keys) - 1
    rows_of = [coded.rows_of(coded.code(last, s)) for s in ("train", "cv")]
    want = split_error(trivial_predictions(*rows_of), "error_rate", split="cv").error
    assert _coded._trivial_error(coded, "error_rate", _coded._class_cells(coded)) == want
    assert want == float(np.mean(y_cv != "b"))  # b: the first of the most frequent classes


def test_worse_than_trivial_is_warned_as_by_the_memory_path(tiny_chunks):
    # every score on the wrong side: J_cv 1.0, above the majority-class baseline
    table = _binary_runs(9, 12, 3, 9, seed=4)
    y = table.column("y_true").to_numpy()
    table = table.set_column(3, "y_score", pa.array(np.where(y == 1, 0.1, 0.9)))
    coded = coded_rows(table, "t.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    runs = load_runs([(table, "t.csv")], by="train_size", splits=("train", "cv"))
    got = learning_curve_from_coded(coded)
    assert got.to_dict() == learning_curve_from_runs(runs).to_dict()
    assert any("no better than the trivial baseline" in w for w in got.warnings)


def _import_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "diagnose-curve-imports"]


def test_read_while_importing_leaves_no_thread_and_keeps_the_message(tmp_path):
    table = _table("binary", "train_size", [50, 100, 200], seed=1)
    path = tmp_path / "runs.parquet"
    import pyarrow.parquet as pq

    pq.write_table(table, path, row_group_size=500)
    [(read, name)] = service_curves._read_tables([str(path)], ReportOptions(), "train_size")
    assert name == str(path) and read.num_rows == table.num_rows and not _import_threads()
    assert read.column("split").type == pa.dictionary(pa.int32(), pa.string())  # coded once per distinct name
    with pytest.raises(InputError, match="file not found"):
        service_curves._read_tables([str(tmp_path / "missing.csv")], ReportOptions(), "train_size")
    assert not _import_threads()


def test_a_failed_background_import_is_left_to_the_caller(monkeypatch):
    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    thread = service_curves._import_in_background(("diagnose.no_such_module", "json"))
    thread.join()
    assert raised == []  # no traceback from the thread: the caller's own import raises it
    with pytest.raises(ModuleNotFoundError):
        __import__("diagnose.no_such_module")
