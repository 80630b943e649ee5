"""Fuzzing the command line with CSV bytes: any header (known column names, odd names, the same
name twice) over any cells (numbers, huge numbers, NaN, text, quotes, line breaks, bytes
that are not UTF-8). Every outcome must be exit 0, or exit 2 with one ``error:`` line:
never a traceback, never exit 1. Derandomized, so every run tries the same 500 files."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diagnose.cli import main

NAMES = ["y_true", "y_score", "y_pred", "id", "weight", "split", "y_prob_a", "y_prob_b", "y_true_a", "y_score_a",
         "y_true_b", "train_size", "param_C", "region", "tags", ""]
CELLS = ["0", "1", "2", "0.5", "0.25", "01", "1.0", "-1", "1e308", "1e200", "-1e200", "nan", "inf", "", " ",
         "a", "b", "train", "cv", "test", "true", '"x,y"', '"line\nbreak"', '"', "\ufeff1", "1;2"]
BYTES = [b"\xff", b"\xe9", b"\x00", b"\r", b"\r\n", b";", b"\t"]

name = st.one_of(st.sampled_from(NAMES), st.text(alphabet="abcy_ ,\"é", max_size=6))
cell = st.one_of(st.sampled_from(CELLS).map(str.encode), st.sampled_from(BYTES))


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(name, min_size=1, max_size=5))
    width = len(header)
    rows = draw(st.lists(st.lists(cell, min_size=max(width - 1, 1), max_size=width + 1), max_size=6))
    text = b",".join(h.encode("utf-8", "surrogatepass") for h in header) + b"\n"
    text += b"".join(b",".join(r) + b"\n" for r in rows)
    if draw(st.booleans()):  # and sometimes raw bytes anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(max_size=8)) + text[at:]
    return text


# nearly valid runs reach deeper: the known columns of one task, mostly sound cells
TASKS = {
    "binary": (["y_true", "y_score"], [["0", "1"], ["0.1", "0.5", "0.9", "0", "1"]]),
    "multiclass": (["y_true", "y_pred"], [["a", "b", "01", "1"], ["a", "b", "01", "1.0"]]),
    "regression": (["y_true", "y_pred"], [["1.5", "2.25", "-3", "1e200"], ["1.5", "2", "-1e200", "0"]]),
    "multilabel": (["y_true_a", "y_score_a", "y_true_b"], [["0", "1"], ["0.2", "0.8"], ["0", "1"]]),
}


@st.composite
def near_valid(draw) -> bytes:
    header, pools = TASKS[draw(st.sampled_from(sorted(TASKS)))]
    header = header + draw(st.lists(name, max_size=2))
    pools = pools + [CELLS] * (len(header) - len(pools))
    rows = draw(st.lists(st.tuples(*[st.one_of(st.sampled_from(p), st.sampled_from(CELLS)) if i >= 2 else
                                     st.sampled_from(p) for i, p in enumerate(pools)]), min_size=2, max_size=8))
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(train=st.one_of(csv_files(), near_valid()), cv=st.one_of(csv_files(), near_valid()), same=st.booleans())
def test_csv_bytes_never_give_a_traceback(folder, train, cv, same):
    paths = []
    for name, data in (("train.csv", train), ("cv.csv", train if same else cv)):
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(data)
        paths.append(path)
    result = CliRunner().invoke(main, ["report", "--train", paths[0], "--cv", paths[1], "--bootstrap", "0"],
                                env={"DIAGNOSE_DATABASE_URL": f"sqlite:///{folder}/never.db"},
                                catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{train!r}\n{cv!r}")
    assert result.exit_code in (0, 2), result.output
    event(f"exit {result.exit_code}")
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, result.output
