"""Small record batches joined into chunks of about a million rows before the kernels.

A kernel pays a fixed cost per batch besides its cost per row: merging its statistics with
the others', and the calibration slope's sample (the distinct scores of smallest hash among
at least its 50,000 smallest, found, sorted and merged per batch). CSV text arrives in 4 MB
blocks (about 200,000 rows of a binary file), and a Parquet file may hold row groups of a few
thousand rows; joined, those batches cost what a million-row row group costs. The join
happens on the read-ahead thread (see ``_inputs._read_ahead``), beside the kernel.
"""
from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

# bytes a joined chunk may hold: a million rows of a binary file's few columns (about 13 MB),
# far fewer of a wide one (200 class columns: 20,000 rows), so memory stays bounded by bytes
CHUNK_BYTES = 32 << 20


def coalesced(batches: Iterator[pa.RecordBatch], rows: int, max_bytes: int | None = None
              ) -> Iterator[pa.RecordBatch]:
    """``batches`` in order, consecutive ones joined as long as they hold at most ``rows`` rows
    and ``max_bytes`` bytes (default :data:`CHUNK_BYTES`) together (a batch past either passes
    alone, uncopied), and only while the schema stays the same (a CSV column loosened to a
    wider type starts a new chunk). Empty batches are dropped.

    >>> parts = [pa.record_batch({"y": [i] * 3}) for i in range(5)]
    >>> [b.column(0).to_pylist() for b in coalesced(iter(parts), 7)]
    [[0, 0, 0, 1, 1, 1], [2, 2, 2, 3, 3, 3], [4, 4, 4]]
    >>> [b.num_rows for b in coalesced(iter(parts), 100, max_bytes=60)]  # 24 bytes a part
    [6, 6, 3]
    """
    limit = CHUNK_BYTES if max_bytes is None else max_bytes
    group: list[pa.RecordBatch] = []
    count = size = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        if group and (count + batch.num_rows > rows or size + batch.nbytes > limit
                      or not batch.schema.equals(group[0].schema)):
            yield joined(group)
            group, count, size = [], 0, 0
        group.append(batch)
        count += batch.num_rows
        size += batch.nbytes
    if group:
        yield joined(group)


def joined(group: list[pa.RecordBatch]) -> pa.RecordBatch:
    """One record batch of the rows of ``group`` (same schema), in order: the batch itself
    when there is one, else a copy into contiguous columns.

    >>> joined([pa.record_batch({"y": [1]}), pa.record_batch({"y": [2, 3]})]).column(0).to_pylist()
    [1, 2, 3]
    """
    if len(group) == 1:
        return group[0]
    table = pa.Table.from_batches(group).combine_chunks()
    return table.to_batches()[0]
