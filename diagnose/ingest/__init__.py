"""Read prediction tables (CSV, Parquet or DataFrames) and validate them.

This is the only module that reads files and the only one that raises on bad input
data. It returns :class:`Predictions`, one per split, whose arrays the compute modules
trust without checking again.

Rows in error messages are numbered from 1, after the header line.
"""
from __future__ import annotations

from .parse import RawTable, infer_task, load_predictions, load_splits, parse_splits
from .read import read_table
from .runs import CurveSummary, Runs, is_curve_summary, load_curve_summary, load_runs, runs_from_groups
from .tagged import TaggedSample, load_tagged, CV_N_COLUMN, TOTAL_ERRORS_COLUMN
from .values import (MAX_ROWS_SHOWN, PROB_SUM_TOLERANCE, SPLITS, TASKS, Columns, Predictions, Source,
                     Splits)

__all__ = [
    "Columns", "CurveSummary", "Predictions", "RawTable", "Runs", "Source", "Splits", "TaggedSample",
    "SPLITS", "TASKS", "PROB_SUM_TOLERANCE", "MAX_ROWS_SHOWN", "CV_N_COLUMN", "TOTAL_ERRORS_COLUMN",
    "infer_task", "is_curve_summary", "load_curve_summary", "load_predictions", "load_runs", "runs_from_groups",
    "load_splits", "load_tagged", "parse_splits", "read_table",
]
