"""Altair charts of results: curves, the report's levels and gaps, thresholds, tallies.

Each function takes a computed result (or a stored report's JSON) and returns a chart;
the dashboard shows them and ``--plot`` writes them to a file.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..curves import LearningCurve, ValidationCurve
from ..error_analysis import ErrorTally
from ..values import renders
from ._frames import gaps_frame, levels_frame, other_baselines, tally_frame

if TYPE_CHECKING:  # altair and pandas are imported where a chart is drawn: the CLI starts without them
    import altair as alt
    import pandas as pd

WIDTH = 560
MARK_COLORS = ["#2ca02c", "#d62728"]
# the measures of the threshold chart and their colours
MEASURES = ["f1", "precision", "recall"]
MEASURE_COLORS = ["#1f77b4", "#9467bd", "#8c564b"]


@renders(LearningCurve, "chart")
@renders(ValidationCurve, "chart")
def curve_chart(curve) -> alt.LayerChart:
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
    ex = getattr(curve, "extrapolation", None)
    # a flat curve is not extrapolated: more data is not shown to help
    extrapolated = ex is not None and ex.status != "flat"
    curves = ["train", "cv"] + (["extrapolated cv"] if extrapolated else [])
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
        if ex is not None and extrapolated:
            sizes = frame[key].astype(float)
            upper = sizes.max() * 3
            if ex.m_target is not None and ex.status == "reachable":
                upper = min(max(upper, ex.m_target * 1.1), sizes.max() * 10)
            m = np.geomspace(sizes.min(), upper, 40)
            fit = pd.DataFrame({key: m, "error": ex.predict(m), "curve": "extrapolated cv"})
            band = ex.band(m)  # the 95% profile-likelihood band of the fitted curve
            if band is not None:
                fit["ci_low"], fit["ci_high"] = band
                layers.append(alt.Chart(fit).mark_area(opacity=0.12).encode(
                    x=x, y=alt.Y("ci_low:Q", title=f"J ({curve.metric})"), y2="ci_high:Q", color=color))
            layers.append(alt.Chart(fit).mark_line(strokeDash=[6, 3]).encode(x=x, y=y, color=color))
    else:
        chosen = pd.DataFrame({key: [curve.chosen], "label": [f"chosen {curve.param} = {curve.chosen}"]})
        layers.append(alt.Chart(chosen).mark_rule(color="green").encode(x=x, tooltip=["label"]))
    return alt.LayerChart(layer=layers).properties(width=560, height=340, title=f"{curve.kind} curve")


def levels_chart(report: Mapping[str, Any]) -> alt.LayerChart:
    """Baseline, J_train, J_cv and J_test as points with 95% intervals; each gap drawn as a
    bar from the level before, labelled, red where it counts; other baselines as dashed lines.

    >>> from diagnose.service import report
    >>> r = report("sample_data/high_bias/train.csv", "sample_data/high_bias/cv.csv", baselines={"human": 0.01})
    >>> chart = levels_chart(r.to_dict())
    >>> type(chart).__name__, chart.layer[0].data["level"].tolist()
    ('LayerChart', ['baseline', 'J_train', 'J_cv'])
    """
    import altair as alt
    import pandas as pd

    levels, gaps = levels_frame(report), gaps_frame(report)
    order = levels["level"].tolist()
    metric = report.get("metric", "error")
    # one explicit domain: layers with different data would otherwise sort the levels by name
    x = alt.X("level:N", scale=alt.Scale(domain=order), title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("error:Q", title=f"J ({metric})")
    layers = [
        alt.Chart(levels).mark_rule(strokeWidth=2).encode(x=x, y="ci_low:Q", y2="ci_high:Q"),
        alt.Chart(levels).mark_point(filled=True, size=120).encode(
            x=x, y=y, tooltip=["level", "about", "error", "ci_low", "ci_high"]),
    ]
    if not gaps.empty:
        color = alt.Color("status:N", title="gap", scale=alt.Scale(
            domain=["counts", "inconclusive", "ruled_out", "no_reference"],
            range=["#d62728", "#ff7f0e", "#7f7f7f", "#bbbbbb"]))
        gx = alt.X("at:N", scale=alt.Scale(domain=order))
        layers += [
            alt.Chart(gaps).mark_bar(size=10, opacity=0.45, xOffset=24).encode(
                x=gx, y="start:Q", y2="end:Q", color=color, tooltip=["gap", "value", "status"]),
            alt.Chart(gaps).mark_text(align="left", dx=34).encode(
                x=gx, y=alt.Y("mid:Q"), text="label:N", color=color).transform_calculate(
                mid="(datum.start + datum.end) / 2"),
        ]
    others = other_baselines(report, shown=True)
    if others:
        frame = pd.DataFrame({"name": list(others), "error": list(others.values())})
        layers += [alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="gray")
                   .encode(y="error:Q", tooltip=["name", "error"]),
                   alt.Chart(frame).mark_text(align="left", x=4, dy=-6, color="gray")
                   .encode(y="error:Q", text="name:N")]
    return alt.LayerChart(layer=layers).properties(width=WIDTH, height=340, title="Where the error sits")


# ------------------------------------------------------------------------------- thresholds


def _marks(chosen: float | None, current: float) -> pd.DataFrame:
    import pandas as pd

    rows = [{"threshold": current, "mark": f"slider {current:.4g}"}]
    if chosen is not None:
        rows.insert(0, {"threshold": chosen, "mark": f"chosen on cv {chosen:.4g}"})
    return pd.DataFrame(rows)




def threshold_chart(curve: pd.DataFrame, *, chosen: float | None, current: float) -> alt.LayerChart:
    """Precision, recall and F1 against the threshold, the cv-chosen one and the slider's marked.

    >>> import pandas as pd
    >>> curve = pd.DataFrame({"threshold": [0.2, 0.5, 0.8], "precision": [0.5, 0.7, 1.0],
    ...                       "recall": [1.0, 0.8, 0.3], "f1": [0.67, 0.75, 0.46]})
    >>> chart = threshold_chart(curve, chosen=0.5, current=0.6)
    >>> type(chart).__name__, chart.layer[1].data["mark"].tolist()
    ('LayerChart', ['chosen on cv 0.5', 'slider 0.6'])
    """
    import altair as alt

    long = curve.melt(id_vars="threshold", value_vars=["precision", "recall", "f1"], var_name="measure")
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("threshold:Q", title="threshold (positive when score >= threshold)"),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(domain=MEASURES, range=MEASURE_COLORS)),
        tooltip=["threshold", "measure", "value"])
    rules = alt.Chart(_marks(chosen, current)).mark_rule(strokeDash=[5, 3], size=2).encode(
        x="threshold:Q", color=alt.Color("mark:N", title=None, scale=alt.Scale(range=MARK_COLORS)), tooltip=["mark"])
    return alt.LayerChart(layer=[lines, rules]).resolve_scale(color="independent").properties(
        width=WIDTH, height=300, title="Precision, recall and F1 by threshold (cv)")


def pr_chart(curve: pd.DataFrame, *, chosen: Mapping[str, float] | None,
             current: Mapping[str, float]) -> alt.LayerChart:
    """The precision/recall curve with the cv-chosen point and the slider's point.

    >>> import pandas as pd
    >>> curve = pd.DataFrame({"threshold": [0.2, 0.5, 0.8], "precision": [0.5, 0.7, 1.0],
    ...                       "recall": [1.0, 0.8, 0.3], "f1": [0.67, 0.75, 0.46]})
    >>> chart = pr_chart(curve, chosen={"threshold": 0.5, "precision": 0.7, "recall": 0.8},
    ...                  current={"threshold": 0.8, "precision": 1.0, "recall": 0.3})
    >>> type(chart).__name__, chart.layer[1].data["mark"].tolist()
    ('LayerChart', ['chosen on cv 0.5', 'slider 0.8'])
    """
    import altair as alt
    import pandas as pd

    line = alt.Chart(curve).mark_line(color="#1f77b4").encode(
        x=alt.X("recall:Q", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("precision:Q", scale=alt.Scale(domain=[0, 1])),
        order="threshold:Q", tooltip=["threshold", "precision", "recall", "f1"])
    points = [dict(current, mark=f"slider {current['threshold']:.4g}")]
    if chosen is not None:
        points.insert(0, dict(chosen, mark=f"chosen on cv {chosen['threshold']:.4g}"))
    dots = alt.Chart(pd.DataFrame(points)).mark_point(filled=True, size=140).encode(
        x="recall:Q", y="precision:Q", color=alt.Color("mark:N", title=None, scale=alt.Scale(range=MARK_COLORS)),
        tooltip=["mark", "precision", "recall"])
    return alt.LayerChart(layer=[line, dots]).properties(width=WIDTH, height=300, title="Precision/recall curve (cv)")


@renders(ErrorTally, "chart")
def tally_chart(tally) -> alt.LayerChart:
    """Each category's share of the reviewed errors with its 95% interval, largest first.

    >>> from diagnose.error_analysis import tally_tags
    >>> chart = tally_chart(tally_tags(["blurry", "blurry;dark", "glare"], total_errors=30))
    >>> type(chart).__name__, chart.data["category"].tolist()
    ('LayerChart', ['blurry', 'dark', 'glare'])
    """
    import altair as alt

    frame = tally_frame(tally)
    y = alt.Y("category:N", sort=frame["category"].tolist(), title=None)
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("share:Q", title="share of reviewed errors", axis=alt.Axis(format="%")), y=y,
        tooltip=["category", "count", alt.Tooltip("share:Q", format=".1%"), "estimated_count"])
    ci = alt.Chart(frame).mark_rule(color="black").encode(x="share_ci_low:Q", x2="share_ci_high:Q", y=y)
    # a step per category: a fixed height collapsed to nothing in Streamlit's layout
    return alt.LayerChart(layer=[bars, ci]).properties(width=WIDTH, height=alt.Step(28),
                                          title="Error categories (95% intervals)")


def decision_chart(curves: Mapping[str, Any]) -> alt.Chart:
    """Net benefit by threshold probability (a report's ``threshold.decision_curve`` JSON, or one
    label's): the model on each split, treat all and treat none.

    >>> curve = [{"threshold": 0.1, "model": 0.3, "treat_all": 0.28, "treat_none": 0.0},
    ...          {"threshold": 0.5, "model": 0.2, "treat_all": 0.0, "treat_none": 0.0}]
    >>> type(decision_chart({"cv": {"prevalence": 0.35, "curve": curve}})).__name__
    'Chart'
    """
    import altair as alt
    import pandas as pd

    rows = []
    for split, c in curves.items():
        for p in c.get("curve") or []:
            rows.append({"threshold": p["threshold"], "net benefit": p["model"], "strategy": f"model, {split}"})
            if split == "cv":
                rows += [{"threshold": p["threshold"], "net benefit": p["treat_all"], "strategy": "treat all (cv)"},
                         {"threshold": p["threshold"], "net benefit": p["treat_none"], "strategy": "treat none"}]
    frame = pd.DataFrame(rows)
    low = min(-0.05, float(frame["net benefit"].clip(lower=-1).min())) if len(frame) else -0.05
    return alt.Chart(frame).mark_line().encode(
        x=alt.X("threshold:Q", title="threshold probability"),
        y=alt.Y("net benefit:Q", scale=alt.Scale(domain=[low, float(frame["net benefit"].max()) if len(frame) else 1])),
        color=alt.Color("strategy:N"), tooltip=["strategy", "threshold", "net benefit"],
    ).properties(width=WIDTH, height=300, title="Decision curve")
