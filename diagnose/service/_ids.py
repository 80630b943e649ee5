"""Unique ids in bounded memory: the streamed submit's check of a split's id column.

A stored run needs each split's ids unique (tags and paired comparisons join on them); the
memory path sorts the whole column. Here every id becomes a 64-bit key, kept in memory up to
:data:`MEMORY_KEYS` keys and beyond that hash-partitioned into :data:`PARTS` temporary files
(8 bytes per row on disk); at the end each partition is sorted and checked on its own, so
memory holds one partition (1/64 of the keys) at a time. Integer ids map to their keys by
a bijection (splitmix64's finaliser), so equal keys are equal ids: the check is exact. Other
ids are hashed (pandas' ``hash_array``, 64 bits); equal keys are then confirmed on the ids
themselves by a second read of the column, which also finds the row numbers for the message
(it runs only when the first finds equal keys). Cost: one pass that hashes and appends keys,
then sorts of n/64 keys each, O(n log(n/64)); disk 8 bytes per row when the keys spill.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError
from ..ingest import mix64

MEMORY_KEYS = 1 << 23  # keys kept in memory before they spill to partitions (64 MB)
PARTS = 64
SHOWN = 5  # rows the message names


def keys_of(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit keys of ids: a bijection of integer ids (equal keys, equal ids), a hash of others.

    >>> keys_of(pa.array([1, 2, 1]))[[0, 2]].tolist() == keys_of(pa.array([1]))[[0, 0]].tolist()
    True
    """
    if pa.types.is_integer(ids.type):
        x = np.asarray(pc.cast(ids, pa.int64()).to_numpy(zero_copy_only=False)).view(np.uint64).copy()
        return mix64(x, copy=False)
    import pandas as pd

    values = ids.to_numpy(zero_copy_only=False)
    return pd.util.hash_array(np.asarray(values, dtype=object) if values.dtype == object else values)


class UniqueIds:
    """Feed a split's id column batch by batch (``add``), then ``check`` raises the memory
    path's InputError when an id repeats or is empty.

    >>> u = UniqueIds("cv.parquet", "id")
    >>> u.add(pa.array([3, 1, 2]), np.arange(1, 4)); u.add(pa.array([7, 1]), np.arange(4, 6))
    >>> u.check(lambda: iter([(np.arange(1, 4), pa.array([3, 1, 2])), (np.arange(4, 6), pa.array([7, 1]))]))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.parquet: column 'id' has duplicate ids; rows 2, 5 hold 1, 1. ...
    """

    def __init__(self, source: str, column: str) -> None:
        self.source, self.column = source, column
        self._memory: list[np.ndarray] = []
        self._held = 0
        self._folder: str | None = None
        self.rows = 0

    def add(self, ids: pa.Array | pa.ChunkedArray, rows: np.ndarray, part: str | None = None) -> None:
        """One batch's ids and their row numbers in the file (for messages); ``part``: the
        file of a folder or glob they come from (its rows are counted from its own start)."""
        if ids.null_count:
            empty = np.flatnonzero(np.asarray(ids.is_null().to_numpy(zero_copy_only=False)))
            raise InputError(f"column '{self.column}' has empty ids", file=part or self.source, column=self.column,
                             rows=rows[empty[:SHOWN]].tolist(), values=[None] * min(SHOWN, len(empty)),
                             n_bad=len(empty), fix="Give every row an id")
        keys = keys_of(ids)
        self.rows += len(keys)
        self._memory.append(keys)
        self._held += len(keys)
        if self._held > MEMORY_KEYS:
            self._spill()

    def _spill(self) -> None:
        if not self._memory:
            return
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="diagnose-ids-")
        keys = np.concatenate(self._memory)
        self._memory, self._held = [], 0
        part = (keys >> np.uint64(58)).astype(np.intp)  # the top 6 bits: 64 partitions
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(PARTS + 1))
        for p in range(PARTS):
            chunk = keys[order[bounds[p]:bounds[p + 1]]]
            if chunk.size:
                with open(os.path.join(self._folder, f"{p}.keys"), "ab") as f:
                    f.write(chunk.tobytes())

    def _repeated(self) -> np.ndarray:
        """The keys that occur more than once."""
        found = []
        if self._folder is None:
            groups: Iterator[np.ndarray] = iter([np.concatenate(self._memory)] if self._memory else [])
        else:
            self._spill()
            folder = self._folder
            groups = (np.fromfile(os.path.join(folder, f"{p}.keys"), dtype=np.uint64) for p in range(PARTS)
                      if os.path.exists(os.path.join(folder, f"{p}.keys")))
        for keys in groups:
            keys.sort()
            same = keys[1:] == keys[:-1]
            if same.any():
                found.append(np.unique(keys[1:][same]))
        return np.concatenate(found) if found else np.zeros(0, np.uint64)

    def check(self, reread: Callable[[], Iterator[tuple]]) -> None:
        """Raise if an id repeats; ``reread`` gives the column again as (row numbers, ids) or
        (row numbers, ids, part file) for the rows of the message (and to confirm hashed ids),
        only when keys repeat. Rows of several parts are named by part file and row:
        ``cv/part-0.csv row 7, cv/part-1.csv row 7 hold 7, 7``."""
        try:
            repeated = self._repeated()
        finally:
            self.close()
        if not repeated.size:
            return
        seen: dict = {}
        parts: dict[str, int] = {}  # part file -> its place in the input
        for numbers, ids, *part in reread():
            at = parts.setdefault(part[0] if part else self.source, len(parts))
            hit = np.flatnonzero(np.isin(keys_of(ids), repeated))
            for i in hit.tolist():
                seen.setdefault(ids[i].as_py(), []).append((at, int(numbers[i])))
        dup = sorted((where, value) for value, where in seen.items() if len(where) > 1)
        if not dup:
            return  # different ids whose hashes met
        found = sorted((place, value) for where, value in dup for place in where)  # (part, row) order
        shown = found[:SHOWN]
        fix = "Give each row of a split its own id"
        if len(parts) == 1 and self.source in parts:
            raise InputError(f"column '{self.column}' has duplicate ids", file=self.source, column=self.column,
                             rows=[row for (_, row), _ in shown], values=[v for _, v in shown], n_bad=len(found),
                             fix=fix)
        names = list(parts)
        where = ", ".join(f"{names[p]} row {row}" for (p, row), _ in shown)
        held = ", ".join(repr(v) if isinstance(v, (str, float)) else str(v) for _, v in shown)
        more = f" ({len(found)} rows in all)" if len(found) > len(shown) else ""
        raise InputError(f"column '{self.column}' has duplicate ids: {where} hold {held}{more}", file=self.source,
                         column=self.column, n_bad=len(found), fix=fix)

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._memory = []
