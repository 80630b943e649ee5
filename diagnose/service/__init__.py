"""Workflows that span layers: read files (ingest), compute (the compute packages), render
(present) and store. The command line, the dashboard and the library's top-level names
(``diagnose.report``, ``diagnose.learning_curve``, ...) call these.

>>> import pandas as pd
>>> t = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.1, 0.9] * 50})
>>> report(train=t, cv=t, baselines={"human": 0.0}).verdict.verdict
'good_fit'
"""
from __future__ import annotations

from ._error_analysis import cohort_table, tally
from ._curves import learning_curve, learning_curve_from_estimator, validation_curve
from ._gate import load_rules
from ._report import report

__all__ = ["cohort_table", "learning_curve", "learning_curve_from_estimator", "load_rules", "report", "tally", "validation_curve"]
