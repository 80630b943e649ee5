"""The bad-input corpus: one row per case (name, files, command, what the message must say).

A case's files are written into a fresh folder, the command runs there against a
temporary SQLite store, and the test checks exit code 2, every expected fragment in the
output, no traceback, and no new row in the store (``test_corpus.py``). Special files
are markers: :data:`FIFO`, :data:`FOLDER`, :data:`LOOP` (a symbolic link to itself) and
:data:`DANGLING` (a link to nothing).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

FIFO, FOLDER, LOOP, DANGLING = "<fifo>", "<folder>", "<loop>", "<dangling>"
SPECIAL = (FIFO, FOLDER, LOOP, DANGLING)
PASSWORD = "s3cretpw"  # must never appear in any output


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes | str]
    args: tuple[str, ...]
    expect: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    # the same files through diagnose.report(...): the library must raise the CLI's message
    library: bool = False


def csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def binary_rows(n: int = 40) -> list[str]:
    """n rows of a plain binary run: label i % 2, scores 0.0 to 0.9 in a fixed pattern."""
    return [f"{i % 2},{(i * 7) % 10 / 10}" for i in range(n)]


GOOD = csv("y_true,y_score", binary_rows())
MULTI_AB = csv("y_true_a,y_score_a,y_true_b,y_score_b",
               [f"{i % 2},{(i * 3) % 10 / 10},{(i // 2) % 2},{(i * 7) % 10 / 10}" for i in range(40)])


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def late_bad_byte() -> bytes:
    """A valid CSV over 64 KiB whose only non-UTF-8 byte (latin-1 'é') comes after the first 64 KiB."""
    rows = [f"{i % 2},{(i * 7) % 10 / 10},r{i % 3}" for i in range(12_000)]
    head = csv("y_true,y_score,region", rows)
    assert len(head) > 70_000
    return head + b"1,0.5,caf\xe9\n"


def deep_toml(depth: int) -> bytes:
    return ("rules = " + "[" * depth + "]" * depth + "\n").encode()


SUBMIT = ("submit", "--project", "p", "--run", "r")


def submit(*files: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``diagnose submit`` of train (and cv, test) files."""
    names = ("--train", "--cv", "--test")
    return (*SUBMIT, *[a for flag, f in zip(names, files) for a in (flag, f)], *extra)


def gate(rules: str) -> tuple[str, ...]:
    return ("gate", rules, "--train", "train.csv", "--cv", "cv.csv")


def _url_case(name: str, url: str, *expect: str) -> Case:
    return Case(name, {"train.csv": GOOD}, submit("train.csv", "train.csv"), (*expect,),
                env={"DIAGNOSE_DATABASE_URL": url})


CSV_CASES = [
    # --- the "Tracebacks and exit 1" list
    Case("header names a column twice", {"train.csv": GOOD, "cv.csv": csv("y_true,y_score,y_score", [
        "1,0.9,0.8", "0,0.1,0.2"])}, submit("train.csv", "cv.csv"),
        ("cv.csv", "2 columns named 'y_score'", "columns 2, 3", "rename or drop"), library=True),
    Case("multi-label cv lacks a score column train has", {"train.csv": MULTI_AB, "cv.csv": csv(
        "y_true_a,y_score_a,y_true_b", ["1,0.9,0", "0,0.1,1"])}, submit("train.csv", "cv.csv"),
        ("cv.csv", "'y_true_b' has no partner 'y_score_b'", "Add column 'y_score_b'"), library=True),
    Case("weights of 1e308 (report)", {"train.csv": csv("y_true,y_score,weight", [
        f"{r},1e308" for r in binary_rows(8)])}, submit("train.csv", "train.csv"),
        ("train.csv", "column 'weight'", "too large", "Scale the weights down"), library=True),
    Case("weights of 1e308 (threshold)", {"cv.csv": csv("y_true,y_score,weight", [
        f"{r},1e308" for r in binary_rows(8)])}, ("threshold", "--cv", "cv.csv"),
        ("cv.csv", "column 'weight'", "too large")),
    # --- the "Bad input stored" list
    Case("duplicated slice column", {"train.csv": csv("y_true,y_score,region,region", [
        f"{r},a,b" for r in binary_rows()])}, submit("train.csv", "train.csv"),
        ("train.csv", "2 columns named 'region'", "columns 3, 4"), library=True),
    Case("non-UTF-8 byte after the first 64 KiB", {"train.csv": GOOD, "cv.csv": late_bad_byte()},
         submit("train.csv", "cv.csv"), ("cv.csv", "not valid UTF-8", "byte 0xe9", "row 12001", "--encoding"),
         library=True),
    Case("class written 1 and 1.0", {"train.csv": csv("y_true,y_pred", [
        "1,1", "2,2", "3,3", "1.0,2", "2,1", "3,3"])}, submit("train.csv", "train.csv"),
        ("train.csv", "column 'y_true' writes one class two ways", "'1' and '1.0'", "row 4 holds '1.0'"),
        library=True),
    Case("positive label spelt otherwise in another split", {
        "train.csv": csv("y_true,y_score", ["yes,0.9", "no,0.2", "yes,0.8", "no,0.3"]),
        "cv.csv": csv("y_true,y_score", ["Yes,0.9", "no,0.2", "Yes,0.8", "no,0.3"])},
        submit("train.csv", "cv.csv", extra=("--positive-label", "yes")),
        ("cv.csv", "holds label 'Yes' in column 'y_true', which train.csv does not",
         "3 labels for a binary task ('Yes', 'no', 'yes')", "Write each class the same way in every split"),
        library=True),
    Case("positive label spelt otherwise in the third split", {
        "train.csv": csv("y_true,y_score", ["yes,0.9", "yes,0.8"]),
        "cv.csv": csv("y_true,y_score", ["yes,0.9", "no,0.2"]),
        "test.csv": csv("y_true,y_score", ["No,0.9", "yes,0.2"])},
        submit("train.csv", "cv.csv", "test.csv", extra=("--positive-label", "yes")),
        ("test.csv", "holds label 'No' in column 'y_true', which", "cv.csv do not",
         "('No', 'no', 'yes')"), library=True),
    Case("positive label spelt otherwise, streamed", {
        "train.csv": csv("y_true,y_score", ["yes,0.9", "no,0.2", "yes,0.8", "no,0.3"]),
        "cv.csv": csv("y_true,y_score", ["Yes,0.9", "no,0.2", "Yes,0.8", "no,0.3"])},
        submit("train.csv", "cv.csv", extra=("--positive-label", "yes", "--engine", "arrow")),
        ("cv.csv", "holds label 'Yes' in column 'y_true', which train.csv does not")),
    Case("class written 01 and 1", {"train.csv": csv("y_true,y_pred", [
        "01,01", "02,02", "1,02", "02,01"])}, submit("train.csv", "train.csv"),
        ("train.csv", "writes one class two ways", "'01' and '1'", "row 3 holds '1'")),
    Case("float labels against y_prob_<class> names", {"train.csv": csv("y_true,y_prob_1,y_prob_2", [
        "1.0,0.8,0.2", "2.0,0.1,0.9"])}, submit("train.csv", "train.csv"),
        ("train.csv", "no y_prob_<class> column", "'1.0'", "is not the class '1'")),
    Case("y_true_c without y_score_c", {"train.csv": csv("y_true_a,y_score_a,y_true_c", [
        "1,0.9,1", "0,0.2,0"])}, submit("train.csv", "train.csv"),
        ("train.csv", "'y_true_c' has no partner 'y_score_c'"), library=True),
    Case("y_score_c without y_true_c", {"train.csv": csv("y_true_a,y_score_a,y_score_c", [
        "1,0.9,0.4", "0,0.2,0.3"])}, submit("train.csv", "train.csv"),
        ("train.csv", "'y_score_c' has no partner 'y_true_c'")),
    Case("cv lacks a label that train has", {"train.csv": MULTI_AB, "cv.csv": csv("y_true_a,y_score_a", [
        "1,0.9", "0,0.2"])}, submit("train.csv", "cv.csv"),
        ("cv.csv", "lacks label(s) b", "same y_true_<label>")),
    Case("regression values near 1e200", {"train.csv": csv("y_true,y_pred", [
        "1.5e200,-1.5e200", "2.5e200,1.5e200", "3.5e200,2.5e200"])},
        submit("train.csv", "train.csv", extra=("--task", "regression")),
        ("train.csv", "half_mse", "not a finite number", "Rescale", "--metric mae"), library=True),
    Case("regression values near 1e200 with mae", {"train.csv": csv("y_true,y_pred", [
        "1.5e200,-1.5e200", "2.5e200,1.5e200", "3.5e200,2.5e200"])},
        submit("train.csv", "train.csv", extra=("--task", "regression", "--metric", "mae")),
        ("train.csv", "the mae of the train split is not a finite number", "Rescale")),
    Case("regression values near 1e80 (squares overflow)", {"train.csv": csv("y_true,y_pred", [
        "1.5e80,-1.5e80", "2.5e80,1.5e80", "3.5e80,2.5e80", "-2.5e80,1e80"])},
        submit("train.csv", "train.csv", extra=("--task", "regression")), ("not a finite number",)),
    Case("regression infinity", {"train.csv": csv("y_true,y_pred", ["1.5,inf", "2.5,1.0"])},
         submit("train.csv", "train.csv", extra=("--task", "regression")),
         ("train.csv", "column 'y_pred' has infinite values", "row 1")),
    # --- reading
    Case("empty file", {"train.csv": b"", "cv.csv": GOOD}, submit("train.csv", "cv.csv"),
         ("train.csv", "the file is empty")),
    Case("header only", {"train.csv": GOOD, "cv.csv": b"y_true,y_score\n"}, submit("train.csv", "cv.csv"),
         ("cv.csv", "no rows")),
    Case("binary content", {"train.csv": b"y_true,y_score\n\x00\x01\x02\n"}, submit("train.csv", "train.csv"),
         ("train.csv", "binary content")),
    Case("non-UTF-8 header", {"train.csv": b"y_true,y_sc\xf6re\n1,0.5\n"}, submit("train.csv", "train.csv"),
         ("train.csv", "not valid UTF-8", "the header")),
    Case("unknown encoding", {"train.csv": GOOD}, submit("train.csv", "train.csv", extra=("--encoding", "klingon")),
         ("train.csv", "encoding name")),
    Case("ragged rows", {"train.csv": csv("y_true,y_score", ["1,0.5", "0,0.2,7", "1,0.9"])},
         submit("train.csv", "train.csv"), ("train.csv", "the header has 2 fields", "row 2 holds 3")),
    Case("semicolon separated", {"train.csv": csv("y_true;y_score", ["1;0.5", "0;0.2"])},
         submit("train.csv", "train.csv"), ("train.csv", "separated by ';'")),
    Case("missing score column", {"train.csv": GOOD, "cv.csv": csv("y_true", ["1", "0"])},
         submit("train.csv", "cv.csv"), ("cv.csv", "missing column 'y_score'", "--column y_score=NAME"), library=True),
    Case("score above 1", {"train.csv": csv("y_true,y_score", ["1,1.3", "0,0.2", "1,-0.2"])},
         submit("train.csv", "train.csv"), ("train.csv", "must lie in [0, 1]", "rows 1, 3 hold 1.3, -0.2")),
    Case("score as text", {"train.csv": csv("y_true,y_score", ["1,high", "0,0.2"])},
         submit("train.csv", "train.csv"), ("train.csv", "holds text", "'high'")),
    Case("empty score", {"train.csv": csv("y_true,y_score", ["1,", "0,0.2"])},
         submit("train.csv", "train.csv"), ("train.csv", "'y_score' has empty", "row 1")),
    Case("label 2 in a binary file", {"train.csv": csv("y_true,y_score", ["0,0.1", "2,0.8"])},
         submit("train.csv", "train.csv"), ("train.csv", "must hold 0 or 1", "row 2 holds '2'"), library=True),
    Case("class names without a positive label", {"train.csv": csv("y_true,y_score", ["cat,0.1", "dog,0.8"])},
         submit("train.csv", "train.csv"), ("train.csv", "--positive-label")),
    Case("positive label never occurs", {"train.csv": csv("y_true,y_score", ["cat,0.1", "dog,0.8"])},
         submit("train.csv", "train.csv", extra=("--positive-label", "cow")), ("never occurs", "'cat', 'dog'")),
    Case("duplicate ids", {"train.csv": csv("id,y_true,y_score", ["1,0,0.1", "1,1,0.8", "3,1,0.4"])},
         submit("train.csv", "train.csv"), ("train.csv", "duplicate ids", "rows 1, 2")),
    Case("empty ids", {"train.csv": csv("id,y_true,y_score", ["1,0,0.1", ",1,0.8"])},
         submit("train.csv", "train.csv"), ("train.csv", "empty ids", "row 2")),
    Case("probabilities that do not sum to 1", {"train.csv": csv("y_true,y_prob_a,y_prob_b", [
        "a,0.9,0.9", "b,0.1,0.9"])}, submit("train.csv", "train.csv"), ("train.csv", "must sum to 1", "row 1")),
    Case("weights negative", {"train.csv": csv("y_true,y_score,weight", ["1,0.9,-1", "0,0.1,1"])},
         submit("train.csv", "train.csv"), ("train.csv", "'weight' must not be negative", "row 1")),
    Case("weights all zero", {"train.csv": csv("y_true,y_score,weight", ["1,0.9,0", "0,0.1,0"])},
         submit("train.csv", "train.csv"), ("train.csv", "'weight' sums to 0")),
    Case("split column with other names", {"data.csv": csv("split,y_true,y_score", [
        "train,1,0.9", "valid,0,0.2", "cv,1,0.4"])}, (*SUBMIT, "--data", "data.csv"),
        ("data.csv", "train, cv or test", "row 2 holds 'valid'")),
    Case("data file without cv rows", {"data.csv": csv("split,y_true,y_score", ["train,1,0.9", "train,0,0.2"])},
         (*SUBMIT, "--data", "data.csv"), ("the cv split is needed",)),
    Case("train and cv of different tasks", {"train.csv": GOOD, "cv.csv": csv("y_true,y_prob_a,y_prob_b", [
        "a,0.9,0.1", "b,0.2,0.8"])}, submit("train.csv", "cv.csv"), ("cv.csv", "looks like a multiclass table")),
    Case("several runs in one file", {"train.csv": csv("y_true,y_score,train_size", [
        "1,0.9,10", "0,0.2,20"])}, submit("train.csv", "train.csv"), ("train.csv", "holds 2 runs", "curve learning")),
]

PARQUET_CASES = [
    Case("parquet with a column twice", {"train.parquet": parquet(pa.Table.from_arrays(
        [pa.array([1, 0]), pa.array([0.9, 0.1]), pa.array([0.8, 0.2])], names=["y_true", "y_score", "y_score"]))},
        submit("train.parquet", "train.parquet"), ("train.parquet", "2 columns named 'y_score'"), library=True),
    Case("parquet that is not parquet", {"train.parquet": b"PAR1 this is not a parquet file at all"},
         submit("train.parquet", "train.parquet"), ("train.parquet", "cannot be read as Parquet")),
    Case("parquet without rows", {"train.parquet": parquet(pa.table({"y_true": pa.array([], pa.int64()),
                                                                     "y_score": pa.array([], pa.float64())}))},
         submit("train.parquet", "train.parquet"), ("train.parquet", "no rows")),
    Case("parquet bytes that are not UTF-8", {"train.parquet": parquet(pa.table({
        "y_true": [1, 0], "y_score": [0.9, 0.1], "region": pa.array([b"caf\xe9", b"ok"], pa.binary())}))},
        submit("train.parquet", "train.parquet"), ("train.parquet", "'region' holds bytes that are not UTF-8")),
    Case("parquet score as text", {"train.parquet": parquet(pa.table({"y_true": [1, 0], "y_score": ["x", "0.1"]}))},
         submit("train.parquet", "train.parquet"), ("train.parquet", "holds text", "'x'")),
    Case("parquet infinite score", {"train.parquet": parquet(pa.table({"y_true": [1, 0],
                                                                       "y_score": [float("inf"), 0.1]}))},
         submit("train.parquet", "train.parquet"), ("train.parquet", "infinite values", "row 1")),
    Case("parquet weights of 1e308", {"train.parquet": parquet(pa.table({
        "y_true": [1, 0, 1], "y_score": [0.9, 0.1, 0.5], "weight": [1e308, 1e308, 1e308]}))},
        submit("train.parquet", "train.parquet"), ("train.parquet", "too large")),
    Case("parquet multi-label without a partner", {"train.parquet": parquet(pa.table({
        "y_true_a": [1, 0], "y_score_a": [0.9, 0.1], "y_true_b": [0, 1]}))},
        submit("train.parquet", "train.parquet"), ("'y_true_b' has no partner",)),
]

SPECIAL_CASES = [
    Case("cv is a FIFO", {"train.csv": GOOD, "cv.csv": FIFO}, submit("train.csv", "cv.csv"),
         ("cv.csv", "named pipe (FIFO)", "not a regular file")),
    Case("train is a folder", {"train.csv": FOLDER, "cv.csv": GOOD}, submit("train.csv", "cv.csv"),
         ("train.csv", "is a folder holding no file")),
    Case("cv is a symbolic link loop", {"train.csv": GOOD, "cv.csv": LOOP}, submit("train.csv", "cv.csv"),
         ("cv.csv", "points back to itself")),
    Case("cv is a dangling link", {"train.csv": GOOD, "cv.csv": DANGLING}, submit("train.csv", "cv.csv"),
         ("cv.csv", "file not found")),
    Case("cv is missing", {"train.csv": GOOD}, submit("train.csv", "cv.csv"), ("cv.csv", "file not found")),
    Case("cv is a device", {"train.csv": GOOD}, submit("train.csv", "/dev/null"),
         ("/dev/null", "is a device", "not a regular file")),
]

TOML_CASES = [
    Case("rule file nested 5000 deep", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": deep_toml(5000)},
         gate("rules.toml"), ("rules.toml", "more than 20 levels deep")),
    Case("rule file nested 300 deep", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": deep_toml(300)},
         gate("rules.toml"), ("rules.toml", "more than 20 levels deep")),
    Case("rule file is a FIFO", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": FIFO},
         gate("rules.toml"), ("rules.toml", "named pipe (FIFO)")),
    Case("rule file is a folder", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": FOLDER},
         gate("rules.toml"), ("rules.toml", "is a directory")),
    Case("rule file is a link loop", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": LOOP},
         gate("rules.toml"), ("rules.toml", "points back to itself")),
    Case("rule file missing", {"train.csv": GOOD, "cv.csv": GOOD}, gate("rules.toml"),
         ("rules.toml", "rule file not found")),
    Case("rule file is not TOML", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": b"rules = [cv.error <= 0.1"},
         gate("rules.toml"), ("rules.toml", "not valid TOML")),
    Case("rule file is not UTF-8", {"train.csv": GOOD, "cv.csv": GOOD, "rules.toml": b'rules = ["caf\xe9"]\n'},
         gate("rules.toml"), ("rules.toml", "not valid TOML")),
    Case("rule file far too large", {"train.csv": GOOD, "cv.csv": GOOD,
                                     "rules.toml": b"# padding\n" * 120_000 + b'rules = ["cv.error <= 1"]\n'},
         gate("rules.toml"), ("rules.toml", "1,200,026 bytes", "short TOML list")),
    Case("rule names an unknown path", {"train.csv": GOOD, "cv.csv": GOOD,
                                        "rules.toml": b'rules = ["nothing.here <= 1"]\n'},
         gate("rules.toml"), ("unknown path 'nothing.here'",)),
]

NAME_AND_URL_CASES = [
    Case("project name not UTF-8", {"train.csv": GOOD}, ("submit", "--project", "p\udcff", "--run", "r",
                                                          "--train", "train.csv", "--cv", "train.csv"),
         ("'p\\xff'", "not UTF-8 text")),
    Case("run name not UTF-8", {"train.csv": GOOD}, ("submit", "--project", "p", "--run", "r\udcff\udcfe",
                                                      "--train", "train.csv", "--cv", "train.csv"),
         ("'r\\xff\\xfe'", "not UTF-8 text")),
    Case("listing a project named in bytes that are not UTF-8", {}, ("runs", "--project", "p\udcff"),
         ("'p\\xff'", "not UTF-8 text")),
    Case("showing a project named in bytes that are not UTF-8", {}, ("show", "p\udcfe", "r"),
         ("'p\\xfe'", "not UTF-8 text")),
    _url_case("database URL with a port that is not a number",
              f"postgresql+psycopg://ann:{PASSWORD}@localhost:abc/runs",
              "DIAGNOSE_DATABASE_URL", "port that is not a number"),
    _url_case("postgres:// database URL", f"postgres://ann:{PASSWORD}@localhost:5432/runs",
              "DIAGNOSE_DATABASE_URL", "postgres://", "postgresql+psycopg://"),
    _url_case("postgres+psycopg:// database URL", f"postgres+psycopg://ann:{PASSWORD}@localhost/runs",
              "DIAGNOSE_DATABASE_URL", "postgresql+psycopg://"),
    _url_case("database URL that is no URL", f"ann:{PASSWORD}@nowhere", "DIAGNOSE_DATABASE_URL",
              "not a SQLAlchemy URL"),
    Case("baseline that is no number", {"train.csv": GOOD}, submit("train.csv", "train.csv",
                                                                   extra=("--baseline", "human=x")),
         ("baseline 'human' must be a non-negative number", "not 'x'")),
    Case("negative tolerance", {"train.csv": GOOD}, submit("train.csv", "train.csv", extra=("--tolerance", "-1")),
         ("relative tolerance must be a number >= 0",)),
]

CASES = CSV_CASES + PARQUET_CASES + SPECIAL_CASES + TOML_CASES + NAME_AND_URL_CASES
assert len({c.name for c in CASES}) == len(CASES), "case names are unique"
