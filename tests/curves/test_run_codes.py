"""The run codes of a curve file's training-set sizes (or swept values) without a hash.

Oracle: ``np.unique(values, return_inverse=True)`` on the same values, and the hash path of
``run_codes`` (Arrow's ``dictionary_encode``), which a float column of the same values takes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from diagnose.ingest import _groups
from diagnose.ingest._groups import run_codes


def chunked(values: np.ndarray, pieces: int, arrow_type: pa.DataType) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(part, arrow_type) for part in np.array_split(values, pieces)], arrow_type)


def hashed(col: pa.ChunkedArray, at_least_1: bool):
    """The hash path: the same values as floats (which never take the table)."""
    return run_codes(col.cast(pa.float64(), safe=False), whole_at_least_1=at_least_1)


@pytest.mark.parametrize("arrow_type", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(),
                                        pa.uint32(), pa.uint64()])
@pytest.mark.parametrize("sample_rows", [1, 4, 1 << 16])  # a sample that misses values, or finds them all
def test_codes_equal_the_sorted_distinct_values_and_the_hash_path(arrow_type, sample_rows, monkeypatch):
    monkeypatch.setattr(_groups, "SAMPLE_ROWS", sample_rows)
    rng = np.random.default_rng(sample_rows)
    info = np.iinfo(arrow_type.to_pandas_dtype())
    low = max(int(info.min), -100)
    for _ in range(6):
        distinct = rng.choice(np.arange(low, min(int(info.max), 120) + 1), size=int(rng.integers(1, 12)),
                              replace=False)
        values = rng.choice(distinct, size=int(rng.integers(1, 3000)))
        col = chunked(values, int(rng.integers(1, 6)), arrow_type)
        for at_least_1 in (False, True):
            got = run_codes(col, whole_at_least_1=at_least_1)
            if at_least_1 and values.min() < 1:
                assert got is None and hashed(col, at_least_1) is None
                continue
            keys, inverse = np.unique(values, return_inverse=True)
            assert got is not None
            assert got[0].dtype == np.int64 and got[0].tolist() == keys.tolist()
            assert got[1].dtype == np.int16 and got[1].tolist() == inverse.tolist()
            want = hashed(col, at_least_1)
            assert want is not None and got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_many_distinct_values_widen_the_codes_as_the_hash_path_does():
    values = np.random.default_rng(1).permutation(np.repeat(np.arange(1, 10_001), 2))  # 10,000 sizes
    col = chunked(values, 3, pa.int64())
    keys, inverse = run_codes(col, whole_at_least_1=True)
    want = hashed(col, True)
    assert inverse.dtype == want[1].dtype == np.int64
    assert keys.tolist() == want[0].tolist() == list(range(1, 10_001)) and inverse.tolist() == (values - 1).tolist()


@pytest.mark.parametrize("values", [[1, 2, 3_000_000], [2 ** 60, 2 ** 60 + 1, 2 ** 60], [-(2 ** 62), 0, 5]])
def test_spread_out_or_huge_values_take_the_hash_path(values):
    """A span longer than the rows (and 64K), or values a float does not hold exactly: no table
    (the hash path gives what it always gave, floats' rounding included)."""
    col = pa.chunked_array([values], pa.int64())
    assert _groups._compact_integer_codes(col) is None
    got, want = run_codes(col, whole_at_least_1=False), hashed(col, False)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_negative_and_offset_values_are_ranked_from_their_lowest():
    values = np.array([1_000_000_005, 1_000_000_001, 1_000_000_005, 1_000_000_003])
    keys, inverse = _groups._compact_integer_codes(pa.chunked_array([values[:2], values[2:]]))
    assert keys.tolist() == [1_000_000_001, 1_000_000_003, 1_000_000_005] and inverse.tolist() == [2, 0, 2, 1]
    keys, inverse = _groups._compact_integer_codes(pa.chunked_array([[-128, 127, -1]], pa.int8()))
    assert keys.tolist() == [-128, -1, 127] and inverse.tolist() == [0, 2, 1]
