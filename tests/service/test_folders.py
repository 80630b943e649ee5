"""A folder or a glob of parts on the command line: ``--engine auto`` streams it whatever its
size (the memory engine reads files) and gives the report of the whole files; an empty
folder, or a folder given to the memory engine, is one clear message and exit code 2."""
from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from diagnose.cli import main
from tests.fixtures import SAMPLE


def _parts(tmp_path):
    for split in ("train", "cv"):
        frame = pd.read_csv(SAMPLE / "breast_cancer" / f"{split}.csv")
        (tmp_path / split).mkdir()
        half = len(frame) // 2
        frame.iloc[:half].to_csv(tmp_path / split / "part-0.csv", index=False)
        frame.iloc[half:].to_csv(tmp_path / split / "part-1.csv", index=False)


def _report(*args):
    result = CliRunner().invoke(main, ["report", *args, "--format", "json"])
    return result.exit_code, result.stdout, result.output


def test_a_folder_or_a_glob_is_streamed_and_gives_the_whole_files_report(tmp_path):
    _parts(tmp_path)
    code, out, _ = _report("--train", str(SAMPLE / "breast_cancer" / "train.csv"),
                           "--cv", str(SAMPLE / "breast_cancer" / "cv.csv"))
    assert code == 0
    whole = json.loads(out)
    for train, cv in ((tmp_path / "train", tmp_path / "cv"), (tmp_path / "train" / "*.csv", tmp_path / "cv" / "*.csv")):
        code, out, output = _report("--train", str(train), "--cv", str(cv))
        assert code == 0, output
        parts = json.loads(out)
        assert parts["splits"] == whole["splits"] and parts["verdict"] == whole["verdict"]
        assert parts["gaps"] == whole["gaps"] and parts["threshold"]["value"] == whole["threshold"]["value"]
        assert any("engine arrow" in w for w in parts["warnings"])  # streamed, and it says what it left out


def test_an_empty_folder_or_a_folder_for_the_memory_engine_is_one_clear_message(tmp_path):
    _parts(tmp_path)
    (tmp_path / "empty").mkdir()
    code, _, output = _report("--train", str(tmp_path / "empty"), "--cv", str(tmp_path / "cv"))
    assert code == 2 and "empty: is a folder holding no file" in output and "Traceback" not in output
    code, _, output = _report("--train", str(tmp_path / "train"), "--cv", str(tmp_path / "cv"), "--engine", "memory")
    assert code == 2 and "is a folder, not a file" in output and "Traceback" not in output
