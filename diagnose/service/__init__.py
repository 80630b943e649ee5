"""Workflows that span layers: read files (ingest), compute (the compute packages), render
(present) and store. The command line, the dashboard and the library's top-level names
(``diagnose.report``, ``diagnose.learning_curve``, ...) call these.

>>> import pandas as pd
>>> t = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.1, 0.9] * 50})
>>> report(train=t, cv=t, baselines={"human": 0.0}).verdict.verdict
'good_fit'
"""
from __future__ import annotations

from ._curves import learning_curve, learning_curve_from_estimator, validation_curve
from ._error_analysis import cohort_table, tally
from ._gate import load_rules
from ._report import report
from ._stored import (
                      OVERVIEW_COLUMNS,
                      curve_runs,
                      learning_curve_from_store,
                      run_overview,
                      session,
                      tally_from_store,
                      validation_curve_from_store,
)
from ._submit import PreparedRun, prepare_run, submit_files, submit_prepared

__all__ = [
    "OVERVIEW_COLUMNS", "PreparedRun", "cohort_table", "curve_runs", "learning_curve", "learning_curve_from_estimator",
    "learning_curve_from_store", "load_rules", "prepare_run", "report", "run_overview", "session", "submit_files",
    "submit_prepared", "tally", "tally_from_store", "validation_curve", "validation_curve_from_store",
]
