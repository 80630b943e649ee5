"""Column checks: every failure names the file, the column, the first rows and the fix."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError
from ..options import Columns
from ._numpy import one_digit_bits, to_numpy, zero_one_text
from ._values import MAX_ROWS_SHOWN, SPLITS, Predictions


class Checker:
    """Column checks for one table; every failure names file, column, rows and values."""

    def __init__(self, table: pa.Table, name: str, row_numbers: np.ndarray | None = None):
        self.table = table
        self.name = name
        self.row_numbers = row_numbers

    def fail(self, problem: str, *, column: str | None = None, mask: np.ndarray | None = None,
             values: np.ndarray | Sequence[Any] | None = None, fix: str | None = None) -> NoReturn:
        """Raise the InputError for this column, with the first bad rows and their values."""
        rows: list[int] = []
        shown: list[Any] = []
        n_bad: int | None = None
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
            names = self.table.column_names
            present = ", ".join(names[:12])
            if len(names) > 12:
                present += f" and {len(names) - 12} more"
            fix = (f"The file has: {present}. Rename the column or map it "
                   f"(--column {_role_of(column, columns)}=NAME)")
            separator = next((sep for sep in (";", "\t", "|") if len(names) == 1 and sep in names[0]), None)
            if separator is not None:
                fix = (f"The header is one single column holding {separator!r}: the file seems to be "
                       f"separated by {separator!r}; save it comma-separated")
            self.fail(f"missing column '{column}' — {role}", column=column, fix=fix)

    def numeric(self, column: str, *, kind: str = "number") -> np.ndarray:
        """A column as float64, refusing empty cells and text."""
        col = self.table.column(column)
        t = col.type
        if pa.types.is_boolean(t):
            arr = to_numpy(pc.cast(col, pa.int8())).astype(np.float64) if col.null_count == 0 else None
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            arr = None if col.null_count else to_numpy(pc.cast(col, pa.float64()))
        elif pa.types.is_null(t):
            self.fail(f"column '{column}' is empty", column=column,
                      mask=np.ones(len(col), bool), values=[None] * len(col),
                      fix=f"Fill in a {kind} on every row")
        else:
            arr = _cast_numbers(col)
            if arr is not None:  # text that Arrow reads as numbers: the labels of a CSV
                return self.numeric_checked(column, arr, kind)
            raw = to_numpy(col)
            as_num = parse_numbers(raw)
            bad = np.isnan(as_num) & ~_is_nan_text(raw)
            if bad.any():
                missing = _is_missing(raw)
                if (bad & ~missing).any():
                    self.fail(f"column '{column}' must hold a {kind} on every row, but holds text", column=column,
                              mask=bad & ~missing, values=raw, fix=f"Put a {kind} on every row")
            arr = as_num
        if arr is None:  # nulls present in a numeric column
            mask = to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty or NaN values", column=column, mask=mask,
                      values=[None] * len(mask), fix=f"Fill in a {kind} on every row, or drop those rows")
        return self.numeric_checked(column, arr, kind)

    def numeric_checked(self, column: str, arr: np.ndarray, kind: str) -> np.ndarray:
        """Refuse NaN and infinite values of a numeric column."""
        with np.errstate(over="ignore", invalid="ignore"):
            total = arr.sum()
        if np.isfinite(total):  # a NaN or an infinity anywhere would show in the sum
            return arr
        nan = np.isnan(arr)
        if nan.any():
            self.fail(f"column '{column}' has empty or NaN values", column=column, mask=nan,
                      values=arr, fix=f"Fill in a {kind} on every row, or drop those rows")
        inf = np.isinf(arr)
        if inf.any():
            self.fail(f"column '{column}' has infinite values", column=column, mask=inf, values=arr,
                      fix="Give finite values")
        return arr

    def weights(self, column: str) -> np.ndarray:
        """Sample weights: non-negative numbers, not all 0, small enough that their squares sum."""
        weight = self.numeric(column, kind="non-negative weight")
        neg = weight < 0
        if neg.any():
            self.fail(f"column '{column}' must not be negative", column=column, mask=neg,
                      values=weight, fix="Give non-negative sample weights")
        with np.errstate(over="ignore"):
            total, squares = weight.sum(), np.dot(weight, weight)  # weighted variances sum squared weights
        if total <= 0:
            self.fail(f"column '{column}' sums to 0", column=column, fix="Give positive weights")
        if not (np.isfinite(total) and np.isfinite(squares)):
            big = weight > np.sqrt(np.finfo(np.float64).max / len(weight))
            self.fail(f"column '{column}' holds weights too large to compute with (their squares "
                      "overflow)", column=column, mask=big, values=weight,
                      fix="Scale the weights down, e.g. divide them by their mean: only their ratios matter")
        return weight

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
        raw = to_numpy(col)
        if pa.types.is_floating(col.type):
            nan = np.isnan(raw.astype(np.float64))
            if nan.any():
                self.fail(f"column '{column}' has empty or NaN labels", column=column, mask=nan,
                          values=raw, fix="Fill in a label on every row, or drop those rows")
            return _float_labels_to_str(raw.astype(np.float64))
        if col.null_count:
            mask = to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty labels", column=column, mask=mask,
                      values=[None] * len(mask), fix="Fill in a label on every row, or drop those rows")
        if pa.types.is_boolean(col.type):
            return np.where(raw.astype(bool), "1", "0").astype(object)
        if pa.types.is_integer(col.type):
            return raw.astype(str).astype(object)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.utf8_trim_whitespace(col)
            blank = to_numpy(pc.equal(col, ""))
            if blank.any():
                self.fail(f"column '{column}' has empty labels", column=column, mask=blank,
                          values=[None] * len(blank), fix="Fill in a label on every row, or drop those rows")
            return to_numpy(col).astype(object)
        return raw.astype(str).astype(object)

    def split_labels(self, columns: Columns, role: str) -> np.ndarray:
        """The split of every row (train, cv or test, lower-cased), refusing any other name.

        >>> Checker(pa.table({"split": ["Train", "cv"]}), "f.csv").split_labels(Columns(), "the split").tolist()
        ['train', 'cv']
        """
        self.require(columns.split, role, columns)
        values = np.char.lower(self.labels(columns.split).astype(str))
        bad = ~np.isin(values, SPLITS)
        if bad.any():
            self.fail(f"column '{columns.split}' must hold train, cv or test", column=columns.split,
                      mask=bad, values=values, fix="Use the split names train, cv and test")
        return values

    def binary(self, column: str, positive_label: str | None, *, what: str = "label") -> np.ndarray:
        """A 0/1 column (0/1 numbers, booleans, or two class names with a positive label)."""
        col = self.table.column(column)
        if positive_label is None and (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
                                       or pa.types.is_boolean(col.type)):
            if pa.types.is_integer(col.type) and col.null_count == 0 and len(col):
                bounds = pc.min_max(col)
                if bounds["min"].as_py() >= 0 and bounds["max"].as_py() <= 1:
                    return to_numpy(pc.cast(col, pa.int8()))
            arr = self.numeric(column, kind=f"0/1 {what}")
            bad = (arr != 0) & (arr != 1)
            if bad.any():
                self.fail(f"column '{column}' must hold 0 or 1", column=column, mask=bad, values=arr,
                          fix="Give 0/1 labels, or class names with --positive-label, or force "
                          "another task with --task")
            return arr.astype(np.int8)
        if positive_label is None and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if (bits := one_digit_bits(col)) is not None:  # the usual one-character 0/1 text: no parsing
                return bits
            ones, known = zero_one_text(col)  # other spellings (" 1", "01", "1.0", "true"), value by value
            if known.all():
                return ones.astype(np.int8)
            numbers = _cast_numbers(pc.utf8_trim_whitespace(col))
            if numbers is not None:  # numbers written as text, some not 0 or 1
                self.fail(f"column '{column}' must hold 0 or 1", column=column, mask=~known,
                          values=to_numpy(col),
                          fix="Give 0/1 labels, or class names with --positive-label, or force "
                          "another task with --task")
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
        ones, known = zero_one_text(pa.array(labels.tolist(), pa.string()))
        if known.all():
            return ones.astype(np.int8)
        values = _distinct(labels)
        if len(values) <= 2:
            self.fail(f"column '{column}' holds class names ({', '.join(map(repr, values))}) "
                      "and it is not said which one is positive", column=column,
                      fix="Say which class is positive (--positive-label NAME), or give 0/1 labels")
        self.fail(f"column '{column}' must hold 0 or 1", column=column, mask=~known,
                  values=labels, fix="Give 0/1 labels, or force another task with --task")

    def unique_ids(self, column: str) -> np.ndarray:
        col = self.table.column(column)
        if col.null_count:
            mask = to_numpy(col.is_null())
            self.fail(f"column '{column}' has empty ids", column=column, mask=mask,
                      values=[None] * len(mask), fix="Give every row an id")
        ids = to_numpy(col)
        if ids.dtype == object:
            ids = ids.astype(str)
        if _all_distinct(ids):
            return ids
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        same = sorted_ids[1:] == sorted_ids[:-1]
        if same.any():
            dup = np.zeros(len(ids), bool)
            dup[order[1:][same]] = True  # every copy, the first included
            dup[order[:-1][same]] = True
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
    return sorted(set(labels.tolist()), key=natural_key)


def natural_key(label: str):
    """Sort key for labels: numbers first, by value, then text.

    >>> sorted(["10", "b", "2", "a", "1.5"], key=natural_key)
    ['1.5', '2', '10', 'a', 'b']
    """
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


def _cast_numbers(col: pa.ChunkedArray) -> np.ndarray | None:
    """A text column without empty cells as float64, when Arrow reads every value as a number."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) or col.null_count:
        return None
    try:
        return to_numpy(pc.cast(col, pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def same_number_spellings(labels: Sequence[str]) -> tuple[str, str] | None:
    """Two labels that are different texts of one number (``1`` and ``01``, ``1`` and ``1.0``).

    >>> same_number_spellings(["01", "02", "1"]), same_number_spellings(["01", "02"])
    (('01', '1'), None)
    """
    seen: dict[float, str] = {}
    for label in sorted(labels, key=lambda text: (natural_key(text), text)):
        key = natural_key(label)
        if key[0] == 0:
            if key[1] in seen:
                return seen[key[1]], label
            seen[key[1]] = label
    return None


def parse_numbers(raw: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=np.float64)


def check_same_rows(comp: Predictions, cv: Predictions) -> None:
    """Refuse a competitor's predictions that are not on the cv split's rows (same ids, or
    the same number of rows where there are no ids).

    >>> import numpy as np
    >>> cv = Predictions("binary", np.array([0, 1]), y_score=np.array([0.2, 0.9]), ids=np.array([1, 2]))
    >>> check_same_rows(cv, cv) is None
    True
    """
    if comp.ids is not None and cv.ids is not None:
        a, b = np.sort(comp.ids.astype(str)), np.sort(cv.ids.astype(str))
        if len(a) != len(b) or not np.array_equal(a, b):
            missing = np.setdiff1d(b, a)[:5].tolist()
            raise InputError(
                "competitor predictions must cover the same cv rows (same ids)", file=comp.source,
                column="id", fix=f"ids missing from it include {', '.join(map(str, missing)) or 'none'}; "
                f"it has {len(a)} rows, cv has {len(b)}")
    elif comp.n != cv.n:
        raise InputError(
            f"competitor predictions have {comp.n} rows but the cv split has {cv.n}",
            file=comp.source, fix="Give the competitor's predictions on the same cv rows")
