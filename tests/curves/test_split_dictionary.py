"""A file's split column read dictionary-encoded on the curve path (only its few names are
coded), Parquet and CSV, against the same file read as plain text.

Oracle: the same file read by ``read_table`` without the option (the split column as the
text the file holds) and given to the same functions: curves equal to the last bit
(``to_dict()``), split codes equal, and every bad-input message equal character for
character (rows and values named as before). A file whose split column is its own
categories (pandas categories, stored dictionary-encoded) stays untrimmed as before.
Seeded, a few thousand rows in several row groups.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from diagnose.curves import learning_curve_from_runs
from diagnose.exceptions import InputError
from diagnose.ingest import Columns, coded_rows, load_runs, read_table
from diagnose.ingest._checks import Checker
from diagnose.ingest._groups import split_codes
from diagnose.ingest._read import read_as_dictionary
from diagnose.service import learning_curve, validation_curve

LABELS = np.array(["train", "Train", " TRAIN", "cv", "CV ", "Cv", "test", "Test"])


def _write(tmp_path, split, by: str = "train_size", name: str = "runs.parquet", categories: bool = False,
           fmt: str = "parquet"):
    rng = np.random.default_rng(7)
    n = len(split)
    y = rng.integers(0, 2, n)
    column = pa.array(split)
    table = pa.table({"split": column.dictionary_encode() if categories else column,
                      by: np.array([100, 200, 400])[rng.integers(0, 3, n)],
                      "y_true": y, "y_score": np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1).round(4)})
    path = tmp_path / name
    if fmt == "csv":
        from pyarrow import csv

        path = path.with_suffix(".csv")
        csv.write_csv(table, path)
        return path
    pq.write_table(table, path, row_group_size=700)
    return path


def _split(n: int, seed: int = 3) -> list:
    return LABELS[np.random.default_rng(seed).integers(0, len(LABELS), n)].tolist()


def test_read_option_gives_a_marked_dictionary_and_nothing_else_changes(tmp_path):
    path = _write(tmp_path, _split(3000))
    plain, _ = read_table(path)
    coded, _ = read_table(path, dictionary_columns=["split", "y_score", "missing"])
    assert pa.types.is_string(plain.schema.field("split").type)
    assert read_as_dictionary(coded.schema.field("split"))
    assert not read_as_dictionary(coded.schema.field("y_score"))  # not text: read as it is
    assert coded.column("split").cast(pa.string()).to_pylist() == plain.column("split").to_pylist()
    assert coded.drop_columns(["split"]).equals(plain.drop_columns(["split"]))
    # a CSV's split column is read so too, whatever its values look like (numbers are text here)
    csv = tmp_path / "runs.csv"
    csv.write_text("split,train_size,y_true,y_score\ntrain,1,0,0.5\n2,1,0,0.5\n,1,0,0.5\n")
    coded, _ = read_table(csv, dictionary_columns=["split", "missing"])
    assert read_as_dictionary(coded.schema.field("split"))
    assert coded.column("split").cast(pa.string()).to_pylist() == ["train", "2", None]
    assert pa.types.is_string(read_table(csv, text_columns=["split"], dictionary_columns=["split"])[0]
                              .schema.field("split").type)  # text columns keep their kind


def test_split_codes_of_the_dictionary_equal_the_text_path(tmp_path, monkeypatch):
    path = _write(tmp_path, _split(3000))
    plain, _ = read_table(path)
    coded, _ = read_table(path, dictionary_columns=["split"])
    for splits in (("train", "cv"), ("train", "cv", "test")):
        want = split_codes(Checker(plain, "f"), Columns(), "split", splits)
        with monkeypatch.context() as m:  # names trimmed per dictionary value: no row-by-row pass
            m.setattr(Checker, "split_labels", lambda *a: pytest.fail("row by row"))
            got = split_codes(Checker(coded, "f"), Columns(), "split", splits)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        a = coded_rows(coded, "f", by="train_size", columns=Columns(), splits=splits)
        b = coded_rows(plain, "f", by="train_size", columns=Columns(), splits=splits)
        assert np.array_equal(a.group, b.group) and np.array_equal(a.counts, b.counts)
        assert np.array_equal(a.pred.row_numbers, b.pred.row_numbers)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_curves_from_the_file_equal_the_plain_read(tmp_path, fmt):
    path = _write(tmp_path, _split(3000), fmt=fmt)
    plain = read_table(path)
    for metric in ("error_rate", "log_loss"):
        runs = load_runs([plain], by="train_size", splits=("train", "cv"))
        assert learning_curve(path, metric=metric).to_dict() == learning_curve_from_runs(runs, metric=metric).to_dict()
    vpath = _write(tmp_path, _split(3000, seed=4), by="param_lambda", name="val.parquet", fmt=fmt)
    vplain, _ = read_table(vpath)
    assert validation_curve(vpath, param="lambda").to_dict() == validation_curve(vplain, param="lambda").to_dict()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("bad", ["valid", " valid ", "", "   ", None, "2"])
def test_bad_split_names_give_the_plain_message(tmp_path, bad, fmt):
    split = _split(3000)
    for row in (4, 1500, 2999):  # 0-based: rows 5, 1501 and 3000 of the file
        split[row] = bad
    path = _write(tmp_path, split, fmt=fmt)
    plain = read_table(path)
    with pytest.raises(InputError) as want:
        load_runs([plain], by="train_size", splits=("train", "cv"))
    with pytest.raises(InputError) as got:
        learning_curve(path)
    assert str(got.value) == str(want.value)
    assert "5" in str(want.value)
    with pytest.raises(InputError) as got_direct:
        coded = read_table(path, dictionary_columns=["split"])[0]
        split_codes(Checker(coded, str(path)), Columns(), "split: train or cv")
    with pytest.raises(InputError) as want_direct:
        split_codes(Checker(plain[0], str(path)), Columns(), "split: train or cv")
    assert str(got_direct.value) == str(want_direct.value)


def test_a_files_own_categories_are_not_trimmed_as_before(tmp_path):
    path = _write(tmp_path, _split(300), categories=True)  # " TRAIN" and "CV " are categories here
    table, _ = read_table(path, dictionary_columns=["split"])
    assert pa.types.is_dictionary(table.schema.field("split").type)
    assert not read_as_dictionary(table.schema.field("split"))
    with pytest.raises(InputError) as got:
        learning_curve(path)
    with pytest.raises(InputError) as want:
        load_runs([read_table(path)], by="train_size", splits=("train", "cv"))
    assert str(got.value) == str(want.value) and "must hold train, cv or test" in str(got.value)


def test_the_read_shown_by_a_progress_bar_reads_the_dictionary_too(tmp_path, monkeypatch):
    import io

    from diagnose.ingest._progress import ProgressBar
    from diagnose.ingest._read import _File, _read_parquet

    path = _write(tmp_path, _split(3000))
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("DIAGNOSE_PROGRESS", raising=False)
    bar = ProgressBar("reading", total=path.stat().st_size, stream=Terminal())
    assert bar.active
    table = _read_parquet(_File(path, str(path)), str(path), bar, ("split",))
    plain, _ = read_table(path)
    assert read_as_dictionary(table.schema.field("split"))
    assert bar.rows == 3000  # moved row group by row group
    assert table.column("split").cast(pa.string()).to_pylist() == plain.column("split").to_pylist()
    assert table.drop_columns(["split"]).equals(plain.drop_columns(["split"]))
