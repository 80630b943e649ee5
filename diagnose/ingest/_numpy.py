"""Arrow columns as numpy arrays, numeric ones straight from their buffers (pyarrow's own
``to_numpy`` imports pandas, a third of a second at the command line)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMPY_TYPES = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}


def to_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Arrow column -> numpy; numeric columns without nulls straight from their buffers.

    (pyarrow's own ``to_numpy`` imports pandas, a third of a second at the CLI.)

    >>> to_numpy(pa.chunked_array([[1, 2], [3]])).tolist(), to_numpy(pa.array([1.5, None])).tolist()
    ([1, 2, 3], [1.5, nan])
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    dtype = _NUMPY_TYPES.get(col.type)
    if dtype is not None and col.null_count == 0:
        parts = [np.frombuffer(ch.buffers()[1], dtype=dtype, count=len(ch), offset=ch.offset * np.dtype(dtype).itemsize)
                 for ch in chunks if len(ch)]
        if not parts:
            return np.empty(0, dtype=dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    if pa.types.is_boolean(col.type) and col.null_count == 0:
        return to_numpy(pc.cast(col, pa.int8())).astype(bool)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col.to_numpy(zero_copy_only=False)


def one_digit_bits(col: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The 0/1 labels of a text column whose every value is the one character ``0`` or ``1``
    (a CSV's labels, read as text), as int8, straight from the Arrow buffers: the same as
    casting the text to int8, at a small fraction of the cost. ``None`` for any other column
    (nulls, other values or lengths): the caller then casts.

    >>> one_digit_bits(pa.chunked_array([["0", "1"], ["1"]])).tolist(), one_digit_bits(pa.array(["1", "01"]))
    ([0, 1, 1], None)
    """
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) or col.null_count:
        return None
    offset_type = np.int32 if pa.types.is_string(col.type) else np.int64
    parts = []
    for ch in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
        n = len(ch)
        if not n:
            continue
        _, offsets_buffer, data = ch.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=offset_type, count=n + 1,
                                offset=ch.offset * np.dtype(offset_type).itemsize)
        start = int(offsets[0])
        if int(offsets[-1]) - start != n or np.any(np.diff(offsets) != 1):  # one byte each
            return None
        chars = np.frombuffer(data, dtype=np.uint8, count=n, offset=start)
        if np.any((chars | 1) != ord("1")):  # "0" is 48, "1" is 49: nothing else
            return None
        parts.append((chars & 1).astype(np.int8))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# The text of a 0/1 label, trimmed and lower-cased: a decimal number worth exactly 0 or 1, or a
# yes/no word. One rule for every value on its own, so that a row's reading never depends on
# the other values of its column or batch (and so never on the engine).
_ONE = r"^(\+?0*1(\.0*)?(e[+-]?0+)?|true|yes)$"
_ZERO = r"^([+-]?(0+\.?0*|\.0+)(e[+-]?[0-9]+)?|false|no)$"


def zero_one_text(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A text column read as 0/1 labels, value by value: ``(ones, known)``, where ``known``
    marks the values that spell 0 or 1 (``0``, ``1``, ``01``, ``1.0``, ``+1``, `` 1 ``, ``1e0``,
    ``True``, ``no``...) and ``ones`` those worth 1. Empty cells are not known.

    >>> ones, known = zero_one_text(pa.array(["1", " 01", "0.0", "TRUE", "no", "0x1", "1e5", None]))
    >>> ones.astype(int).tolist(), known.astype(int).tolist()
    ([1, 1, 0, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0, 0])
    """
    text = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    ones = to_numpy(pc.fill_null(pc.match_substring_regex(text, _ONE), False))
    zeros = to_numpy(pc.fill_null(pc.match_substring_regex(text, _ZERO), False))
    return ones, ones | zeros
