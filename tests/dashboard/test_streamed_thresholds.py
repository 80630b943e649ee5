"""The Thresholds page of a run submitted by streaming (``diagnose submit --engine arrow``),
whose stored report has no ``threshold.curve``: the precision/recall chart and the chart by
threshold are drawn from the run's stored cv score histogram, at the occupied buckets' lower
edges. Oracle: scikit-learn's ``precision_recall_curve`` on the cv file, read at each drawn
threshold (the first distinct score >= it), weighted and not; no stored row is decoded."""
from __future__ import annotations

import json
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from sklearn.metrics import precision_recall_curve

from diagnose import service, store
from diagnose.cli import main
from diagnose.options import DEFAULT_CURVE_POINTS
from diagnose.thresholds import SCORE_GRID
from tests.dashboard.test_pages import assert_clean, charts, open_page, texts

CAPTION = "drawn from the run's stored cv score histogram"


def _write(folder, rng, weighted: bool) -> dict:
    paths = {}
    for split in ("train", "cv", "test"):
        n = 4000
        y = rng.integers(0, 2, n)
        frame = pd.DataFrame({"y_true": y, "y_score": np.round(np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1), 4)})
        if weighted:
            frame["weight"] = rng.choice([0.5, 1.0, 2.0], n)
        paths[split] = folder / f"{split}.parquet"
        frame.to_parquet(paths[split])
    return paths


def _chart_frames(at) -> dict:
    """Every chart's data sets, by chart title (Arrow IPC in the element's proto)."""
    out: dict = {}
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec)["title"]
        out[title] = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
    return out


def _refuse(*args, **kwargs):
    raise AssertionError("the page decoded a stored table")


@pytest.mark.parametrize("weighted", [False, True])
def test_a_streamed_runs_thresholds_page_draws_the_curve_from_the_histogram(tmp_path, rng, monkeypatch, weighted):
    paths = _write(tmp_path, rng, weighted)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["submit", "--project", "p", "--run", "streamed", "--engine", "arrow",
            *[a for split, path in paths.items() for a in (f"--{split}", str(path))]]
    result = CliRunner().invoke(main, args, env={"DIAGNOSE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    with service.session(url) as s:
        stored = store.get_run(s, "p", "streamed").report["threshold"]
    assert stored["curve"] is None and stored["value"] is not None  # what the streamed report leaves out

    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", url)
    from diagnose.service import _stored

    with mock.patch.object(store, "load_run_splits", _refuse), mock.patch.object(_stored, "load_run_splits", _refuse):
        at = open_page("thresholds", project="p", run="streamed")
    assert_clean(at)
    assert charts(at) == 3  # the precision/recall curve, precision/recall/F1 by threshold, the decision curve
    assert CAPTION in texts(at) and "where it is exact" in texts(at)

    frames = _chart_frames(at)
    curve = frames["Precision/recall curve (cv)"][0]
    by_threshold = frames["Precision, recall and F1 by threshold (cv)"][0]
    assert list(curve.columns) == ["threshold", "precision", "recall", "f1"]
    assert 2 <= len(curve) <= DEFAULT_CURVE_POINTS and len(by_threshold) == 3 * len(curve)
    t = curve["threshold"].to_numpy()
    keys = SCORE_GRID.keys(t)
    assert np.all(SCORE_GRID.keys(np.nextafter(t, -1.0))[t > 0] < keys[t > 0])  # lower edges of buckets
    assert SCORE_GRID.keys(np.array([stored["value"]]))[0] in keys  # the chosen threshold's bucket is drawn

    cv = pd.read_parquet(paths["cv"])
    w = cv["weight"].to_numpy() if weighted else None
    precision, recall, thresholds = precision_recall_curve(cv["y_true"], cv["y_score"], sample_weight=w)
    at_t = np.searchsorted(thresholds, t, side="left")  # score >= t: sklearn's point at the first score >= t
    np.testing.assert_allclose(curve["precision"], precision[at_t], rtol=1e-12)
    np.testing.assert_allclose(curve["recall"], recall[at_t], rtol=1e-12)
    p, r = precision[at_t], recall[at_t]
    np.testing.assert_allclose(curve["f1"], 2 * p * r / (p + r), rtol=1e-12)


def test_a_stored_curve_is_drawn_as_stored(tmp_path, rng, monkeypatch):
    """A memory-submitted run keeps its report's curve (every distinct score): no histogram curve."""
    paths = _write(tmp_path, rng, weighted=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with service.session(url) as s, s.begin():
        service.submit_files(s, project="p", run="memory", train=str(paths["train"]), cv=str(paths["cv"]),
                             test=str(paths["test"]))
    with service.session(url) as s:
        result = store.get_run(s, "p", "memory").report["threshold"]
    stored, chosen = result["curve"], result["value"]
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", url)
    at = open_page("thresholds", project="p", run="memory")
    assert_clean(at)
    assert charts(at) == 3 and CAPTION not in texts(at)
    frames = _chart_frames(at)
    curve = frames["Precision/recall curve (cv)"][0]
    # drawn through some of the stored points, exactly as stored (thinned to the pixels:
    # tests/dashboard/test_charts.py checks the half-pixel bound), both charts the same points,
    # the first, the last and the chosen threshold's among them
    whole = pd.DataFrame(stored)[["threshold", "precision", "recall", "f1"]]
    assert 2 <= len(curve) < len(whole)
    picked = whole.set_index("threshold").loc[curve["threshold"]].reset_index()
    pd.testing.assert_frame_equal(curve.reset_index(drop=True), picked, check_exact=True)
    assert {whole["threshold"].iloc[0], whole["threshold"].iloc[-1], chosen} <= set(curve["threshold"])
    by_threshold = frames["Precision, recall and F1 by threshold (cv)"][0]
    assert sorted(set(by_threshold["threshold"])) == curve["threshold"].tolist()
    assert f"drawn through {len(curve):,} of the curve's {len(whole):,} points" in texts(at)
