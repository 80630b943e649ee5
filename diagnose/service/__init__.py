"""Workflows that span layers: read files (ingest), compute (the compute packages), render
(present) and store. The command line, the dashboard and the library's top-level names
(``diagnose.report``, ``diagnose.learning_curve``, ...) call these.

>>> import pandas as pd
>>> t = pd.DataFrame({"y_true": [0, 1] * 5000, "y_score": [0.1, 0.9] * 4500 + [0.9, 0.1] * 500})
>>> report(train=t, cv=t, baselines={"human": 0.1}).verdict.verdict  # 10% wrong, as a person would be
'good_fit'
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

# name -> private module: each workflow loads on first use, so that `diagnose report` does not
# import the database layer or the curves
_LAZY = {
    "learning_curve": "_curves", "learning_curve_from_estimator": "_curves", "validation_curve": "_curves",
    "cohort_table": "_error_analysis", "cv_and_test": "_error_analysis", "slices": "_error_analysis",
    "shift": "_error_analysis", "suspects": "_error_analysis", "tally": "_error_analysis",
    "load_rules": "_gate", "paired_judge": "_gate",
    "CalibrationAdvice": "_calibration", "calibrate": "_calibration",
    "compare": "_paired", "compare_stored": "_paired",
    "report": "_report", "pick_engine": "_inputs", "streamed_report": "_engines",
    "OVERVIEW_COLUMNS": "_stored", "curve_runs": "_stored", "learning_curve_from_store": "_stored",
    "run_overview": "_stored", "session": "_stored", "tally_from_store": "_stored",
    "validation_curve_from_store": "_stored", "error_sample_from_store": "_stored",
    "PreparedRun": "_submit", "prepare_run": "_submit", "submit_files": "_submit", "submit_prepared": "_submit",
    "submit_streamed": "_streamed_submit", "prepare_streamed": "_streamed_submit",
    "submit_prepared_stream": "_streamed_submit", "PreparedStream": "_streamed_submit",
    "run_statistics": "_statistics", "statistics_of": "_statistics",
}
if TYPE_CHECKING:
    from ._calibration import CalibrationAdvice, calibrate
    from ._curves import learning_curve, learning_curve_from_estimator, validation_curve
    from ._engines import streamed_report
    from ._error_analysis import cohort_table, cv_and_test, shift, slices, suspects, tally
    from ._gate import load_rules, paired_judge
    from ._inputs import pick_engine
    from ._paired import compare, compare_stored
    from ._report import report
    from ._statistics import run_statistics, statistics_of
    from ._stored import (
        OVERVIEW_COLUMNS,
        curve_runs,
        error_sample_from_store,
        learning_curve_from_store,
        run_overview,
        session,
        tally_from_store,
        validation_curve_from_store,
    )
    from ._streamed_submit import PreparedStream, prepare_streamed, submit_prepared_stream, submit_streamed
    from ._submit import PreparedRun, prepare_run, submit_files, submit_prepared

__all__ = [
    "OVERVIEW_COLUMNS", "calibrate", "CalibrationAdvice", "cohort_table", "compare", "compare_stored", "curve_runs",
    "cv_and_test", "error_sample_from_store", "learning_curve", "learning_curve_from_estimator",
    "learning_curve_from_store", "load_rules", "paired_judge", "pick_engine", "prepare_run", "prepare_streamed",
    "PreparedRun", "PreparedStream", "report", "run_overview", "run_statistics", "session", "shift", "slices",
    "statistics_of", "streamed_report", "submit_files", "submit_prepared", "submit_prepared_stream",
    "submit_streamed", "suspects", "tally", "tally_from_store", "validation_curve", "validation_curve_from_store",
]


__getattr__, __dir__ = lazy_names(__name__, {name: f".{module}" for name, module in _LAZY.items()})
