"""Grouping one curve file's rows by (run value, split): the dictionary-coded split names and
run values with one stable sort give the groups a plain pandas groupby gives.

Oracle: pandas lower-cases and trims the split labels row by row and groups the shuffled
rows with ``groupby(sort=True)``; every group's file rows and scores must match, in file
order. Shuffled rows (one sort) and rows written run by run (sliced as they are); random,
seeded, a few thousand rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from diagnose.exceptions import InputError
from diagnose.ingest import load_runs

LABELS = np.array(["train", "Train", " TRAIN", "cv", "CV ", "Cv", "test", "Test"])


def _frame(seed: int, by: str, values, grouped: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame({
        "split": LABELS[rng.integers(0, len(LABELS), n)],
        by: np.asarray(values)[rng.integers(0, len(values), n)],
        "y_true": rng.integers(0, 2, n),
        "y_score": rng.random(n).round(6),
    })
    if grouped:  # written run by run: each (value, split) in one block, blocks in a random order
        block = frame.groupby([by, frame["split"].str.strip().str.lower()]).ngroup()
        rank = rng.permutation(block.max() + 1)[block]
        return frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)  # shuffled rows


def _reference(frame: pd.DataFrame, by: str, splits) -> dict:
    ref = frame.assign(row=np.arange(1, len(frame) + 1), split=frame["split"].str.strip().str.lower())
    ref = ref[ref["split"].isin(splits)]
    return {(key, split): group for (key, split), group in ref.groupby([by, "split"], sort=True)}


def _chunked(frame: pd.DataFrame, pieces: int = 4) -> pa.Table:
    """The frame as an Arrow table of several chunks (a CSV reader's blocks)."""
    parts = np.array_split(np.arange(len(frame)), pieces)
    return pa.concat_tables([pa.Table.from_pandas(frame.iloc[p], preserve_index=False) for p in parts])


@pytest.mark.parametrize("seed,grouped", [(0, False), (1, False), (2, True), (3, True)])
@pytest.mark.parametrize("by,values,splits", [
    ("train_size", [500, 20, 100, 5, 1000], ("train", "cv")),
    ("param_lambda", [0.1, 3.0, 0.01, 30.0], ("train", "cv", "test")),
    ("param_depth", [8, 2, 4], ("train", "cv", "test")),
])
def test_groups_match_a_pandas_groupby(seed, grouped, by, values, splits):
    frame = _frame(seed, by, values, grouped)
    runs = load_runs([(_chunked(frame), "runs.csv")], by=by, splits=splits)
    expected = _reference(frame, by, splits)
    assert list(runs.keys) == sorted({key for key, _ in expected})
    got = {(key, split): pred for key in runs.keys for split, pred in runs.runs[key].items()}
    assert set(got) == set(expected)
    for group, ref in expected.items():
        pred = got[group]
        assert pred.row_numbers.tolist() == ref["row"].tolist()
        assert pred.y_score.tolist() == ref["y_score"].tolist()
        assert pred.y_true.tolist() == ref["y_true"].tolist()


def test_dictionary_encoded_parquet_groups_like_text(tmp_path):
    # a pandas category column is stored as a dictionary and read back as one
    frame = _frame(3, "train_size", [10, 40, 20])
    frame["split"] = frame["split"].str.strip()  # categories are not trimmed (as before)
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pandas(frame.astype({"split": "category"}), preserve_index=False), path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("split").type)
    runs = load_runs([path], by="train_size", splits=("train", "cv"))
    expected = _reference(frame, "train_size", ("train", "cv"))
    for (key, split), ref in expected.items():
        assert runs.runs[key][split].row_numbers.tolist() == ref["row"].tolist()


def test_bad_split_name_still_names_its_rows():
    frame = _frame(4, "train_size", [10, 20])
    frame.loc[[7, 3], "split"] = "valid"
    with pytest.raises(InputError) as err:
        load_runs([(_chunked(frame), "runs.csv")], by="train_size")
    assert "must hold train, cv or test" in str(err.value)
    assert err.value.rows[:2] == [4, 8]


def test_bad_training_size_still_names_its_rows():
    frame = _frame(5, "train_size", [10, 20])
    frame.loc[[11], "train_size"] = 0
    with pytest.raises(InputError) as err:
        load_runs([(_chunked(frame), "runs.csv")], by="train_size")
    assert "whole numbers of at least 1" in str(err.value)
    assert err.value.rows == [12]
