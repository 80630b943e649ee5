"""The curves the dashboard thins before the browser draws them (dashboard/charts.py), checked
against a brute-force oracle: every point's distance, in pixels, to the polyline drawn through
the kept points, measured against every segment of it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import charts
from diagnose import present


def _pixels(frame: pd.DataFrame, x: str, y: str, width: int, height: int) -> np.ndarray:
    """The points of line (x, y) in pixels over each column's range (what pixel_rows promises on)."""
    out = []
    for column, pixels in ((x, width), (y, height)):
        v = frame[column].to_numpy(dtype=float)
        span = np.nanmax(v) - np.nanmin(v)
        out.append((v - np.nanmin(v)) / span * pixels if span > 0 else np.zeros(len(v)))
    return np.column_stack(out)


def _farthest(points: np.ndarray, drawn: np.ndarray) -> float:
    """The largest distance from a point to the polyline through ``drawn`` (every segment tried)."""
    if len(drawn) == 1:
        return float(np.max(np.hypot(*(points - drawn[0]).T)))
    a, b = drawn[:-1], drawn[1:]  # segments
    ab = b - a
    length2 = np.maximum((ab ** 2).sum(axis=1), 1e-300)
    worst = 0.0
    for p in points:
        t = np.clip(((p - a) * ab).sum(axis=1) / length2, 0.0, 1.0)
        closest = a + t[:, None] * ab
        worst = max(worst, float(np.min(np.hypot(*(p - closest).T))))
    return worst


def _curve(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A precision/recall curve of n thresholds from random scores and labels (precision and
    recall as scikit-learn defines them at score >= t)."""
    y = rng.random(4 * n) < 0.3
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    t = np.unique(np.quantile(s, np.linspace(0, 1, n)))
    tp = np.array([(y & (s >= v)).sum() for v in t], dtype=float)
    pp = np.array([(s >= v).sum() for v in t], dtype=float)
    precision, recall = tp / pp, tp / y.sum()
    return pd.DataFrame({"threshold": t, "precision": precision, "recall": recall,
                         "f1": 2 * precision * recall / (precision + recall)})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_point_of_a_thinned_curve_is_within_half_a_pixel_of_its_drawn_lines(seed):
    curve = _curve(np.random.default_rng(seed), 3000)
    drawn = charts.thin_curve(curve)
    assert len(drawn) < len(curve) / 4  # it does thin: a smooth curve needs a few points a pixel row
    assert drawn.iloc[[0, -1]]["threshold"].tolist() == [curve["threshold"].iloc[0], curve["threshold"].iloc[-1]]
    # the kept rows are rows of the curve, every value unchanged
    pd.testing.assert_frame_equal(drawn, curve.loc[drawn.index])
    lines = [("recall", "precision")] + [("threshold", m) for m in ("precision", "recall", "f1")]
    for x, y in lines:
        points = _pixels(curve, x, y, charts.PLOT_WIDTH, charts.PLOT_HEIGHT)
        assert _farthest(points, points[curve.index.get_indexer(drawn.index)]) <= charts.TOLERANCE + 1e-9


def test_a_coarser_plot_keeps_fewer_points_and_the_bound_holds_there_too():
    curve = _curve(np.random.default_rng(5), 2000)
    small = charts.thin_curve(curve, width=300, height=150)
    assert len(small) < len(charts.thin_curve(curve))
    points = _pixels(curve, "recall", "precision", 300, 150)
    assert _farthest(points, points[curve.index.get_indexer(small.index)]) <= charts.TOLERANCE + 1e-9


def test_the_rows_asked_for_are_kept_and_rows_come_in_threshold_order():
    curve = _curve(np.random.default_rng(7), 1000)
    picked = float(curve["threshold"].iloc[417])
    drawn = charts.thin_curve(curve.sample(frac=1.0, random_state=3), keep=[picked])
    assert picked in drawn["threshold"].tolist()
    assert drawn["threshold"].is_monotonic_increasing


def test_rows_with_a_missing_value_are_kept_and_break_the_line():
    x = np.linspace(0.0, 1.0, 200)
    frame = pd.DataFrame({"x": x, "y": x.copy()})  # a straight line: only its ends are needed
    assert charts.pixel_rows(frame, [("x", "y")], width=1000, height=1000).sum() == 2
    frame.loc[[50, 120], "y"] = np.nan
    kept = np.flatnonzero(charts.pixel_rows(frame, [("x", "y")], width=1000, height=1000))
    # the gaps themselves and the ends of each straight run between them
    assert kept.tolist() == [0, 49, 50, 51, 119, 120, 121, 199]


def test_rows_kept_for_one_line_do_not_break_the_bound_on_another():
    """Douglas-Peucker on each line alone, then the union, is not enough: a row another line needs
    splits a segment and can move it away from points that it covered. Two lines that need
    different rows, through every point of each in turn."""
    t = np.linspace(0.0, 1.0, 400)
    frame = pd.DataFrame({"t": t, "a": np.sin(9 * t) * t, "b": np.cos(13 * t) * (1 - t)})
    for width, height in ((200, 100), (1000, 700)):
        kept = charts.pixel_rows(frame, [("t", "a"), ("t", "b")], width=width, height=height)
        for y in ("a", "b"):
            points = _pixels(frame, "t", y, width, height)
            assert _farthest(points, points[kept]) <= charts.TOLERANCE + 1e-9


def test_an_empty_or_flat_curve():
    empty = pd.DataFrame({"x": [], "y": []})
    assert charts.pixel_rows(empty, [("x", "y")], width=10, height=10).tolist() == []
    flat = pd.DataFrame({"x": [0.5] * 4, "y": [0.2] * 4})
    assert charts.pixel_rows(flat, [("x", "y")], width=10, height=10).tolist() == [True, False, False, True]


# ------------------------------------------------------------------ drawn once, sent as st.altair_chart sends it


def _both_ways(build_name: str) -> None:
    """A page drawing the chart ``build_name`` makes twice: with st.altair_chart, and as the pages
    draw it (its spec built once by charts.vega_spec, drawn by charts.draw)."""
    import streamlit as st

    from dashboard import charts
    from tests.dashboard.test_charts import CHARTS

    chart = CHARTS[build_name]()
    st.altair_chart(chart)
    spec = charts.vega_spec(chart)
    charts.draw(spec)
    left, _ = st.columns(2)
    charts.draw(spec, left)  # drawn again from the same spec, in a column: the spec is not used up


def _threshold_curve() -> pd.DataFrame:
    t = np.linspace(0, 1, 501)
    return pd.DataFrame({"threshold": t, "precision": 0.3 + 0.7 * t ** 2, "recall": 1 - t ** 3, "f1": t * (1 - t)})


def _decision_curves() -> dict:
    def curve(d: float) -> list[dict]:
        return [{"threshold": p, "model": m + d, "treat_all": a, "treat_none": 0.0}
                for p, m, a in ((0.05, 0.2, 0.26), (0.1, 0.15, 0.22), (0.2, 0.1, 0.12), (0.5, 0.02, -0.4))]
    return {"cv": {"prevalence": 0.3, "curve": curve(0.0)}, "test": {"prevalence": 0.31, "curve": curve(0.01)}}


def _levels():
    from diagnose.service import report
    from tests.fixtures import ROOT

    r = report(str(ROOT / "sample_data/high_bias/train.csv"), str(ROOT / "sample_data/high_bias/cv.csv"),
               baselines={"human": 0.01})
    return present.levels_chart(r.to_dict())


CHARTS = {
    "threshold": lambda: present.threshold_chart(
        _threshold_curve(), chosen=0.5, current=0.25),
    "pr": lambda: present.pr_chart(
        _threshold_curve(), chosen={"threshold": 0.5, "precision": 0.475, "recall": 0.875},
        current={"threshold": 0.25, "precision": 0.34, "recall": 0.98}),
    "decision": lambda: present.decision_chart(_decision_curves()),
    "levels": _levels,
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_a_chart_drawn_from_its_stored_spec_is_the_element_st_altair_chart_sends(name):
    """Oracle: Streamlit's own st.altair_chart. The element the pages send from a spec built once
    (spec, Arrow datasets, width, theme) is byte for byte the one st.altair_chart sends."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_both_ways, args=(name,), default_timeout=60).run()
    assert not at.exception, at.exception
    drawn = [e.proto for e in at.get("vega_lite_chart")]
    assert len(drawn) == 3
    reference = drawn[0].SerializeToString(deterministic=True)
    assert drawn[0].datasets and len(drawn[0].spec) > 100  # the comparison compares something
    for other in drawn[1:]:
        assert other.SerializeToString(deterministic=True) == reference


def test_without_streamlits_conversion_a_chart_is_drawn_as_it_is(monkeypatch):
    """The conversion is a private function of Streamlit's: when it is missing (or fails, or
    gives no spec), vega_spec gives the chart back and draw sends it with st.altair_chart, the
    same element."""
    import altair as alt

    chart = CHARTS["threshold"]()
    assert isinstance(charts.vega_spec(chart), dict)
    monkeypatch.setattr(charts, "CONVERTER", "no_such_function")
    assert charts.vega_spec(chart) is chart
    monkeypatch.setattr(charts, "CONVERTER", "__name__")  # not callable: fails
    assert charts.vega_spec(chart) is chart
    assert isinstance(chart, alt.TopLevelMixin)


def _drawn_as_it_is(name: str) -> None:
    import streamlit as st

    from dashboard import charts
    from tests.dashboard.test_charts import CHARTS

    chart = CHARTS[name]()
    st.altair_chart(chart)
    charts.CONVERTER = "no_such_function"
    try:
        charts.draw(charts.vega_spec(chart))
    finally:
        charts.CONVERTER = "_convert_altair_to_vega_lite_spec"


def test_a_chart_drawn_without_the_conversion_is_the_same_element():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_drawn_as_it_is, args=("levels",), default_timeout=60).run()
    assert not at.exception, at.exception
    a, b = (e.proto.SerializeToString(deterministic=True) for e in at.get("vega_lite_chart"))
    assert a == b and len(a) > 100
