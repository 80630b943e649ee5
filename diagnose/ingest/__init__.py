"""Reading and validating what users give: prediction tables (CSV, Parquet, DataFrames,
Arrow tables), curve runs, reviewed samples of errors, and the task types.

This is the only package that reads files and the only one that raises on bad input
data. It returns :class:`Predictions` (one per split), :class:`Splits`, :class:`Runs`
and :class:`TaggedSample`, whose arrays the compute packages trust without checking
again. Each task type is a strategy object (:func:`task_type`): how its columns are
read, its default decision and its trivial model. Rows in error messages are numbered
from 1, after the header line.

>>> import pandas as pd
>>> p = load_predictions(pd.DataFrame({"y_true": [1, 0], "y_score": [0.9, 0.6]}))
>>> p.kind.name, p.decision.tolist()
('binary', [1, 1])
"""
from __future__ import annotations

from ..options import Columns
from ._arrays import binary_arrays
from ._checks import Checker, check_same_rows, natural_key
from ._csvhead import check_csv_file, csv_header_offset, is_utf8, refuse_ragged_csv
from ._files import regular_file
from ._groups import CHUNK_ROWS, CodedRows, chunked_bincount, coded_rows
from ._keys import HASH_SCHEME, mix64, sample_keys
from ._numpy import to_numpy
from ._parse import (
                     RawTable,
                     infer_task,
                     label_columns,
                     load_cv_test,
                     load_predictions,
                     load_splits,
                     parse_chunk,
                     parse_splits,
                     read_split,
)
from ._progress import ProgressBar, progress_note, progress_shown, quiet_progress, tracked_batches
from ._read import read_table
from ._rules import read_rule_file
from ._runs import (
                     CurveSummary,
                     Runs,
                     is_curve_summary,
                     load_curve_summary,
                     load_runs,
                     runs_from_groups,
)
from ._tagged import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, TaggedSample, load_tagged
from ._tasks import TASK_TYPES, TASKS, TaskType, task_type
from ._values import (
                     MAX_ROWS_SHOWN,
                     PROB_SUM_TOLERANCE,
                     SPLITS,
                     Predictions,
                     Source,
                     Splits,
)

__all__ = [
    "CHUNK_ROWS", "Checker", "CodedRows", "Columns", "CurveSummary", "Predictions", "RawTable", "Runs", "Source",
    "Splits", "TaggedSample",
    "TaskType", "SPLITS", "TASKS", "TASK_TYPES", "PROB_SUM_TOLERANCE", "MAX_ROWS_SHOWN", "CV_N_COLUMN",
    "TOTAL_ERRORS_COLUMN", "binary_arrays", "check_same_rows", "chunked_bincount", "coded_rows", "csv_header_offset",
    "is_utf8", "check_csv_file", "refuse_ragged_csv",
    "infer_task",
    "is_curve_summary",
    "load_curve_summary", "load_cv_test", "label_columns", "load_predictions", "load_runs", "load_splits",
    "load_tagged", "natural_key", "parse_chunk",
    "parse_splits", "read_rule_file", "read_split", "read_table", "regular_file", "runs_from_groups", "task_type",
    "to_numpy", "HASH_SCHEME", "mix64", "sample_keys",
    "ProgressBar", "progress_note", "progress_shown", "quiet_progress", "tracked_batches",
]
