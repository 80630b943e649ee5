"""Curves thinned to what a chart's pixels can show, so that the browser draws a few hundred
points instead of thousands (Vega's cost grows with the rows it is given).

Every number a user reads stays exact: the points kept are rows of the curve, unchanged (the
tooltips show them), the marked points (the threshold chosen on cv, the slider's) and the
tables are computed apart, and the line drawn passes within half a pixel of every dropped point.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# the largest plot the thresholds page's curve charts get, in pixels: they are 300 high and
# stretch to their column, which no screen up to 1920 pixels wide makes wider than this
PLOT_WIDTH, PLOT_HEIGHT = 1920, 600
TOLERANCE = 0.5  # pixels: how far from the drawn line a point of the curve may be


def pixel_rows(frame: pd.DataFrame, lines: Sequence[tuple[str, str]], *, width: int, height: int,
               tolerance: float = TOLERANCE, keep: np.ndarray | None = None) -> np.ndarray:
    """A mask of the rows of ``frame`` (a curve, in drawing order) to draw so that, for every line
    ``(x, y)`` of ``lines``, the polyline through the kept rows passes within ``tolerance``
    pixels of every row's point on a ``width`` x ``height`` plot: Douglas-Peucker, run on each
    line in turn over the rows kept so far (the rows in ``keep``, the first and the last to
    start) until no line needs another row. Pixels are counted over each column's range in
    ``frame``: a chart's axis spans at least that, so its pixels are no smaller and the bound
    holds on the chart. A row with a missing value breaks the line there: it is kept, and so
    are the rows on either side of it.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"x": [0.0, 0.25, 0.5, 0.75, 1.0], "y": [0.0, 0.25, 0.5, 0.9, 1.0]})
    >>> pixel_rows(f, [("x", "y")], width=100, height=100).tolist()
    [True, False, True, True, True]
    """
    n = len(frame)
    kept = np.zeros(n, dtype=bool) if keep is None else np.asarray(keep, dtype=bool).copy()
    if n == 0:
        return kept
    kept[0] = kept[-1] = True
    drawn = []
    for x, y in lines:
        points = []
        for column, pixels in ((x, width), (y, height)):
            v = frame[column].to_numpy(dtype=float)
            low, span = np.nanmin(v), np.nanmax(v) - np.nanmin(v)
            points.append((v - low) / span * pixels if span > 0 else np.zeros(n))
        missing = np.isnan(points[0]) | np.isnan(points[1])
        kept |= missing | np.r_[missing[1:], False] | np.r_[False, missing[:-1]]
        drawn.append((points[0], points[1]))
    while True:
        before = int(kept.sum())
        for px, py in drawn:
            _douglas_peucker(px, py, tolerance, kept)
        if int(kept.sum()) == before:
            return kept


def _douglas_peucker(x: np.ndarray, y: np.ndarray, tolerance: float, kept: np.ndarray) -> None:
    """Keep (in ``kept``) the points Douglas-Peucker needs between the points already kept, so that
    every point lies within ``tolerance`` of the segment between the kept points around it."""
    at = np.flatnonzero(kept)
    spans = list(zip(at[:-1].tolist(), at[1:].tolist()))
    while spans:
        i, j = spans.pop()
        if j <= i + 1:
            continue
        dx, dy = x[j] - x[i], y[j] - y[i]
        mx, my = x[i + 1:j] - x[i], y[i + 1:j] - y[i]
        length2 = dx * dx + dy * dy
        if length2 > 0:  # the distance to the segment (not the line: a curve may turn back)
            t = np.clip((mx * dx + my * dy) / length2, 0.0, 1.0)
            far = np.hypot(mx - t * dx, my - t * dy)
        else:
            far = np.hypot(mx, my)
        k = int(np.argmax(far))
        if far[k] > tolerance:
            kept[i + 1 + k] = True
            spans += [(i, i + 1 + k), (i + 1 + k, j)]


def thin_curve(curve: pd.DataFrame, *, keep: Sequence[float] = (), width: int = PLOT_WIDTH,
               height: int = PLOT_HEIGHT) -> pd.DataFrame:
    """The rows of a precision/recall curve (columns threshold, precision, recall, f1, sorted by
    threshold) that the thresholds page's two charts need: those :func:`pixel_rows` keeps for the
    precision/recall line and for each measure against the threshold, so that every line drawn
    passes within half a pixel of every point of the curve on a plot up to ``width`` x ``height``;
    the rows at the thresholds in ``keep`` (the one chosen on cv) are kept too.

    >>> import pandas as pd
    >>> t = [i / 1000 for i in range(1001)]
    >>> curve = pd.DataFrame({"threshold": t, "precision": t, "recall": [1 - v for v in t], "f1": t})
    >>> thin = thin_curve(curve)
    >>> len(thin) < len(curve), thin.iloc[[0, -1]].equals(curve.iloc[[0, -1]])
    (True, True)
    """
    lines = [("recall", "precision")] + [("threshold", m) for m in ("precision", "recall", "f1")]
    ordered = curve.sort_values("threshold", kind="stable")
    wanted = ordered["threshold"].isin(list(keep)).to_numpy()
    return ordered[pixel_rows(ordered, lines, width=width, height=height, keep=wanted)]


# the function of streamlit.elements.vega_charts that st.altair_chart converts a chart with
CONVERTER = "_convert_altair_to_vega_lite_spec"


def vega_spec(chart: Any) -> Any:
    """What Streamlit sends the browser for an Altair ``chart``: its Vega-Lite spec, made by
    Streamlit's own conversion (the one ``st.altair_chart`` runs: each dataset serialized to
    Arrow), so that a page can build it once and draw it with :func:`draw` at every load
    instead of building and validating the chart again (most of a chart page's script time).
    A Streamlit without that conversion (or whose conversion fails or gives something other
    than a spec) gets the chart back, which :func:`draw` draws as it is.

    >>> import altair as alt, pandas as pd
    >>> spec = vega_spec(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_line().encode(x="x:Q"))
    >>> spec["mark"]["type"], [type(d).__name__ for d in spec["datasets"].values()]
    ('line', ['bytes'])
    """
    try:  # a private function of Streamlit's: anything unexpected, and the chart is drawn as it is
        from streamlit.elements import vega_charts

        spec = getattr(vega_charts, CONVERTER)(chart)
    except Exception:  # noqa: BLE001
        return chart
    return spec if isinstance(spec, dict) else chart


def draw(spec: Any, where: Any = None) -> None:
    """Draw a :func:`vega_spec` in ``where`` (a Streamlit container; default the page) as
    ``st.altair_chart`` draws the chart it came from (the same element, spec and data).

    >>> draw.__name__  # drawn on a page: tests/dashboard/test_charts.py compares the elements
    'draw'
    """
    import streamlit as st

    where = st if where is None else where
    if isinstance(spec, dict):  # a copy: Streamlit takes the datasets out of the spec it is given and patches it
        copied = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
        where.vega_lite_chart(dict(copied, datasets=dict(spec.get("datasets") or {})))
    else:
        where.altair_chart(spec)
