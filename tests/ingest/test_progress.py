"""The progress bar: drawn on a terminal only (rows/s, ETA, at most ten redraws a second,
wiped at the end), never on a pipe, with DIAGNOSE_PROGRESS=0 or inside quiet_progress; user
text in it shown, not obeyed; the bar over a pass's files and over a whole-file read."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from diagnose.ingest import ProgressBar, _progress, progress_note, quiet_progress, read_table, tracked_batches
from diagnose.present import visible


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def ticking(step: float):
    """A clock that moves ``step`` seconds at each reading, from 0."""
    now = [-step]

    def clock() -> float:
        now[0] += step
        return now[0]
    return clock


def drawn(text: str) -> list[str]:
    """The lines drawn, in order (each redraw starts with a carriage return), without the wipe."""
    return [line.rstrip() for line in text.split("\r")[1:] if line.strip()]


def test_a_terminal_gets_amount_rate_and_eta_worked_out():
    out = Terminal()
    # the clock reads 0 at the start, 4 at the update: 1 GB of 4 GB in 4 s with 8M rows:
    # 2M rows/s, and 3 GB left at 0.25 GB/s is 12 s
    with ProgressBar("statistics of train.parquet", total=4e9, stream=out, clock=ticking(4.0)) as bar:
        bar.update(1e9, rows=8_000_000)
    lines = drawn(out.getvalue())
    assert lines == ["statistics of train.parquet  1.0 GB / 4.0 GB (25%)  2.0M rows/s  ETA 12 s"]
    assert out.getvalue().endswith("\r") and out.getvalue().split("\r")[-2].strip() == ""  # wiped


def test_the_eta_in_minutes_and_hours():
    out = Terminal()
    with ProgressBar("p", total=100, unit="rows", stream=out, clock=ticking(30.0)) as bar:
        bar.update(10)  # 10 rows in 30 s: 90 left take 270 s
        bar.update(12)  # 12 rows in 60 s: 88 left take 440 s
    assert [line.split("ETA ")[1] for line in drawn(out.getvalue())] == ["4 min 30 s", "7 min 20 s"]
    out = Terminal()
    with ProgressBar("p", total=1000, unit="rows", stream=out, clock=ticking(10.0)) as bar:
        bar.update(1)  # 999 rows left at 0.1 row/s: 9990 s = 2 h 46 min 30 s
    assert drawn(out.getvalue())[0].endswith("ETA 2 h 46 min")


def test_at_most_ten_redraws_a_second():
    out = Terminal()
    # 80 updates, one every 1/64 s (exact in binary): 1.25 s of work
    with ProgressBar("p", total=80, unit="rows", stream=out, clock=ticking(1 / 64)) as bar:
        for i in range(1, 81):
            bar.update(i)
    lines = drawn(out.getvalue())
    # a redraw needs 0.1 s since the last: every 7th tick (7/64 s), from the first update
    assert len(lines) == len(range(1, 81, 7)) == 12
    assert len(lines) <= 10 * 1.25 + 1


def test_nothing_is_written_when_the_stream_is_not_a_terminal():
    out = io.StringIO()
    with ProgressBar("p", total=10, stream=out, clock=ticking(1.0)) as bar:
        bar.update(5, rows=5)
    items = [("a.csv", 1, pa.record_batch({"y": [1, 2]}))]
    assert list(tracked_batches(items, ["a.csv"], "pass", stream=out)) == items
    progress_note("Dask dashboard: http://127.0.0.1:8787/status", out)
    assert out.getvalue() == ""


def test_the_setting_and_quiet_turn_it_off_on_a_terminal(monkeypatch):
    for off in ("0", "off", "false"):
        monkeypatch.setenv("DIAGNOSE_PROGRESS", off)
        out = Terminal()
        ProgressBar("p", total=10, stream=out).update(5)
        progress_note("note", out)
        assert out.getvalue() == ""
    monkeypatch.setenv("DIAGNOSE_PROGRESS", "1")
    out = Terminal()
    with quiet_progress():
        ProgressBar("p", total=10, stream=out).update(5)
    assert out.getvalue() == ""
    progress_note("note", out)  # after the block: shown again
    assert out.getvalue() == "note\n"


def test_user_text_is_shown_not_obeyed(monkeypatch):
    monkeypatch.setattr(_progress, "_columns", lambda stream: 500)
    out = Terminal()
    name = "cv\x1b[2J\x1b]0;owned\x07\nrm\r\x9b\udcff.csv"
    with ProgressBar(f"reading {name}", total=10, stream=out, clock=ticking(1.0)) as bar:
        bar.update(5)
    progress_note(f"Dask dashboard: {name}", out)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\udcff" not in text
    assert text.count("\n") == 1 and text.endswith(f"Dask dashboard: {visible(name)}\n")
    assert "\r" + "reading " + visible(name) in text  # every redraw is one line


@pytest.mark.parametrize("text", ["plain", "tab\there", "nl\n", "\x00\x1f\x7f\x80\x9f", "\ud800\udfff",
                                  "\ufffe\uffff", "é ü ✓ 日本", "\u202e\u2066\u2069\u061c\u200b\ufeff\u2028",
                                  "tag\U000e0041"])
def test_escapes_as_the_presenters_do(text):
    # one definition (diagnose._text, checked over every code point in tests/present/test_escape.py)
    # for the bar and the presenters: ingest sits below present, the definition below both
    assert _progress.terminal_safe(text) == visible(text)


def test_a_trojan_source_file_name_is_shown_in_its_stored_order(monkeypatch, tmp_path):
    """A file name holding a right-to-left override and a zero-width space: the bar's line and the
    note write them out (a terminal would show "cv_exe.csv" for "cv_\u202evsc.exe")."""
    monkeypatch.setattr(_progress, "_columns", lambda stream: 500)
    name = str(tmp_path / "cv_\u202evsc.exe\u200b.parquet")
    pq.write_table(pa.table({"y": list(range(50))}), name, row_group_size=10)
    out = Terminal()
    batches = [(name, 1 + 10 * i, pa.record_batch({"y": list(range(10))})) for i in range(5)]
    assert len(list(tracked_batches(batches, [name], f"reading {name}", stream=out, clock=ticking(1.0)))) == 5
    progress_note(f"done: {name}", out)
    text = out.getvalue()
    assert "\u202e" not in text and "\u200b" not in text
    shown = name.replace("\u202e", "\\u202e").replace("\u200b", "\\u200b")
    *bars, note = drawn(text)
    assert len(bars) == 5 and all(line.startswith(f"reading {shown}  ") for line in bars), bars
    assert note == f"done: {shown}" and text.endswith(f"done: {shown}\n")


def test_a_long_label_is_cut_in_the_middle_to_the_terminal_width(monkeypatch):
    monkeypatch.setattr(_progress, "_columns", lambda stream: 80)
    out = Terminal()
    label = "statistics of /data/" + "x" * 100 + "/train-0001.parquet"
    with ProgressBar(label, total=10, unit="rows", stream=out, clock=ticking(1.0)) as bar:
        bar.update(5)
    line = drawn(out.getvalue())[0]
    assert len(line) == 79 and "…" in line
    assert line.startswith("statistics of /data/xx") and line.split("  ")[0].endswith("x/train-0001.parquet")


def test_a_pass_over_files_moves_by_bytes_and_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(_progress, "COUNT_ROWS_ABOVE", 1)
    # two Parquet files of 60 and 20 rows, read in batches of 20: the bar after each batch
    # holds the bytes of the files done plus the current file's share of its rows
    frames = [pd.DataFrame({"y": np.arange(n, dtype=float)}) for n in (60, 20)]
    files = []
    for i, frame in enumerate(frames):
        files.append(str(tmp_path / f"part-{i}.parquet"))
        frame.to_parquet(files[-1])
    sizes = [pa.OSFile(f).size() for f in files]
    items = [(f, first, batch) for f in files
             for first, batch in zip((1, 21, 41), pq.ParquetFile(f).iter_batches(batch_size=20))]
    out = Terminal()
    seen = list(tracked_batches(items, files, "statistics of part-*.parquet", stream=out, clock=ticking(1.0)))
    assert seen == items
    lines = drawn(out.getvalue())
    done = [sizes[0] * k / 3 for k in (1, 2, 3)] + [sizes[0] + sizes[1]]
    total = sum(sizes)
    assert [re.search(r"\((\d+)%\)", line).group(1) for line in lines] == [f"{100 * d / total:.0f}" for d in done]
    rows = (20, 40, 60, 80)  # clock ticks once per draw after the start: elapsed 1, 2, 3, 4 s
    assert [re.search(r"  (\S+) rows/s", line).group(1) for line in lines] == [f"{r / (i + 1):.0f}"
                                                                               for i, r in enumerate(rows)]
    assert lines[-1].endswith("ETA 0 s")


def test_small_parts_move_the_bar_when_done(tmp_path):
    # parts under COUNT_ROWS_ABOVE bytes: no footer read; each counts when the next begins
    files = []
    for i in range(3):
        files.append(str(tmp_path / f"part-{i}.parquet"))
        pd.DataFrame({"y": np.arange(10.0)}).to_parquet(files[-1])
    sizes = [pa.OSFile(f).size() for f in files]
    items = [(f, 1, pa.record_batch({"y": np.arange(10.0)})) for f in files]
    out = Terminal()
    assert list(tracked_batches(items, files, "p", stream=out, clock=ticking(1.0))) == items
    shares = [re.search(r"\((\d+)%\)", line).group(1) for line in drawn(out.getvalue())]
    assert shares == [f"{100 * sum(sizes[:k]) / sum(sizes):.0f}" for k in range(3)]


def test_expected_rows_exact_for_parquet_and_close_for_a_big_csv(tmp_path, rng):
    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 20_000), "y_score": rng.random(20_000).round(6)})
    frame.to_parquet(tmp_path / "p.parquet")
    frame.to_csv(tmp_path / "c.csv", index=False)
    assert (tmp_path / "c.csv").stat().st_size > 1 << 16  # estimated from its first 64 kB
    assert _progress.expected_rows(str(tmp_path / "p.parquet")) == len(pd.read_parquet(tmp_path / "p.parquet"))
    estimate = _progress.expected_rows(str(tmp_path / "c.csv"))
    assert abs(estimate - len(pd.read_csv(tmp_path / "c.csv"))) < 0.02 * len(frame)
    assert _progress.expected_rows(str(tmp_path / "missing.parquet")) is None


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_reading_a_big_file_draws_a_bar_and_reads_the_same_table(tmp_path, rng, monkeypatch, fmt):
    from diagnose.ingest import _read

    frame = pd.DataFrame({"y_true": rng.integers(0, 2, 30_000).astype(str), "y_score": rng.random(30_000),
                          "note": np.where(rng.random(30_000) < 0.1, None, "a,b")})
    path = tmp_path / f"big.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, row_group_size=4_000)  # eight row groups: the bar moves eight times
    monkeypatch.setattr("sys.stderr", io.StringIO())
    plain, _ = read_table(str(path), text_columns=["y_true"])
    assert __import__("sys").stderr.getvalue() == ""  # not a terminal: no bar
    monkeypatch.setattr(_read, "BIG_READ", 1)
    monkeypatch.setattr(_progress, "EVERY", 0.0)
    monkeypatch.setattr(_progress, "_columns", lambda stream: 500)
    out = Terminal()
    monkeypatch.setattr("sys.stderr", out)
    table, _ = read_table(str(path), text_columns=["y_true"])
    assert table.equals(plain) and table.schema.equals(plain.schema, check_metadata=True)
    lines = drawn(out.getvalue())
    assert lines and all(line.startswith(f"reading {path}") for line in lines)
    assert "(100%)" in lines[-1] and ("rows/s" in lines[-1] if fmt == "parquet" else "B/s" in lines[-1])
    if fmt == "parquet":  # one redraw per row group: 4000 rows each, 2000 in the last
        shares = [re.search(r"\((\d+)%\)", line).group(1) for line in lines]
        assert shares == [f"{100 * min(4_000 * k, 30_000) / 30_000:.0f}" for k in range(1, 9)]
    assert out.getvalue().endswith("\r")  # wiped
