"""dashboard.uploads: the Upload form's parsing, size limit and one-transaction store."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy.orm import Session

from dashboard import uploads
from diagnose import store
from diagnose.exceptions import InputError, UsageError


def _file(path, name=None):
    f = io.BytesIO(path.read_bytes())
    f.name = name or path.name
    f.size = len(f.getvalue())
    return f


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("human=0.02", {"human": 0.02}),
    (" human = 0.02 ; rival=0.05,", {"human": 0.02, "rival": 0.05}),
])
def test_baselines_parse(text, expected):
    assert uploads.parse_pairs(text, what="baselines", numbers=True) == expected


@pytest.mark.parametrize("text, words", [
    ("human=", "is not name=value"),
    ("human=low", "is not a number"),
    ("human=nan", "is not a number"),
    ("human=0.1, human=0.2", "given twice"),
])
def test_bad_baselines_say_what_to_write(text, words):
    with pytest.raises(UsageError, match=words):
        uploads.parse_pairs(text, what="baselines", numbers=True)


def test_parameters_keep_text_and_numbers():
    assert uploads.parse_pairs("kernel=rbf, C=10, lambda=0.1", what="parameters", numbers=False) == \
        {"kernel": "rbf", "C": 10, "lambda": 0.1}


def test_size_limit_names_the_file(sample_dir):
    path = sample_dir / "breast_cancer" / "train.csv"
    train = _file(path)
    size = path.stat().st_size  # bytes, as the file system counts them (about 9 kB)
    assert 5_000 < size <= 10_000  # the two limits below sit on either side of it
    uploads.check_sizes({"train": train}, max_mb=0.01)  # fits in 10 kB
    kb = f"{size / 1000:.3g} kB"  # the size in kB (1 kB = 1000 bytes), 3 significant digits
    with pytest.raises(InputError,
                       match=rf"train.csv \(train file\): is {re.escape(kb)}, above the upload limit of 0.005 MB"):
        uploads.check_sizes({"train": train}, max_mb=0.005)


def test_store_is_one_transaction(sqlite_url, sample_dir):
    engine = store.make_engine(sqlite_url)
    folder = sample_dir / "breast_cancer"
    files = {s: _file(folder / f"{s}.csv") for s in ("train", "cv", "test")}
    upload = uploads.Upload(project="p", run="r", files=files, baselines="human=0.02", train_size="341")
    summary, report = uploads.store(engine, upload, max_mb=10)
    assert (summary.run, summary.train_size, report.verdict.verdict) == ("r", 341, "inconclusive")
    with Session(engine) as s:
        stored = store.get_run(s, "p", "r")
    assert [sub.source for sub in stored.submissions] == ["train.csv", "cv.csv", "test.csv"]
    # the same name again is refused, and the first run is untouched
    with pytest.raises(UsageError, match="run 'r' already exists"):
        uploads.store(engine, upload, max_mb=10)
    with Session(engine) as s:
        assert store.count_rows(s)["run"] == 1
    engine.dispose()
