"""Grouping the rows of one curve file by (run value, split) without a Python object per row.

The split names and the run values of a file take a few distinct values over many rows.
Both are read once per distinct value (a chunk's Arrow dictionary) and mapped to small
integer codes; one stable sort of the codes puts each group's rows together in file
order, so that every group is a zero-copy slice of one reordered table. Values the fast
path does not take (empty cells, text that is no split name, a bad training-set size)
go through the row-by-row checks, which raise the usual message naming the rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..options import Columns
from ._checks import Checker
from ._read import to_numpy
from ._values import SPLITS


def _dictionary_codes(col: pa.ChunkedArray, lookup: Callable[[pa.Array], np.ndarray | None]) -> np.ndarray | None:
    """Per-row codes: ``lookup`` maps each chunk's dictionary to codes (``None``: give up)."""
    if col.null_count:
        return None
    parts = []
    for chunk in col.chunks:
        if not len(chunk):
            continue
        encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        codes = lookup(encoded.dictionary)
        if codes is None:
            return None
        parts.append(codes[to_numpy(encoded.indices)])
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def split_codes(check: Checker, columns: Columns, role: str, splits: Sequence[str] = SPLITS) -> np.ndarray:
    """The split of every row as its index in ``splits`` (-1 for train, cv or test when not
    in ``splits``); names are trimmed and lower-cased once per distinct value, as
    :meth:`Checker.split_labels` does row by row.

    >>> t = pa.table({"split": ["Train", " cv", "TEST", "train"]})
    >>> split_codes(Checker(t, "f.csv"), Columns(), "the split", ("train", "cv")).tolist()
    [0, 1, -1, 0]
    """
    check.require(columns.split, role, columns)
    col = check.table.column(columns.split)
    table = np.array([splits.index(s) if s in splits else -1 for s in SPLITS], np.int8)

    trim = not pa.types.is_dictionary(col.type)  # as Checker.labels: it trims text, not categories

    def lookup(dictionary: pa.Array) -> np.ndarray | None:
        text = (pc.utf8_trim_whitespace(dictionary) if trim else dictionary).to_pylist()
        names = np.char.lower(np.array(text, dtype=str)).tolist()  # numpy's lower, as row by row
        if not all(n in SPLITS for n in names):
            return None  # a bad name: the row-by-row check names its rows
        return table[[SPLITS.index(n) for n in names]]

    codes = _dictionary_codes(col, lookup) if _is_text(col.type) else None
    if codes is None:
        labels = check.split_labels(columns, role)  # raises on a bad name
        codes = _codes_of(labels, splits)
    return codes


def _codes_of(labels: np.ndarray, splits: Sequence[str]) -> np.ndarray:
    codes = np.full(len(labels), -1, np.int8)
    for i, s in enumerate(splits):
        codes[labels == s] = i
    return codes


def run_codes(col: pa.ChunkedArray, *, whole_at_least_1: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """A numeric run column as (its distinct values ascending, each row's index into them),
    or ``None`` when the column has empty cells, values that are not finite, or (for
    training-set sizes, ``whole_at_least_1``) values that are not whole numbers of 1 or
    more: the row-by-row checks then name the rows. Whole numbers come back as int64.

    >>> keys, inverse = run_codes(pa.chunked_array([[20, 10], [20, 30]]), whole_at_least_1=True)
    >>> keys.tolist(), inverse.tolist()
    ([10, 20, 30], [1, 0, 1, 2])
    >>> run_codes(pa.chunked_array([[2, 0]]), whole_at_least_1=True) is None
    True
    """
    t = col.type
    if col.null_count or not (pa.types.is_integer(t) or pa.types.is_floating(t)):
        return None
    distinct = to_numpy(pc.unique(col)).astype(np.float64)
    if not np.isfinite(distinct).all():
        return None
    whole = bool(np.all(distinct == np.round(distinct)))
    if whole_at_least_1 and not (whole and (distinct >= 1).all()):
        return None
    keys = np.unique(distinct)

    dtype = np.int16 if len(keys) < np.iinfo(np.int16).max // 4 else np.int64  # room for key * splits + split

    def lookup(dictionary: pa.Array) -> np.ndarray:
        return np.searchsorted(keys, to_numpy(dictionary).astype(np.float64)).astype(dtype)

    inverse = _dictionary_codes(col, lookup)
    assert inverse is not None  # no nulls, and lookup never gives up
    return (keys.astype(np.int64) if whole else keys), inverse


def group_slices(table: pa.Table, group: np.ndarray) -> Iterator[tuple[int, pa.Table, np.ndarray]]:
    """``(group code, rows of that group as a zero-copy slice, their 0-based file rows)`` for
    every code of 0 or more, ascending; rows keep their file order within a group and rows of
    code -1 are left out. A file written group by group (in any order) is sliced as it is;
    otherwise one stable sort of the codes reorders the table once.

    >>> t = pa.table({"x": [10, 11, 12, 13, 14]})
    >>> [(g, part.column("x").to_pylist(), rows.tolist())
    ...  for g, part, rows in group_slices(t, np.array([1, 0, -1, 1, 0]))]
    [(0, [11, 14], [1, 4]), (1, [10, 13], [0, 3])]
    >>> [(g, rows.tolist()) for g, _, rows in group_slices(t, np.array([1, 1, -1, 0, 0]))]
    [(0, [3, 4]), (1, [0, 1])]
    """
    if not len(group):
        return
    n_groups = int(group.max()) + 1
    small = group.astype(np.int16, copy=False) if n_groups < np.iinfo(np.int16).max else group  # radix sort
    changes = small[1:] != small[:-1]
    # contiguous groups make at most 2 * n_groups + 1 blocks (with blocks of -1 between them)
    few = int(np.count_nonzero(changes)) < 2 * n_groups + 1
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1]) if few else np.zeros(0, np.int64)
    codes = small[starts]
    kept = codes >= 0
    if few and len(np.unique(codes[kept])) == int(kept.sum()):  # every group sits in one block of rows
        stops = np.append(starts[1:], len(small))
        for i in np.flatnonzero(kept)[np.argsort(codes[kept])]:
            start, stop = int(starts[i]), int(stops[i])
            yield int(codes[i]), table.slice(start, stop - start), np.arange(start, stop)
        return
    order = np.argsort(small, kind="stable")
    ordered = table.combine_chunks().take(_indices(order))
    counts = np.bincount(small + 1, minlength=n_groups + 1)  # code -1 first: it sorts first
    ends = np.cumsum(counts)
    for g in np.flatnonzero(counts[1:]):
        start, stop = int(ends[g]), int(ends[g + 1])
        yield int(g), ordered.slice(start, stop - start), order[start:stop]


def _indices(order: np.ndarray) -> pa.Array:
    """An int64 numpy array as an Arrow array without a copy (``pa.array`` would import pandas)."""
    order = np.ascontiguousarray(order, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(order), [None, pa.py_buffer(order)])
