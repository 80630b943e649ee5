"""CSV column types of the streaming engines, as the memory engine types them: by the whole file.

``pyarrow``'s streaming CSV reader fixes each column's type by the first block (4 MB) and
refuses a later value of another kind (``CSV conversion error to int64: invalid value 'a-1'``).
The memory engine's ``pyarrow.csv.read_csv`` infers over the whole file: on such a value it
loosens the column's type along a fixed chain (:data:`CHAIN`: null, int64, bool, float64,
date32, time32, timestamp[s], timestamp[ns], string) until every value of the column converts.
The streaming reader here does the same without holding the file: on a conversion error the
column moves to the first later type of the chain that converts the value refused
(:func:`loosened`), and the pass reads on from the row it stopped at with the new type. The
rows before were converted with a narrower type that the new one contains (int64 -> float64,
anything -> string: :func:`contains`); a move to a type that does not contain the old one
(int64 -> bool, ...) is checked over the column from the start by the caller. So ids that are
integers for 4 MB and text later are text in every row, as the memory engine reads them, and
hash alike (:func:`diagnose.ingest.sample_keys` hashes text ids by their text).

The types found are kept per set of files (path, size, modification time) in :data:`_KNOWN`, so
that a second reading of the same files (the streamed submit's whole rows after its report)
starts with them.
"""
from __future__ import annotations

import io
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field

import pyarrow as pa

CHAIN: tuple[pa.DataType, ...] = (pa.null(), pa.int64(), pa.bool_(), pa.float64(), pa.date32(), pa.time32("s"),
                                  pa.timestamp("s"), pa.timestamp("ns"), pa.string())
_ERROR = re.compile(r"In CSV column #(\d+): CSV conversion error to [^:]+: invalid value '(.*)'\Z", re.S)
_KEEP = 32  # sets of files whose types are remembered


@dataclass
class CsvTypes:
    """The column types of one CSV input that differ from its first block's (``loosened``)
    and the columns converted over every row of its files without error (``checked``)."""

    loosened: dict[str, pa.DataType] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)


_KNOWN: OrderedDict[tuple, CsvTypes] = OrderedDict()


def known_types(files: tuple[str, ...]) -> CsvTypes:
    """The types found so far for these files (a new, empty record when they changed).

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("id\\n1\\n")
    >>> known_types((path,)) is known_types((path,))
    True
    """
    try:
        key = tuple((f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files)
    except OSError:
        return CsvTypes()
    found = _KNOWN.pop(key, None) or CsvTypes()
    _KNOWN[key] = found
    while len(_KNOWN) > _KEEP:
        _KNOWN.popitem(last=False)
    return found


def conversion_error(exc: BaseException) -> tuple[int, str] | None:
    """(column number in the file, from 0; the value refused) of a CSV conversion error.

    >>> conversion_error(pa.ArrowInvalid("In CSV column #0: CSV conversion error to int64: invalid value 'a-1'"))
    (0, 'a-1')
    >>> conversion_error(pa.ArrowInvalid("CSV parse error: Expected 3 columns, got 2")) is None
    True
    """
    found = _ERROR.match(str(exc).strip())
    return None if found is None else (int(found.group(1)), found.group(2))


def converts(value: str, type_: pa.DataType) -> bool:
    """Whether the CSV reader converts ``value`` (a cell's text) to ``type_``.

    >>> converts("12", pa.int64()), converts("a-1", pa.int64()), converts("1.5", pa.float64())
    (True, False, True)
    """
    from pyarrow import csv

    cell = '"' + value.replace('"', '""') + '"'
    try:
        csv.read_csv(io.BytesIO(f"x\n{cell}\n".encode()),
                     convert_options=csv.ConvertOptions(column_types={"x": type_}, strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
        return False
    return True


def loosened(current: pa.DataType, value: str) -> pa.DataType:
    """The first type after ``current`` in :data:`CHAIN` that converts ``value`` (a type not
    in the chain, such as a timestamp with a time zone, goes to text).

    >>> str(loosened(pa.int64(), "a-1")), str(loosened(pa.int64(), "0.5")), str(loosened(pa.null(), "7"))
    ('string', 'double', 'int64')
    """
    later = CHAIN[CHAIN.index(current) + 1:] if current in CHAIN else (pa.string(),)
    for candidate in later:
        if candidate == pa.string() or converts(value, candidate):
            return candidate
    return pa.string()


def contains(wide: pa.DataType, narrow: pa.DataType) -> bool:
    """Whether every cell ``narrow`` converts, ``wide`` converts too (so the rows already read
    need no second look): text holds everything, float64 every integer, any type the empty cells.

    >>> contains(pa.float64(), pa.int64()), contains(pa.bool_(), pa.int64()), contains(pa.string(), pa.float64())
    (True, False, True)
    """
    return wide == pa.string() or narrow == pa.null() or (wide == pa.float64() and narrow == pa.int64())
