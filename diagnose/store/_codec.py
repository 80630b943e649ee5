"""Prediction tables as stored: Parquet bytes (zstd) keyed by their sha256."""
from __future__ import annotations

import hashlib

import pyarrow as pa

from ..exceptions import InputError
from ._values import Encoded

# the most one stored split may take: SQLite's default limit on a value (SQLITE_MAX_LENGTH,
# 1e9 bytes); PostgreSQL's bytea holds up to 1 GiB
MAX_BLOB_BYTES = 1_000_000_000


def check_blob_size(n_bytes: int, *, source: str, split: str) -> None:
    """Refuse a split whose stored form would exceed what the database keeps in one value.

    >>> check_blob_size(2_000_000_000, source="cv.csv", split="cv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: the cv split takes 2 GB as stored, above the store's limit of 1 GB ...
    """
    if n_bytes > MAX_BLOB_BYTES:
        raise InputError(f"the {split} split takes {n_bytes / 1e9:.3g} GB as stored, above the store's limit of "
                         f"{MAX_BLOB_BYTES / 1e9:g} GB per split", file=source,
                         fix="Split the file into runs of fewer rows (or drop columns the diagnosis does not use) "
                         "and submit them apart")


def writer_options(schema: pa.Schema) -> dict:
    """How stored tables are written (``pyarrow.parquet`` options): byte-stream-split floats and
    delta-packed integers, dictionaries for the rest, then zstd; this wrote a 1M-row split twice
    as fast as the defaults and smaller (benchmarks/bench_submit.py).

    >>> writer_options(pa.schema({"y": pa.float64(), "id": pa.int64()}))["column_encoding"]
    {'y': 'BYTE_STREAM_SPLIT', 'id': 'DELTA_BINARY_PACKED'}
    """
    encodings, dictionary = {}, []
    for f in schema:
        if pa.types.is_float32(f.type) or pa.types.is_float64(f.type):
            encodings[f.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_integer(f.type):
            encodings[f.name] = "DELTA_BINARY_PACKED"
        else:
            dictionary.append(f.name)
    return {"compression": "zstd", "use_dictionary": dictionary, "column_encoding": encodings or None,
            "write_statistics": False}


def encode_table(table: pa.Table) -> Encoded:
    """Parquet bytes of a prediction table and their sha256 (the blob key).

    >>> e = encode_table(pa.table({"y_true": [0, 1], "y_score": [0.2, 0.9]}))
    >>> e.n_rows, len(e.content_hash), e.data[:4]
    (2, 64, b'PAR1')
    """
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    try:
        pq.write_table(table, sink, **writer_options(table.schema))
    except (pa.ArrowException, ValueError):  # a type these encodings do not take: defaults
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    return Encoded(content_hash=hashlib.sha256(data).hexdigest(), data=data, n_rows=table.num_rows)


def decode_table(data: bytes) -> pa.Table:
    """Read stored Parquet bytes back into an Arrow table.

    >>> decode_table(encode_table(pa.table({"y": [1, 2]})).data).num_rows
    2
    """
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(data))
