"""Curve runs: prediction tables grouped by training size or parameter value, and summaries."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..exceptions import InputError
from ..options import Columns
from ._checks import Checker, natural_key
from ._groups import group_slices, run_codes, split_codes
from ._parse import RawTable, label_columns, parse_splits
from ._read import read_table
from ._tasks import task_type
from ._values import SPLITS


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
    """Whether a table is a learning-curve summary (``train_error`` and ``cv_error`` columns).

    >>> is_curve_summary(pa.table({"train_size": [100, 200], "train_error": [0.1, 0.12], "cv_error": [0.3, 0.2]}))
    True
    >>> is_curve_summary(pa.table({"y_true": [0, 1], "y_score": [0.3, 0.8]}))
    False
    """
    return all(c in table.column_names for c in SUMMARY_COLUMNS)


def _table_and_name(source, encoding: str, cols: Columns | None = None) -> tuple[pa.Table, str]:
    if isinstance(source, tuple):
        return source
    return read_table(source, encoding=encoding, text_columns=label_columns(cols) if cols else ())


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
    if task is not None:
        task_type(task)  # an unknown task is bad usage, before any file is read
    groups: dict[tuple, RawTable] = {}
    names = []
    for source in sources:
        table, name = _table_and_name(source, encoding, cols)
        names.append(name)
        check = Checker(table, name)
        check.require(cols.split, "split: train or cv", cols)
        if by.startswith(cols.param_prefix) and by not in table.column_names:
            _missing_param(table, name, by, cols)
        check.require(by, "which run each row belongs to", cols)
        code = split_codes(check, cols, "split: train or cv", splits)
        fast = run_codes(table.column(by), whole_at_least_1=by == cols.train_size)
        if fast is None:  # text, or a value the row-by-row checks refuse with its rows
            keys, inverse = np.unique(_run_values(check, by, cols), return_inverse=True)
        else:
            keys, inverse = fast
        # one stable sort groups the rows by (value, split), keeping file order within a group
        group = np.where(code >= 0, inverse * len(splits) + code, -1).astype(inverse.dtype, copy=False)
        for g, part, idx in group_slices(table.drop_columns([cols.split]), group):
            key, s = keys[g // len(splits)].item(), splits[g % len(splits)]
            if (key, s) in groups:
                raise InputError(f"the {s} rows of {by} = {key} are also in {groups[key, s].name}",
                                 file=name, column=by,
                                 fix="Give each run's train and cv rows in one file only")
            groups[key, s] = RawTable(part, name, s, idx + 1)
    if not groups:
        raise InputError(f"no {' or '.join(splits)} rows", file=", ".join(names) or None,
                         fix=f"Put {', '.join(splits)} in the '{cols.split}' column")
    return runs_from_groups(groups, by=by, task=task, columns=cols, positive_label=positive_label,
                            splits=splits)


def runs_from_groups(
    groups: Mapping[tuple, RawTable],
    *,
    by: str,
    task: str | None = None,
    columns: Mapping[str, str] | Columns | None = None,
    positive_label: str | None = None,
    splits: Sequence[str] = SPLITS,
) -> Runs:
    """Validate tables already grouped by (run value, split), such as a store's runs, into
    :class:`Runs`: every run needs train and cv, and there must be two runs or more.

    >>> import pyarrow as pa
    >>> t = pa.table({"y_true": [0, 1, 1, 0], "y_score": [0.2, 0.9, 0.6, 0.3]})
    >>> groups = {(m, s): RawTable(t, f"m{m}:{s}", s) for m in (10, 20) for s in ("train", "cv")}
    >>> runs_from_groups(groups, by="train_size").keys
    (10, 20)
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    names = list(dict.fromkeys(raw.name for raw in groups.values()))
    if any(isinstance(key, str) for key, _ in groups):
        # one file numeric, another text: compare them all as text
        groups = {(str(key), s): raw for (key, s), raw in groups.items()}
        ordered = sorted({key for key, _ in groups}, key=natural_key)
    else:
        ordered = sorted({key for key, _ in groups})
    for key in ordered:
        if (key, "train") not in groups or (key, "cv") not in groups:
            missing = " and no ".join(s for s in ("train", "cv") if (key, s) not in groups)
            present = next(raw for (k, _), raw in groups.items() if k == key)  # the key came from one of them
            raise InputError(f"the run {by} = {key} has no {missing} rows", file=present.name,
                             column=by, fix="Every run needs train and cv rows")
    if len(ordered) < 2:
        what = ("training-set sizes" if by == cols.train_size
                else f"values of the parameter '{by.removeprefix(cols.param_prefix)}'")
        raise InputError(f"a curve needs runs at 2 or more {what}; every row here has {by} = {ordered[0]}",
                         file=", ".join(names), column=by,
                         fix=f"Add runs at other {what}; to diagnose one run on its own, use 'diagnose report'")
    parsed, warnings = parse_splits(groups, task=task, columns=cols, positive_label=positive_label)
    runs = {key: {s: parsed[key, s] for s in splits if (key, s) in parsed} for key in ordered}
    first = parsed[ordered[0], "train"]
    if first.kind.one_of_classes:  # classes a run's train rows never show
        for key in ordered:
            seen = np.zeros(len(first.classes), bool)
            seen[np.unique(runs[key]["train"].y_true)] = True
            unseen = ~seen[runs[key]["cv"].y_true]
            if unseen.any():
                warnings.append(f"{by} = {key}: {int(unseen.sum())} cv rows belong to classes the "
                                "training rows of this run never show")
    return Runs(task=first.task, by=by, keys=tuple(ordered), runs=runs, warnings=tuple(warnings))


def _missing_param(table: pa.Table, name: str, by: str, cols: Columns) -> None:
    """Refuse an unknown parameter, naming the parameters the file does hold.

    Returns without raising for a one-column header, so that the generic check can say
    the file seems to use another separator.
    """
    prefix = cols.param_prefix
    held = [c[len(prefix):] for c in table.column_names if c.startswith(prefix) and len(c) > len(prefix)]
    if held:
        fix = f"The swept parameters in this file: {', '.join(held)}. Use --param {held[0]}"
        if len(held) > 1:
            fix += " (or another of them)"
    elif table.num_columns > 1:
        fix = (f"The file has no '{prefix}<name>' column. Add one holding each run's parameter value, "
               f"or give your prefix (--column param_prefix=PREFIX)")
    else:
        return
    raise InputError(f"missing column '{by}' — the values of the swept parameter '{by[len(prefix):]}'",
                     file=name, column=by, fix=fix)


def _run_values(check: Checker, by: str, cols: Columns) -> np.ndarray:
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
    check = Checker(table, name)
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
    if len(size) < 2:
        raise InputError(f"a learning curve needs 2 or more training-set sizes; the summary has "
                         f"{'only ' + str(size[0]) if len(size) else 'no rows'}", file=name,
                         column=cols.train_size, fix="Give one row per training-set size, at 2 or more sizes")
    take = {k: (v[order] if v is not None else None) for k, v in counts.items()}
    return CurveSummary(source=name, train_size=size[order], train_error=errors["train_error"][order],
                        cv_error=errors["cv_error"][order], n_train=take.get("n_train"),
                        n_cv=take.get("n_cv"))
