"""Awkward input whose right answer is a result, not a refusal: checked against an oracle
computed here from the file's text with the standard library."""
from __future__ import annotations

import csv as pycsv
import io
import json
from collections import Counter

import pytest

import diagnose
from tests.bad_input.cases import GOOD, csv, late_bad_byte
from tests.fixtures import row_counts, run_cli


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_zero_padded_class_codes_keep_their_text(tmp_path):
    rows = ["01,01", "02,02", "03,03", "01,02", "02,03", "03,01", "01,01", "02,02"]
    path = tmp_path / "codes.csv"
    path.write_bytes(csv("y_true,y_pred", rows))
    report = _json(run_cli(["report", "--train", str(path), "--cv", str(path), "--format", "json"],
                           f"sqlite:///{tmp_path / 's.db'}"))
    assert report["task"] == "multiclass" and report["classes"] == ["01", "02", "03"]
    # oracle: the share of rows whose two texts differ
    assert report["splits"]["cv"]["error"] == pytest.approx(sum(a != b for a, b in (r.split(",") for r in rows))
                                                            / len(rows))
    support = {c["class"]: c["support"] for c in report["per_class"]["cv"]["classes"]}
    assert support == {k: float(v) for k, v in Counter(r.split(",")[0] for r in rows).items()}


def test_zero_padded_probability_columns_match_their_labels(tmp_path):
    path = tmp_path / "probs.csv"
    path.write_bytes(csv("y_true,y_prob_01,y_prob_02", ["01,0.8,0.2", "02,0.3,0.7", "01,0.4,0.6", "02,0.9,0.1"]))
    report = diagnose.report(train=path, cv=path)
    assert report.task == "multiclass" and tuple(report.to_dict()["classes"]) == ("01", "02")
    assert report.splits["cv"].error == 0.5  # rows 3 and 4 take the other class


def test_quoted_line_breaks_read_at_any_size(tmp_path):
    rows = [f'{i % 2},{(i * 7) % 10 / 10},"first line\nsecond line {i}"' for i in range(60_000)]
    data = csv("y_true,y_score,note", rows)
    assert len(data) > 2_000_000  # several of Arrow's 1 MB blocks
    path = tmp_path / "notes.csv"
    path.write_bytes(data)
    url = f"sqlite:///{tmp_path / 's.db'}"
    report = _json(run_cli(["submit", "--project", "p", "--run", "r", "--train", str(path), "--cv", str(path),
                            "--format", "json"], url))
    records = list(pycsv.reader(io.StringIO(data.decode())))[1:]  # oracle: Python's own CSV reader
    assert report["splits"]["cv"]["n"] == len(records) == 60_000
    wrong = sum((float(score) >= 0.5) != (label == "1") for label, score, _ in records)
    assert report["splits"]["cv"]["error"] == pytest.approx(wrong / len(records))
    assert row_counts(url)["run"] == 1


def test_a_late_latin1_byte_reads_with_its_encoding(tmp_path):
    path = tmp_path / "cv.csv"
    path.write_bytes(late_bad_byte())
    pred = diagnose.load_predictions(path, encoding="latin-1")
    assert pred.n == 12_001 and pred.column("region")[-1] == "café"


def test_tag_variants_are_one_category_with_a_note(tmp_path):
    tags = ["label noise", "label_noise", "Label Noise", "pharma", "Label  noise; PHARMA", "", "typo"]
    path = tmp_path / "tagged.csv"
    path.write_text("id,tags\n" + "".join(f"{i},{t}\n" for i, t in enumerate(tags)))
    tally = _json(run_cli(["errors", "tally", str(path), "--format", "json"], f"sqlite:///{tmp_path / 's.db'}"))
    # oracle: lower-case, '_' as a space, runs of spaces as one, per row
    def key(tag: str) -> str:
        return " ".join(tag.lower().replace("_", " ").split())
    expected = Counter(k for t in tags for k in {key(x) for x in t.split(";") if x.strip()})
    assert {c["name"]: c["count"] for c in tally["categories"]} == dict(expected)
    note = next(n for n in tally["notes"] if "counted as one category" in n)
    assert "'label noise' = 'Label Noise', 'Label noise', 'label noise', 'label_noise'" in note
    assert "'pharma' = 'PHARMA', 'pharma'" in note


def test_a_split_over_the_store_limit_is_refused_before_computing(tmp_path, monkeypatch, case):
    from diagnose import store
    from diagnose.service import _submit
    from diagnose.store import _codec

    monkeypatch.setattr(_codec, "MAX_BLOB_BYTES", 1000)
    monkeypatch.setattr(store, "MAX_BLOB_BYTES", 1000, raising=False)
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", "database")  # the limit is the database's

    def no_report(*args, **kwargs):
        raise AssertionError("the report was computed")
    monkeypatch.setattr(_submit, "build_report", no_report)
    url = f"sqlite:///{tmp_path / 's.db'}"
    before = row_counts(url)
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]], url)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "above the store's limit" in result.output and "Split the file" in result.output
    assert row_counts(url) == before


def test_an_artifact_store_takes_a_split_over_the_database_limit(tmp_path, monkeypatch, case):
    from diagnose import store
    from diagnose.store import _codec

    monkeypatch.setattr(_codec, "MAX_BLOB_BYTES", 1000)
    monkeypatch.setattr(store, "MAX_BLOB_BYTES", 1000, raising=False)
    url = f"sqlite:///{tmp_path / 's.db'}"  # tables go to s.artifacts beside it
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", case["train"], "--cv", case["cv"]], url)
    assert result.exit_code == 0, result.output
    assert row_counts(url)["blob"] == 2 and len(list((tmp_path / "s.artifacts").iterdir())) == 2


def test_out_of_memory_names_the_fix(tmp_path, monkeypatch):
    from diagnose.service import _submit

    def out_of_memory(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(_submit, "load_splits", out_of_memory)
    path = tmp_path / "t.csv"
    path.write_bytes(GOOD)
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", str(path), "--cv", str(path)], url)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: out of memory" in result.output and "split the file" in result.output
    assert "--engine arrow" in result.output
    assert row_counts(url)["run"] == 0
