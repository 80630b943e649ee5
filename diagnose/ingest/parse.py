"""Task inference and the parsing of one run's splits into :class:`Predictions`."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError, UsageError
from .checks import _Checker, _natural_key, _parse_numbers
from .read import read_table
from .values import MAX_ROWS_SHOWN, PROB_SUM_TOLERANCE, SPLITS, TASKS, Columns, Predictions, Source, Splits


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
class RawTable:
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
    raws: dict[str, RawTable] = {}
    if data is not None and any(s is not None for s in (train, cv, test)):
        raise UsageError("give either one file with a split column (--data) or the split files "
                         "(--train, --cv, --test), not both")
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
        rows = np.sort(np.concatenate([parts[s].row_numbers for s in others]))
        # the first rows overall are among the first rows of their own split
        split_of = {int(r): s for s in others for r in parts[s].row_numbers[:MAX_ROWS_SHOWN]}
        shown = rows[:MAX_ROWS_SHOWN]
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
    checker = _Checker(table, name)
    checker.require(cols.split, "train, cv or test on every row", cols)
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
            out[split] = RawTable(table.take(pa.array(idx)).drop_columns([cols.split]), name, split, idx + 1)
    return out


def parse_splits(
    raws: Mapping[str, "RawTable"],
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
    if inferred == "binary" and positive_label is not None:
        out = _name_binary_classes(raws, out, columns, str(positive_label))
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


def _name_binary_classes(raws, out: dict, columns: Columns, positive: str) -> dict:
    """Check that the positive label occurs, and name the other class after its label."""
    from dataclasses import replace

    seen: set[str] = set()
    for raw in raws.values():
        # the labels were validated while parsing; read only their distinct values again
        distinct = pa.table({columns.y_true: pc.unique(raw.table.column(columns.y_true))})
        seen.update(_Checker(distinct, raw.name).labels(columns.y_true).tolist())
    if positive not in seen:
        first = next(iter(raws.values()))
        found = ", ".join(repr(v) for v in sorted(seen, key=_natural_key)[:6])
        raise InputError(f"the positive label '{positive}' never occurs in column '{columns.y_true}'",
                         file=first.name, column=columns.y_true,
                         fix=f"Give one of the labels it holds: {found}")
    others = sorted(seen - {positive}, key=_natural_key)
    if len(others) != 1:
        return out
    return {split: replace(pred, classes=(others[0], positive)) for split, pred in out.items()}


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


def _parse_one(raw: RawTable, task: str, cols: Columns, positive_label, classes) -> Predictions:
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
                check.require(cols.y_pred, "the prediction; or give y_prob_<class> columns", cols)
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
    """Read and validate a single table of predictions (one split).

    A table with a ``split`` column gives its rows of ``split`` (an error when it has none).
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = read_table(source, encoding=encoding)
    raw = RawTable(table, name, split)
    if cols.split in table.column_names:
        parts = _split_table(table, name, cols)
        if split not in parts:
            raise InputError(f"its '{cols.split}' column has no {split} rows", file=name, column=cols.split,
                             fix=f"Give a file with {split} rows, or one without a '{cols.split}' column")
        raw = parts[split]
    parsed, _ = parse_splits({split: raw}, task=task, columns=cols, positive_label=positive_label)
    return parsed[split]
