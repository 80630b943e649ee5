"""Reading and validation: every bad input gets one clear message and exit code 2."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import diagnose
from diagnose.cli import main
from diagnose.exceptions import InputError
from diagnose.ingest import load_predictions, load_splits

GOOD = "id,y_true,y_score\n1,0,0.1\n2,1,0.8\n3,1,0.4\n4,0,0.3\n"


def write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def run_report(tmp_path, cv_text=None, *, cv_bytes=None, train_text=GOOD, extra=()):
    train = write(tmp_path, "train.csv", train_text)
    if cv_bytes is not None:
        cv = write(tmp_path, "cv.csv", cv_bytes, mode="wb")
    else:
        cv = write(tmp_path, "cv.csv", cv_text)
    return CliRunner().invoke(main, ["report", "--train", train, "--cv", cv, *extra])


def assert_bad(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = result.stderr if hasattr(result, "stderr") else result.output
    for fragment in fragments:
        assert fragment in text, text
    assert result.stdout == ""


@pytest.mark.parametrize(
    "cv_text, fragments",
    [
        ("id,y_true,y_score\n", ["cv.csv", "header but no rows"]),
        ("id,y_true\n1,0\n2,1\n", ["cv.csv", "missing column 'y_score'", "--column"]),
        ("id,y_true,y_score\n1,0,0.1\n2,,0.8\n3,1,0.4\n", ["cv.csv", "'y_true'", "empty", "row 2"]),
        ("id,y_true,y_score\n1,0,0.1\n2,1,\n3,1,0.4\n", ["cv.csv", "'y_score'", "empty", "row 2"]),
        ("id,y_true,y_score\n1,0,0.1\n2,1,NaN\n3,1,0.4\n", ["cv.csv", "'y_score'", "NaN", "row 2"]),
        ("id,y_true,y_score\n1,0,0.1\n2,1,high\n3,1,0.4\n", ["cv.csv", "'y_score'", "text", "row 2", "'high'"]),
        ("id,y_true,y_score\n1,0,1.3\n2,1,0.8\n3,1,-0.2\n",
         ["cv.csv", "'y_score' must lie in [0, 1]", "rows 1, 3 hold 1.3, -0.2"]),
        ("id,y_true,y_score\n1,0,0.1\n1,1,0.8\n3,1,0.4\n", ["cv.csv", "duplicate ids", "rows 1, 2 hold 1, 1"]),
        ("id,y_true,y_score\n1,0,0.1\n2,2,0.8\n", ["cv.csv", "'y_true' must hold 0 or 1", "row 2 holds '2'"]),
        ("id,y_true,y_score\n1,cat,0.1\n2,dog,0.8\n", ["cv.csv", "class names", "--positive-label"]),
    ],
)
def test_bad_cv_file_gets_one_clear_message(tmp_path, cv_text, fragments):
    assert_bad(run_report(tmp_path, cv_text), *fragments)


def test_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["report", "--train", str(tmp_path / "nope.csv"),
                                       "--cv", str(tmp_path / "nope.csv")])
    assert_bad(result, "nope.csv", "file not found")


def test_empty_file(tmp_path):
    assert_bad(run_report(tmp_path, ""), "cv.csv", "empty")


def test_binary_content(tmp_path):
    assert_bad(run_report(tmp_path, cv_bytes=b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR\x00\x01"),
               "cv.csv", "binary content")


def test_not_utf8_names_the_line_and_the_fix(tmp_path):
    text = "id,y_true,y_score,note\n1,0,0.1,caf\xe9\n2,1,0.8,ok\n".encode("latin-1")
    assert_bad(run_report(tmp_path, cv_bytes=text), "cv.csv", "UTF-8", "line 2", "--encoding")
    # and the fix works
    result = run_report(tmp_path, cv_bytes=text, train_text=GOOD, extra=["--encoding", "latin-1"])
    assert result.exit_code == 0, result.output


def test_probabilities_must_sum_to_one(tmp_path):
    train = "y_true,y_prob_a,y_prob_b,y_prob_c\na,0.8,0.1,0.1\nb,0.1,0.8,0.1\nc,0.1,0.1,0.8\n"
    cv = "y_true,y_prob_a,y_prob_b,y_prob_c\na,0.8,0.1,0.1\nb,0.5,0.8,0.1\nc,0.1,0.1,0.8\n"
    assert_bad(run_report(tmp_path, cv, train_text=train), "cv.csv", "sum to 1", "row 2 holds 1.4")


def test_rounding_within_tolerance_is_accepted(tmp_path):
    train = "y_true,y_prob_a,y_prob_b\na,0.3334,0.6667\nb,0.6667,0.3334\n"
    result = run_report(tmp_path, train, train_text=train)
    assert result.exit_code == 0, result.output


def test_unseen_class_in_cv_is_a_warning(tmp_path):
    train = "y_true,y_pred\na,a\nb,b\na,b\nb,b\n"
    cv = "y_true,y_pred\na,a\nc,b\nc,c\n"
    result = run_report(tmp_path, cv, train_text=train, extra=["--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    assert report["task"] == "multiclass"
    assert any("c appear in cv (2 rows) but never in train" in w for w in report["warnings"])


def test_input_error_is_a_value_error_with_details(tmp_path):
    path = write(tmp_path, "cv.csv", "id,y_true,y_score\n1,0,1.5\n")
    with pytest.raises(ValueError) as info:
        load_predictions(path)
    err = info.value
    assert isinstance(err, diagnose.DiagnoseError) and isinstance(err, InputError)
    assert (err.file, err.column, err.rows, err.values) == (path, "y_score", [1], [1.5])
    assert err.fix


def test_only_first_five_rows_are_listed(tmp_path):
    rows = "".join(f"{i},0,{1 + i}\n" for i in range(1, 9))
    path = write(tmp_path, "cv.csv", "id,y_true,y_score\n" + rows)
    with pytest.raises(InputError) as info:
        load_predictions(path)
    assert info.value.rows == [1, 2, 3, 4, 5] and "(8 rows in all)" in str(info.value)


# ------------------------------------------------------------------ formats and tasks


def test_task_inference():
    base = {"y_true": [0, 1, 1]}
    assert load_predictions(pd.DataFrame({**base, "y_score": [0.2, 0.7, 0.9]})).task == "binary"
    assert load_predictions(pd.DataFrame({**base, "y_pred": [0, 1, 0]})).task == "binary"
    assert load_predictions(pd.DataFrame({"y_true": ["a", "b", "c"], "y_pred": ["a", "b", "b"]})).task == "multiclass"
    assert load_predictions(pd.DataFrame({"y_true": [1.5, 2.5, 3.0], "y_pred": [1.0, 2.0, 3.5]})).task == "regression"
    ml = pd.DataFrame({"y_true_a": [0, 1], "y_score_a": [0.1, 0.9], "y_true_b": [1, 1], "y_score_b": [0.6, 0.7]})
    p = load_predictions(ml)
    assert p.task == "multilabel" and p.classes == ("a", "b") and p.y_true.shape == (2, 2)
    forced = load_predictions(pd.DataFrame({"y_true": [1, 2, 3], "y_pred": [1, 2, 2]}), task="regression")
    assert forced.task == "regression"


def test_positive_label_and_booleans():
    p = load_predictions(pd.DataFrame({"y_true": ["benign", "malignant", "benign"], "y_score": [0.1, 0.9, 0.3]}),
                         positive_label="malignant")
    assert p.y_true.tolist() == [0, 1, 0]
    b = load_predictions(pd.DataFrame({"y_true": [True, False], "y_score": [0.9, 0.1]}))
    assert b.y_true.tolist() == [1, 0]
    t = load_predictions(pd.DataFrame({"y_true": ["yes", "no"], "y_score": [0.9, 0.1]}))
    assert t.y_true.tolist() == [1, 0]


def test_columns_can_be_remapped(tmp_path):
    path = write(tmp_path, "cv.csv", "key,label,prob\n1,0,0.1\n2,1,0.8\n")
    p = load_predictions(path, columns={"y_true": "label", "y_score": "prob", "id": "key"})
    assert p.y_true.tolist() == [0, 1] and p.ids.tolist() == [1, 2]
    result = CliRunner().invoke(main, ["report", "--train", path, "--cv", path, "--column", "y_true=label",
                                       "--column", "y_score=prob", "--column", "id=key"])
    assert result.exit_code == 0, result.output


def test_one_file_with_a_split_column(tmp_path):
    df = pd.DataFrame({"split": ["train", "train", "cv", "cv", "test"], "y_true": [0, 1, 0, 1, 1],
                       "y_score": [0.1, 0.9, 0.6, 0.9, 0.2], "id": [1, 2, 1, 2, 1]})
    path = tmp_path / "all.csv"
    df.to_csv(path, index=False)
    s = load_splits(data=str(path))
    assert (s.train.n, s.cv.n, s.test.n) == (2, 2, 1)
    bad = df.assign(split=["train", "train", "cv", "valid", "test"])
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="row 4 holds 'valid'"):
        load_splits(data=str(path))


def test_csv_parquet_and_dataframe_agree(tmp_path, rng):
    from tests.fixtures import binary_frame

    train, cv = binary_frame(rng, 300), binary_frame(rng, 200, signal=0.3)
    train.to_csv(tmp_path / "train.csv", index=False)
    cv.to_csv(tmp_path / "cv.csv", index=False)
    train.to_parquet(tmp_path / "train.parquet")
    cv.to_parquet(tmp_path / "cv.parquet")
    reports = [
        diagnose.report(train=train, cv=cv, baselines={"human": 0.05}),
        diagnose.report(train=str(tmp_path / "train.csv"), cv=str(tmp_path / "cv.csv"), baselines={"human": 0.05}),
        diagnose.report(train=str(tmp_path / "train.parquet"), cv=str(tmp_path / "cv.parquet"),
                        baselines={"human": 0.05}),
    ]
    dicts = [r.to_dict() for r in reports]
    assert dicts[0] == dicts[1] == dicts[2]


def test_classes_line_up_across_splits_by_name():
    # the same classes in another column order, and string vs integer labels
    train = pd.DataFrame({"y_true": [0, 1, 2], "y_prob_0": [0.8, 0.1, 0.1], "y_prob_1": [0.1, 0.8, 0.1],
                          "y_prob_2": [0.1, 0.1, 0.8]})
    s = load_splits(train=train, cv=train)
    assert s.train.classes == ("0", "1", "2") and s.cv.y_true.tolist() == [0, 1, 2]
    cv = train.rename(columns={"y_prob_2": "y_prob_9"})
    with pytest.raises(InputError, match="same y_prob_<class> columns"):
        load_splits(train=train, cv=cv)


def test_weights_are_validated():
    df = pd.DataFrame({"y_true": [0, 1], "y_score": [0.1, 0.9], "weight": [1.0, -2.0]})
    with pytest.raises(InputError, match="'weight' must not be negative"):
        load_predictions(df)


def test_slice_columns_are_kept(tmp_path):
    df = pd.DataFrame({"y_true": [0, 1], "y_score": [0.1, 0.9], "region": ["eu", "us"], "age": [30, 40]})
    p = load_predictions(df)
    assert p.slice_columns == ("region", "age")
    assert p.slices()["region"].tolist() == ["eu", "us"]
    assert np.array_equal(p.column("age"), [30, 40])


def test_curve_runs_are_not_taken_for_one_run(sample_dir):
    result = CliRunner().invoke(main, ["report", "--data", str(sample_dir / "curves" / "validation_lambda.csv")])
    assert_bad(result, "validation_lambda.csv", "holds 8 runs", "'param_lambda'",
               "diagnose curve validation FILE --param lambda")


def test_split_file_holding_other_splits_is_refused(tmp_path):
    both = "split,y_true,y_score\ntrain,0,0.1\ncv,1,0.8\ntrain,1,0.7\n"
    result = run_report(tmp_path, GOOD, train_text=both)
    assert_bad(result, "train.csv", "given as the train split", "row 2 holds 'cv'", "--data")
    own = "split,y_true,y_score\ncv,0,0.1\ncv,1,0.8\n"
    assert run_report(tmp_path, own).exit_code == 0


def test_data_and_split_files_together_is_bad_usage(tmp_path):
    path = write(tmp_path, "cv.csv", GOOD)
    result = CliRunner().invoke(main, ["report", "--data", path, "--train", path, "--cv", path])
    assert result.exit_code == 2 and "not both" in result.output


def test_unknown_positive_label_is_refused(tmp_path):
    text = "y_true,y_score\nbenign,0.1\nmalignant,0.8\n"
    result = run_report(tmp_path, text, train_text=text, extra=["--positive-label", "cancer"])
    assert_bad(result, "'cancer' never occurs", "'benign', 'malignant'")


def test_positive_label_names_the_other_class():
    p = load_splits(train=pd.DataFrame({"y_true": ["benign", "malignant"], "y_score": [0.2, 0.9]}),
                    cv=pd.DataFrame({"y_true": ["benign", "benign"], "y_score": [0.2, 0.4]}),
                    positive_label="malignant")
    assert p.cv.classes == ("benign", "malignant")


def test_ragged_rows_are_numbered(tmp_path):
    text = "id,y_true,y_score\n1,0,0.1\n2,1,0.8,extra\n3,1,0.4\n4,0\n"
    assert_bad(run_report(tmp_path, text), "cv.csv", "header has 3 fields", "rows 2, 4 hold 4, 2")


def test_semicolon_separated_file_gets_a_hint(tmp_path):
    text = "id;y_true;y_score\n1;0;0.1\n2;1;0.8\n"
    assert_bad(run_report(tmp_path, text), "cv.csv", "separated by ';'")


def test_empty_cells_read_as_empty(tmp_path):
    text = "id,y_true,y_score\n1,,0.1\n2,1,0.8\n3,,0.4\n"
    assert_bad(run_report(tmp_path, text), "rows 1, 3 are empty")


def test_one_split_is_taken_from_a_file_with_a_split_column():
    df = pd.DataFrame({"split": ["train", "cv", "cv", "test"], "y_true": [0, 1, 0, 1],
                       "y_score": [0.1, 0.8, 0.3, 0.6]})
    p = load_predictions(df, split="cv")
    assert p.n == 2 and p.y_true.tolist() == [1, 0] and p.row_numbers.tolist() == [2, 3]
    with pytest.raises(InputError, match="no cv rows"):
        load_predictions(df[df.split != "cv"], split="cv")


# ------------------------------------------------------------------ uploads held in memory


def _upload(data: bytes, name: str):
    import io

    f = io.BytesIO(data)
    f.name = name
    return f


def test_upload_in_memory_reads_like_the_file(tmp_path, sample_dir):
    from diagnose.ingest import read_table

    path = sample_dir / "breast_cancer" / "cv.csv"
    table, name = read_table(_upload(path.read_bytes(), "cv.csv"))
    assert name == "cv.csv"
    assert table.equals(read_table(str(path))[0])
    frame = pd.read_csv(path)
    pq_path = tmp_path / "cv.parquet"
    frame.to_parquet(pq_path)
    table, name = read_table(_upload(pq_path.read_bytes(), "upload.parquet"))
    assert name == "upload.parquet" and table.num_rows == len(frame)


@pytest.mark.parametrize("data, words", [
    (b"", "the file is empty"),
    (b"id,y_true,y_score\n", "has a header but no rows"),
    (b"id,y_true,y_score\n1,0,0.1\n2,1,0.8,extra\n", "row 2 holds 4"),
    (b"id,y_true,y_score\n1,0,0.1\n2,1,caf\xe9\n", "is not valid UTF-8"),
    (b"PAR1 not really parquet", "cannot be read as Parquet"),
])
def test_bad_upload_names_the_upload(data, words):
    from diagnose.ingest import read_table

    with pytest.raises(InputError) as err:
        read_table(_upload(data, "mine.csv"))
    assert str(err.value).startswith("mine.csv: ") and words in str(err.value)


def test_uploads_validate_into_splits(sample_dir):
    folder = sample_dir / "breast_cancer"
    files = {s: _upload((folder / f"{s}.csv").read_bytes(), f"{s}.csv") for s in ("train", "cv")}
    splits = load_splits(files["train"], files["cv"])
    assert splits.cv.source == "cv.csv" and splits.cv.n == len(pd.read_csv(folder / "cv.csv"))


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_one_character_labels_read_from_the_buffers_equal_arrows_cast(kind):
    from diagnose.ingest._numpy import one_digit_bits

    rng = np.random.default_rng(7)
    text = rng.integers(0, 2, 5000).astype(str)
    col = pa.array(text.tolist(), kind)
    want = pc.cast(col, pa.int8()).to_numpy()
    assert one_digit_bits(col).tolist() == want.tolist()
    # slices (an offset into the buffers) and several chunks
    assert one_digit_bits(col.slice(17, 300)).tolist() == want[17:317].tolist()
    assert one_digit_bits(pa.chunked_array([col.slice(0, 10), col.slice(10, 90)])).tolist() == want[:100].tolist()
    # anything else is left to the cast (and its messages): other digits, blanks, padding, nulls
    for values in (["0", "2"], ["0", " "], ["1", " 1"], ["01", "1"], ["", "11"], ["1", None], ["a", "1"]):
        assert one_digit_bits(pa.array(values, kind)) is None, values
    assert one_digit_bits(pa.array([0, 1])) is None


def _zero_one_oracle(text: str) -> int | None:
    """A 0/1 label's spelling by Python's Decimal: a decimal number worth 0 (any exponent) or
    worth 1 with an exponent worth 0; yes/no words; surrounding blanks ignored, any case."""
    from decimal import Decimal, InvalidOperation

    t = text.strip().lower()
    if t in ("true", "yes", "false", "no"):
        return int(t in ("true", "yes"))
    if not t or set(t) - set("0123456789+-.e"):
        return None  # Decimal also reads nan, inf and underscores: not labels
    mantissa, _, exponent = t.partition("e")
    try:
        m = Decimal(mantissa)
        e = Decimal(exponent) if "e" in t else Decimal(0)
    except InvalidOperation:
        return None
    if "." in exponent or "e" in exponent:  # one exponent, a whole number
        return None
    if m == 0:
        return 0
    return 1 if m == 1 and e == 0 and not mantissa.startswith("-") else None


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(st.lists(st.one_of(st.text(alphabet="01 2.+-eE", max_size=7),
                          st.sampled_from(["True", " no ", "YES", "false", "0x1", "nan", "inf", "1_0", "١"])),
                min_size=1, max_size=30))
def test_zero_one_text_agrees_with_decimal(values):
    from diagnose.ingest._numpy import zero_one_text

    ones, known = zero_one_text(pa.array(values, pa.string()))
    want = [_zero_one_oracle(v) for v in values]
    assert known.tolist() == [w is not None for w in want], values
    assert [int(o) for o, w in zip(ones, want) if w is not None] == [w for w in want if w is not None], values


@pytest.mark.parametrize("lead", [b"\n" * 70_000, b"\xef\xbb\xbf" + b"\r\n" * 600_000, b"\r" * 10])
def test_blank_lines_before_the_header_are_skipped_however_many(tmp_path, lead):
    """pyarrow skips blank lines, but finds no header in a first block (1 MB) of them, and the
    emptiness check looked at the first 64 kB only: the table is the one without them, from a
    file and from an upload; a file of blank lines alone is empty."""
    import io

    from diagnose.ingest import read_table

    body = b"y_true,y_score\n1,0.9\n\n0,0.2\n"
    (tmp_path / "a.csv").write_bytes(lead + body)
    want, _ = read_table(io.BytesIO(body))
    assert read_table(tmp_path / "a.csv")[0].equals(want)
    upload = io.BytesIO(lead + body)
    upload.name = "up.csv"
    assert read_table(upload)[0].equals(want)
    (tmp_path / "b.csv").write_bytes(lead)
    with pytest.raises(InputError, match="b.csv: the file is empty"):
        read_table(tmp_path / "b.csv")


def _rows_file(bad: bytes = b"") -> bytes:
    """A header and 100 rows of (y_true, y_score), row 40 replaced by ``bad`` when given."""
    rows = [b"%d,0.%d" % (i % 2, i % 9 + 1) for i in range(1, 101)]
    if bad:
        rows[39] = bad
    return b"y_true,y_score\n" + b"\n".join(rows) + b"\n"


@pytest.mark.parametrize("lead", [b"\n\n", b"\r\n" * 40_000, b"\xef\xbb\xbf\n\n"])
@pytest.mark.parametrize("bad", [b"1,0.5,9", b"1,0.\xe95", b"1,0.5\n\n"])
def test_messages_name_the_same_row_whatever_blank_lines_come_first(tmp_path, lead, bad):
    """Rows are numbered from 1 after the header, blank lines not counted (as the reader and
    every other message number them): a ragged row or a bad byte is named by the same row with
    blank lines before the header as without them; a blank line inside the rows changes no
    row's number."""
    from diagnose.ingest import read_table

    plain, padded = tmp_path / "plain.csv", tmp_path / "padded.csv"
    plain.write_bytes(_rows_file(bad))
    padded.write_bytes(lead + _rows_file(bad))
    if bad.endswith(b"\n\n"):  # a blank line among the rows: read, the same rows
        assert read_table(padded)[0].equals(read_table(plain)[0])
        return
    messages = []
    for path in (plain, padded):
        with pytest.raises(InputError) as got:
            read_table(path)
        messages.append(str(got.value).replace(str(path), "F"))
    assert "row 40" in messages[0]
    # the same row; the line (and a byte's offset, named past the first 64 kB) differ by the blank lines
    assert re.sub(r"( at offset \d+)|(line \d+)", "", messages[0]) == re.sub(r"( at offset \d+)|(line \d+)", "",
                                                                            messages[1])


def test_odd_encodings_and_a_lone_bom_get_their_messages(tmp_path):
    """A byte order mark alone is an empty file; --encoding utf-16 on a file without its BOM is a
    message, not a traceback; a Latin-1 file whose blank lines fill a block reads."""
    from diagnose.ingest import read_table

    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(InputError, match="bom.csv: the file is empty"):
        read_table(tmp_path / "bom.csv")
    (tmp_path / "u8.csv").write_bytes(_rows_file())
    with pytest.raises(InputError, match=r"u8.csv: cannot be read as utf-16 \(UTF-16 stream does not start"):
        read_table(tmp_path / "u8.csv", encoding="utf-16")
    text = _rows_file().replace(b"y_score\n", b"y_score\n", 1)
    (tmp_path / "latin.csv").write_bytes(b"\n" * 2_100_000 + text)
    for encoding in ("latin-1", "cp1252", "utf_8", "UTF-8"):
        assert read_table(tmp_path / "latin.csv", encoding=encoding)[0].num_rows == 100, encoding


def test_a_bad_byte_in_a_text_column_past_the_head_is_located(tmp_path):
    """A column read as text (labels; a curve's split names, dictionary-encoded) holding bytes
    that are not UTF-8 past the first 64 kB: the message names the byte's line and row."""
    from diagnose.ingest import read_table

    rows = [b"train,%d,0.5" % (i % 2) for i in range(1, 9001)]
    rows[7999] = b"tr\xe9in,1,0.5"
    (tmp_path / "c.csv").write_bytes(b"split,y_true,y_score\n" + b"\n".join(rows) + b"\n")
    for kwargs in ({"text_columns": ["split"]}, {"dictionary_columns": ["split"]}):
        with pytest.raises(InputError, match=r"c.csv: is not valid UTF-8 text \(byte 0xe9 at offset \d+ on line "
                                             r"8001, row 8000\)"):
            read_table(tmp_path / "c.csv", **kwargs)


@pytest.mark.parametrize("straddle", [False, True])
def test_a_bad_byte_past_a_megabyte_is_named_by_its_row_across_crlf_chunk_ends(straddle):
    """The scan for a bad byte reads 1 MiB at a time: a CRLF cut by a chunk's end is one line end.
    Oracle: the row's index in the list of rows written."""
    import io

    from diagnose.ingest._csvhead import refuse_bad_utf8

    rows = [b"%d,0.5" % (i % 2) for i in range(1, 160_001)]
    bad = 155_000
    rows[bad - 1] = b"1,0.\xe95"
    body = b"y_true,y_score\r\n" + b"\r\n".join(rows) + b"\r\n"
    # blank lines before the header move the rows until a CRLF straddles the first chunk's end
    shift = next(k for k in range(16) if (b"\n" * k + body)[(1 << 20) - 1] == ord("\r")) if straddle else 0
    data = b"\n" * shift + body

    class Upload:
        def binary(self):
            return io.BytesIO(data)

    with pytest.raises(InputError, match=rf"on line {bad + 1 + shift}, row {bad}\)"):
        refuse_bad_utf8(Upload(), "cv.csv", "y_score")
