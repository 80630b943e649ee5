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
# warnings that come from each section the streaming engines may leave out
SECTION_WARNINGS = {"skew": ("cv accuracy",), "threshold": ("threshold:",),
                    "calibration": ("cv scores are", "test scores are"), "shift": ("why test differs",)}

@pytest.fixture
def small_batches(monkeypatch):
    from diagnose.service import _inputs

    monkeypatch.setattr(_inputs, "BATCH_ROWS", 37)  # odd-sized batches: every split is many chunks


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


def left_out(report: dict, engine: str) -> tuple[list[str], list[str]]:
    """The note naming what the engine left out, and the names it lists."""
    note = [w for w in report["warnings"] if w.startswith(f"engine {engine}: left out")]
    assert len(note) <= 1
    listed = note[0].split(": ")[1].removeprefix("left out section(s) ").split(", ") if note else []
    return note, listed


def check(memory, streamed, engine: str):
    m, s = memory.to_dict(), streamed.to_dict()
    note, listed = left_out(s, engine)
    sections = [key for key in listed if "." not in key]
    for key in ("splits", "baselines", "gaps", "gap_details", "verdict", "recommendations", "reference",
                "reference_name", "trivial_baseline", "classes", "per_class", "skew", "threshold", "calibration"):
        if key in m and key not in sections:
            inner = [k.split(".", 1)[1] for k in listed if k.startswith(f"{key}.")]
            for k in inner:  # a key left out of a streamed section is null, and named
                assert s[key][k] is None and m[key][k] is not None, (key, k)
            same({k: v for k, v in m[key].items() if k not in inner} if inner else m[key],
                 {k: v for k, v in s[key].items() if k not in inner} if inner else s[key], key)
    for key in sections:
        if key in m:  # default_decision has no key of its own (its figures are in splits)
            assert m[key] is not None and s[key] is None
    # the splits' figures are all there unless the default-decision section was left out
    if "default_decision" not in sections:
        assert {k: set(v) for k, v in s["splits"].items()} == {k: set(v) for k, v in m["splits"].items()}
    gone = tuple(w for key in sections for w in SECTION_WARNINGS.get(key, ()))
    kept = [w for w in m["warnings"] if not (gone and w.startswith(gone))]
    assert [w for w in s["warnings"] if w not in note] == kept
    return listed


def files(run: str) -> dict:
    return {split: str(SAMPLE / run / f"{split}.csv") for split in ("train", "cv", "test")}


@pytest.mark.parametrize("run", RUNS)
def test_arrow_equals_memory_on_every_sample_run(run, small_batches):
    memory = report(**files(run), baselines={"human": 0.01}, engine="memory")
    arrow = report(**files(run), baselines={"human": 0.01}, engine="arrow")
    listed = check(memory, arrow, "arrow")
    if memory.task != "regression":
        assert arrow.splits["cv"].extras or memory.task == "multilabel"
        assert "calibration" not in listed and arrow.to_dict()["calibration"]["test"]["ece_ci_low"] is not None


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


@pytest.mark.parametrize("run", ["breast_cancer", "skewed"])
def test_binary_runs_stream_the_threshold(run, small_batches):
    memory = report(**files(run), engine="memory")
    arrow = report(**files(run), engine="arrow")
    listed = check(memory, arrow, "arrow")
    got, want = arrow.sections["threshold"], memory.sections["threshold"]
    assert "threshold" not in listed and "threshold.curve" in listed and "threshold.bootstrap" not in listed
    assert got.value == want.value and got.cv == want.cv and got.test == want.test
    assert got.test_interval == want.test_interval and got.default_cv == want.default_cv
    # the bootstrap: the same replicates (drawn per cell of the same counts), the very same figures
    assert got.bootstrap == want.bootstrap and got.bootstrap.sampling == "poisson-cells-v1"


@pytest.mark.parametrize("weighted", [False, True])
def test_the_bootstrap_without_ids_keys_rows_by_their_number_on_every_engine(tmp_path, small_batches, scheduler,
                                                                           weighted):
    # no id column: a weighted row is keyed by its number over the whole input (parts in order),
    # so three parts streamed give the memory engine's replicates of the whole frame (unweighted
    # replicates are drawn per cell of counts: the same on every engine whatever the order)
    frames, paths = scored_parts(tmp_path, weighted=weighted, n=1500)
    memory = report(frames["train"], frames["cv"], frames["test"], engine="memory", bootstrap=40, seed=3)
    want = memory.sections["threshold"].bootstrap
    assert want.reps == 40 and want.oob_reps > 30
    for engine in ("arrow", "dask"):
        streamed = report(**paths, engine=engine, bootstrap=40, seed=3, scheduler=scheduler)
        listed = check(memory, streamed, engine)
        assert "threshold.bootstrap" not in listed
        got = streamed.sections["threshold"].bootstrap
        if not weighted:  # integer counts: the very same figures
            assert got == want, engine
    # one file with a split column: rows are keyed by their position among the cv rows, as in memory
    data = pd.concat([f.assign(split=s) for s, f in frames.items()], ignore_index=True).sample(frac=1, random_state=2)
    path = tmp_path / "all.parquet"
    data.to_parquet(path)
    memory = report(data=str(path), engine="memory", bootstrap=40, seed=3)
    check(memory, report(data=str(path), engine="arrow", bootstrap=40, seed=3), "arrow")
    if weighted:  # other rows in other positions: other keyed replicates
        assert memory.sections["threshold"].bootstrap != want
    else:  # the same rows' counts: the same replicates, whatever the order
        assert memory.sections["threshold"].bootstrap == want


def scored_parts(tmp_path, *, weighted: bool, n: int = 6000):
    """Scores rounded to 3 places (many ties) in [0, 1], as three Parquet parts per split."""
    rng = np.random.default_rng(21)
    frames, paths = {}, {}
    for split, size in (("train", n // 2), ("cv", n), ("test", n // 2)):
        y = (rng.random(size) < 0.3).astype(int)
        frame = pd.DataFrame({"y_true": y, "y_score": np.round(np.clip(0.3 * y + 0.7 * rng.random(size), 0, 1), 3)})
        frame.loc[frame.y_score == frame.y_score.max(), "y_true"] = 0  # no precision of 1: precision>=0.9999 fails
        if weighted:
            frame["weight"] = rng.choice([0.0, 0.5, 1.0, 3.0], size)
        frames[split] = frame
        folder = tmp_path / split
        folder.mkdir()
        for i, rows in enumerate(np.array_split(np.arange(size), 3)):
            frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
        paths[split] = str(folder)
    return frames, paths


RULES = ["f1", "fbeta:2", "precision>=0.7", "recall>=0.9", "cost:fp=1,fn=4,tn=0.5", "precision>=0.9999"]


@pytest.mark.parametrize("weighted", [False, True])
def test_every_rule_streams_the_memory_threshold(tmp_path, monkeypatch, scheduler, weighted):
    from diagnose.thresholds import _streamed

    monkeypatch.setattr(_streamed, "GATHER_ROWS", 50)  # force the refining passes
    frames, paths = scored_parts(tmp_path, weighted=weighted)
    for rule in RULES:
        memory = report(frames["train"], frames["cv"], frames["test"], engine="memory", threshold_rule=rule,
                        bootstrap=0)
        for engine in ("arrow", "dask"):
            streamed = report(**paths, engine=engine, threshold_rule=rule, bootstrap=0, scheduler=scheduler)
            listed = check(memory, streamed, engine)
            assert "threshold.curve" in listed and "threshold.bootstrap" not in listed, rule
            got, want = streamed.sections["threshold"], memory.sections["threshold"]
            assert got.value == want.value and got.message == want.message, (rule, engine)
            if not weighted:  # integer counts: the very same figures
                assert got.cv == want.cv and got.test == want.test and got.test_interval == want.test_interval
    if not weighted:  # the top row, a negative, is not weighed 0: the infeasible case was reached
        assert report(**paths, engine="arrow", threshold_rule="precision>=0.9999",
                      bootstrap=0).sections["threshold"].value is None


def test_a_fixed_grid_search_equals_the_full_sweep_on_crowded_scores():
    from diagnose.thresholds import ScoreStats, ThresholdRule, pick_index, streamed_sweep, sweep

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 40_000)
    s = 0.5 + np.round(rng.random(40_000) * 1e-6 + 2e-7 * y, 12)  # a sliver of [0, 1]: every row in a few buckets
    chunks = [(y[i:i + 7000], s[i:i + 7000], None) for i in range(0, 40_000, 7000)]
    stats = ScoreStats.of(*chunks[0][:2])
    for c in chunks[1:]:
        stats = stats.merge(ScoreStats.of(*c[:2]))
    passes = []

    def scan(job):
        passes.append(type(job).__name__)
        return [job(*c) for c in chunks]

    for rule in ("f1", "recall>=0.8"):
        got, full = streamed_sweep(stats, ThresholdRule.parse(rule), scan, gather_rows=1000), sweep(y, s)
        i, j = pick_index(got, rule), pick_index(full, rule)
        assert got.thresholds[i] == full.thresholds[j] and (got.tp[i], got.pp[i]) == (full.tp[j], full.pp[j])
    assert "Refine" in passes and passes.count("Gather") == 2


def task_parts(tmp_path, task: str, weights: str):
    """Train, cv and test of ``task`` with a model that beats the majority class by a little,
    as two Parquet parts per split; ``weights``: none, equal (all 2.5: McNemar still),
    strata (a few values, some rows at 0) or continuous."""
    rng = np.random.default_rng(["binary", "multiclass", "multilabel"].index(task) + 31)
    frames, paths = {}, {}
    for split, n in (("train", 400), ("cv", 300), ("test", 200)):
        if task == "multilabel":
            y = (rng.random((n, 3)) < [0.2, 0.6, 0.45]).astype(int)
            score = np.clip(0.25 * y + 0.75 * rng.random((n, 3)), 0, 1)
            frame = pd.DataFrame({**{f"y_true_{c}": y[:, j] for j, c in enumerate("abc")},
                                  **{f"y_score_{c}": score[:, j] for j, c in enumerate("abc")}})
        elif task == "multiclass":
            y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
            prob = rng.random((n, 3)) + 0.8 * np.eye(3)[y]
            prob /= prob.sum(axis=1, keepdims=True)
            frame = pd.DataFrame({"y_true": np.array(["a", "b", "c"])[y],
                                  **{f"y_prob_{c}": prob[:, j] for j, c in enumerate("abc")}})
        else:
            y = (rng.random(n) < 0.15).astype(int)
            frame = pd.DataFrame({"y_true": y, "y_score": np.clip(0.4 * y + 0.6 * rng.random(n), 0, 1)})
        if weights == "equal":
            frame["weight"] = 2.5
        elif weights == "strata":
            frame["weight"] = rng.choice([0.0, 0.5, 2.0, 9.0], n)
        elif weights == "continuous":
            frame["weight"] = rng.exponential(1.0, n) * 1e-3
        frames[split] = frame
        folder = tmp_path / split
        folder.mkdir(parents=True)
        for i, rows in enumerate(np.array_split(np.arange(n), 2)):
            frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
        paths[split] = str(folder)
    return frames, paths


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_every_engine_streams_the_memory_skew_section(tmp_path, small_batches, scheduler, task):
    for weights in ("none", "equal", "strata", "continuous"):
        frames, paths = task_parts(tmp_path / weights, task, weights)
        memory = report(frames["train"], frames["cv"], frames["test"], engine="memory", bootstrap=0)
        want = memory.to_dict()["skew"]
        # the test the memory path picks: McNemar only for single labels without informative weights
        assert want["test"] == ("exact_mcnemar" if task != "multilabel" and weights in ("none", "equal")
                                else "paired_z"), (task, weights)
        for engine in ("arrow", "dask"):
            streamed = report(**paths, engine=engine, bootstrap=0, scheduler=scheduler)
            assert "skew" not in left_out(streamed.to_dict(), engine)[1]
            same(want, streamed.to_dict()["skew"], f"{task}/{weights}/{engine}")
            check(memory, streamed, engine)


@pytest.mark.parametrize("run", ["breast_cancer", "digits", "multilabel"])
def test_calibration_from_bin_sums_and_a_truncated_slope_sample(run, small_batches, scheduler, monkeypatch):
    """Past the rows the exact bootstrap resamples, the ECE interval comes from the bin sums'
    normal limit; past SLOPE_SCORES distinct scores, the slope from the merged bottom-k sample:
    both made small here, so that every engine takes those paths on a sample run."""
    from diagnose.calibration import _bins, _slope

    monkeypatch.setattr(_bins, "EXACT_BOOTSTRAP_ROWS", 50)
    monkeypatch.setattr(_slope, "SLOPE_SCORES", 40)
    memory = report(**files(run), engine="memory")
    for engine in ("arrow", "dask"):
        streamed = report(**files(run), engine=engine, scheduler=scheduler)
        assert "calibration" not in check(memory, streamed, engine)
        same(memory.to_dict()["calibration"], streamed.to_dict()["calibration"], "calibration")


def test_quantile_calibration_bins_are_left_out_and_named(small_batches):
    memory = report(**files("breast_cancer"), engine="memory", calibration_strategy="quantile")
    arrow = report(**files("breast_cancer"), engine="arrow", calibration_strategy="quantile")
    assert "calibration" in check(memory, arrow, "arrow")
    assert any("calibration: quantile bins" in w for w in arrow.warnings)


def test_hard_predictions_have_no_calibration_section_on_any_engine(tmp_path, small_batches):
    frames, _ = weighted_parts(tmp_path, fmt="parquet")
    paths = {}
    for split, frame in frames.items():
        hard = frame.assign(y_pred=(frame["y_score"] > 0.5).astype(int)).drop(columns=["y_score"])
        paths[split] = str(tmp_path / f"{split}_hard.parquet")
        hard.to_parquet(paths[split])
    memory = report(**paths, engine="memory")
    arrow = report(**paths, engine="arrow")
    assert "calibration" not in check(memory, arrow, "arrow")
    assert memory.to_dict()["calibration"] is None and arrow.to_dict()["calibration"] is None
