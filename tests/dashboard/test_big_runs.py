"""The dashboard on runs too big to decode on every page load (issue 15), on small seeded runs:
the threshold counts from the stored score histograms (oracle: the exact sweep at the edge),
pages that read no row, and the Error analysis page of a big run (its sample drawn in
batches equals the whole split's; the row-reading sections wait for a button).

A "big run" here is any run above DIAGNOSE_DASHBOARD_BIG_RUN_ROWS, set low for the test.
"""
from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score
from sqlalchemy.orm import Session

from dashboard.scoregrid import BUCKETS, STEP, EdgeCounts, edges, nearest_edge
from diagnose import service, store
from diagnose.error_analysis import sample_errors
from diagnose.thresholds import ScoreStats, sweep
from tests.dashboard.test_pages import (
    BREAST,
    SAMPLE,
    assert_clean,
    blocks,
    open_page,
    store_breast_cancer,
    tables,
    texts,
)


def _refuse(*args, **kwargs):
    raise AssertionError("the page decoded a stored table")


@pytest.fixture
def no_rows():
    """Any decode of a stored table fails the test (the pages must read reports and statistics only)."""
    from diagnose.service import _stored

    with mock.patch.object(store, "load_run_splits", _refuse), \
            mock.patch.object(_stored, "curve_tables", _refuse), mock.patch.object(_stored, "load_run_splits", _refuse):
        yield


# ----------------------------------------------------------------------------- counts at the edges


@pytest.mark.parametrize("weighted", [False, True])
def test_counts_at_every_edge_are_the_exact_sweeps(weighted):
    rng = np.random.default_rng(11)
    e = edges()
    # scores on edges, one ulp under them, ties, 0 and 1, and plain random ones
    picks = rng.integers(1, BUCKETS, 400)
    s = np.concatenate([e[picks], np.nextafter(e[picks], -1.0), np.round(rng.random(3000), 2), rng.random(3000),
                        [0.0, 1.0, 1.0]])
    y = (rng.random(s.shape[0]) < s).astype(np.int8)
    w = rng.choice([0.5, 1.0, 3.0], s.shape[0]) if weighted else None
    counts = EdgeCounts.of(ScoreStats.of(y, s, w))
    exact = sweep(y, s, sample_weight=w)
    for k in np.unique(np.concatenate([picks, picks - 1, [0, 1, BUCKETS // 2, BUCKETS - 1],
                                       rng.integers(0, BUCKETS, 500)])):
        got, want = counts.at(int(k)), exact.at(float(e[k]))
        assert (got.tp, got.pp, got.positives) == pytest.approx((want.tp, want.pp, want.positives), rel=1e-12)
        assert got.total == pytest.approx(want.total, rel=1e-12)


def test_the_slider_value_stands_for_the_nearest_edge():
    assert [nearest_edge(k * STEP) for k in (0, 1, 32768, BUCKETS - 1)] == [0, 1, 32768, BUCKETS - 1]
    assert nearest_edge(0.3) == round(0.3 * BUCKETS) and nearest_edge(1.0) == BUCKETS - 1


# ----------------------------------------------------------------------------- pages without rows


@pytest.fixture
def stored(sqlite_url, monkeypatch) -> str:
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    store_breast_cancer(sqlite_url)
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():  # a second run, to compare with
        service.submit_files(s, project="p", run="bc2", **{split: str(BREAST / f"{split}.csv")
                                                          for split in ("train", "cv", "test")})
    engine.dispose()
    return sqlite_url


def test_thresholds_from_the_histograms_read_no_row(stored, no_rows):
    at = open_page("thresholds", project="p", run="bc")
    assert_clean(at)
    at.slider[0].set_value(0.25).run()
    assert_clean(at)
    edge = float(edges()[nearest_edge(0.25)])
    rows = at.dataframe[0].value.set_index("split")
    for split in ("cv", "test"):
        frame = pd.read_csv(BREAST / f"{split}.csv")
        predicted = (frame["y_score"] >= edge).astype(int)
        assert rows.loc[split, "threshold"] == edge
        assert rows.loc[split, "precision"] == pytest.approx(precision_score(frame["y_true"], predicted))
        assert rows.loc[split, "recall"] == pytest.approx(recall_score(frame["y_true"], predicted))
        assert rows.loc[split, "F1"] == pytest.approx(f1_score(frame["y_true"], predicted))
    assert "No row is read" in texts(at)


def test_thresholds_of_a_run_without_statistics_sweep_its_rows(stored):
    with mock.patch.object(service, "run_statistics", lambda *a: None, create=True):
        at = open_page("thresholds", project="p", run="bc")
        assert_clean(at)
        at.slider[0].set_value(0.3).run()
        assert_clean(at)
    rows = at.dataframe[0].value.set_index("split")
    frame = pd.read_csv(BREAST / "cv.csv")
    predicted = (frame["y_score"] >= 0.3).astype(int)  # the exact sweep: any threshold, exactly
    assert rows.loc["cv", "threshold"] == 0.3
    assert rows.loc["cv", "F1"] == pytest.approx(f1_score(frame["y_true"], predicted))
    assert "No row is read" not in texts(at)


@pytest.mark.parametrize("page", ["diagnosis", "runs", "curves"])
def test_report_pages_read_no_row(stored, no_rows, page, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_BIG_RUN_ROWS", "10")  # the runs' row-by-row comparison waits
    at = open_page(page, project="p", run="bc")
    assert_clean(at)
    if page == "runs":
        assert "Compare every row" in [b.label for b in at.button]
        assert "reads every cv and test row of both" in texts(at)


def test_curves_page_from_statistics_reads_no_row(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    frame = pd.read_csv(SAMPLE / "curves" / "learning_high_variance.csv")
    engine = store.make_engine(sqlite_url)
    for size, group in frame.groupby("train_size"):
        with Session(engine) as s, s.begin():
            service.submit_files(s, project="lc", run=f"m={size}", data=group.reset_index(drop=True),
                                 baselines={"human": 0.01})
    engine.dispose()
    from diagnose import present
    from diagnose.service import _stored

    with mock.patch.object(_stored, "curve_tables", _refuse), mock.patch.object(store, "load_run_splits", _refuse):
        at = open_page("curves", project="lc", run="m=1078")
    assert_clean(at)
    assert "Verdict: high_variance" in texts(at)  # sample_data/README.md
    with service.session(sqlite_url) as s, mock.patch.object(_stored, "statistics_reader", lambda: None):
        from_rows = service.learning_curve_from_store(s, "lc")
    assert blocks(at)[0] == present.render(from_rows, "text")  # the curve the rows give


# ----------------------------------------------------------------------------- error analysis, big run


def test_a_big_runs_error_analysis_opens_with_the_sample_only(stored, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_BIG_RUN_ROWS", "10")
    engine = store.make_engine(stored)
    with Session(engine) as s:
        cv = store.load_run_splits(s, "p", "bc").cv
    engine.dispose()
    oracle = sample_errors(cv, n=20, seed=5)
    with mock.patch.object(store, "load_run_splits", _refuse):
        at = open_page("error_analysis", project="p", run="bc")
        at.number_input(key="sample_n").set_value(20).run()
        at.number_input(key="sample_seed").set_value(5).run()
        assert_clean(at)
        shown = at.data_editor[0].value
        assert shown["id"].astype(str).tolist() == oracle.frame["id"].astype(str).tolist()
        assert "Cohorts, slices, label-noise suspects" in texts(at)
        assert f"read every one of the {cv.n:,} cv rows" in texts(at)
        assert "Slices" not in [h.value for h in at.subheader]
    # asked for: every cv row is read, and the sections show
    next(b for b in at.button if b.label.startswith("Read every cv row")).click().run()
    assert_clean(at)
    assert {"Cohorts", "Slices", "Label-noise suspects"} <= {h.value for h in at.subheader}
    cohorts = [t for t in tables(at) if "slice" in t.columns]
    assert cohorts and "size" in set(cohorts[0]["slice"])  # the cv split's slice columns, every row read


def test_statistics_of_a_run_stored_without_them_are_computed_from_its_rows(stored):
    from dashboard import data

    found, was_stored = data.statistics("p", "bc")
    assert was_stored
    with mock.patch.object(service, "run_statistics", lambda *a: None, create=True):
        data._stored_statistics.clear()
        computed, was_stored = data.statistics("p", "bc")
    data._stored_statistics.clear()
    assert not was_stored and sorted(computed) == sorted(found) == ["cv", "test", "train"]
    for split in ("train", "cv", "test"):
        assert computed[split].stats.error(split) == found[split].stats.error(split)
    for split in ("cv", "test"):
        assert np.array_equal(computed[split].scores.hist.total, found[split].scores.hist.total)
        assert np.array_equal(computed[split].scores.hist.positive, found[split].scores.hist.positive)
