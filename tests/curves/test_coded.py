"""Curves from one table's coded rows (counted per group, no copy per run) against the
memory path: the same table grouped by :func:`load_runs` into runs of their own rows.

Oracle: :func:`learning_curve_from_runs` / :func:`validation_curve_from_runs` of the runs
that ``load_runs`` validates group by group (checked against scikit-learn and hand counts
by the other curve tests). Every figure must be equal (``to_dict()`` equality, not a
tolerance), for every task and metric, with shuffled rows, test rows to leave out, several
Arrow chunks and split labels in mixed case. Tables the fast path leaves to ``load_runs``
(an id or weight column, text parameter values, several files) and bad input give the
memory path's output and messages. Seeded, a few thousand rows.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from diagnose.curves import (
    learning_curve_from_coded,
    learning_curve_from_runs,
    validation_curve_from_coded,
    validation_curve_from_runs,
)
from diagnose.exceptions import InputError
from diagnose.ingest import Columns, coded_rows, load_runs
from diagnose.service import _curves as service_curves
from diagnose.service import learning_curve, validation_curve

LABELS = np.array(["train", "Train", " TRAIN", "cv", "CV ", "Cv", "test", "Test"])


def _table(task: str, by: str, values, seed: int, n: int = 3000) -> pa.Table:
    """Shuffled rows of several runs, in 3 chunks; scores or labels per task."""
    rng = np.random.default_rng(seed)
    cols = {"split": LABELS[rng.integers(0, len(LABELS), n)], by: np.asarray(values)[rng.integers(0, len(values), n)]}
    if task == "binary":
        y = rng.integers(0, 2, n)
        cols.update(y_true=y, y_score=np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1).round(4))
    elif task == "multiclass":
        y = rng.integers(0, 3, n)
        p = rng.dirichlet([1, 1, 1], n)
        p[np.arange(n), y] += 0.5
        p /= p.sum(axis=1, keepdims=True)
        cols.update(y_true=y.astype(str), **{f"y_prob_{c}": p[:, c] for c in range(3)})
    elif task == "labels":  # multiclass from labels only; class 3 only in a few cv rows of the first run
        y = rng.choice(["0", "1", "2"], n, p=[0.4, 0.4, 0.2])
        cv_first = np.flatnonzero((np.char.strip(np.char.lower(cols["split"])) == "cv") & (cols[by] == values[0]))
        y[cv_first[:3]] = "3"
        pred = np.where(rng.random(n) < 0.7, y, rng.choice(["0", "1", "2"], n))
        cols.update(y_true=y, y_pred=pred)
    else:
        y = rng.normal(0, 3, n)
        cols.update(y_true=y, y_pred=y + rng.normal(0, 1, n))
    table = pa.table(cols)
    return pa.concat_tables([table.slice(0, 1000), table.slice(1000, 700), table.slice(1700)])


CASES = [("binary", m) for m in ("error_rate", "log_loss", "brier")] + \
        [("multiclass", m) for m in ("error_rate", "log_loss", "brier")] + [("labels", "error_rate")] + \
        [("regression", m) for m in ("half_mse", "mse", "rmse", "mae")]


@pytest.mark.parametrize("kind,metric", CASES)
def test_learning_curve_counted_per_group_equals_the_memory_path(kind, metric):
    table = _table(kind, "train_size", [400, 50, 100, 200, 800], seed=len(kind) + len(metric))
    coded = coded_rows(table, "runs.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    assert coded is not None and coded.pred.n < table.num_rows  # the test rows were left out
    runs = load_runs([(table, "runs.csv")], by="train_size", splits=("train", "cv"))
    got = learning_curve_from_coded(coded, metric=metric, baselines={"human": 0.01})
    want = learning_curve_from_runs(runs, metric=metric, baselines={"human": 0.01})
    assert got.to_dict() == want.to_dict()
    assert [p.train.n for p in got.points] == [runs.runs[k]["train"].n for k in runs.keys]
    if kind == "labels":  # class 3 is in 3 cv rows of one run and in no train rows
        assert "train_size = 400: 3 cv rows belong to classes the training rows of this run never show" in got.warnings


@pytest.mark.parametrize("kind,metric", [("binary", "error_rate"), ("binary", "log_loss"),
                                         ("multiclass", "brier"), ("regression", "mae")])
@pytest.mark.parametrize("values", [[0.01, 0.1, 1.0, 10.0], [2, 4, 8]])
def test_validation_curve_counted_per_group_equals_the_memory_path(kind, metric, values):
    table = _table(kind, "param_lambda", values, seed=7)
    coded = coded_rows(table, "runs.csv", by="param_lambda", columns=Columns())
    runs = load_runs([(table, "runs.csv")], by="param_lambda")
    for tie in ("smallest", "largest"):
        got = validation_curve_from_coded(coded, param="lambda", by="param_lambda", metric=metric, tie=tie)
        want = validation_curve_from_runs(runs, param="lambda", metric=metric, tie=tie)
        assert got.to_dict() == want.to_dict()
        assert got.test is not None and got.test.n == runs.runs[got.chosen]["test"].n


def test_the_service_takes_the_counted_path_and_gives_the_same_curve(monkeypatch):
    table = _table("binary", "train_size", [100, 200, 400], seed=3)
    want = learning_curve_from_runs(load_runs([(table, "f")], by="train_size", splits=("train", "cv")))

    def refuse(*args, **kwargs):
        raise AssertionError("load_runs was called")

    monkeypatch.setattr(service_curves, "load_runs", refuse)
    assert learning_curve(table).to_dict() == want.to_dict()


@pytest.mark.parametrize("change", ["id", "weight", "text_param", "two_files"])
def test_tables_left_to_the_group_by_group_path_give_its_curve(change, monkeypatch):
    table = _table("binary", "param_kernel", [1, 2, 3], seed=11)
    n = table.num_rows
    if change == "id":  # ids repeat across runs but not within one
        table = table.append_column("id", pa.array(np.arange(n) % (n // 8)))
        table = table.filter(pa.array(_unique_within_groups(table)))
    elif change == "weight":
        table = table.append_column("weight", pa.array(np.where(np.arange(n) % 3, 1.0, 2.0)))
    elif change == "text_param":
        table = table.set_column(1, "param_kernel", pa.array(np.array(["rbf", "linear", "poly"])[
            np.asarray(table.column("param_kernel").to_pylist()) - 1]))
    calls = []
    real = service_curves.load_runs

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_curves, "load_runs", counted)
    sources = [table] if change != "two_files" else [table.slice(0, n // 2), table.slice(n // 2)]
    if change == "two_files":  # each file holds all groups: the group-by-group path refuses it
        with pytest.raises(InputError, match="are also in"):
            validation_curve(*sources, param="kernel")
        assert calls
        return
    assert coded_rows(table, "f", by="param_kernel", columns=Columns()) is None
    got = validation_curve(*sources, param="kernel")
    assert calls
    assert got.to_dict() == validation_curve_from_runs(real([table], by="param_kernel"), param="kernel").to_dict()


def _unique_within_groups(table: pa.Table) -> np.ndarray:
    """A row mask keeping the first row of each (kernel, split, id)."""
    seen, keep = set(), []
    for key in zip(table.column("param_kernel").to_pylist(),
                   [s.strip().lower() for s in table.column("split").to_pylist()], table.column("id").to_pylist()):
        keep.append(key not in seen)
        seen.add(key)
    return np.array(keep)


def test_bad_input_keeps_the_group_by_group_message():
    table = _table("binary", "train_size", [10, 20, 40], seed=5)
    split = np.char.lower(np.char.strip(np.asarray(table.column("split").to_pylist())))
    size = np.asarray(table.column("train_size").to_pylist())
    early = np.flatnonzero((split == "cv") & (size == 40))[0]  # a bad row early in the file, in a late group
    late = np.flatnonzero((split == "train") & (size == 10))[-2:]  # two in the first group, late in the file
    assert early < late.min()
    scores = table.column("y_score").to_numpy().copy()
    scores[[early, *late]] = 1.5
    table = table.set_column(3, "y_score", pa.array(scores))
    with pytest.raises(InputError) as memory:
        load_runs([(table, "<table>")], by="train_size", splits=("train", "cv"))
    with pytest.raises(InputError) as service:
        learning_curve(table)
    assert str(service.value) == str(memory.value)
    assert service.value.rows == memory.value.rows == (late + 1).tolist()  # the first group's rows, as ever


def test_a_learning_table_whose_test_rows_are_bad_still_gives_the_curve():
    # test rows are left out of a learning curve: a bad score there is no error
    table = _table("binary", "train_size", [10, 20, 40], seed=6)
    split = np.char.lower(np.char.strip(np.asarray(table.column("split").to_pylist())))
    scores = np.where(split == "test", 7.0, table.column("y_score").to_numpy())
    table = table.set_column(3, "y_score", pa.array(scores))
    want = learning_curve_from_runs(load_runs([(table, "f")], by="train_size", splits=("train", "cv")))
    assert learning_curve(table).to_dict() == want.to_dict()


def test_a_run_without_cv_rows_keeps_its_message():
    table = _table("binary", "train_size", [10, 20, 40], seed=8)
    split = np.char.lower(np.char.strip(np.asarray(table.column("split").to_pylist())))
    size = np.asarray(table.column("train_size").to_pylist())
    table = table.filter(pa.array(~((split == "cv") & (size == 20))))
    assert coded_rows(table, "f", by="train_size", columns=Columns(), splits=("train", "cv")) is None
    with pytest.raises(InputError, match="the run train_size = 20 has no cv rows"):
        learning_curve(table)


def test_named_binary_classes_with_a_positive_label_give_the_memory_curve():
    table = _table("binary", "train_size", [30, 60, 120], seed=9)
    names = np.where(np.asarray(table.column("y_true").to_pylist()) == 1, "spam", "ham")
    table = table.set_column(2, "y_true", pa.array(names))
    coded = coded_rows(table, "f", by="train_size", columns=Columns(), positive_label="spam", splits=("train", "cv"))
    assert coded is not None and coded.pred.classes == ("ham", "spam")
    runs = load_runs([(table, "f")], by="train_size", positive_label="spam", splits=("train", "cv"))
    for metric in ("error_rate", "brier"):
        assert (learning_curve_from_coded(coded, metric=metric).to_dict()
                == learning_curve_from_runs(runs, metric=metric).to_dict())
