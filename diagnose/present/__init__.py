"""Presentation: every text, Markdown, JSON and JUnit rendering and every chart, registered
by (result type, format) in :mod:`diagnose.values`.

>>> import numpy as np
>>> from diagnose.thresholds import threshold_search
>>> r = threshold_search(np.array([0, 1, 1]), np.array([0.2, 0.6, 0.9]), bootstrap=0)
>>> print(render(r, "text").splitlines()[2])
Chosen threshold: 0.6
"""
from __future__ import annotations

import json
from typing import Any

from ..values import formats, render
from . import (  # noqa: F401  (they register their renderers)
    _calibration,
    _charts,
    _curves,
    _discovery,
    _error_analysis,
    _gate,
    _keys,
    _paired,
    _report,
    _store,
    _thresholds,
)
from ._calibration import calibration_frame, reliability_chart
from ._charts import curve_chart, decision_chart, levels_chart, pr_chart, tally_chart, threshold_chart
from ._comparison import KEY_NUMBERS, METRIC_UNITS, TEXT_COLUMNS, compare_reports, key_numbers
from ._discovery import shift_frame, slices_frame
from ._escape import code_span, markdown_text, sheet_frame, sheet_text, terminal_text, visible, xml_text
from ._export import (
    CHART_FORMATS,
    chart_bytes,
    chart_format,
    chart_html,
    check_chart_path,
    script_json,
    write_chart,
)
from ._frames import (
    confusion_frame,
    detail_status,
    gap_table,
    gaps_frame,
    levels_frame,
    metrics_frame,
    other_baselines,
    readable,
    tally_frame,
)
from ._paired import paired_frame
from ._tables import fmt, table

__all__ = [
    "CHART_FORMATS", "code_span", "markdown_text", "sheet_frame", "sheet_text", "terminal_text", "visible", "xml_text",
    "chart_bytes", "chart_format", "chart_html", "check_chart_path", "script_json", "write_chart",
    "KEY_NUMBERS", "METRIC_UNITS", "TEXT_COLUMNS", "compare_reports", "confusion_frame", "curve_chart",
    "calibration_frame", "decision_chart", "paired_frame", "reliability_chart",
    "detail_status", "fmt", "formats", "gap_table", "gaps_frame", "key_numbers", "levels_chart", "levels_frame",
    "metrics_frame", "other_baselines", "pr_chart", "readable", "render", "shift_frame", "slices_frame", "table",
    "tally_chart", "tally_frame", "threshold_chart", "to_json",
]


def to_json(value: Any) -> str:
    """The JSON text of a result value (its ``to_dict()``), as the command line prints it.

    >>> to_json({"a": 1.5})
    '{\\n  "a": 1.5\\n}'
    """
    data = value if isinstance(value, (dict, list)) else value.to_dict()
    return json.dumps(data, indent=2, allow_nan=False)
