"""The key numbers of a stored report, and two runs' key numbers side by side (the
dashboard's Runs page).

Stored reports are JSON (``Report.to_dict()``); these read them without recomputing, so
listing and comparing runs costs no more than reading their reports.

>>> a = {"verdict": "high_variance", "metric": "error_rate", "reference": 0.01, "reference_name": "human",
...      "splits": {"train": {"error": 0.0}, "cv": {"error": 0.18}}, "gaps": {"bias": -0.01, "variance": 0.18}}
>>> b = {"verdict": "good_fit", "metric": "error_rate", "reference": 0.01, "reference_name": "human",
...      "splits": {"train": {"error": 0.02}, "cv": {"error": 0.03}}, "gaps": {"bias": 0.01, "variance": 0.01}}
>>> t = compare_reports(a, b, names=("tree", "pruned"))
>>> t.set_index("measure").loc["J_cv"].tolist()
[0.18, 0.03, -0.15]
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# (column, path into the report); numbers unless noted
KEY_NUMBERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("verdict", ("verdict",)),
    ("metric", ("metric",)),
    ("baseline", ("reference",)),
    ("J_train", ("splits", "train", "error")),
    ("J_cv", ("splits", "cv", "error")),
    ("J_test", ("splits", "test", "error")),
    ("bias gap", ("gaps", "bias")),
    ("variance gap", ("gaps", "variance")),
    ("test gap", ("gaps", "test")),
    ("cv precision", ("splits", "cv", "precision")),
    ("cv recall", ("splits", "cv", "recall")),
    ("cv F1", ("splits", "cv", "f1")),
    ("threshold", ("threshold", "value")),
    ("test F1 at threshold", ("threshold", "test", "f1")),
)
TEXT_COLUMNS = ("verdict", "metric")
# measured in the run's metric (the rest are precision, recall, F1 and thresholds)
METRIC_UNITS = ("baseline", "J_train", "J_cv", "J_test", "bias gap", "variance gap", "test gap")


def _get(report: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = report
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def key_numbers(report: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict, errors, gaps and headline metrics of one stored report (None where absent).

    >>> key_numbers({"verdict": "high_bias", "splits": {"cv": {"error": 0.4}}})["J_cv"]
    0.4
    """
    return {name: _get(report, path) for name, path in KEY_NUMBERS}


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any], *,
                    names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Two reports' key numbers side by side, with the change from the first to the second.

    Rows that neither report has are left out; ``change`` is ``b - a`` for numbers (empty
    for errors measured in different metrics), ``"changed"`` for a changed verdict or metric.

    >>> a = {"metric": "error_rate", "splits": {"cv": {"error": 0.1, "f1": 0.8}}}
    >>> b = {"metric": "half_mse", "splits": {"cv": {"error": 5734.0, "f1": 0.9}}}
    >>> compare_reports(a, b).set_index("measure")["change"].tolist()
    ['changed', None, 0.09999999999999998]
    """
    import pandas as pd

    ka, kb = key_numbers(a), key_numbers(b)
    # errors in different units (an error rate and a squared error) cannot be subtracted
    same_units = ka["metric"] == kb["metric"]
    rows = []
    for name, _ in KEY_NUMBERS:
        x, y = ka[name], kb[name]
        if x is None and y is None:
            continue
        numeric = name not in TEXT_COLUMNS and isinstance(x, (int, float)) and isinstance(y, (int, float))
        if numeric:
            change = (y - x) if same_units or name not in METRIC_UNITS else None
        else:
            change = None if x == y or x is None or y is None else "changed"
        rows.append({"measure": name, names[0]: x, names[1]: y, "change": change})
    return pd.DataFrame(rows, columns=["measure", names[0], names[1], "change"])
