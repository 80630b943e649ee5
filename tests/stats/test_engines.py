"""Every engine gives the same figures: each sample run through memory, arrow (in small
batches, so that many batches merge) and a real Dask LocalCluster with 2 workers, equal to
1e-12 on the sections the streaming engines cover.

The cluster runs its workers as threads (``processes=False``): the same scheduler, tasks,
partitions and tree reduce, without the few seconds of starting worker processes; one
cluster serves the whole module.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from diagnose.service import report, streamed_report
from tests.fixtures import SAMPLE

RUNS = ("breast_cancer", "digits", "diabetes_linear", "diabetes_poly", "high_bias", "high_variance", "multilabel",
        "skewed")
# warnings that come from the sections the streaming engines leave out
LEFT_OUT_WARNINGS = ("cv accuracy", "threshold:", "cv scores are", "test scores are", "why test differs")


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def small_batches(monkeypatch):
    from diagnose.service import _engines

    monkeypatch.setattr(_engines, "BATCH_ROWS", 37)  # odd-sized batches: every split is many chunks


def same(memory, streamed, path=""):
    """Walk the memory report's JSON; every figure the streamed one has must equal it to 1e-12."""
    if isinstance(memory, dict):
        assert isinstance(streamed, dict) and set(streamed) <= set(memory), path
        for key, value in streamed.items():
            same(memory[key], value, f"{path}/{key}")
    elif isinstance(memory, list):
        assert isinstance(streamed, list) and len(streamed) == len(memory), path
        for i, (a, b) in enumerate(zip(memory, streamed)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(memory, float) and isinstance(streamed, (int, float)):
        assert math.isclose(memory, streamed, rel_tol=1e-12, abs_tol=1e-15), (path, memory, streamed)
    else:
        assert memory == streamed, path


def check(memory, streamed, engine: str):
    m, s = memory.to_dict(), streamed.to_dict()
    note = [w for w in s["warnings"] if w.startswith(f"engine {engine}: left out")]
    left_out = [key for key in ("skew", "threshold", "calibration", "shift", "per_class")
                if note and key in note[0].split(":")[1]]
    for key in ("splits", "baselines", "gaps", "gap_details", "verdict", "recommendations", "reference",
                "reference_name", "trivial_baseline", "classes", "per_class"):
        if key in m and key not in left_out:
            same(m[key], s[key], key)
    for key in left_out:
        assert m[key] is not None and s[key] is None
    # the splits' figures are all there unless the default-decision section was left out
    if "default_decision" not in (note[0] if note else ""):
        assert {k: set(v) for k, v in s["splits"].items()} == {k: set(v) for k, v in m["splits"].items()}
    kept = [w for w in m["warnings"] if not w.startswith(LEFT_OUT_WARNINGS)]
    assert [w for w in s["warnings"] if w not in note] == kept
    assert all(w in kept or w.startswith(LEFT_OUT_WARNINGS) for w in m["warnings"])


def files(run: str) -> dict:
    return {split: str(SAMPLE / run / f"{split}.csv") for split in ("train", "cv", "test")}


@pytest.mark.parametrize("run", RUNS)
def test_arrow_equals_memory_on_every_sample_run(run, small_batches):
    memory = report(**files(run), baselines={"human": 0.01}, engine="memory")
    arrow = report(**files(run), baselines={"human": 0.01}, engine="arrow")
    check(memory, arrow, "arrow")
    if memory.task != "regression":
        assert arrow.splits["cv"].extras or memory.task == "multilabel"


@pytest.mark.parametrize("run", RUNS)
def test_dask_equals_memory_on_every_sample_run(run, scheduler):
    memory = report(**files(run), baselines={"human": 0.01}, engine="memory")
    dask = report(**files(run), baselines={"human": 0.01}, engine="dask", scheduler=scheduler)
    check(memory, dask, "dask")


def weighted_parts(tmp_path, *, fmt: str):
    rng = np.random.default_rng(15)
    frames = {}
    for split, n in (("train", 700), ("cv", 500), ("test", 300)):
        y = rng.integers(0, 2, n)
        frames[split] = pd.DataFrame({"id": np.arange(n), "y_true": y,
                                      "y_score": np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1),
                                      "weight": np.where(y == 1, 4.0, 0.5), "segment": rng.choice(["a", "b"], n)})
    paths = {}
    for split, frame in frames.items():  # each split as a folder of three parts
        folder = tmp_path / split
        folder.mkdir()
        for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
            part = frame.iloc[rows]
            if fmt == "csv":
                part.to_csv(folder / f"part-{i}.csv", index=False)
            else:
                part.to_parquet(folder / f"part-{i}.parquet")
        paths[split] = str(folder)
    return frames, paths


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("metric", ["error_rate", "log_loss"])
def test_folders_of_weighted_parts(tmp_path, small_batches, scheduler, fmt, metric):
    frames, paths = weighted_parts(tmp_path, fmt=fmt)
    memory = report(frames["train"], frames["cv"], frames["test"], metric=metric, engine="memory")
    for engine in ("arrow", "dask"):
        streamed = report(**paths, metric=metric, engine=engine, scheduler=scheduler)
        check(memory, streamed, engine)
    # a glob of the parts reads the same rows
    globbed = report(paths["train"] + f"/*.{fmt}", paths["cv"] + f"/*.{fmt}", metric=metric, engine="arrow")
    assert globbed.splits["cv"].error == pytest.approx(memory.splits["cv"].error, rel=1e-12)


def test_one_file_with_a_split_column(tmp_path, small_batches):
    frames, _ = weighted_parts(tmp_path, fmt="parquet")
    data = pd.concat([f.assign(split=s) for s, f in frames.items()], ignore_index=True).sample(frac=1, random_state=1)
    path = tmp_path / "all.parquet"
    data.to_parquet(path)
    memory = report(data=str(path), engine="memory", metric="brier")
    check(memory, report(data=str(path), engine="arrow", metric="brier"), "arrow")


def test_bad_rows_are_refused_with_their_file_and_row(tmp_path, small_batches):
    from diagnose.exceptions import InputError

    frames, paths = weighted_parts(tmp_path, fmt="csv")
    bad = frames["cv"].iloc[:100].copy()
    bad.loc[60, "y_score"] = 1.5
    (tmp_path / "cv" / "part-1.csv").write_text(bad.to_csv(index=False))
    with pytest.raises(InputError) as caught:
        streamed_report(paths, engine="arrow")
    message = str(caught.value)
    assert "part-1.csv" in message and "y_score" in message and "61" in message


def test_auto_streams_above_the_size_setting(monkeypatch):
    from diagnose.service import pick_engine

    paths = files("breast_cancer")
    assert pick_engine("auto", paths) == "memory"
    monkeypatch.setenv("DIAGNOSE_STREAM_ABOVE_MB", "0.001")
    assert pick_engine("auto", paths) == "arrow"
    monkeypatch.setenv("DIAGNOSE_ENGINE", "dask")
    assert pick_engine(None, paths) == "dask"


@pytest.mark.parametrize("engine", ["memory", "arrow"])
def test_a_j_that_overflows_is_refused_by_every_engine(tmp_path, small_batches, engine):
    from diagnose.exceptions import InputError

    rng = np.random.default_rng(7)
    for split in ("train", "cv"):
        y = rng.normal(size=200) * 1e200
        pd.DataFrame({"y_true": y, "y_pred": y * 0.5}).to_csv(tmp_path / f"{split}.csv", index=False)
    with pytest.raises(InputError) as caught:
        report(str(tmp_path / "train.csv"), str(tmp_path / "cv.csv"), metric="mse", engine=engine)
    assert "not a finite number" in str(caught.value) and "train.csv" in str(caught.value)
