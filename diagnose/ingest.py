"""Read prediction tables (CSV, Parquet or DataFrames) and validate them.

This is the only module that reads files and the only one that raises on bad input
data. It returns :class:`Predictions`, one per split, whose arrays the compute modules
trust without checking again.

Rows in error messages are numbered from 1, after the header line.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputError, UsageError

TASKS = ("binary", "multiclass", "multilabel", "regression")
SPLITS = ("train", "cv", "test")

# A softmax row may be off by rounding: |sum - 1| above this is an error.
PROB_SUM_TOLERANCE = 1e-3
MAX_ROWS_SHOWN = 5

Source = Union[str, os.PathLike, "pd.DataFrame", pa.Table]  # noqa: F821


@dataclass(frozen=True)
class Columns:
    """Names of the input columns; every one can be remapped.

    >>> Columns.from_mapping({"y_true": "label"}).y_true
    'label'
    """

    y_true: str = "y_true"
    y_score: str = "y_score"
    y_pred: str = "y_pred"
    id: str = "id"
    weight: str = "weight"
    tags: str = "tags"
    split: str = "split"
    train_size: str = "train_size"
    prob_prefix: str = "y_prob_"
    true_prefix: str = "y_true_"
    score_prefix: str = "y_score_"
    param_prefix: str = "param_"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str] | None) -> "Columns":
        if not mapping:
            return cls()
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise UsageError(
                f"unknown column role(s) {', '.join(unknown)}; the roles are {', '.join(sorted(known))}"
            )
        return cls(**dict(mapping))


@dataclass(frozen=True, eq=False)
class Predictions:
    """The validated predictions of one split.

    ``y_true``: binary 0/1 (int8); multiclass class codes into ``classes`` (int64);
    multi-label an (n, labels) 0/1 matrix; regression floats.
    ``y_score``: binary positive-class scores (n,); multiclass (n, classes)
    probabilities; multi-label (n, labels) scores; ``None`` where only ``y_pred`` exists.
    ``y_pred``: hard predictions coded like ``y_true`` (regression: floats), or ``None``.
    """

    task: str
    y_true: np.ndarray
    y_score: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    ids: np.ndarray | None = None
    weight: np.ndarray | None = None
    source: str = "<data>"
    split: str | None = None
    table: pa.Table | None = field(default=None, repr=False)
    slice_columns: tuple[str, ...] = ()
    row_numbers: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.y_true.shape[0])

    @cached_property
    def decision(self) -> np.ndarray:
        """Hard predictions at the default decision: score >= 0.5, argmax, or ``y_pred``."""
        if self.task == "regression":
            return self.y_pred
        if self.y_score is None:
            return self.y_pred
        if self.task == "multiclass":
            return np.argmax(self.y_score, axis=1)
        return (self.y_score >= 0.5).astype(np.int8)

    def column(self, name: str) -> np.ndarray:
        """Any other column of the input (slice, tags, parameters) as a numpy array."""
        if self.table is None or name not in self.table.column_names:
            raise KeyError(name)
        return _to_numpy(self.table.column(name))

    def slices(self):
        """The slice columns as a pandas DataFrame (one row per prediction)."""
        import pandas as pd

        if self.table is None or not self.slice_columns:
            return pd.DataFrame(index=range(self.n))
        return self.table.select(list(self.slice_columns)).to_pandas()


@dataclass(frozen=True)
class Splits:
    """The validated splits of one run, and the warnings found while reading them."""

    task: str
    train: Predictions
    cv: Predictions
    test: Predictions | None = None
    warnings: tuple[str, ...] = ()

    def items(self):
        for name in SPLITS:
            value = getattr(self, name)
            if value is not None:
                yield name, value


# --------------------------------------------------------------------------- reading


def read_table(source: Source, *, encoding: str = "utf-8") -> tuple[pa.Table, str]:
    """Read one CSV or Parquet file (or take a DataFrame) as an Arrow table.

    Returns the table and the name to use in messages.
    """
    if isinstance(source, pa.Table):
        return source, "<table>"
    if not isinstance(source, (str, os.PathLike)):
        return _from_pandas(source), "<DataFrame>"
    path = Path(source)
    name = str(source)
    if not path.exists():
        raise InputError("file not found", file=name, fix="Check the path")
    if path.is_dir():
        raise InputError("is a folder, not a file", file=name, fix="Give a CSV or Parquet file")
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", file=name, fix="Give a CSV or Parquet file with a header and rows")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head[:4] == b"PAR1" or path.suffix.lower() in (".parquet", ".pq"):
        table = _read_parquet(path, name)
    else:
        table = _read_csv(path, name, head, encoding)
    if table.num_rows == 0:
        raise InputError(
            "has a header but no rows", file=name, fix="Add at least one row of predictions"
        )
    return table, name


def _read_parquet(path: Path, name: str) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"cannot be read as Parquet ({_first_line(exc)})",
            file=name,
            fix="Give a valid Parquet file, or a CSV file",
        ) from None


def _read_csv(path: Path, name: str, head: bytes, encoding: str) -> pa.Table:
    from pyarrow import csv

    if b"\x00" in head:
        raise InputError(
            "holds binary content, not CSV text",
            file=name,
            fix="Give a CSV text file (UTF-8) or a Parquet file ending in .parquet",
        )
    if encoding.lower().replace("-", "") in ("utf8",):
        _check_utf8(head, name)
    if not head.strip():
        raise InputError("the file is empty", file=name, fix="Give a CSV file with a header and rows")
    try:
        return csv.read_csv(
            path,
            read_options=csv.ReadOptions(encoding=encoding),
            convert_options=csv.ConvertOptions(strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        text = _first_line(exc)
        if "UTF8" in text or "utf8" in text or "utf-8" in text.lower():
            raise InputError(
                "is not valid UTF-8 text",
                file=name,
                fix="Save it as UTF-8, or give its encoding (--encoding latin-1)",
            ) from None
        raise InputError(
            f"cannot be parsed as CSV ({text})",
            file=name,
            fix="Check that every row has as many fields as the header",
        ) from None
    except (pa.ArrowException, OSError, LookupError) as exc:
        raise InputError(f"cannot be read ({_first_line(exc)})", file=name) from None


def _check_utf8(head: bytes, name: str) -> None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the chunk is fine
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return
        line = head[: exc.start].count(b"\n") + 1
        raise InputError(
            f"is not valid UTF-8 text (byte 0x{head[exc.start]:02x} on line {line})",
            file=name,
            fix="Save it as UTF-8, or give its encoding (--encoding latin-1)",
        ) from None


def _from_pandas(frame) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        # mixed-type object columns: fall back to strings so validation can name the rows
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        return pa.Table.from_pandas(frame, preserve_index=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_NUMPY_TYPES = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}


def _to_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Arrow column -> numpy; numeric columns without nulls straight from their buffers.

    (pyarrow's own ``to_numpy`` imports pandas, a third of a second at the CLI.)
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    dtype = _NUMPY_TYPES.get(col.type)
    if dtype is not None and col.null_count == 0:
        parts = [np.frombuffer(ch.buffers()[1], dtype=dtype, count=len(ch), offset=ch.offset * np.dtype(dtype).itemsize)
                 for ch in chunks if len(ch)]
        if not parts:
            return np.empty(0, dtype=dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    if pa.types.is_boolean(col.type) and col.null_count == 0:
        return _to_numpy(pc.cast(col, pa.int8())).astype(bool)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col.to_numpy(zero_copy_only=False)


# ------------------------------------------------------------------------ validation


class _Checker:
    """Column checks for one table; every failure names file, column, rows and values."""

    def __init__(self, table: pa.Table, name: str, row_numbers: np.ndarray | None = None):
        self.table = table
        self.name = name
        self.row_numbers = row_numbers

    def fail(self, problem, *, column=None, mask=None, values=None, fix=None):
        rows, shown, n_bad = [], [], None
        if mask is not None:
            bad = np.flatnonzero(mask)
            n_bad = len(bad)
            first = bad[:MAX_ROWS_SHOWN]
            rows = (self.row_numbers[first] if self.row_numbers is not None else first + 1).tolist()
            if values is not None:
                shown = [_py(values[i]) for i in first]
        raise InputError(problem, file=self.name, column=column, rows=rows, values=shown, n_bad=n_bad, fix=fix)

    def require(self, column: str, role: str, columns: Columns) -> None:
        if column not in self.table.column_names:
            present = ", ".join(self.table.column_names[:12])
            more = " ..." if self.table.num_columns > 12 else ""
            self.fail(
                f"missing column '{column}' ({role})",
                column=column,
                fix=f"The file has: {present}{more}. Rename the column or map it "
                f"(--column {_role_of(column, columns)}=NAME)",
            )

    def numeric(self, column: str, *, kind: str = "number") -> np.ndarray:
        """A column as float64, refusing empty cells and text."""
        col = self.table.column(column)
        t = col.type
        if pa.types.is_boolean(t):
            arr = _to_numpy(pc.cast(col, pa.int8())).astype(np.float64) if col.null_count == 0 else None
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            arr = None if col.null_count else _to_numpy(pc.cast(col, pa.float64()))
        elif pa.types.is_null(t):
            self.fail(f"column '{column}' is empty", column=column,
                      mask=np.ones(len(col), bool), values=[None] * len(col),
                      fix=f"Fill in a {kind} on every row")
        else:
            raw = _to_numpy(col)
            as_num = _parse_numbers(raw)
            bad = np.isnan(as_num) & ~_is_nan_text(raw)
            if bad.any():
                missing = _is_missing(raw)
                if (bad & ~missing).any():
                    self.fail(f"column '{column}' must hold {kind}s, but holds text", column=column,
                              mask=bad & ~missing, values=raw, fix=f"Put a {kind} on every row")
            arr = as_num
        if arr is None:  # nulls present in a numeric column
            mask = _to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty or NaN values", column=column, mask=mask,
                      values=[None] * len(mask), fix=f"Fill in a {kind} on every row, or drop those rows")
        if np.isfinite(arr.sum()):  # a NaN or an infinity anywhere would show in the sum
            return arr
        nan = np.isnan(arr)
        if nan.any():
            self.fail(f"column '{column}' has empty or NaN values", column=column, mask=nan,
                      values=arr, fix=f"Fill in a {kind} on every row, or drop those rows")
        inf = np.isinf(arr)
        if inf.any():
            self.fail(f"column '{column}' has infinite values", column=column, mask=inf, values=arr,
                      fix=f"Give finite {kind}s")
        return arr

    def probability(self, column: str) -> np.ndarray:
        arr = self.numeric(column, kind="probability")
        if len(arr) and arr.min() >= 0 and arr.max() <= 1:
            return arr
        bad = (arr < 0) | (arr > 1)
        if bad.any():
            self.fail(f"column '{column}' must lie in [0, 1]", column=column, mask=bad, values=arr,
                      fix="Give probabilities, e.g. predict_proba output, not raw decision scores")
        return arr

    def labels(self, column: str) -> np.ndarray:
        """A label column as a numpy array of strings, refusing empty cells."""
        col = self.table.column(column)
        if pa.types.is_null(col.type):
            self.fail(f"column '{column}' is empty", column=column, mask=np.ones(len(col), bool),
                      values=[None] * len(col), fix="Fill in a label on every row")
        raw = _to_numpy(col)
        if pa.types.is_floating(col.type):
            nan = np.isnan(raw.astype(np.float64))
            if nan.any():
                self.fail(f"column '{column}' has empty or NaN labels", column=column, mask=nan,
                          values=raw, fix="Fill in a label on every row, or drop those rows")
            return _float_labels_to_str(raw.astype(np.float64))
        if col.null_count:
            mask = _to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty labels", column=column, mask=mask,
                      values=[None] * len(mask), fix="Fill in a label on every row, or drop those rows")
        if pa.types.is_boolean(col.type):
            return np.where(raw.astype(bool), "1", "0").astype(object)
        if pa.types.is_integer(col.type):
            return raw.astype(str).astype(object)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.utf8_trim_whitespace(col)
            blank = _to_numpy(pc.equal(col, ""))
            if blank.any():
                self.fail(f"column '{column}' has empty labels", column=column, mask=blank,
                          values=[None] * len(blank), fix="Fill in a label on every row, or drop those rows")
            return _to_numpy(col).astype(object)
        return raw.astype(str).astype(object)

    def binary(self, column: str, positive_label: str | None, *, what: str = "label") -> np.ndarray:
        """A 0/1 column (0/1 numbers, booleans, or two class names with a positive label)."""
        col = self.table.column(column)
        if positive_label is None and (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
                                       or pa.types.is_boolean(col.type)):
            if pa.types.is_integer(col.type) and col.null_count == 0 and len(col):
                bounds = pc.min_max(col)
                if bounds["min"].as_py() >= 0 and bounds["max"].as_py() <= 1:
                    return _to_numpy(pc.cast(col, pa.int8()))
            arr = self.numeric(column, kind=f"0/1 {what}")
            bad = (arr != 0) & (arr != 1)
            if bad.any():
                self.fail(f"column '{column}' must hold 0 or 1", column=column, mask=bad, values=arr,
                          fix="Give 0/1 labels, or class names with --positive-label, or force "
                          "another task with --task")
            return arr.astype(np.int8)
        labels = self.labels(column)
        if positive_label is not None:
            positive = str(positive_label)
            values = _distinct(labels)
            if len(values) > 2:
                extra = [v for v in values if v != positive]
                mask = np.isin(labels, extra[1:])
                self.fail(f"column '{column}' holds more than two classes for a binary task "
                          f"({', '.join(values[:6])})", column=column, mask=mask, values=labels,
                          fix="Use the multiclass format (y_prob_<class> columns), or force it with --task multiclass")
            return (labels == positive).astype(np.int8)
        lowered = np.char.lower(labels.astype(str))
        ones = np.isin(lowered, ["1", "true", "yes", "1.0"])
        zeros = np.isin(lowered, ["0", "false", "no", "0.0"])
        if (ones | zeros).all():
            return ones.astype(np.int8)
        values = _distinct(labels)
        if len(values) <= 2:
            self.fail(f"column '{column}' holds class names ({', '.join(map(repr, values))}) "
                      "and it is not said which one is positive", column=column,
                      fix="Say which class is positive (--positive-label NAME), or give 0/1 labels")
        self.fail(f"column '{column}' must hold 0 or 1", column=column, mask=~(ones | zeros),
                  values=labels, fix="Give 0/1 labels, or force another task with --task")

    def unique_ids(self, column: str) -> np.ndarray:
        col = self.table.column(column)
        if col.null_count:
            mask = _to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty ids", column=column, mask=mask,
                      values=[None] * len(mask), fix="Give every row an id")
        ids = _to_numpy(col)
        if ids.dtype == object:
            ids = ids.astype(str)
        if _all_distinct(ids):
            return ids
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        same = sorted_ids[1:] == sorted_ids[:-1]
        if same.any():
            dup = np.zeros(len(ids), bool)
            dup[order[1:][same]] = True
            self.fail(f"column '{column}' has duplicate ids", column=column, mask=dup, values=ids,
                      fix="Give each row of a split its own id")
        return ids


def _all_distinct(ids: np.ndarray) -> bool:
    """Quick check without an argsort: counts for compact integer ids, else one sort."""
    if len(ids) < 2:
        return True
    if ids.dtype.kind in "iu":
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo < 4 * len(ids):
            return int(np.bincount((ids - lo).astype(np.intp)).max()) <= 1
    s = np.sort(ids)
    return not (s[1:] == s[:-1]).any()


def _role_of(column: str, columns: Columns) -> str:
    for role, value in columns.__dict__.items():
        if value == column:
            return role
    return "ROLE"


def _py(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _distinct(labels: np.ndarray) -> list[str]:
    return sorted(set(labels.tolist()), key=_natural_key)


def _natural_key(label: str):
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def _float_labels_to_str(arr: np.ndarray) -> np.ndarray:
    integral = np.all(arr == np.round(arr))
    if integral:
        return arr.astype(np.int64).astype(str).astype(object)
    return arr.astype(str).astype(object)


def _is_missing(raw: np.ndarray) -> np.ndarray:
    if raw.dtype != object:
        return np.zeros(len(raw), bool)
    return np.array([v is None or (isinstance(v, str) and not v.strip()) for v in raw], dtype=bool)


def _is_nan_text(raw: np.ndarray) -> np.ndarray:
    if raw.dtype != object:
        return np.zeros(len(raw), bool)
    return np.array([isinstance(v, str) and v.strip().lower() == "nan" for v in raw], dtype=bool)


def _parse_numbers(raw: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=np.float64)


# ------------------------------------------------------------------------ task and parsing


def infer_task(column_names: Sequence[str], columns: Columns = Columns()) -> str | None:
    """The task the columns describe, or ``None`` when only ``y_pred`` exists (labels decide).

    >>> infer_task(["id", "y_true", "y_prob_cat", "y_prob_dog"])
    'multiclass'
    >>> infer_task(["y_true", "y_score"])
    'binary'
    """
    names = set(column_names)
    if _multilabel_labels(names, columns):
        return "multilabel"
    if any(c.startswith(columns.prob_prefix) for c in names):
        return "multiclass"
    if columns.y_score in names:
        return "binary"
    return None


def _multilabel_labels(names: set[str], columns: Columns) -> list[str]:
    labels = []
    for c in sorted(names):
        if c.startswith(columns.true_prefix) and c != columns.y_true:
            label = c[len(columns.true_prefix):]
            if label and columns.score_prefix + label in names:
                labels.append(label)
    return labels


def _task_from_labels(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """With only y_pred: regression when the values are not few integers, else by class count."""
    both = np.concatenate([y_true, y_pred])
    nums = _parse_numbers(both) if both.dtype == object else both.astype(np.float64)
    if not np.isnan(nums).any():
        distinct = np.unique(nums)
        integral = np.all(distinct == np.round(distinct))
        if not integral or len(distinct) > 50:
            return "regression"
        return "binary" if len(distinct) <= 2 and set(distinct.tolist()) <= {0.0, 1.0} else "multiclass"
    distinct = set(both.tolist())
    return "binary" if len(distinct) <= 2 else "multiclass"


@dataclass
class _Raw:
    """One split's table before classes are known across splits."""

    table: pa.Table
    name: str
    split: str
    row_numbers: np.ndarray | None = None


def load_splits(
    train: Source | None = None,
    cv: Source | None = None,
    test: Source | None = None,
    *,
    data: Source | None = None,
    task: str | None = None,
    columns: Mapping[str, str] | Columns | None = None,
    positive_label: str | None = None,
    encoding: str = "utf-8",
) -> Splits:
    """Read and validate the train, cv and (optional) test predictions of one run.

    Each source is a CSV or Parquet path, a pandas DataFrame or an Arrow table. ``data``
    is one table with a ``split`` column holding train, cv and test; so is ``train``
    when it is given alone and has a ``split`` column.
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    if task is not None and task not in TASKS:
        raise UsageError(f"unknown task '{task}'; choose one of {', '.join(TASKS)}")
    raws: dict[str, _Raw] = {}
    if data is None and train is not None and cv is None and test is None:
        table, name = read_table(train, encoding=encoding)
        if cols.split in table.column_names:
            data, train = (table, name), None
        else:
            raise UsageError(
                f"{name}: a cv split is needed: give --cv, or one file with a '{cols.split}' "
                "column holding train, cv and test"
            )
    if data is not None:
        table, name = data if isinstance(data, tuple) else read_table(data, encoding=encoding)
        raws.update(_split_table(table, name, cols))
    for split, source in (("train", train), ("cv", cv), ("test", test)):
        if source is None:
            continue
        table, name = read_table(source, encoding=encoding)
        raws[split] = _Raw(table, name, split)
    if "train" not in raws or "cv" not in raws:
        missing = [s for s in ("train", "cv") if s not in raws]
        raise UsageError(f"the {' and '.join(missing)} split is needed (give --{missing[0]})")
    parsed, warnings = parse_splits(raws, task=task, columns=cols, positive_label=positive_label)
    return Splits(task=parsed["train"].task, train=parsed["train"], cv=parsed["cv"],
                  test=parsed.get("test"), warnings=tuple(warnings))


def _split_table(table: pa.Table, name: str, cols: Columns) -> dict[str, _Raw]:
    checker = _Checker(table, name)
    checker.require(cols.split, "split", cols)
    values = checker.labels(cols.split)
    values = np.char.lower(values.astype(str))
    bad = ~np.isin(values, SPLITS)
    if bad.any():
        checker.fail(f"column '{cols.split}' must hold train, cv or test", column=cols.split,
                     mask=bad, values=values, fix="Use the split names train, cv and test")
    out = {}
    for split in SPLITS:
        idx = np.flatnonzero(values == split)
        if len(idx):
            out[split] = _Raw(table.take(pa.array(idx)).drop_columns([cols.split]), name, split, idx + 1)
    return out


def parse_splits(
    raws: Mapping[str, "_Raw"],
    *,
    task: str | None,
    columns: Columns,
    positive_label: str | None = None,
    classes: Sequence[str] | None = None,
) -> tuple[dict[str, Predictions], list[str]]:
    """Validate several tables of one run together, so classes line up across splits."""
    first = next(iter(raws.values()))
    names = first.table.column_names
    inferred = task or infer_task(names, columns)
    warnings: list[str] = []
    if inferred is None:
        # only y_pred: look at the labels of every split together
        for raw in raws.values():
            _Checker(raw.table, raw.name, raw.row_numbers).require(columns.y_true, "the label", columns)
            _Checker(raw.table, raw.name, raw.row_numbers).require(
                columns.y_pred, "the prediction; or give y_score / y_prob_<class> columns", columns)
        labels = [_Checker(r.table, r.name, r.row_numbers).labels(columns.y_true) for r in raws.values()]
        preds = [_Checker(r.table, r.name, r.row_numbers).labels(columns.y_pred) for r in raws.values()]
        inferred = _task_from_labels(np.concatenate(labels), np.concatenate(preds))
        if positive_label is not None and inferred == "multiclass":
            inferred = "binary"
    for split, raw in raws.items():
        other = task or infer_task(raw.table.column_names, columns)
        if task is None and other is not None and other != inferred:
            raise InputError(
                f"looks like a {other} table while the {first.split} split looks {inferred}",
                file=raw.name, fix="Give every split the same columns, or force the task with --task")
    if inferred == "multiclass":
        classes = _multiclass_classes(raws, columns, classes)
    out = {}
    for split, raw in raws.items():
        out[split] = _parse_one(raw, inferred, columns, positive_label, classes)
    if inferred == "multiclass" and "train" in out:
        seen = np.zeros(len(classes), bool)
        seen[np.unique(out["train"].y_true)] = True
        for split, pred in out.items():
            if split == "train":
                continue
            unseen = ~seen[pred.y_true]
            if unseen.any():
                names_ = sorted({classes[c] for c in pred.y_true[unseen]}, key=_natural_key)
                warnings.append(
                    f"{pred.source}: class(es) {', '.join(names_)} appear in {split} "
                    f"({int(unseen.sum())} rows) but never in train; the model cannot have learned them")
    return out, warnings


def _multiclass_classes(raws, columns: Columns, given) -> tuple[str, ...]:
    if given:
        return tuple(given)
    first = next(iter(raws.values()))
    prob_cols = [c for c in first.table.column_names if c.startswith(columns.prob_prefix)]
    if prob_cols:
        classes = tuple(c[len(columns.prob_prefix):] for c in prob_cols)
        for raw in raws.values():
            other = tuple(c[len(columns.prob_prefix):] for c in raw.table.column_names
                          if c.startswith(columns.prob_prefix))
            if other != classes:
                raise InputError(
                    f"has probability columns for classes {', '.join(other)} but {first.name} "
                    f"has {', '.join(classes)}", file=raw.name,
                    fix="Give every split the same y_prob_<class> columns in the same order")
        return classes
    seen: set[str] = set()
    for raw in raws.values():
        checker = _Checker(raw.table, raw.name, raw.row_numbers)
        seen.update(checker.labels(columns.y_true).tolist())
        if columns.y_pred in raw.table.column_names:
            seen.update(checker.labels(columns.y_pred).tolist())
    return tuple(sorted(seen, key=_natural_key))


def _parse_one(raw: _Raw, task: str, cols: Columns, positive_label, classes) -> Predictions:
    table = raw.table
    check = _Checker(table, raw.name, raw.row_numbers)
    names = set(table.column_names)
    used = set()
    y_score = y_pred = None
    out_classes: tuple[str, ...] = ()
    if task == "multilabel":
        labels = _multilabel_labels(names, cols)
        if not labels:
            check.fail(f"no multi-label columns: expected pairs {cols.true_prefix}<label> and "
                       f"{cols.score_prefix}<label>", fix="Add one truth and one score column per label")
        y_true = np.column_stack([check.binary(cols.true_prefix + l, None) for l in labels])
        y_score = np.column_stack([check.probability(cols.score_prefix + l) for l in labels])
        used.update(cols.true_prefix + l for l in labels)
        used.update(cols.score_prefix + l for l in labels)
        out_classes = tuple(labels)
    else:
        check.require(cols.y_true, "the label", cols)
        used.add(cols.y_true)
        if task == "binary":
            y_true = check.binary(cols.y_true, positive_label)
            if cols.y_score in names:
                y_score = check.probability(cols.y_score)
                used.add(cols.y_score)
            else:
                if cols.y_pred not in names:
                    check.require(cols.y_score, "the score of the positive class, or give y_pred", cols)
                y_pred = check.binary(cols.y_pred, positive_label, what="prediction")
                used.add(cols.y_pred)
            out_classes = ("0", "1") if positive_label is None else ("not " + str(positive_label), str(positive_label))
        elif task == "regression":
            check.require(cols.y_pred, "the prediction", cols)
            y_true = check.numeric(cols.y_true)
            y_pred = check.numeric(cols.y_pred)
            used.add(cols.y_pred)
        else:  # multiclass
            out_classes = tuple(classes)
            index = {c: i for i, c in enumerate(out_classes)}
            labels = check.labels(cols.y_true)
            y_true = _encode(labels, index, check, cols.y_true,
                             "holds classes that have no y_prob_<class> column")
            prob_cols = [cols.prob_prefix + c for c in out_classes]
            if all(c in names for c in prob_cols):
                y_score = np.column_stack([check.probability(c) for c in prob_cols])
                total = y_score.sum(axis=1)
                off = np.abs(total - 1.0) > PROB_SUM_TOLERANCE
                if off.any():
                    check.fail(f"probability columns {cols.prob_prefix}* must sum to 1 on each row "
                               f"(within {PROB_SUM_TOLERANCE:g})", column=cols.prob_prefix + "*",
                               mask=off, values=total,
                               fix="Give softmax outputs (predict_proba), one column per class")
                used.update(prob_cols)
            else:
                check.require(cols.y_pred, "the prediction (or give y_prob_<class> columns)", cols)
                y_pred = _encode(check.labels(cols.y_pred), index, check, cols.y_pred, "holds unknown classes")
                used.add(cols.y_pred)
    ids = weight = None
    if cols.id in names:
        ids = check.unique_ids(cols.id)
        used.add(cols.id)
    if cols.weight in names:
        weight = check.numeric(cols.weight, kind="non-negative weight")
        neg = weight < 0
        if neg.any():
            check.fail(f"column '{cols.weight}' must not be negative", column=cols.weight, mask=neg,
                       values=weight, fix="Give non-negative sample weights")
        if weight.sum() <= 0:
            check.fail(f"column '{cols.weight}' sums to 0", column=cols.weight, fix="Give positive weights")
        used.add(cols.weight)
    special = {cols.tags, cols.train_size, cols.split}
    slices = tuple(c for c in table.column_names if c not in used and c not in special
                   and not c.startswith(cols.param_prefix) and not c.startswith(cols.prob_prefix))
    return Predictions(
        task=task, y_true=y_true, y_score=y_score, y_pred=y_pred, classes=out_classes, ids=ids,
        weight=weight, source=raw.name, split=raw.split, table=table, slice_columns=slices,
        row_numbers=raw.row_numbers,
    )


def _encode(labels: np.ndarray, index: dict[str, int], check: _Checker, column: str, problem: str):
    uniq, inverse = np.unique(labels.astype(str), return_inverse=True)
    codes = np.array([index.get(u, -1) for u in uniq.tolist()], dtype=np.int64)[inverse]
    bad = codes < 0
    if bad.any():
        check.fail(f"column '{column}' {problem}", column=column, mask=bad, values=labels,
                   fix="Add a y_prob_<class> column for every class, or correct the labels")
    return codes


def load_predictions(source: Source, *, task: str | None = None, columns=None,
                     positive_label: str | None = None, split: str = "cv",
                     encoding: str = "utf-8") -> Predictions:
    """Read and validate a single table of predictions (one split)."""
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = read_table(source, encoding=encoding)
    parsed, _ = parse_splits({split: _Raw(table, name, split)}, task=task, columns=cols,
                             positive_label=positive_label)
    return parsed[split]



# ------------------------------------------------------------------------ reviewed samples

# constant columns `diagnose errors sample` writes so that a tally can scale up
TOTAL_ERRORS_COLUMN = "total_errors"
CV_N_COLUMN = "cv_n"


@dataclass(frozen=True, eq=False)
class TaggedSample:
    """A reviewed sample of errors: ids, their tags (``None`` = not reviewed yet), and
    what the sample was drawn from (``total_errors``, ``cv_n``; ``None`` when unknown).
    ``ids`` are strings, so they compare with any id column.
    """

    ids: np.ndarray
    tags: np.ndarray
    total_errors: int | None = None
    cv_n: int | None = None
    source: str = "<data>"
    table: pa.Table | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


def load_tagged(source: Source, *, cv: "Predictions | Source | None" = None, columns=None,
                encoding: str = "utf-8") -> TaggedSample:
    """Read and validate a reviewed sample: an ``id`` and a ``tags`` column are required.

    ``cv`` (validated predictions or a source) checks that every id is a cv row; a cv
    without ids is matched by row number (1 = the first data row). Optional constant
    columns ``total_errors`` and ``cv_n`` say what the sample was drawn from.

    >>> import pandas as pd
    >>> t = load_tagged(pd.DataFrame({"id": [3, 7], "tags": ["pharma; Phishing", None]}))
    >>> t.ids.tolist(), t.tags.tolist()
    (['3', '7'], ['pharma; Phishing', None])
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = read_table(source, encoding=encoding)
    check = _Checker(table, name)
    for column, role in ((cols.id, "sample id"), (cols.tags, "the reviewers' tags")):
        if column not in table.column_names:
            present = ", ".join(table.column_names[:12])
            check.fail(f"missing column '{column}' ({role})", column=column,
                       fix=f"The file has: {present}. A reviewed sample needs '{cols.id}' and "
                       f"'{cols.tags}' columns, as written by `diagnose errors sample`")
    ids = check.unique_ids(cols.id).astype(str).astype(object)
    raw_tags = pc.cast(table.column(cols.tags), pa.string())
    # an empty cell means "not reviewed yet"
    blank = _to_numpy(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(raw_tags), ""), True))
    tags = _to_numpy(raw_tags).astype(object)
    tags[blank] = None
    total = _constant_count(check, TOTAL_ERRORS_COLUMN)
    cv_n = _constant_count(check, CV_N_COLUMN)
    if total is not None and cv_n is not None and total > cv_n:
        check.fail(f"column '{TOTAL_ERRORS_COLUMN}' ({total}) is larger than '{CV_N_COLUMN}' ({cv_n})",
                   column=TOTAL_ERRORS_COLUMN, fix="Write the sample again with `diagnose errors sample`")
    if total is not None and total < len(ids):
        check.fail(f"has {len(ids)} rows but column '{TOTAL_ERRORS_COLUMN}' says there are only "
                   f"{total} errors in all", column=TOTAL_ERRORS_COLUMN,
                   fix="Correct the column, or drop it and give --total-errors")
    if cv is not None:
        if not isinstance(cv, Predictions):
            cv = load_predictions(cv, columns=cols, encoding=encoding)
        if cv.ids is not None:
            known = cv.ids.astype(str)
        else:
            rows = cv.row_numbers if cv.row_numbers is not None else np.arange(1, cv.n + 1)
            known = np.asarray(rows).astype(str)
        unknown = ~np.isin(ids.astype(str), known)
        if unknown.any():
            check.fail(f"column '{cols.id}' holds ids that are not in the cv file {cv.source}",
                       column=cols.id, mask=unknown, values=ids,
                       fix="Tag rows sampled from this cv file (`diagnose errors sample --cv ...`), "
                       "or give the cv file they came from")
    return TaggedSample(ids=ids, tags=tags, total_errors=total, cv_n=cv_n, source=name, table=table)


def _constant_count(check: _Checker, column: str) -> int | None:
    """An optional column holding one non-negative whole number on every row."""
    if column not in check.table.column_names:
        return None
    values = check.numeric(column, kind="whole number")
    bad = (values < 0) | (values != np.round(values))
    if bad.any():
        check.fail(f"column '{column}' must hold a non-negative whole number", column=column,
                   mask=bad, values=values, fix="Write the sample again with `diagnose errors sample`")
    differs = values != values[0]
    if differs.any():
        check.fail(f"column '{column}' must hold the same number on every row", column=column,
                   mask=differs, values=values, fix="Write the sample again with `diagnose errors sample`")
    return int(values[0])


# ------------------------------------------------------------------------ curve runs


@dataclass(frozen=True)
class Runs:
    """Validated runs of a curve: one set of splits per training size or parameter value.

    ``keys`` are the distinct values of the ``by`` column in ascending order (numbers
    when every value is a number, else strings); ``runs[key][split]`` are the
    predictions of that run.
    """

    task: str
    by: str
    keys: tuple
    runs: Mapping
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CurveSummary:
    """A learning curve given as numbers: one row per training size (ascending).

    ``n_train`` / ``n_cv`` are ``None`` when the table does not give them.
    """

    source: str
    train_size: np.ndarray
    train_error: np.ndarray
    cv_error: np.ndarray
    n_train: np.ndarray | None = None
    n_cv: np.ndarray | None = None


SUMMARY_COLUMNS = ("train_error", "cv_error")


def is_curve_summary(table: pa.Table) -> bool:
    """Whether a table is a learning-curve summary (``train_error`` and ``cv_error`` columns)."""
    return all(c in table.column_names for c in SUMMARY_COLUMNS)


def _table_and_name(source, encoding: str) -> tuple[pa.Table, str]:
    if isinstance(source, tuple):
        return source
    return read_table(source, encoding=encoding)


def load_runs(
    sources: Sequence,
    *,
    by: str,
    task: str | None = None,
    columns: Mapping[str, str] | Columns | None = None,
    positive_label: str | None = None,
    splits: Sequence[str] = SPLITS,
    encoding: str = "utf-8",
) -> Runs:
    """Read prediction tables with a ``split`` column and a ``by`` column (``train_size``
    or ``param_<name>``) and validate each (value, split) group as one split.

    Tables may be paths, DataFrames, Arrow tables or ``(table, name)`` pairs; the runs may
    be spread over several files, but a (value, split) group must sit in one. Classes
    line up across every run. Splits not in ``splits`` are dropped.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"split": ["train", "cv"] * 4, "train_size": [2, 2, 2, 2, 4, 4, 4, 4],
    ...                    "y_true": [0, 1, 1, 0] * 2, "y_score": [0.2, 0.9, 0.6, 0.3] * 2})
    >>> runs = load_runs([df], by="train_size")
    >>> runs.task, runs.keys, runs.runs[4]["cv"].n
    ('binary', (2, 4), 2)
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    if task is not None and task not in TASKS:
        raise UsageError(f"unknown task '{task}'; choose one of {', '.join(TASKS)}")
    groups: dict[tuple, _Raw] = {}
    names = []
    for source in sources:
        table, name = _table_and_name(source, encoding)
        names.append(name)
        check = _Checker(table, name)
        check.require(cols.split, "split: train or cv", cols)
        check.require(by, "which run each row belongs to", cols)
        split = np.char.lower(check.labels(cols.split).astype(str))
        bad = ~np.isin(split, SPLITS)
        if bad.any():
            check.fail(f"column '{cols.split}' must hold train, cv or test", column=cols.split,
                       mask=bad, values=split, fix="Use the split names train, cv and test")
        values = _run_values(check, by, cols)
        keys, inverse = np.unique(values, return_inverse=True)
        # one stable sort groups the rows by (value, split), keeping file order within a group
        code = np.full(len(split), -1)
        for i, s in enumerate(splits):
            code[split == s] = i
        group = np.where(code >= 0, inverse * len(splits) + code, -1)
        order = np.argsort(group, kind="stable")
        order = order[group[order] >= 0]
        starts = np.flatnonzero(np.diff(group[order]) != 0) + 1
        for idx in (np.split(order, starts) if len(order) else ()):
            key, s = keys[group[idx[0]] // len(splits)].item(), splits[group[idx[0]] % len(splits)]
            if (key, s) in groups:
                raise InputError(f"the {s} rows of {by} = {key} are also in {groups[key, s].name}",
                                 file=name, column=by,
                                 fix="Give each run's train and cv rows in one file only")
            groups[key, s] = _Raw(table.take(pa.array(idx)), name, s, idx + 1)
    if not groups:
        raise InputError(f"no {' or '.join(splits)} rows", file=", ".join(names) or None,
                         fix=f"Put {', '.join(splits)} in the '{cols.split}' column")
    if any(isinstance(key, str) for key, _ in groups):
        # one file numeric, another text: compare them all as text
        groups = {(str(key), s): raw for (key, s), raw in groups.items()}
        ordered = sorted({key for key, _ in groups}, key=_natural_key)
    else:
        ordered = sorted({key for key, _ in groups})
    for key in ordered:
        if (key, "train") not in groups or (key, "cv") not in groups:
            present = groups.get((key, "train")) or groups.get((key, "cv"))
            missing = "cv" if (key, "train") in groups else "train"
            raise InputError(f"the run {by} = {key} has no {missing} rows", file=present.name,
                             column=by, fix="Every run needs train and cv rows")
    parsed, warnings = parse_splits(groups, task=task, columns=cols, positive_label=positive_label)
    runs = {key: {s: parsed[key, s] for s in splits if (key, s) in parsed} for key in ordered}
    first = parsed[ordered[0], "train"]
    if first.task == "multiclass":
        for key in ordered:
            seen = np.zeros(len(first.classes), bool)
            seen[np.unique(runs[key]["train"].y_true)] = True
            unseen = ~seen[runs[key]["cv"].y_true]
            if unseen.any():
                warnings.append(f"{by} = {key}: {int(unseen.sum())} cv rows belong to classes the "
                                "training rows of this run never show")
    return Runs(task=first.task, by=by, keys=tuple(ordered), runs=runs, warnings=tuple(warnings))


def _run_values(check: _Checker, by: str, cols: Columns) -> np.ndarray:
    """The run column: positive whole numbers for ``train_size``, numbers or text otherwise."""
    col = check.table.column(by)
    if by == cols.train_size:
        values = check.numeric(by, kind="training-set size")
        bad = (values < 1) | (values != np.round(values))
        if bad.any():
            check.fail(f"column '{by}' must hold whole numbers of at least 1", column=by, mask=bad,
                       values=values, fix="Give the number of training examples of each run")
        return values.astype(np.int64)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
        values = check.numeric(by, kind="parameter value")
        return values.astype(np.int64) if np.all(values == np.round(values)) else values
    return check.labels(by).astype(str)


def load_curve_summary(source, *, columns: Mapping[str, str] | Columns | None = None,
                       encoding: str = "utf-8") -> CurveSummary:
    """Read a learning-curve summary: ``train_size, train_error, cv_error`` and optional
    ``n_train, n_cv`` (the number of rows each error was measured on).

    >>> import pandas as pd
    >>> s = load_curve_summary(pd.DataFrame({"train_size": [100, 50], "train_error": [0.1, 0.0],
    ...                                      "cv_error": [0.3, 0.4]}))
    >>> s.train_size.tolist(), s.cv_error.tolist(), s.n_cv
    ([50, 100], [0.4, 0.3], None)
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = _table_and_name(source, encoding)
    check = _Checker(table, name)
    for column, role in ((cols.train_size, "training-set size"), ("train_error", "J_train"),
                         ("cv_error", "J_cv")):
        check.require(column, role, cols)
    size = _run_values(check, cols.train_size, cols)
    errors = {}
    for column in ("train_error", "cv_error"):
        errors[column] = check.numeric(column, kind="error")
        neg = errors[column] < 0
        if neg.any():
            check.fail(f"column '{column}' must not be negative", column=column, mask=neg,
                       values=errors[column], fix="Give errors (lower is better), not scores")
    counts = {}
    for column in ("n_train", "n_cv"):
        if column in table.column_names:
            n = check.numeric(column, kind="row count")
            bad = (n < 1) | (n != np.round(n))
            if bad.any():
                check.fail(f"column '{column}' must hold whole numbers of at least 1", column=column,
                           mask=bad, values=n, fix="Give the number of rows each error was measured on")
            counts[column] = n.astype(np.int64)
    order = np.argsort(size, kind="stable")
    dup = np.zeros(len(size), bool)
    dup[order[1:]] = size[order][1:] == size[order][:-1]
    if dup.any():
        check.fail(f"column '{cols.train_size}' repeats a size", column=cols.train_size, mask=dup,
                   values=size, fix="Give one row per training-set size")
    take = {k: (v[order] if v is not None else None) for k, v in counts.items()}
    return CurveSummary(source=name, train_size=size[order], train_error=errors["train_error"][order],
                        cv_error=errors["cv_error"][order], n_train=take.get("n_train"),
                        n_cv=take.get("n_cv"))
