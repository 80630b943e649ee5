"""Grouping the rows of one curve file by (run value, split) without a Python object per row.

The split names and the run values of a file take a few distinct values over many rows.
Both are read once per distinct value (a chunk's Arrow dictionary) and mapped to small
integer codes. Two ways use them:

- :func:`coded_rows` validates the whole table at once and keeps each row's group code,
  so that a curve's per-group statistics are counted over the codes (``bincount``) with no
  copy of the rows per group (``diagnose.curves`` takes it from there);
- :func:`group_slices` puts each group's rows together in file order (one stable sort of
  the codes), every group a zero-copy slice of one reordered table: the group-by-group
  validation of :func:`~diagnose.ingest.load_runs`, whose messages are the ones of record.

Values the fast path does not take (empty cells, text that is no split name, a bad
training-set size) go through the row-by-row checks, which raise the usual message naming
the rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..options import Columns
from ._checks import Checker
from ._numpy import to_numpy
from ._parse import RawTable, infer_task, parse_splits
from ._read import read_as_dictionary
from ._tasks import task_type
from ._values import SPLITS, Predictions


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
        parts.append(codes.take(to_numpy(encoded.indices)))  # take: no intp copy of the indices
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

    field = check.table.schema.field(columns.split)
    was_text = read_as_dictionary(field)  # a file's text read dictionary-encoded: still text
    # as Checker.labels: it trims text, not categories
    trim = was_text or not pa.types.is_dictionary(col.type)

    seen: dict[tuple, np.ndarray | None] = {}  # a CSV's hundreds of blocks share a few dictionaries

    def lookup(dictionary: pa.Array) -> np.ndarray | None:
        key = tuple(dictionary.to_pylist())
        if key not in seen:
            text = (pc.utf8_trim_whitespace(dictionary) if trim else dictionary).to_pylist()
            names = np.char.lower(np.array(text, dtype=str)).tolist()  # numpy's lower, as row by row
            # a bad name: None, and the row-by-row check names its rows
            seen[key] = table[[SPLITS.index(n) for n in names]] if all(n in SPLITS for n in names) else None
        return seen[key]

    codes = _dictionary_codes(col, lookup) if _is_text(col.type) else None
    if codes is None:
        if was_text:  # the row-by-row checks see the text column the file holds
            i = check.table.schema.get_field_index(columns.split)
            text = pa.chunked_array([c.dictionary_decode() for c in col.chunks], field.type.value_type)
            check = Checker(check.table.set_column(i, columns.split, text), check.name, check.row_numbers)
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
    Integers in a compact range are ranked through a table (no hash); otherwise one hash
    pass: each chunk is dictionary-encoded once and its few values are checked.

    >>> keys, inverse = run_codes(pa.chunked_array([[20, 10], [20, 30]]), whole_at_least_1=True)
    >>> keys.tolist(), inverse.tolist()
    ([10, 20, 30], [1, 0, 1, 2])
    >>> run_codes(pa.chunked_array([[2, 0]]), whole_at_least_1=True) is None
    True
    """
    t = col.type
    if col.null_count or not (pa.types.is_integer(t) or pa.types.is_floating(t)):
        return None
    if pa.types.is_integer(t) and len(col):
        counted = _compact_integer_codes(col)
        if counted is not None:
            return None if whole_at_least_1 and counted[0][0] < 1 else counted
    parts = []
    for chunk in col.chunks:
        if len(chunk):
            encoded = pc.dictionary_encode(chunk)
            parts.append((to_numpy(encoded.dictionary).astype(np.float64), to_numpy(encoded.indices)))
    distinct = np.concatenate([values for values, _ in parts]) if parts else np.empty(0)
    if not np.isfinite(distinct).all():
        return None
    whole = bool(np.all(distinct == np.round(distinct)))
    if whole_at_least_1 and not (whole and (distinct >= 1).all()):
        return None
    keys = np.unique(distinct)
    dtype = np.int16 if len(keys) < np.iinfo(np.int16).max // 4 else np.int64  # room for key * splits + split
    codes = [np.searchsorted(keys, values).astype(dtype)[indices] for values, indices in parts]
    inverse = codes[0] if len(codes) == 1 else np.concatenate(codes) if codes else np.empty(0, dtype)
    return (keys.astype(np.int64) if whole else keys), inverse


SAMPLE_ROWS = 1 << 16  # rows whose values are looked up first, as a guess at the distinct values


def _compact_integer_codes(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`run_codes` of an integer column whose values span no more than its rows (or 64K)
    and fit a float exactly, without a hash: the values index a table of ranks. The distinct
    values are guessed from a strided sample and the bounds, then every row is looked up; a
    row the guess missed (its rank -1) has every value marked instead. ``None``: another
    column, for the hash.

    >>> keys, inverse = _compact_integer_codes(pa.chunked_array([[20, 10], [20, 30]]))
    >>> keys.tolist(), inverse.tolist()
    ([10, 20, 30], [1, 0, 1, 2])
    >>> import unittest.mock
    >>> with unittest.mock.patch(f"{__name__}.SAMPLE_ROWS", 1):  # a sample that misses 5 and 6
    ...     [a.tolist() for a in _compact_integer_codes(pa.chunked_array([[-7, 5, 6, 9, 9]]))]
    [[-7, 5, 6, 9], [0, 1, 2, 3, 3]]
    """
    bounds = pc.min_max(col)
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    if lo < -(1 << 53) or hi > 1 << 53 or hi - lo >= max(len(col), 1 << 16):
        return None  # far apart (a table as long as the rows or 64K at most), or not exact as floats
    base = 0 if lo >= 0 and hi < max(len(col), 1 << 16) else lo  # values index the table as they are
    values = [to_numpy(c) for c in col.chunks if len(c)]
    if base:
        values = [v.astype(np.int64) - base for v in values]
    seen = np.zeros(hi - base + 1, bool)
    seen[[lo - base, hi - base]] = True
    step = max(1, len(col) // SAMPLE_ROWS)
    for v in values:
        seen[v[::step]] = True
    for guess in (True, False):
        if not guess:  # a value the sample missed: mark them all
            for v in values:
                seen[v] = True
        n_keys = int(np.count_nonzero(seen))
        dtype = np.int16 if n_keys < np.iinfo(np.int16).max // 4 else np.int64  # as run_codes
        rank = np.where(seen, np.cumsum(seen) - 1, -1).astype(dtype)
        inverse = np.empty(len(col), dtype)
        start = 0
        for v in values:  # every value is in the table: "clip" clips nothing, and unlike "raise"
            np.take(rank, v, out=inverse[start:start + len(v)], mode="clip")  # writes straight to out
            start += len(v)
        if not guess or inverse.min() >= 0:
            break
    return np.flatnonzero(seen).astype(np.int64) + base, inverse


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


CHUNK_ROWS = 1 << 20  # a pass over 1M rows at a time: its temporaries stay in the cache


def chunked_bincount(codes: np.ndarray, minlength: int, weights: np.ndarray | None = None) -> np.ndarray:
    """``np.bincount(codes, weights, minlength)`` a million rows at a time: small codes are
    widened to intp (and weights summed) per chunk, not in one array as long as the column.
    Counts are exact; weighted sums are added chunk by chunk, so they equal the whole-array
    ``bincount`` whenever each sum is exact (0/1 weights, whole numbers below 2**53).

    >>> chunked_bincount(np.array([2, 0, 2], np.int16), 4).tolist()
    [1, 0, 2, 0]
    >>> import unittest.mock
    >>> with unittest.mock.patch(f"{__name__}.CHUNK_ROWS", 2):
    ...     chunked_bincount(np.array([1, 0, 4], np.int16), 2).tolist()
    [1, 1, 0, 0, 1]
    """
    if len(codes) <= CHUNK_ROWS:
        return np.bincount(codes, weights=weights, minlength=minlength)
    total = np.bincount(codes[:CHUNK_ROWS], weights=None if weights is None else weights[:CHUNK_ROWS],
                        minlength=minlength)
    for start in range(CHUNK_ROWS, len(codes), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        part = np.bincount(codes[start:stop], weights=None if weights is None else weights[start:stop],
                           minlength=len(total))
        if len(part) > len(total):  # a code above any seen so far
            total = np.concatenate([total, np.zeros(len(part) - len(total), total.dtype)])
        total += part
    return total


def _indices(order: np.ndarray) -> pa.Array:
    """An int64 numpy array as an Arrow array without a copy (``pa.array`` would import pandas)."""
    order = np.ascontiguousarray(order, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(order), [None, pa.py_buffer(order)])


@dataclass(frozen=True)
class CodedRows:
    """The rows of one curve table, validated as one table, with each row's group.

    ``pred`` holds every row of the kept splits, in file order; ``group[i]`` is row i's
    ``run index * len(splits) + split index``; ``keys`` are the runs' values ascending
    (Python numbers), ``counts`` the rows of each group.
    """

    pred: Predictions
    group: np.ndarray
    keys: tuple
    splits: tuple[str, ...]
    counts: np.ndarray

    def code(self, key_index: int, split: str) -> int:
        """The group code of a run (by its index in ``keys``) and split."""
        return key_index * len(self.splits) + self.splits.index(split)

    def rows_of(self, group: int) -> Predictions:
        """One group's rows as their own :class:`Predictions` (a copy of that group only).

        >>> t = pa.table({"split": ["train", "cv", "train", "cv"], "train_size": [10, 10, 20, 20],
        ...               "y_true": [0, 1, 1, 0], "y_score": [0.2, 0.9, 0.6, 0.3]})
        >>> coded = coded_rows(t, "f.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
        >>> p = coded.rows_of(coded.code(1, "cv"))
        >>> p.split, p.y_score.tolist(), p.row_numbers.tolist()
        ('cv', [0.3], [4])
        """
        idx = np.flatnonzero(self.group == group)
        p = self.pred
        rows = p.row_numbers[idx] if p.row_numbers is not None else idx + 1
        return replace(p, y_true=p.y_true[idx], y_score=None if p.y_score is None else p.y_score[idx],
                       y_pred=None if p.y_pred is None else p.y_pred[idx], split=self.splits[group % len(self.splits)],
                       table=None, slice_columns=(), row_numbers=rows)


def coded_rows(table: pa.Table, name: str, *, by: str, columns: Columns, task: str | None = None,
               positive_label: str | None = None, splits: Sequence[str] = SPLITS) -> CodedRows | None:
    """One curve table's rows of ``splits`` validated at once (the checks of
    :func:`~diagnose.ingest.load_runs`, row by row, with classes and task taken over all
    those rows as there), each row keeping its (run, split) group code.

    ``None`` when the table needs the group-by-group path: run values that are text or that
    the fast checks refuse, an ``id`` column (unique within each group) or a ``weight``
    column, multi-label rows, a run without train or cv rows, or fewer than 2 runs. An
    :class:`~diagnose.exceptions.InputError` raised here may name other rows than the
    group-by-group checks would: callers give the message of :func:`load_runs` instead.

    >>> t = pa.table({"split": ["train", "CV", "train", "cv", "test"], "train_size": [20, 20, 10, 10, 10],
    ...               "y_true": [0, 1, 1, 0, 1], "y_score": [0.2, 0.9, 0.6, 0.3, 0.5]})
    >>> coded = coded_rows(t, "f.csv", by="train_size", columns=Columns(), splits=("train", "cv"))
    >>> coded.keys, coded.group.tolist(), coded.counts.tolist(), coded.pred.n
    ((10, 20), [2, 3, 0, 1], [1, 1, 1, 1], 4)
    """
    cols = columns
    names = table.column_names
    if by not in names or cols.split not in names or cols.id in names or cols.weight in names:
        return None
    if (task or infer_task(names, cols)) == "multilabel":
        return None
    splits = tuple(splits)
    code = split_codes(Checker(table, name), cols, "split: train or cv", splits)
    fast = run_codes(table.column(by), whole_at_least_1=by == cols.train_size)
    if fast is None:
        return None
    keys, inverse = fast
    group = inverse  # run index * splits + split index, in place: no 20M-row temporaries
    group *= len(splits)
    group += code
    row_numbers = None
    table = table.drop_columns([cols.split])  # coded: not taken, not parsed
    if len(code) and code.min() < 0:  # rows of other splits: left out before anything is inferred
        kept = np.flatnonzero(code >= 0)
        table, group, row_numbers = table.take(_indices(kept)), group[kept], kept + 1
    counts = chunked_bincount(group, minlength=len(keys) * len(splits))
    per_run = counts.reshape(len(keys), len(splits))
    needed = [splits.index(s) for s in ("train", "cv") if s in splits]
    if len(keys) < 2 or len(needed) < 2 or not per_run[:, needed].all():
        return None  # load_runs names what is missing (or drops a run whose rows were all left out)
    raw = RawTable(table, name, splits[0], row_numbers)
    parsed, _ = parse_splits({(None, "rows"): raw}, task=task, columns=cols, positive_label=positive_label)
    pred = parsed[None, "rows"]
    if task_type(pred.task).multi_output:
        return None
    return CodedRows(pred, group, tuple(k.item() for k in keys), splits, counts)
