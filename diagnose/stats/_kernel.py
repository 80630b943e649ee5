"""The kernel every engine runs: one Arrow record batch in, statistics out.

A batch is validated by ingest's own row checks (:func:`diagnose.ingest.parse_chunk`)
with the task and classes fixed for the whole input (:class:`Plan`), so bad rows are
refused with the same message, file and row numbers as a whole-table read. The kernel
neither reads files nor knows about engines: Arrow in, :class:`SplitStats` out, so any
engine that can hand it record batches (pyarrow.dataset, Dask partitions, Spark's
``mapInArrow``) computes the same figures.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from ..exceptions import InputError
from ..ingest import SPLITS, Checker, Predictions, RawTable, parse_chunk
from ..options import Columns
from ._split import SplitStats


@dataclass(frozen=True)
class Plan:
    """What is fixed for the whole input before any chunk is read: the task, its classes,
    the metric, the column names, the positive label, and (for cv) the trivial model's fit."""

    task: str
    metric: str
    columns: Columns = Columns()
    positive_label: str | None = None
    classes: tuple[str, ...] = ()
    trivial: Predictions | None = None

    def with_trivial(self, fit: Predictions | None) -> Plan:
        return replace(self, trivial=fit)


def _weights(table: pa.Table, name: str, rows: np.ndarray | None, column: str) -> np.ndarray:
    """The weight column of a chunk, checked row by row as ingest checks it (whether the
    weights sum to more than 0 is a question about the whole input: the engine's)."""
    check = Checker(table, name, rows)
    weight = check.numeric(column, kind="non-negative weight")
    negative = weight < 0
    if negative.any():
        check.fail(f"column '{column}' must not be negative", column=column, mask=negative,
                   values=weight, fix="Give non-negative sample weights")
    return weight


def chunk_predictions(table: pa.Table, plan: Plan, *, source: str, split: str,
                      rows: np.ndarray | None) -> Predictions:
    """One chunk's rows (``rows``: their 1-based numbers in ``source``; ``None``: 1, 2, ...) as validated
    predictions of the planned task and classes.

    >>> t = pa.table({"y_true": [1, 0], "y_score": [0.8, 0.3], "weight": [0.0, 0.0]})
    >>> p = chunk_predictions(t, Plan("binary", "log_loss"), source="part-3.parquet", split="cv",
    ...                       rows=np.array([5, 6]))
    >>> p.y_true.tolist(), p.weight.tolist()
    ([1, 0], [0.0, 0.0])
    """
    cols = plan.columns
    weight = None
    if cols.weight in table.column_names:
        weight = _weights(table, source, rows, cols.weight)
        table = table.drop_columns([cols.weight])
    pred = parse_chunk(RawTable(table, source, split, rows), plan.task, cols, plan.positive_label, plan.classes)
    return replace(pred, weight=weight, classes=plan.classes or pred.classes, table=None, slice_columns=())


def batch_predictions(batch: pa.RecordBatch | pa.Table, plan: Plan, *, source: str, split: str | None = None,
                      first_row: int = 1) -> dict[str, Predictions]:
    """The validated rows of one record batch, by split: ``split`` names the split of every
    row, or (``None``) the batch's split column does. ``first_row`` is the batch's first
    row number in ``source`` (for messages).

    >>> b = pa.record_batch({"split": ["train", "cv", "cv"], "y_true": [1, 0, 1], "y_score": [0.9, 0.6, 0.7]})
    >>> {name: p.y_score.tolist() for name, p in batch_predictions(b, Plan("binary", "error_rate"),
    ...                                                            source="all.parquet").items()}
    {'train': [0.9], 'cv': [0.6, 0.7]}
    >>> bad = pa.record_batch({"y_true": [1, 0, 7], "y_score": [0.9, 0.6, 0.7]})
    >>> try:
    ...     batch_predictions(bad, Plan("binary", "error_rate"), source="b.parquet", split="cv", first_row=1001)
    ... except InputError as exc:
    ...     print(exc.problem, exc.rows)
    column 'y_true' must hold 0 or 1 [1003]
    """
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    try:  # the rows' numbers are only for messages: made on the error path only
        return _validated(table, plan, source, split, None)
    except InputError:
        return _validated(table, plan, source, split, np.arange(first_row, first_row + table.num_rows))


def _validated(table: pa.Table, plan: Plan, source: str, split: str | None,
               rows: np.ndarray | None) -> dict[str, Predictions]:
    """:func:`batch_predictions` with the rows' numbers (``None``: counted from 1, which is
    right for a batch that starts its file and has no split column)."""
    cols = plan.columns
    parts: dict[str, tuple[pa.Table, np.ndarray | None]]
    if split is not None:
        parts = {split: (table, rows)}
    else:
        labels = Checker(table, source, rows).split_labels(cols, "train, cv or test on every row")
        rest = table.drop_columns([cols.split])
        parts = {}
        for name in SPLITS:
            idx = np.flatnonzero(labels == name)
            if idx.size:
                parts[name] = (rest.take(pa.array(idx)), None if rows is None else rows[idx])
    return {name: chunk_predictions(part, plan, source=source, split=name, rows=numbers)
            for name, (part, numbers) in parts.items()}


def batch_statistics(batch: pa.RecordBatch | pa.Table, plan: Plan, *, source: str, split: str | None = None,
                     first_row: int = 1) -> dict[str, SplitStats]:
    """The statistics of one record batch, by split (its rows as :func:`batch_predictions`
    reads them).

    >>> b = pa.record_batch({"split": ["train", "cv", "cv"], "y_true": [1, 0, 1], "y_score": [0.9, 0.6, 0.7]})
    >>> stats = batch_statistics(b, Plan("binary", "error_rate"), source="all.parquet")
    >>> sorted(stats), stats["cv"].error("cv").error
    (['cv', 'train'], 0.5)
    """
    found = batch_predictions(batch, plan, source=source, split=split, first_row=first_row)
    return {name: SplitStats.of(pred, plan.metric, plan.trivial if name == "cv" else None)
            for name, pred in found.items()}
