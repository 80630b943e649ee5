"""Altair charts and small tables of the dashboard, built from stored reports and results.

No Streamlit here: each function returns a chart or a DataFrame, tested on its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

GAP_STEPS = (("bias", "baseline", "J_train"), ("variance", "J_train", "J_cv"), ("test", "J_cv", "J_test"))
WIDTH = 560


def _gap_status(detail: Mapping[str, Any] | None) -> str:
    if not detail:
        return ""
    if detail.get("counted"):
        return "counts"
    return "within noise" if detail.get("material") else "below tolerance"


def levels_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """The baseline and J_train, J_cv, J_test of a stored report, with their 95% intervals.

    >>> r = {"reference": 0.01, "reference_name": "human", "splits": {
    ...     "train": {"error": 0.02, "ci_low": 0.01, "ci_high": 0.03}, "cv": {"error": 0.1, "ci_low": 0.08, "ci_high": 0.12}}}
    >>> levels_frame(r)[["level", "error"]].values.tolist()
    [['baseline', 0.01], ['J_train', 0.02], ['J_cv', 0.1]]
    """
    rows = []
    if report.get("reference") is not None:
        rows.append({"level": "baseline", "error": report["reference"], "ci_low": None, "ci_high": None,
                     "about": f"baseline: {report.get('reference_name') or 'reference'}"})
    for split in ("train", "cv", "test"):
        s = (report.get("splits") or {}).get(split)
        if s and s.get("error") is not None:
            rows.append({"level": f"J_{split}", "error": s["error"], "ci_low": s.get("ci_low"),
                         "ci_high": s.get("ci_high"), "about": f"{split} split, n = {s.get('n')}"})
    return pd.DataFrame(rows, columns=["level", "error", "ci_low", "ci_high", "about"])


def gaps_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """The gaps between consecutive levels: from, to, value and whether each counts.

    >>> r = {"reference": 0.01, "splits": {"train": {"error": 0.02}, "cv": {"error": 0.1}},
    ...      "gaps": {"bias": 0.01, "variance": 0.08}, "gap_details": {"variance": {"counted": True}}}
    >>> gaps_frame(r)[["gap", "start", "end", "status"]].values.tolist()
    [['bias', 0.01, 0.02, 'below tolerance'], ['variance', 0.02, 0.1, 'counts']]
    """
    levels = dict(zip(*levels_frame(report)[["level", "error"]].T.values))
    details = report.get("gap_details") or {}
    rows = []
    for gap, low, high in GAP_STEPS:
        value = (report.get("gaps") or {}).get(gap)
        if value is None or low not in levels or high not in levels:
            continue
        rows.append({"gap": gap, "at": high, "start": levels[low], "end": levels[high], "value": value,
                     "status": _gap_status(details.get(gap)) or "below tolerance",
                     "label": f"{gap} gap {value:+.4g}"})
    return pd.DataFrame(rows, columns=["gap", "at", "start", "end", "value", "status", "label"])


def other_baselines(report: Mapping[str, Any], *, shown: bool) -> dict[str, float]:
    """Baselines besides the reference: those near the levels (``shown``) are drawn as lines;
    the rest (a trivial classifier far above everything) would squash the chart.

    >>> r = {"reference_name": "human", "baselines": {"human": 0.01, "trivial": 0.4, "rival": 0.03},
    ...      "splits": {"train": {"error": 0.02, "ci_high": 0.03}, "cv": {"error": 0.05, "ci_high": 0.07}}}
    >>> other_baselines(r, shown=True), other_baselines(r, shown=False)
    ({'rival': 0.03}, {'trivial': 0.4})
    """
    levels = levels_frame(report)
    top = max(levels["ci_high"].fillna(levels["error"]).max(), levels["error"].max()) if not levels.empty else 0
    others = {k: v for k, v in (report.get("baselines") or {}).items()
              if v is not None and k != report.get("reference_name")}
    return {k: v for k, v in others.items() if (v <= 1.5 * top) == shown}


def levels_chart(report: Mapping[str, Any]) -> alt.LayerChart:
    """Baseline, J_train, J_cv and J_test as points with 95% intervals; each gap drawn as a
    bar from the level before, labelled, red where it counts; other baselines as dashed lines."""
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
            domain=["counts", "within noise", "below tolerance"], range=["#d62728", "#ff7f0e", "#7f7f7f"]))
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
        layers += [alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="gray").encode(y="error:Q", tooltip=["name", "error"]),
                   alt.Chart(frame).mark_text(align="left", x=4, dy=-6, color="gray").encode(y="error:Q", text="name:N")]
    return alt.layer(*layers).properties(width=WIDTH, height=340, title="Where the error sits")


def metrics_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """One row per split: n, error, its interval and the headline metrics the report has."""
    rows = []
    for split, s in (report.get("splits") or {}).items():
        rows.append({"split": split, **{k: v for k, v in s.items() if not isinstance(v, (dict, list))}})
    return pd.DataFrame(rows)


def gap_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """The gap details of a stored report as a table (value, interval, tolerance, status)."""
    rows = []
    for gap, d in (report.get("gap_details") or {}).items():
        if d is None:
            continue
        rows.append({"gap": gap, "value": d.get("value"), "ci_low": d.get("ci_low"), "ci_high": d.get("ci_high"),
                     "tolerance": d.get("tolerance"), "status": _gap_status(d),
                     "samples needed": d.get("samples_needed")})
    return pd.DataFrame(rows, columns=["gap", "value", "ci_low", "ci_high", "tolerance", "status", "samples needed"])


def readable(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Numbers to ``digits`` significant digits and dates to the minute, as text for a table
    that mixes kinds (a comparison's rows hold verdicts beside errors).

    >>> readable(pd.DataFrame({"m": ["J_cv", "verdict"], "a": [0.175487465, "high_bias"], "b": [None, 3]}))
    ...                                                                     # doctest: +NORMALIZE_WHITESPACE
          m          a  b
    0  J_cv     0.1755
    1  verdict  high_bias  3
    """
    import datetime as dt
    import numbers

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, numbers.Number):
            return f"{v:.{digits}g}"
        if isinstance(v, dt.datetime):
            return f"{v:%Y-%m-%d %H:%M}"
        return str(v)

    return frame.apply(lambda col: col.map(cell))


# ------------------------------------------------------------------------------- thresholds


def _marks(chosen: float | None, current: float) -> pd.DataFrame:
    rows = [{"threshold": current, "mark": f"slider {current:.4g}"}]
    if chosen is not None:
        rows.insert(0, {"threshold": chosen, "mark": f"chosen on cv {chosen:.4g}"})
    return pd.DataFrame(rows)


MARK_COLORS = alt.Scale(range=["#2ca02c", "#d62728"])
MEASURE_COLORS = alt.Scale(domain=["f1", "precision", "recall"], range=["#1f77b4", "#9467bd", "#8c564b"])


def threshold_chart(curve: pd.DataFrame, *, chosen: float | None, current: float) -> alt.LayerChart:
    """Precision, recall and F1 against the threshold, the cv-chosen one and the slider's marked."""
    long = curve.melt(id_vars="threshold", value_vars=["precision", "recall", "f1"], var_name="measure")
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("threshold:Q", title="threshold (positive when score >= threshold)"),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, scale=MEASURE_COLORS), tooltip=["threshold", "measure", "value"])
    rules = alt.Chart(_marks(chosen, current)).mark_rule(strokeDash=[5, 3], size=2).encode(
        x="threshold:Q", color=alt.Color("mark:N", title=None, scale=MARK_COLORS), tooltip=["mark"])
    return alt.layer(lines, rules).resolve_scale(color="independent").properties(
        width=WIDTH, height=300, title="Precision, recall and F1 by threshold (cv)")


def pr_chart(curve: pd.DataFrame, *, chosen: Mapping[str, float] | None,
             current: Mapping[str, float]) -> alt.LayerChart:
    """The precision/recall curve with the cv-chosen point and the slider's point."""
    line = alt.Chart(curve).mark_line(color="#1f77b4").encode(
        x=alt.X("recall:Q", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("precision:Q", scale=alt.Scale(domain=[0, 1])),
        order="threshold:Q", tooltip=["threshold", "precision", "recall", "f1"])
    points = [dict(current, mark=f"slider {current['threshold']:.4g}")]
    if chosen is not None:
        points.insert(0, dict(chosen, mark=f"chosen on cv {chosen['threshold']:.4g}"))
    dots = alt.Chart(pd.DataFrame(points)).mark_point(filled=True, size=140).encode(
        x="recall:Q", y="precision:Q", color=alt.Color("mark:N", title=None, scale=MARK_COLORS),
        tooltip=["mark", "precision", "recall"])
    return alt.layer(line, dots).properties(width=WIDTH, height=300, title="Precision/recall curve (cv)")


def confusion_frame(m) -> pd.DataFrame:
    """A :class:`~diagnose.thresholds.PRF`'s counts as a 2x2 confusion matrix (rows: actual).

    >>> from diagnose.thresholds import PRF
    >>> confusion_frame(PRF.from_counts(tp=8, pp=10, positives=12, total=100)).values.tolist()
    [[86, 2], [4, 8]]
    """
    def whole(v: float):
        return int(v) if float(v).is_integer() else round(v, 3)

    return pd.DataFrame([[whole(m.tn), whole(m.fp)], [whole(m.fn), whole(m.tp)]],
                        index=["actual negative", "actual positive"],
                        columns=["predicted negative", "predicted positive"])


# ------------------------------------------------------------------------------- error analysis


def tally_frame(tally) -> pd.DataFrame:
    """An :class:`~diagnose.error_analysis.ErrorTally`'s categories, most frequent first."""
    cols = ["category", "count", "share", "share_ci_low", "share_ci_high", "estimated_count",
            "max_error_reduction"]
    rows = [{"category": c.name, **{k: getattr(c, k) for k in cols[1:]}} for c in tally.categories]
    return pd.DataFrame(rows, columns=cols)


def tally_chart(tally) -> alt.LayerChart:
    """Each category's share of the reviewed errors with its 95% interval, largest first."""
    frame = tally_frame(tally)
    y = alt.Y("category:N", sort=frame["category"].tolist(), title=None)
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("share:Q", title="share of reviewed errors", axis=alt.Axis(format="%")), y=y,
        tooltip=["category", "count", alt.Tooltip("share:Q", format=".1%"), "estimated_count"])
    ci = alt.Chart(frame).mark_rule(color="black").encode(x="share_ci_low:Q", x2="share_ci_high:Q", y=y)
    # a step per category: a fixed height collapsed to nothing in Streamlit's layout
    return alt.layer(bars, ci).properties(width=WIDTH, height=alt.Step(28),
                                          title="Error categories (95% intervals)")
