"""Altair charts of results: curves, the report's levels and gaps, thresholds, tallies.

Each function takes a computed result (or a stored report's JSON) and returns a chart;
the dashboard shows them and ``--plot`` writes them to a file.
"""
from __future__ import annotations

from ..curves import LearningCurve, ValidationCurve
from ..values import renders


@renders(LearningCurve, "chart")
@renders(ValidationCurve, "chart")
def curve_chart(curve):
    """An Altair chart of a learning or validation curve (error bands are 95% intervals).

    >>> from diagnose.service import learning_curve
    >>> lc = learning_curve("sample_data/curves/learning_summary.csv", baselines={"human": 0.01})
    >>> type(curve_chart(lc)).__name__
    'LayerChart'
    """
    import altair as alt
    import numpy as np
    import pandas as pd

    key = "train_size" if curve.kind == "learning" else "value"
    frame = curve.to_frame()
    numeric = pd.api.types.is_numeric_dtype(frame[key])
    positive = numeric and bool((frame[key] > 0).all())
    wide = positive and frame[key].max() / frame[key].min() >= 20
    title = "training-set size m" if key == "train_size" else curve.param
    x = alt.X(f"{key}:{'Q' if numeric else 'O'}", title=title,
              scale=alt.Scale(type="log") if wide else alt.Undefined)
    y = alt.Y("error:Q", title=f"J ({curve.metric})")
    curves = ["train", "cv"] + (["extrapolated cv"] if getattr(curve, "extrapolation", None) else [])
    # the legend takes the bands' opacity unless told otherwise, which makes it hard to read
    color = alt.Color("curve:N", title="curve", scale=alt.Scale(domain=curves),
                      legend=alt.Legend(symbolOpacity=1))
    base = alt.Chart(frame)
    layers = [base.mark_area(opacity=0.2).encode(
                  x=x, y=alt.Y("ci_low:Q", title=f"J ({curve.metric})"), y2="ci_high:Q", color=color),
              base.mark_line(point=True).encode(x=x, y=y, color=color,
                                               tooltip=[key, "curve", "error", "ci_low", "ci_high", "n"]
                                               + (["side"] if curve.kind == "validation" else []))]
    if curve.kind == "learning":
        layers.append(alt.Chart(pd.DataFrame({"error": [curve.reference], "label": [curve.reference_name]}))
                      .mark_rule(strokeDash=[4, 4], color="gray").encode(y="error:Q", tooltip=["label"]))
        ex = curve.extrapolation
        if ex is not None:
            sizes = frame[key].astype(float)
            upper = sizes.max() * 3
            if ex.m_target is not None and ex.status == "reachable":
                upper = min(max(upper, ex.m_target * 1.1), sizes.max() * 10)
            m = np.geomspace(sizes.min(), upper, 60)
            fit = pd.DataFrame({key: m, "error": ex.predict(m), "curve": "extrapolated cv"})
            layers.append(alt.Chart(fit).mark_line(strokeDash=[6, 3]).encode(x=x, y=y, color=color))
    else:
        chosen = pd.DataFrame({key: [curve.chosen], "label": [f"chosen {curve.param} = {curve.chosen}"]})
        layers.append(alt.Chart(chosen).mark_rule(color="green").encode(x=x, tooltip=["label"]))
    return alt.layer(*layers).properties(width=560, height=340, title=f"{curve.kind} curve")
