"""A stored split read by record batches (``store.stored_split``): from its artifact file by
path, never as one bytes object, with the same rows as the whole table; a file removed or
changed afterwards is a DiagnoseError, not a crash."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from diagnose import store
from diagnose.exceptions import DiagnoseError
from diagnose.service import session, submit_files


def _stored(tmp_path, n=5000):
    rng = np.random.default_rng(3)
    t = pd.DataFrame({"id": np.arange(n), "y_true": rng.integers(0, 2, n), "y_score": rng.random(n)})
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with session(url) as s, s.begin():
        submit_files(s, project="p", run="r", train=t, cv=t)
    return url, t


def test_a_split_in_the_artifact_store_is_read_from_its_path_by_batches(tmp_path):
    url, t = _stored(tmp_path)
    with session(url) as s:
        split = store.stored_split(s, "p", "r", "cv")
    # the artifact file's path, not its bytes: nothing of the table is held but its place
    assert isinstance(split.source, str) and os.path.isfile(split.source)
    assert not any(isinstance(v, (bytes, pa.Buffer)) for v in vars(split).values())
    got = pa.Table.from_batches(list(split.batches(batch_rows=1000)))
    assert got.num_rows == len(t) == split.n_rows
    np.testing.assert_array_equal(got.column("y_score").to_numpy(), t["y_score"].to_numpy())
    rows = np.array([0, 17, 4999])
    np.testing.assert_array_equal(split.take(rows, ["id"]).column("id").to_numpy(), rows)


def test_an_artifact_changed_or_removed_is_a_diagnose_error(tmp_path):
    url, _ = _stored(tmp_path)
    with session(url) as s:
        path = store.stored_split(s, "p", "r", "cv").source
    with open(path, "r+b") as f:  # one byte changed: the hash no longer matches
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    with session(url) as s, pytest.raises(DiagnoseError, match="does not match its hash"):
        store.stored_split(s, "p", "r", "cv")
    os.remove(path)
    with session(url) as s, pytest.raises(DiagnoseError, match="missing from the artifact store"):
        store.stored_split(s, "p", "r", "cv")


def test_an_artifact_removed_while_a_split_is_open_is_a_diagnose_error(tmp_path):
    url, _ = _stored(tmp_path)
    with session(url) as s:
        split = store.stored_split(s, "p", "r", "cv")
    os.remove(split.source)
    with pytest.raises(DiagnoseError, match="missing from the artifact store"):
        list(split.batches())
