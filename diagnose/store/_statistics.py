"""Statistics as stored: frozen dataclasses of numpy arrays and plain values, as bytes.

A blob is ``DGS1``, the length of a JSON header (4 bytes, little-endian), the header, then
the arrays' raw little-endian bytes, zlib-compressed (a 65,536-bucket histogram is mostly
zeros). The header holds the structure: JSON scalars for ``None``, bools, ints, floats
(``repr`` round-trips every float exactly, non-finite ones as ``Infinity``/``NaN``) and
strings; lists for tuples; ``{"@class": name, "@fields": {...}}`` for a dataclass named in
the caller's registry; ``{"@array": i}`` for the i-th array, whose dtype and shape the
header lists. Nothing is pickled: reading builds only registered classes, from checked
values (each field against its annotation), and arrays of whitelisted numeric dtypes whose
byte length matches their shape. Anything else in a blob is a :class:`DiagnoseError`, as for
a stored table that no longer matches its hash.
"""
from __future__ import annotations

import dataclasses
import json
import math
import struct
import types
import typing
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..exceptions import DiagnoseError

CODEC_VERSION = 1  # stored beside each blob: a reader refuses versions it does not know
MAGIC = b"DGS1"
# little-endian numeric dtypes only: no objects, no strings, no structured or big-endian types
DTYPES = frozenset({"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"})
MAX_ARRAY_BYTES = 1 << 30  # all arrays of one blob together, unpacked: a bound a hostile blob cannot raise
MAX_HEADER_BYTES = 1 << 24
MAX_DEPTH = 24


class Registry:
    """The classes a blob may hold, by name (their ``__name__``): nothing else is ever built.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Point:
    ...     x: float
    ...     tag: str | None = None
    >>> reg = Registry([Point])
    >>> decode_value(encode_value(Point(0.1, "a"), reg), reg, what="demo")
    Point(x=0.1, tag='a')
    """

    def __init__(self, classes: Iterable[type]) -> None:
        self.classes: dict[str, type] = {}
        for cls in classes:
            if not dataclasses.is_dataclass(cls) or any(not f.init for f in dataclasses.fields(cls)):
                raise TypeError(f"{cls!r} is not a dataclass whose fields are all set by its constructor")
            self.classes[cls.__name__] = cls
        self._hints: dict[str, dict[str, Any] | None] = {}

    def hints(self, name: str) -> dict[str, Any] | None:
        """The annotations of the fields of class ``name`` (None when they cannot be resolved)."""
        if name not in self._hints:
            try:
                self._hints[name] = typing.get_type_hints(self.classes[name])
            except Exception:  # noqa: BLE001 - a name only imported for type checking: no check
                self._hints[name] = None
        return self._hints[name]


def encode_value(value: Any, registry: Registry) -> bytes:
    """The bytes of ``value`` (see the module's notes); a class not in ``registry`` is a TypeError.

    >>> reg = Registry([])
    >>> blob = encode_value((1, 2.5, None, "x", np.arange(3, dtype=np.int64)), reg)
    >>> blob[:4], decode_value(blob, reg, what="demo")[:4]
    (b'DGS1', (1, 2.5, None, 'x'))
    """
    arrays: list[np.ndarray] = []

    def node(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return float(v) if isinstance(v, float) else v
        if isinstance(v, np.generic):
            return node(v.item())
        if isinstance(v, np.ndarray):
            a = np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<"), copy=False)
            if a.dtype.str not in DTYPES:
                raise TypeError(f"arrays of dtype {v.dtype} are not stored")
            arrays.append(a)
            return {"@array": len(arrays) - 1}
        if isinstance(v, tuple):
            return [node(x) for x in v]
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            name = type(v).__name__
            if registry.classes.get(name) is not type(v):
                raise TypeError(f"class {name} is not in the statistics registry")
            return {"@class": name, "@fields": {f.name: node(getattr(v, f.name)) for f in dataclasses.fields(v)}}
        raise TypeError(f"a {type(v).__name__} is not stored (frozen dataclasses, arrays, tuples, numbers, text)")

    root = node(value)
    header = json.dumps({"root": root, "arrays": [[a.dtype.str, list(a.shape)] for a in arrays]},
                        separators=(",", ":")).encode()
    if len(header) > MAX_HEADER_BYTES:  # what decode_value would refuse (thousands of classes)
        raise StatisticsTooLarge(f"the statistics' header takes {len(header):,} bytes, above {MAX_HEADER_BYTES:,}")
    body = zlib.compress(b"".join(a.tobytes() for a in arrays), 1)
    return MAGIC + struct.pack("<I", len(header)) + header + body


class StatisticsTooLarge(ValueError):
    """Statistics the reader would refuse: the run is stored without them (pages read its rows)."""


def decode_value(data: bytes, registry: Registry, *, what: str) -> Any:
    """The value of a blob of :func:`encode_value`; anything malformed is a DiagnoseError naming ``what``.

    >>> decode_value(b"DGS1junk", Registry([]), what="demo/r1:cv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.DiagnoseError: the stored statistics of demo/r1:cv cannot be read (...); ...
    """
    try:
        return _decode(bytes(data), registry)
    except _Bad as exc:
        raise DiagnoseError(f"the stored statistics of {what} cannot be read ({exc}); they were damaged "
                            "or written by another program: delete the run and submit it again") from None


class _Bad(Exception):
    pass


def _decode(data: bytes, registry: Registry) -> Any:
    if len(data) < 8 or data[:4] != MAGIC:
        raise _Bad("not a statistics blob")
    (size,) = struct.unpack("<I", data[4:8])
    if size > MAX_HEADER_BYTES or 8 + size > len(data):
        raise _Bad("its header is cut short")
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Bad("its header is not JSON") from None
    if not (isinstance(header, dict) and set(header) == {"root", "arrays"} and isinstance(header["arrays"], list)):
        raise _Bad("its header lacks the root or the arrays")
    specs = [_array_spec(spec) for spec in header["arrays"]]
    total = sum(n for _, _, n in specs)
    if total > MAX_ARRAY_BYTES:
        raise _Bad("its arrays are too large")
    try:
        inflate = zlib.decompressobj()
        body = inflate.decompress(data[8 + size:], total + 1)
    except zlib.error:
        raise _Bad("its arrays are not zlib data") from None
    if len(body) != total or not inflate.eof or inflate.unconsumed_tail or inflate.unused_data:
        raise _Bad(f"its arrays take {len(body)}{'+' if len(body) > total else ''} bytes, not the {total} "
                   "their shapes need")
    arrays, at = [], 0
    for dtype, shape, n in specs:
        arrays.append(np.frombuffer(body, dtype=dtype, count=n // dtype.itemsize, offset=at).reshape(shape).copy())
        at += n
    return _build(header["root"], arrays, registry, 0)


def _array_spec(spec: Any) -> tuple[np.dtype, tuple[int, ...], int]:
    if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], list)):
        raise _Bad("an array's dtype and shape are malformed")
    if spec[0] not in DTYPES:
        raise _Bad(f"an array has dtype {spec[0][:20]!r}, which is not stored")
    shape = spec[1]
    if len(shape) > 8 or not all(type(d) is int and 0 <= d <= MAX_ARRAY_BYTES for d in shape):
        raise _Bad("an array's shape is not a list of sizes")
    dtype = np.dtype(spec[0])
    return dtype, tuple(shape), math.prod(shape) * dtype.itemsize


def _build(node: Any, arrays: list[np.ndarray], registry: Registry, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Bad("it nests too deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return tuple(_build(x, arrays, registry, depth + 1) for x in node)
    if isinstance(node, dict) and set(node) == {"@array"}:
        i = node["@array"]
        if type(i) is not int or not 0 <= i < len(arrays):
            raise _Bad("it refers to an array it does not hold")
        return arrays[i]
    if isinstance(node, dict) and set(node) == {"@class", "@fields"} and isinstance(node["@fields"], dict):
        name = node["@class"]
        cls = registry.classes.get(name) if isinstance(name, str) else None
        if cls is None:
            raise _Bad(f"it names class {str(name)[:40]!r}, which is not stored")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(node["@fields"]) - set(fields)
        missing = [n for n, f in fields.items() if n not in node["@fields"]
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if unknown or missing:
            raise _Bad(f"its {name} has fields {sorted(unknown)[:3]} it should not have or lacks {missing[:3]}")
        values = {k: _build(v, arrays, registry, depth + 1) for k, v in node["@fields"].items()}
        hints = registry.hints(name)
        for k, v in values.items():
            if hints is not None and k in hints and not _conforms(v, hints[k]):
                raise _Bad(f"its {name}.{k} is a {type(v).__name__}, not a {_shown(hints[k])}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise _Bad(f"its {name} is refused: {exc}") from None
    raise _Bad("it holds a value of no stored kind")


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a decoded value fits a field's annotation (unknown annotations accept anything)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, h) for h in typing.get_args(hint))
    if hint is type(None) or hint is None:
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (bool, str):
        return isinstance(value, hint)
    if hint is np.ndarray or origin is np.ndarray:
        return isinstance(value, np.ndarray)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(args) == len(value) and all(_conforms(v, a) for v, a in zip(value, args))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint)
    return True


def _shown(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def same(a: Any, b: Any) -> bool:
    """Equality to the bit: arrays by dtype, shape and bytes, floats by their bit pattern
    (NaN equals NaN, 0.0 is not -0.0), dataclasses field by field (``eq=False`` ones too).

    >>> same((0.0, np.zeros(2)), (0.0, np.zeros(2))), same(0.0, -0.0), same(np.zeros(2), np.zeros(2, np.float32))
    (True, False, False)
    """
    a = a.item() if isinstance(a, np.generic) else a
    b = b.item() if isinstance(b, np.generic) else b
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return bool(a == b)
