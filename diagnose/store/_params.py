"""A run's parameters: ``train_size`` and ``param_<name>`` from the constant columns of its
train table (or given), as values the JSON column can hold."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow.compute as pc

from ..ingest import Columns, Splits


def constants_of(splits: Splits, cols: Columns) -> dict[str, Any]:
    """The train table's ``train_size`` and ``param_<name>`` columns that hold one value."""
    table = splits.train.table
    out: dict[str, Any] = {}
    if table is None:
        return out
    for name in table.column_names:
        if name == cols.train_size or name.startswith(cols.param_prefix):
            column = table.column(name)
            if not column.null_count and pc.count_distinct(column).as_py() == 1:
                out[name] = column[0].as_py()
    return out


def run_parameters(constants: Mapping[str, Any], cols: Columns, train_size, params):
    """train_size and param_<name> from the constant columns of the train table (name ->
    their one value), unless given.

    >>> run_parameters({"train_size": 40, "param_C": 0.3}, Columns(), None, {"seed": 1})
    (40.0, {'seed': 1, 'C': 0.3})
    """
    out = {name: json_value(value) for name, value in (params or {}).items()}
    for name, value in constants.items():
        if name == cols.train_size:
            if train_size is None:
                try:
                    train_size = float(value)
                except (TypeError, ValueError):
                    pass
        elif name.startswith(cols.param_prefix):
            out.setdefault(name[len(cols.param_prefix):], json_value(value))
    return train_size, out


def json_value(value: Any) -> Any:
    """A parameter value the JSON column can hold: dates as ISO text, numpy scalars as Python
    numbers, anything else that JSON has no type for as its text."""
    import datetime
    import decimal

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (bytes, bytearray)):  # a numpy scalar
        return json_value(value.item())
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
