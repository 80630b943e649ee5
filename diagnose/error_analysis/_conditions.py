"""Slice conditions: one test on one slice column, how a column is cut into them, and the
text form ``region=north & size in [2.5, 7.1)`` that users read and type back.

A condition is one of
- ``column=value``: a category, or one distinct number of a column with few of them;
- ``column in {a, b}``: categories with few rows, pooled into one condition;
- ``column in [lo, hi)``: a quantile bin of a numeric column (the last bin is ``[lo, hi]``);
- ``column=(missing)``: an empty cell.

Bin edges are cut at quantiles of the column and then written with as few digits as select
the same rows (an edge may move down to just above the value below it), in a form that
reads back to the same number, so a printed slice selects exactly the rows it was counted
on. A slice is the conjunction of its conditions, joined by `` & ``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

MISSING = "(missing)"
# a text column with more values than this (after pooling the rare ones) is an id, not a slice key
MAX_VALUES = 50


@dataclass(frozen=True)
class Condition:
    """One test on one column: ``op`` is ``=``, ``in`` (a pool of categories), ``range`` or
    ``missing``; ``value`` is the category or number, the pooled categories, or ``(lo, hi, closed)``.

    >>> c = Condition("size", "range", (1.5, 4.0, False))
    >>> str(c), c.mask(np.array([1.0, 1.5, 3.9, 4.0])).tolist()
    ('size in [1.5, 4.0)', [False, True, True, False])
    """

    column: str
    op: str
    value: Any = None

    def __str__(self) -> str:
        if self.op == "missing":
            return f"{self.column}={MISSING}"
        if self.op == "in":
            return f"{self.column} in {{{', '.join(self.value)}}}"
        if self.op == "range":
            lo, hi, closed = self.value
            return f"{self.column} in [{_number(lo)}, {_number(hi)}{']' if closed else ')'}"
        return f"{self.column}={_number(self.value) if isinstance(self.value, float) else self.value}"

    def mask(self, values: Any) -> np.ndarray:
        """Which of ``values`` (the column's cells) meet the condition."""
        import pandas as pd

        series = pd.Series(values)
        if self.op == "missing":
            return series.isna().to_numpy()
        if self.op == "range" or isinstance(self.value, float):
            if not _numeric(series):
                return np.zeros(len(series), dtype=bool)
            x = series.to_numpy(dtype=np.float64, na_value=np.nan)
            if self.op != "range":
                return x == self.value
            lo, hi, closed = self.value
            with np.errstate(invalid="ignore"):
                return (x >= lo) & ((x <= hi) if closed else (x < hi))
        text = series.astype("string")
        wanted = list(self.value) if self.op == "in" else [self.value]
        return text.isin(wanted).fillna(False).to_numpy(dtype=bool)


def _number(x: float) -> str:
    """The shortest text that reads back as ``x`` (an integral float keeps its '.0')."""
    return repr(float(x))


def _numeric(series: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def code_column(name: str, values: Any, *, bins: int, min_size: int) -> tuple[np.ndarray, list[Condition]] | None:
    """Each row's condition (a code into the returned list); ``None`` for a column with too many
    values to be a slice key. Numbers with more than ``bins`` distinct values are cut at
    quantiles; categories with fewer than ``min_size`` rows are pooled.

    >>> codes, conds = code_column("region", ["n", "n", "s", "e", None], bins=4, min_size=2)
    >>> codes.tolist(), [str(c) for c in conds]
    ([0, 0, 1, 1, 2], ['region=n', 'region in {e, s}', 'region=(missing)'])
    """
    import pandas as pd

    series = pd.Series(values)
    if _numeric(series):
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        distinct = np.unique(x[~missing])
        conds: list[Condition]
        if len(distinct) > bins:
            finite = x[np.isfinite(x)]
            edges = np.unique(np.r_[distinct[0], np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1],
                                                               method="inverted_cdf"), distinct[-1]])
            codes = np.searchsorted(edges[1:-1], x, side="right")
            shown = _short_edges(edges, distinct)
            last = len(shown) - 2
            conds = [Condition(name, "range", (lo, hi, i == last))
                     for i, (lo, hi) in enumerate(zip(shown[:-1], shown[1:]))]
        else:
            codes = np.searchsorted(distinct, x)
            conds = [Condition(name, "=", float(v)) for v in distinct]
    else:
        factor, uniques = pd.factorize(series.astype("string"), sort=True)
        missing = factor < 0
        counts = np.bincount(factor[~missing], minlength=len(uniques))
        rare = counts < min_size
        labels = [str(u) for u in uniques]
        if rare.sum() > 1:  # pool the rare categories into one condition
            keep = np.flatnonzero(~rare)
            remap = np.full(len(labels), len(keep), dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            codes = remap[np.where(missing, 0, factor)]
            conds = [Condition(name, "=", labels[i]) for i in keep]
            conds.append(Condition(name, "in", tuple(labels[i] for i in np.flatnonzero(rare))))
        else:
            codes = np.where(missing, 0, factor)
            conds = [Condition(name, "=", label) for label in labels]
        if len(conds) > MAX_VALUES:
            return None
    codes = np.where(missing, len(conds), codes).astype(np.int64)
    return codes, conds + [Condition(name, "missing")]


def _short(value: float, keep: Callable[[float], bool]) -> float:
    """The number with the fewest significant digits near ``value`` that ``keep`` accepts."""
    for digits in range(1, 18):
        candidate = float(f"{value:.{digits}g}")
        if keep(candidate):
            return candidate
    return value


def _short_edges(edges: np.ndarray, distinct: np.ndarray) -> list[float]:
    """Bin edges with as few digits as cut the same rows: an inner edge (a value of the column)
    may move down to just above the value below it; the outer ones outwards.

    >>> _short_edges(np.array([0.1234, 2.71828, 9.87]), np.array([0.1234, 1.5, 2.71828, 9.87]))
    [0.1, 2.7, 10.0]
    """
    def between(lo: float, hi: float) -> Callable[[float], bool]:
        return lambda c: lo < c <= hi

    low, high = float(edges[0]), float(edges[-1])
    out = [_short(low, lambda c: c <= low)]
    for edge in edges[1:-1]:
        below = float(distinct[np.searchsorted(distinct, edge) - 1])
        out.append(_short(float(edge), between(below, float(edge))))
    out.append(_short(high, lambda c: c >= high))
    return out


_RANGE = re.compile(r"^\[\s*(\S+?)\s*,\s*(\S+?)\s*([\])])$")


def parse_condition(text: str) -> Condition:
    """One condition from its text form (as :class:`Condition` prints it).

    >>> parse_condition("size in [1.5, 4.0]").value, parse_condition(" device = mobile ").value
    ((1.5, 4.0, True), 'mobile')
    """
    text = text.strip()
    match = re.match(r"^(.+?)\s+in\s+(\{.*\}|\[.*[\])])$", text)
    if match:
        column, value = match.group(1).strip(), match.group(2)
        if value.startswith("{"):
            return Condition(column, "in", tuple(v.strip() for v in value[1:-1].split(",")))
        bounds = _RANGE.match(value)
        try:
            assert bounds is not None
            lo, hi = float(bounds.group(1)), float(bounds.group(2))
        except (AssertionError, ValueError):
            raise UsageError(f"cannot read the range in '{text}'; write it as 'column in [low, high)'") from None
        return Condition(column, "range", (lo, hi, bounds.group(3) == "]"))
    column, sep, value = text.partition("=")
    if not sep or not column.strip():
        raise UsageError(f"cannot read the slice condition '{text}'; write 'column=value', "
                         "'column in {a, b}' or 'column in [low, high)', joined by ' & '")
    value = value.strip()
    if value == MISSING:
        return Condition(column.strip(), "missing")
    return Condition(column.strip(), "=", value)


def parse_slice(text: str) -> tuple[Condition, ...]:
    """The conditions of a slice written as ``a=x & b in [1, 2)``.

    >>> [str(c) for c in parse_slice("region=north & device=mobile")]
    ['region=north', 'device=mobile']
    """
    parts = [p for p in text.split("&") if p.strip()]
    if not parts:
        raise UsageError("the slice is empty; write conditions such as 'region=north & device=mobile'")
    return tuple(parse_condition(p) for p in parts)


def slice_mask(conditions: tuple[Condition, ...], frame: pd.DataFrame, *, source: str = "the data") -> np.ndarray:
    """The rows of ``frame`` (the slice columns) inside the slice. A condition on a number column
    written as text (``size=3``) is read as that number.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"region": ["north", "south", "north"], "size": [1, 2, 3]})
    >>> slice_mask(parse_slice("region=north & size=3"), frame).tolist()
    [False, False, True]
    """
    mask = np.ones(len(frame), dtype=bool)
    for cond in conditions:
        if cond.column not in frame.columns:
            raise UsageError(f"no slice column '{cond.column}' in {source}; it has "
                             f"{', '.join(map(str, frame.columns)) or 'no slice columns'}")
        column = frame[cond.column]
        if cond.op == "=" and isinstance(cond.value, str) and _numeric(column):
            try:
                cond = Condition(cond.column, "=", float(cond.value))
            except ValueError:
                raise UsageError(f"'{cond}': column '{cond.column}' of {source} holds numbers") from None
        mask &= cond.mask(column)
    return mask
