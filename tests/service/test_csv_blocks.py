"""A local CSV file parsed a block of text at a time (issue 15): the blocks end at line ends
and put the file back together byte for byte; the rows, types and messages are those of
pyarrow's read of the whole file, whatever the block size (blank lines, CRLF, quoted
commas, a line longer than a block, no newline at the end, a column whose type a later block
loosens, a bad line in a later block)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet  # noqa: F401  (pa.parquet)
import pytest
from pyarrow import csv

from diagnose.exceptions import InputError
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


# blank lines that fill whole text blocks (issue: the first block, all blank, had no header for
# pyarrow: "Empty CSV file or block"); the memory engine's read of the whole file skips them
BLOCK = 1 << 12


@pytest.fixture
def small_blocks(monkeypatch):
    from diagnose.service import _inputs

    monkeypatch.setattr(_inputs, "CSV_BLOCK", BLOCK)  # the first block, which types the columns
    monkeypatch.setattr(_inputs, "TEXT_BLOCK", BLOCK)  # the text parsed at a time
    monkeypatch.setattr(_inputs, "BATCH_ROWS", 37)


def _blank_lined(rng: np.random.Generator, layout: str, newline: bytes, n: int = 600,
                 bad: int | None = None, lead: int = 15 * BLOCK) -> bytes:
    """A binary split whose blank lines fill whole blocks where ``layout`` says: before the
    header (``lead`` bytes), between the rows, after them; the ids are integers, then text
    after the blank lines (a later block loosens their type); data row ``bad`` (from 1)
    holds a score out of [0, 1]."""
    rows = [b"%s,%d,%.3f" % (str(i).encode() if i < n - 50 else b"a-%d" % i, rng.integers(0, 2),
                             1.5 if i + 1 == bad else rng.random()) for i in range(n)]
    blank = {"lead": newline * (lead // len(newline)), "mid": newline * (3 * BLOCK // len(newline) + 5),
             "tail": newline * (3 * BLOCK // len(newline) + 5)}
    parts = [b"\xef\xbb\xbf" if "bom" in layout else b"", blank["lead"] if "lead" in layout else b"",
             b"id,y_true,y_score", *rows[: n // 2], blank["mid"] if "mid" in layout else b"", *rows[n // 2:],
             blank["tail"] if "tail" in layout else b""]
    return parts[0] + parts[1] + newline.join(p for p in parts[2:] if p) + newline


def _blank_blocks(path) -> list[int]:
    """The text blocks (numbered from 0) that hold blank lines only."""
    return [i for i, (_, b) in enumerate(text_blocks(str(path), size=BLOCK))
            if not b.to_pybytes().removeprefix(b"\xef\xbb\xbf").strip(b"\r\n")]


NEWLINES = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


@pytest.mark.parametrize("layout", ["lead", "mid", "tail", "bom-lead-mid-tail"])
@pytest.mark.parametrize("newline", NEWLINES)
def test_blank_lines_filling_blocks_give_the_memory_engines_rows_and_report(tmp_path, small_blocks, layout, newline):
    from diagnose.service import report
    from tests.stats.test_engines import check

    rng = np.random.default_rng(len(layout) + len(newline))
    paths = {}
    for split in ("train", "cv", "test"):
        paths[split] = str(tmp_path / f"{split}.csv")
        with open(paths[split], "wb") as f:
            f.write(_blank_lined(rng, layout, NEWLINES[newline]))
    blank = _blank_blocks(paths["cv"])
    # the case that failed: a whole block of blank lines, the first one when they lead
    assert blank and (0 in blank if "lead" in layout else 0 not in blank)
    header = min(set(range(blank[-1] + 2)) - set(blank))  # the header's block
    assert any(i > header for i in blank) == ("mid" in layout or "tail" in layout)
    # the memory engine's read (labels as text): blank lines skipped
    whole = csv.read_csv(paths["cv"], convert_options=csv.ConvertOptions(column_types={"y_true": pa.string()}))
    assert whole.num_rows == 600 and whole.column_names == ["id", "y_true", "y_score"]
    source = Input.of(paths["cv"])
    got = list(_csv_batches(source, paths["cv"], ["id", "y_true", "y_score"], Columns()))
    assert sum(b.num_rows for b in got) == 600 and all(b.num_rows for b in got)  # no empty batch
    assert got[-1].schema.field("id").type == source.csv_type("id", Columns()) == pa.string()  # loosened later
    for column in ("y_true", "y_score"):
        assert [v for b in got for v in b.column(column).to_pylist()] == whole.column(column).to_pylist()
    memory = report(**paths, engine="memory", bootstrap=40, seed=3)
    check(memory, report(**paths, engine="arrow", bootstrap=40, seed=3), "arrow")


@pytest.mark.parametrize("layout", ["lead", "mid", "lead-mid-tail"])
@pytest.mark.parametrize("newline", NEWLINES)
def test_a_bad_row_after_blank_blocks_is_named_by_the_memory_engines_row(tmp_path, small_blocks, layout, newline):
    """Rows are numbered as the memory engine numbers them: data rows from 1, blank lines not counted."""
    from diagnose.exceptions import InputError
    from diagnose.service import report

    rng = np.random.default_rng(7)
    train, cv = tmp_path / "train.csv", tmp_path / "cv.csv"
    train.write_bytes(_blank_lined(rng, "", b"\n"))
    cv.write_bytes(_blank_lined(rng, layout, NEWLINES[newline], bad=431))  # after the middle's blank lines
    messages = []
    for engine in ("memory", "arrow"):
        with pytest.raises(InputError) as caught:
            report(str(train), str(cv), engine=engine, bootstrap=0)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "'y_score'" in messages[0] and "row 431 holds 1.5" in messages[0]


@pytest.mark.parametrize("newline", NEWLINES)
def test_a_header_followed_by_blank_blocks_only_gets_the_memory_engines_message(tmp_path, small_blocks, newline):
    from diagnose.exceptions import InputError
    from diagnose.service import report

    train, cv = tmp_path / "train.csv", tmp_path / "cv.csv"
    train.write_bytes(_blank_lined(np.random.default_rng(1), "", b"\n"))
    cv.write_bytes(b"y_true,y_score" + NEWLINES[newline] * (3 * BLOCK))
    assert _blank_blocks(cv)[:2] == [1, 2]
    messages = []
    for engine in ("memory", "arrow"):
        with pytest.raises(InputError) as caught:
            report(str(train), str(cv), engine=engine, bootstrap=0)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] == f"{cv}: has a header but no rows. Add at least one row of predictions"


@pytest.mark.parametrize("newline", NEWLINES)
def test_blank_lines_before_the_header_longer_than_every_block_at_the_real_sizes(tmp_path, newline):
    """More blank lines before the header than a text block (8 MB), the first block that types
    the columns (4 MB) and pyarrow's own block that reads the header (1 MB): the streamed
    report is the memory engine's report of the same rows without them (pyarrow's read of a
    whole file finds no header in a first 1 MB
    block of blank lines) and of the file itself: the memory engine reads it from its header
    too (it called such a file empty: its first 64 kB are blank)."""
    from diagnose.service import _inputs, report
    from diagnose.service._csvtext import header
    from tests.stats.test_engines import check

    rng = np.random.default_rng(11)
    blank, clean = tmp_path / "blank", tmp_path / "clean"
    blank.mkdir(), clean.mkdir()
    for split in ("train", "cv"):
        rows = _blank_lined(rng, "mid", NEWLINES[newline])
        (clean / f"{split}.csv").write_bytes(rows)
        (blank / f"{split}.csv").write_bytes(NEWLINES[newline] * ((_inputs.TEXT_BLOCK + 7) // len(newline)) + rows)
    cv = str(blank / "cv.csv")
    assert _inputs.TEXT_BLOCK > _inputs.CSV_BLOCK > 1 << 20
    assert header(cv) == ["id", "y_true", "y_score"] == Input.of(cv).names(Columns())
    memory = report(str(clean / "train.csv"), str(clean / "cv.csv"), engine="memory", bootstrap=0)
    same = report(str(blank / "train.csv"), cv, engine="memory", bootstrap=0)
    assert same.to_dict()["splits"] == memory.to_dict()["splits"]
    check(memory, report(str(blank / "train.csv"), cv, engine="arrow", bootstrap=0), "arrow")


@pytest.mark.parametrize("text", [b"", b"\n\n\n", b"\xef\xbb\xbf\r\n\r\n", b"   \n", b"\n" * 70_000])
def test_an_empty_file_gets_the_same_message_on_every_engine(tmp_path, text):
    """No byte, blank lines only (a BOM before them), blanks only: 'the file is empty', as the
    memory engine says it (the streaming engines said pyarrow's 'Empty CSV file or block', or
    that the column of blanks lacked y_true)."""
    from diagnose.service import report

    train, cv = tmp_path / "train.csv", tmp_path / "cv.csv"
    train.write_bytes(b"y_true,y_score\n1,0.9\n0,0.2\n")
    cv.write_bytes(text)
    messages = []
    for engine in ("memory", "arrow"):
        with pytest.raises(InputError) as got:
            report(str(train), str(cv), engine=engine)
        messages.append(str(got.value))
    assert messages[0] == messages[1] and messages[0].startswith(f"{cv}: the file is empty. Give a CSV")


def test_the_streaming_engines_read_utf8_and_say_so(tmp_path):
    """A file that is not UTF-8 gets the memory engine's message (bytes in its first 64 kB, its
    row named); --encoding other than UTF-8 runs the memory engine under auto and is refused
    by name on a streaming engine, which reads CSV as UTF-8 (it read the bytes as UTF-8
    before, silently)."""
    from diagnose.exceptions import UsageError
    from diagnose.service import pick_engine, report

    path = tmp_path / "lat.csv"
    path.write_bytes(b"y_true,y_score,region\n1,0.9,caf\xe9\n0,0.2,nord\n1,0.7,caf\xe9\n0,0.4,nord\n")
    messages = []
    for engine in ("memory", "arrow"):
        with pytest.raises(InputError) as got:
            report(str(path), str(path), engine=engine)
        messages.append(str(got.value))
    assert messages[0] == messages[1] and "(byte 0xe9 on line 2, row 1)" in messages[0]
    assert pick_engine("auto", {"cv": str(path)}, "latin-1") == "memory"
    assert pick_engine("arrow", {"cv": str(tmp_path / "cv.parquet")}, "latin-1") == "arrow"
    parts = tmp_path / "parts"  # a folder of Parquet parts: no CSV, the encoding does not matter
    parts.mkdir()
    for i in range(2):
        pa.parquet.write_table(pa.table({"y_true": [0, 1], "y_score": [0.2, 0.8]}), parts / f"p{i}.parquet")
    assert pick_engine("auto", {"cv": str(parts)}, "latin-1") == pick_engine("auto", {"cv": str(parts)}) == "arrow"
    for engine, sources in (("dask", {"cv": str(path)}), ("auto", {"cv": str(tmp_path / "*.csv")})):
        with pytest.raises(UsageError, match="the streaming engines read CSV as UTF-8, not cp1252: use --engine"):
            pick_engine(engine, sources, "cp1252")  # asked for, or CSV parts (which the memory engine cannot read)
    assert report(str(path), str(path), engine="auto", encoding="latin-1").splits["cv"].n == 4


@pytest.mark.parametrize("at", [3, 2500])
def test_a_row_of_another_field_count_gets_the_memory_message(tmp_path, small_blocks, at):
    """A ragged row in the first block or in a later one (blocks of 4 KiB here): the streaming
    engine names it by row as the memory engine does (it gave pyarrow's parse error)."""
    from diagnose.service import report

    rows = [f"{i % 2},0.{i % 9 + 1}" for i in range(1, 3001)]
    rows[at - 1] += ",9"
    (tmp_path / "cv.csv").write_text("y_true,y_score\n" + "\n\n".join(rows) + "\n")  # blank lines between rows
    (tmp_path / "train.csv").write_text("y_true,y_score\n1,0.9\n0,0.2\n")
    messages = []
    for engine in ("memory", "arrow"):
        with pytest.raises(InputError) as got:
            report(str(tmp_path / "train.csv"), str(tmp_path / "cv.csv"), engine=engine)
        messages.append(str(got.value))
    assert messages[0] == messages[1]
    assert f"the header has 2 fields, some rows another count; row {at} holds 3" in messages[0]
