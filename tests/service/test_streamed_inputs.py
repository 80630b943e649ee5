"""The streaming engines' reading: spills of a pass for the next one, Dask tasks of whole row
groups, and what the streamed report imports (issue 15, performance part)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from diagnose.exceptions import InputError
from diagnose.ingest import Columns
from diagnose.service._dask import _piece_found, _pieces
from diagnose.service._inputs import Input, batches
from diagnose.stats import Plan

COLUMNS = ["y_true", "y_score"]


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y_true": rng.integers(0, 2, n), "y_score": rng.random(n)})


def test_a_csv_pass_is_read_again_from_its_spill(tmp_path, monkeypatch):
    from diagnose.service import _inputs

    monkeypatch.setattr(_inputs, "BATCH_ROWS", 64)
    path = tmp_path / "cv.csv"
    _frame(1000).to_csv(path, index=False)
    source = Input.of(str(path))
    first = [(p, row, b) for p, row, b in batches(source, COLUMNS, Columns())]
    assert len(first) == 16 and [row for _, row, _ in first][:3] == [1, 65, 129]
    path.write_text("y_true,y_score\nnot,read\n")  # the next pass must not parse the file again
    again = list(batches(source, COLUMNS, Columns()))
    assert [(p, row) for p, row, _ in again] == [(p, row) for p, row, _ in first]
    assert all(a.equals(b) for (_, _, a), (_, _, b) in zip(again, first))
    # other columns are a pass of their own, read from the file (one row now)
    assert [b.num_rows for _, _, b in batches(source, ["y_true"], Columns())] == [1]
    spill = source.spill
    files = [*(f"/proc/self/fd/{fd}" for fd in spill._fds), *spill._paths]
    assert len(files) == 2 and all(os.path.getsize(f) > 0 for f in files)
    if os.path.isdir("/proc/self/fd"):  # Linux: the files have no name, so a killed process leaves none
        assert spill._fds and not spill._paths
    del source, first, again, spill
    gc.collect()
    assert not any(os.path.exists(f) for f in files)  # the spill goes with its input


def test_a_pass_stopped_early_is_not_replayed(tmp_path):
    path = tmp_path / "cv.csv"
    _frame(10).to_csv(path, index=False)
    source = Input.of(str(path))
    read = batches(source, COLUMNS, Columns())
    next(read)
    read.close()
    assert source.spill.replay(COLUMNS) is None


def test_dask_tasks_are_whole_row_groups_with_their_first_row(tmp_path, monkeypatch):
    from diagnose.service import _dask

    monkeypatch.setattr(_dask, "PIECE_ROWS", 250)
    path = tmp_path / "cv.parquet"
    pq.write_table(pa.Table.from_pandas(_frame(1000), preserve_index=False), path, row_group_size=100)
    source = Input.of(str(path))
    pieces = _pieces(source, COLUMNS)
    assert [(groups, first) for _, groups, first in pieces] == [((0, 1), 1), ((2, 3), 201), ((4, 5), 401),
                                                               ((6, 7), 601), ((8, 9), 801)]
    assert _pieces(source, [*COLUMNS, "weight"]) is None  # a part without a column: dask.dataframe reads it
    assert _pieces(Input.of(str(tmp_path)), COLUMNS) is not None  # a folder of parts
    # a bad row is named by its row number in the file, not in the task
    bad = _frame(1000)
    bad.loc[457, "y_score"] = 1.5
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), path, row_group_size=100)
    _, groups, first = pieces[2]
    with pytest.raises(InputError) as caught:
        _piece_found(str(path), groups, first, COLUMNS, Plan("binary", "error_rate"), "cv")
    assert caught.value.rows == [458] and caught.value.column == "y_score"


def test_the_streamed_report_imports_no_pandas_sqlalchemy_scipy_or_dataset_scanner(tmp_path):
    """``diagnose report --engine arrow`` on local Parquet and CSV: the modules a streamed
    report does not need stay unimported (pyarrow.dataset imports pandas; scipy.special
    alone is a quarter of a second: the calibration and McNemar figures use the standard
    library's normal law and ``metrics.fair_coin_tail``; each is a third of a second of
    start-up)."""
    frame = _frame(2000, seed=3)
    for split in ("train", "cv", "test"):
        frame.to_parquet(tmp_path / f"{split}.parquet", index=False)
        frame.to_csv(tmp_path / f"{split}.csv", index=False)
    script = (
        "import sys, contextlib, io\n"
        "from diagnose.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(sys.argv[1:])\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "print(' '.join(sorted({m.split('.')[0] if m.startswith(('pandas', 'sqlalchemy', 'scipy')) else m\n"
        "                       for m in sys.modules if m.startswith(('pandas', 'sqlalchemy', 'pyarrow.dataset',\n"
        "                                                            'scipy'))})))\n"
    )
    for ext in ("parquet", "csv"):
        args = [f"--{s}={tmp_path / f'{s}.{ext}'}" for s in ("train", "cv", "test")]
        done = subprocess.run([sys.executable, "-c", script, "report", *args, "--baseline", "human=0.1",
                               "--engine", "arrow", "--format", "json"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "", (ext, done.stdout)


def test_a_whole_table_read_is_not_spilled(tmp_path):
    """Only the statistics' columns are kept for a next pass: a read of every column (a
    streamed submit's) would spill the whole table for nothing."""
    path = tmp_path / "cv.csv"
    frame = _frame(20)
    frame["id"] = range(20)
    frame.to_csv(path, index=False)
    source = Input.of(str(path))
    assert sum(b.num_rows for _, _, b in batches(source, ["id", *COLUMNS], Columns())) == 20
    assert source.spill.replay(["id", *COLUMNS]) is None and not source.spill._fds and not source.spill._paths


@pytest.mark.parametrize("name, content, problem", [
    ("empty.csv", b"", "the file is empty. Give a CSV or Parquet file"),  # the memory engine's words
    ("fake.parquet", b"not parquet at all", "cannot be read (Parquet magic bytes not found"),
])
def test_an_unreadable_file_is_an_input_error_on_the_streaming_engines(tmp_path, name, content, problem):
    from click.testing import CliRunner

    from diagnose.cli import main

    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["report", "--train", str(path), "--cv", str(path), "--engine", "arrow"])
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and problem in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_small_batches_reach_the_kernels_joined_into_chunks_of_batch_rows(tmp_path, monkeypatch, ext):
    """Row groups of 1,000 rows (or CSV blocks of a few hundred) are joined up to BATCH_ROWS
    rows before the kernels (fewer per-batch costs), never past it (a big batch is not
    copied); the rows and their numbers are unchanged."""
    import diagnose.service._inputs as inputs

    frame = _frame(5000, seed=4)
    path = tmp_path / f"cv.{ext}"
    if ext == "parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=1000)
    else:
        frame.to_csv(path, index=False)
        monkeypatch.setattr(inputs, "TEXT_BLOCK", 1 << 13)  # 8 KB blocks of text: about 400 rows each
    monkeypatch.setattr(inputs, "BATCH_ROWS", 2500)
    got = list(batches(Input.of(str(path)), COLUMNS, Columns()))
    sizes = [batch.num_rows for _, _, batch in got]
    assert sum(sizes) == 5000 and max(sizes) <= 2500 and len(sizes) <= 3
    if ext == "parquet":
        assert sizes == [2000, 2000, 1000]
    assert all(a + b > 2500 for a, b in zip(sizes, sizes[1:]))  # joined as far as they go
    assert [first for _, first, _ in got] == [1 + sum(sizes[:i]) for i in range(len(sizes))]
    whole = pa.Table.from_batches([batch for _, _, batch in got]).to_pandas()
    assert whole["y_score"].tolist() == frame["y_score"].tolist()
    assert whole["y_true"].astype(int).tolist() == frame["y_true"].tolist()  # a CSV's labels are read as text


@pytest.mark.parametrize("empty", ["cv", "test"])
def test_a_streamed_split_file_with_a_header_and_no_rows_gets_the_memory_engines_message(tmp_path, empty):
    from click.testing import CliRunner

    from diagnose.cli import main

    args = []
    for split in ("train", "cv", "test"):
        path = tmp_path / f"{split}.csv"
        (_frame(0) if split == empty else _frame(200, seed=5)).to_csv(path, index=False)
        args += [f"--{split}", str(path)]
    result = CliRunner().invoke(main, ["report", *args, "--engine", "arrow"])
    assert result.exit_code == 2, result.output
    assert f"{empty}.csv: has a header but no rows" in result.output and "Traceback" not in result.output
