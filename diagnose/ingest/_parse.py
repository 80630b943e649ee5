"""Task inference and the parsing of one run's splits into :class:`Predictions`."""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError, UsageError
from ..options import Columns, ReadOptions
from ._checks import Checker, natural_key, parse_numbers
from ._classes import multiclass_classes, name_binary_classes, same_labels
from ._read import read_table
from ._tasks import multilabel_labels, task_type
from ._values import MAX_ROWS_SHOWN, SPLITS, Predictions, Source, Splits

# a table's key: its split name, or (run key, split name) for the runs of a curve
K = TypeVar("K", bound=Hashable)


def label_columns(columns: Columns) -> tuple[str, str]:
    """The columns a CSV gives as text: labels keep their spelling (class ``01`` is not ``1``).

    >>> label_columns(Columns())
    ('y_true', 'y_pred')
    """
    return (columns.y_true, columns.y_pred)


def infer_task(column_names: Sequence[str], columns: Columns | None = None) -> str | None:
    """The task the columns describe, or ``None`` when only ``y_pred`` exists (labels decide).

    >>> infer_task(["id", "y_true", "y_prob_cat", "y_prob_dog"])
    'multiclass'
    >>> infer_task(["y_true", "y_score"])
    'binary'
    """
    columns = columns or Columns()
    names = set(column_names)
    if multilabel_labels(names, columns):
        return "multilabel"
    if any(c.startswith(columns.prob_prefix) for c in names):
        return "multiclass"
    if columns.y_score in names:
        return "binary"
    return None


def _task_from_labels(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """With only y_pred: regression when the values are not few integers, else by class count."""
    both = np.concatenate([y_true, y_pred])
    nums = parse_numbers(both) if both.dtype == object else both.astype(np.float64)
    if not np.isnan(nums).any():
        distinct = np.unique(nums)
        integral = np.all(distinct == np.round(distinct))
        if not integral or len(distinct) > 50:
            return "regression"
        return "binary" if len(distinct) <= 2 and set(distinct.tolist()) <= {0.0, 1.0} else "multiclass"
    labels = set(both.tolist())
    return "binary" if len(labels) <= 2 else "multiclass"


@dataclass
class RawTable:
    """One split's table before classes are known across splits."""

    table: pa.Table
    name: str
    split: str
    row_numbers: np.ndarray | None = None

    def file_rows(self) -> np.ndarray:
        """The 1-based row number, in its file, of each row of the table."""
        return self.row_numbers if self.row_numbers is not None else np.arange(1, self.table.num_rows + 1)


def load_splits(
    train: Source | None = None,
    cv: Source | None = None,
    test: Source | None = None,
    *,
    data: Source | None = None,
    task: str | None = None,
    columns: Mapping[str, str] | Columns | None = None,
    positive_label: str | None = None,
    encoding: str | None = None,
    options: ReadOptions | None = None,
) -> Splits:
    """Read and validate the train, cv and (optional) test predictions of one run.

    Each source is a CSV or Parquet path, a pandas DataFrame or an Arrow table. ``data``
    is one table with a ``split`` column holding train, cv and test; so is ``train``
    when it is given alone and has a ``split`` column. ``options`` says how to read them
    (the keyword arguments override it).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"y_true": [0, 1, 1], "y_score": [0.2, 0.7, 0.4]})
    >>> s = load_splits(t, t)
    >>> s.task, s.cv.n, s.test is None
    ('binary', 3, True)
    """
    opts = ReadOptions.of(options, task=task, columns=columns, positive_label=positive_label, encoding=encoding)
    cols, task, positive_label, encoding = opts.column_names, opts.task, opts.positive_label, opts.encoding
    raws: dict[str, RawTable] = {}
    if data is not None and any(s is not None for s in (train, cv, test)):
        raise UsageError("give either one file with a split column (--data) or the split files "
                         "(--train, --cv, --test), not both")
    if data is None and train is not None and cv is None and test is None:
        table, name = read_table(train, encoding=encoding, text_columns=label_columns(cols))
        if cols.split in table.column_names:
            data, train = (table, name), None
        else:
            raise UsageError(
                f"{name}: a cv split is needed: give --cv, or one file with a '{cols.split}' "
                "column holding train, cv and test"
            )
    if data is not None:
        table, name = data if isinstance(data, tuple) else read_table(data, encoding=encoding,
                                                                      text_columns=label_columns(cols))
        raws.update(_split_table(table, name, cols))
    for split, source in (("train", train), ("cv", cv), ("test", test)):
        if source is None:
            continue
        table, name = read_table(source, encoding=encoding, text_columns=label_columns(cols))
        raws[split] = _own_split_only(table, name, split, cols)
    if "train" not in raws or "cv" not in raws:
        missing = [s for s in ("train", "cv") if s not in raws]
        raise UsageError(f"the {' and '.join(missing)} split is needed (give --{missing[0]})")
    for raw in raws.values():
        _refuse_several_runs(raw, cols)
    parsed, warnings = parse_splits(raws, task=task, columns=cols, positive_label=positive_label)
    return Splits(task=parsed["train"].task, train=parsed["train"], cv=parsed["cv"],
                  test=parsed.get("test"), warnings=tuple(warnings))


def _own_split_only(table: pa.Table, name: str, split: str, cols: Columns) -> RawTable:
    """A split file may carry a split column, but only naming its own split."""
    if cols.split not in table.column_names:
        return RawTable(table, name, split)
    parts = _split_table(table, name, cols)
    others = [s for s in parts if s != split]
    if others:
        rows = np.sort(np.concatenate([parts[s].file_rows() for s in others]))
        # the first rows overall are among the first rows of their own split
        split_of = {int(r): s for s in others for r in parts[s].file_rows()[:MAX_ROWS_SHOWN]}
        shown = rows[:MAX_ROWS_SHOWN].tolist()
        raise InputError(
            f"is given as the {split} split but its '{cols.split}' column holds other splits too",
            file=name, column=cols.split, rows=shown, values=[split_of[int(r)] for r in shown],
            n_bad=len(rows), fix="Give a file with train, cv and test rows as --data, or only this split's rows")
    return parts[split]


def _refuse_several_runs(raw: RawTable, cols: Columns) -> None:
    """A table of curve runs (several train sizes or parameter values) is not one run."""
    for column in raw.table.column_names:
        if column == cols.train_size or column.startswith(cols.param_prefix):
            distinct = pc.count_distinct(raw.table.column(column)).as_py()
            if distinct > 1:
                if column == cols.train_size:
                    command = "diagnose curve learning FILE"
                else:
                    command = f"diagnose curve validation FILE --param {column[len(cols.param_prefix):]}"
                raise InputError(
                    f"holds {distinct} runs (column '{column}' has {distinct} values), not one run",
                    file=raw.name, column=column,
                    fix=f"Use `{command}`, or give the rows of one run only")


def _split_table(table: pa.Table, name: str, cols: Columns) -> dict[str, RawTable]:
    values = Checker(table, name).split_labels(cols, "train, cv or test on every row")
    out = {}
    for split in SPLITS:
        idx = np.flatnonzero(values == split)
        if len(idx):
            out[split] = RawTable(table.take(pa.array(idx)).drop_columns([cols.split]), name, split, idx + 1)
    return out


def parse_splits(
    raws: Mapping[K, RawTable],
    *,
    task: str | None,
    columns: Columns,
    positive_label: str | None = None,
    classes: Sequence[str] | None = None,
) -> tuple[dict[K, Predictions], list[str]]:
    """Validate several tables of one run together, so classes line up across splits.

    >>> train = pa.table({"y_true": ["a", "b", "b"], "y_pred": ["a", "b", "a"]})
    >>> cv = pa.table({"y_true": ["a", "c"], "y_pred": ["a", "b"]})
    >>> raws = {"train": RawTable(train, "train.csv", "train"), "cv": RawTable(cv, "cv.csv", "cv")}
    >>> parsed, warnings = parse_splits(raws, task=None, columns=Columns())
    >>> parsed["cv"].classes, parsed["cv"].y_true.tolist()
    (('a', 'b', 'c'), [0, 2])
    >>> print(*warnings)
    cv.csv: class(es) c appear in cv (1 rows) but never in train; the model cannot have learned them
    """
    first = next(iter(raws.values()))
    names = first.table.column_names
    inferred = task or infer_task(names, columns)
    warnings: list[str] = []
    if inferred is None:
        # only y_pred: look at the labels of every split together
        for raw in raws.values():
            Checker(raw.table, raw.name, raw.row_numbers).require(columns.y_true, "the label", columns)
            Checker(raw.table, raw.name, raw.row_numbers).require(
                columns.y_pred, "the prediction; or give y_score / y_prob_<class> columns", columns)
        labels = [Checker(r.table, r.name, r.row_numbers).labels(columns.y_true) for r in raws.values()]
        preds = [Checker(r.table, r.name, r.row_numbers).labels(columns.y_pred) for r in raws.values()]
        inferred = _task_from_labels(np.concatenate(labels), np.concatenate(preds))
        if positive_label is not None and inferred == "multiclass":
            inferred = "binary"
    for raw in raws.values():
        other = task or infer_task(raw.table.column_names, columns)
        if task is None and other is not None and other != inferred:
            raise InputError(
                f"looks like a {other} table while the {first.split} split looks {inferred}",
                file=raw.name, fix="Give every split the same columns, or force the task with --task")
    if inferred == "multiclass":
        classes = multiclass_classes(raws, columns, classes)
    out: dict[K, Predictions] = {}
    for split, raw in raws.items():
        out[split] = _parse_one(raw, inferred, columns, positive_label, classes)
    if inferred == "binary" and positive_label is not None:
        out = name_binary_classes(raws, out, columns, str(positive_label))
    if inferred == "multilabel":
        same_labels(raws, out, columns)
    train = [pred for split, pred in out.items() if split == "train"]  # only when keyed by split name
    if inferred == "multiclass" and train:
        assert classes is not None  # named by _multiclass_classes above
        seen = np.zeros(len(classes), dtype=np.bool_)
        seen[np.unique(train[0].y_true)] = True
        for split, pred in out.items():
            if split == "train":
                continue
            unseen = ~seen[pred.y_true]
            if unseen.any():
                names_ = sorted({classes[c] for c in pred.y_true[unseen]}, key=natural_key)
                warnings.append(
                    f"{pred.source}: class(es) {', '.join(names_)} appear in {split} "
                    f"({int(unseen.sum())} rows) but never in train; the model cannot have learned them")
    return out, warnings


def _parse_one(raw: RawTable, task: str, cols: Columns, positive_label, classes) -> Predictions:
    table = raw.table
    check = Checker(table, raw.name, raw.row_numbers)
    names = set(table.column_names)
    parsed = task_type(task).parse(check, cols, positive_label, tuple(classes or ()))
    used = set(parsed.used)
    ids = weight = None
    if cols.id in names:
        ids = check.unique_ids(cols.id)
        used.add(cols.id)
    if cols.weight in names:
        weight = check.weights(cols.weight)
        used.add(cols.weight)
    special = {cols.tags, cols.train_size, cols.split}
    slices = tuple(c for c in table.column_names if c not in used and c not in special
                   and not c.startswith(cols.param_prefix) and not c.startswith(cols.prob_prefix))
    return Predictions(
        task=task, y_true=parsed.y_true, y_score=parsed.y_score, y_pred=parsed.y_pred, classes=parsed.classes,
        ids=ids, weight=weight, source=raw.name, split=raw.split, table=table, slice_columns=slices,
        row_numbers=raw.row_numbers,
    )


def parse_chunk(raw: RawTable, task: str, columns: Columns, positive_label: str | None = None,
                classes: Sequence[str] = ()) -> Predictions:
    """One chunk of a streamed table (a record batch), validated row by row like a whole
    table, with the task and classes already fixed for the whole input (the streaming
    engines' entry; checks across rows of different chunks are the caller's).

    >>> raw = RawTable(pa.table({"y_true": ["b", "a"], "y_pred": ["b", "b"]}), "part-1.parquet", "cv",
    ...                np.array([1001, 1002]))
    >>> parse_chunk(raw, "multiclass", Columns(), classes=("a", "b", "c")).y_true.tolist()
    [1, 0]
    """
    return _parse_one(raw, task, columns, positive_label, tuple(classes))


def read_split(source: Source, split: str, *, options: ReadOptions | None = None) -> tuple[RawTable, dict]:
    """One split's rows of a table: the whole table, or its ``split`` rows when it has a
    ``split`` column (then also the other splits' rows, keyed by split, as the second value).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"split": ["cv", "test", "cv"], "y_true": [0, 1, 1], "y_score": [0.2, 0.7, 0.4]})
    >>> raw, others = read_split(t, "cv")
    >>> raw.table.num_rows, raw.row_numbers.tolist(), sorted(others)
    (2, [1, 3], ['test'])
    """
    opts = options or ReadOptions()
    cols = opts.column_names
    table, name = read_table(source, encoding=opts.encoding, text_columns=label_columns(cols))
    if cols.split not in table.column_names:
        return RawTable(table, name, split), {}
    parts = _split_table(table, name, cols)
    if split not in parts:
        raise InputError(f"its '{cols.split}' column has no {split} rows", file=name, column=cols.split,
                         fix=f"Give a file with {split} rows, or one without a '{cols.split}' column")
    return parts[split], {s: raw for s, raw in parts.items() if s != split}


def load_predictions(source: Source, *, task: str | None = None, columns=None,
                     positive_label: str | None = None, split: str = "cv",
                     encoding: str | None = None, options: ReadOptions | None = None) -> Predictions:
    """Read and validate a single table of predictions (one split; cv unless told).

    A table with a ``split`` column gives its rows of ``split`` (an error when it has none).

    >>> import pandas as pd
    >>> p = load_predictions(pd.DataFrame({"y_true": ["a", "b"], "y_prob_a": [0.9, 0.3], "y_prob_b": [0.1, 0.7]}))
    >>> p.task, p.classes, p.decision.tolist()
    ('multiclass', ('a', 'b'), [0, 1])
    """
    opts = ReadOptions.of(options, task=task, columns=columns, positive_label=positive_label, encoding=encoding)
    raw, _ = read_split(source, split, options=opts)
    parsed, _ = parse_splits({split: raw}, task=opts.task, columns=opts.column_names,
                             positive_label=opts.positive_label)
    return parsed[split]


def load_cv_test(cv: Source, test: Source | None = None, *,
                 options: ReadOptions | None = None) -> tuple[Predictions, Predictions | None]:
    """The cv predictions and, when given, the test predictions, validated together (their
    classes line up). A cv file with a ``split`` column gives its cv rows, and its test rows
    too when no test file is given; its train rows are never used.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"split": ["cv", "test"] * 3, "y_true": [0, 1] * 3, "y_score": [0.2, 0.7] * 3})
    >>> cv, test = load_cv_test(t)
    >>> cv.n, test.n
    (3, 3)
    """
    opts = options or ReadOptions()
    raws = {}
    cv_raw, others = read_split(cv, "cv", options=opts)
    raws["cv"] = cv_raw
    if test is not None:
        raws["test"], _ = read_split(test, "test", options=opts)
    elif "test" in others:
        raws["test"] = others["test"]
    parsed, _ = parse_splits(raws, task=opts.task, columns=opts.column_names, positive_label=opts.positive_label)
    return parsed["cv"], parsed.get("test")

