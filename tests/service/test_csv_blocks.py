"""A local CSV file parsed a block of text at a time (issue 15): the blocks end at line ends
and put the file back together byte for byte; the rows, types and messages are those of
pyarrow's read of the whole file, whatever the block size (blank lines, CRLF, quoted
commas, a line longer than a block, no newline at the end, a column whose type a later block
loosens, a bad line in a later block)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from pyarrow import csv

from diagnose.ingest import Columns
from diagnose.service._csvtext import csv_tables, text_blocks
from diagnose.service._inputs import Input, _csv_batches


def _text(rng: np.random.Generator, rows: int, newline: bytes = b"\n", tail: bool = True) -> bytes:
    lines = [b"id,y_true,y_score,note"]
    for i in range(rows):
        note = rng.choice([b"", b"plain", b'"a, quoted"', b"x" * int(rng.integers(50, 400))])
        lines.append(b"%d,%d,%.6f,%s" % (i, rng.integers(0, 2), rng.random(), note))
        if rng.random() < 0.05:
            lines.append(b"")  # a blank line: pyarrow skips it
    return newline.join(lines) + (newline if tail else b"")


@pytest.mark.parametrize("seed", range(6))
def test_blocks_end_at_line_ends_and_rebuild_the_file(tmp_path, seed):
    rng = np.random.default_rng(seed)
    data = _text(rng, 300, newline=[b"\n", b"\r\n", b"\r"][seed % 3], tail=seed % 2 != 0)
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    size = int(rng.integers(16, 300))  # some lines are longer than a block
    blocks = list(text_blocks(str(path), size=size))
    assert b"".join(b.to_pybytes() for _, b in blocks) == data
    assert [at for at, _ in blocks] == list(np.cumsum([0] + [b.size for _, b in blocks[:-1]]))
    assert all(b.to_pybytes().endswith((b"\n", b"\r")) for _, b in blocks[:-1])

    def last_end(at: int) -> int:  # the last line end (\n, or \r alone) within `size` bytes from `at`
        return max(data.rfind(b"\n", at, at + size), data.rfind(b"\r", at, at + size))

    for at, b in blocks[:-1]:  # each ends at the last line end within `size` bytes (or a longer line's)
        text = b.to_pybytes()
        assert at + b.size == last_end(at) + 1 if last_end(at) >= 0 else min(
            i for i in (text.find(b"\n"), text.find(b"\r")) if i >= 0) >= size
    assert any(last_end(at) < 0 for at, _ in blocks[:-1])  # a line longer than a block
    start = blocks[len(blocks) // 2][0]  # read on from a block's start: the same blocks from there
    assert [at for at, _ in text_blocks(str(path), size=size, start=start)] == [at for at, _ in blocks if at >= start]


@pytest.mark.parametrize("seed", range(6))
def test_the_rows_are_those_of_the_whole_files_read(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    path = tmp_path / "a.csv"
    path.write_bytes(_text(rng, 400, newline=[b"\n", b"\r\n", b"\r"][seed % 3], tail=seed % 2 != 0))
    types = {"id": pa.int64(), "y_true": pa.string(), "y_score": pa.float64(), "note": pa.string()}
    convert = csv.ConvertOptions(column_types=types, strings_can_be_null=True)
    whole = csv.read_csv(path, convert_options=convert)
    names = ["id", "y_true", "y_score", "note"]
    tables = list(csv_tables(str(path), convert, lambda: names, size=int(rng.integers(40, 3000))))
    assert len(tables) > 3
    assert pa.concat_tables([t for _, t in tables]).equals(whole)
    # and through the engines' reader: the columns asked for, in batches, the same rows
    got = pa.Table.from_batches(list(_csv_batches(Input.of(str(path)), str(path), ["y_true", "y_score"], Columns(),
                                                  block_size=1000)))
    assert got.column("y_score").to_pylist() == whole.column("y_score").to_pylist()
    assert got.column("y_true").to_pylist() == whole.column("y_true").to_pylist()


def test_a_type_loosened_by_a_later_block_is_the_whole_files_type(tmp_path, monkeypatch):
    from diagnose.service import _inputs

    monkeypatch.setattr(_inputs, "CSV_BLOCK", 1 << 10)  # the first 1 KiB types the columns
    rows = [f"{i},{i % 2},0.5" for i in range(2000)] + ["17.5,1,0.25", "18,0,0.75"]
    path = tmp_path / "a.csv"
    path.write_text("id,y_true,y_score\n" + "\n".join(rows) + "\n")
    source = Input.of(str(path))
    assert source.csv_type("id", Columns()) == pa.int64()  # the first block's type: integers
    got = list(_csv_batches(source, str(path), ["id", "y_score"], Columns(), block_size=512))
    whole = csv.read_csv(path)
    # the rows before the block that needed it keep their type (the same numbers), the rest read on loosened
    assert got[0].schema.field("id").type == pa.int64()
    assert got[-1].schema.field("id").type == whole.schema.field("id").type == pa.float64()
    assert source.csv_type("id", Columns()) == pa.float64()
    assert [v for b in got for v in b.column("id").cast(pa.float64()).to_pylist()] == whole.column("id").to_pylist()
    assert sum(b.num_rows for b in got) == 2002


def test_a_bad_line_in_a_later_block_gets_pyarrows_message(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("y_true,y_score\n" + "1,0.5\n" * 3000 + "1,0.5,7\n" + "0,0.25\n" * 10)
    with pytest.raises(pa.ArrowInvalid) as whole:
        csv.read_csv(path)
    with pytest.raises(pa.ArrowInvalid) as blocks:
        list(_csv_batches(Input.of(str(path)), str(path), ["y_true", "y_score"], Columns(), block_size=256))
    assert str(blocks.value) == str(whole.value) == "CSV parse error: Expected 2 columns, got 3: 1,0.5,7"


def test_a_file_whose_lines_end_in_a_bare_carriage_return_is_still_read_in_blocks(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"y_true,y_score\r" + b"1,0.5\r0,0.25\r" * 20_000)
    blocks = list(text_blocks(str(path), size=4096))
    assert len(blocks) > 50 and max(b.size for _, b in blocks) <= 4096
    got = pa.Table.from_batches(list(_csv_batches(Input.of(str(path)), str(path), ["y_true", "y_score"], Columns(),
                                                  block_size=4096)))
    assert got.num_rows == 40_000 and got.column("y_score").to_pylist() == [0.5, 0.25] * 20_000


def test_a_line_longer_than_pyarrows_own_block_is_read(tmp_path):
    """pyarrow refuses a line longer than its block size (1 MB here): that text block is
    parsed again as one, as the streaming reader before it read such files."""
    path = tmp_path / "a.csv"
    path.write_text("y_true,y_score,note\n" + "1,0.5,x\n" * 100 + "0,0.25," + "y" * (2 << 20) + "\n" + "1,0.75,z\n")
    got = pa.Table.from_batches(list(_csv_batches(Input.of(str(path)), str(path), ["y_true", "y_score"], Columns())))
    assert got.column("y_score").to_pylist() == [0.5] * 100 + [0.25, 0.75]
