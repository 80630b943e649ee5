"""Text, Markdown and Altair renderings of learning and validation curves."""
from __future__ import annotations

from .bias_variance import VERDICT_WORDS
from .present import fmt, table


def _interval(s) -> str:
    if s.ci_low == s.ci_high:
        return "-"
    return f"[{fmt(s.ci_low)}, {fmt(s.ci_high)}]"


def _heading(text: str, markdown: bool, level: int = 3) -> str:
    return f"{'#' * level} {text}" if markdown else f"{text}:"


def learning_text(curve, *, markdown: bool) -> str:
    rows = [[p.value, p.train.n, p.train.error, _interval(p.train), p.cv.n, p.cv.error, _interval(p.cv)]
            for p in curve.points]
    headers = ["train_size", "n_train", "J_train", "95% interval", "n_cv", "J_cv", "95% interval"]
    title = f"learning curve — task: {curve.task or 'from a summary table'}, metric: {curve.metric}"
    parts = [f"## {title}" if markdown else title, "", table(headers, rows, markdown=markdown), "",
             f"Reference level: {fmt(curve.reference)} ({curve.reference_name})"]
    last = curve.points[-1]
    gap_rows = [[name, g.value, f"[{fmt(g.ci_low)}, {fmt(g.ci_high)}]", g.tolerance,
                 "counts" if g.counted else ("within noise" if g.material else "below tolerance")]
                for name, g in curve.gaps.items()]
    parts += ["", f"Gaps at the largest training set (m = {last.value}):", *([""] if markdown else []),
              table(["gap", "value", "95% interval", "tolerance", "status"], gap_rows, markdown=markdown)]
    if curve.cv_drop is not None:
        tol = curve.gaps["variance"].tolerance
        trend = "still falling" if curve.cv_falling else ("rising" if -curve.cv_drop > tol else "flat")
        parts += ["", f"J_cv over the last step: {fmt(curve.points[-2].cv.error)} -> "
                      f"{fmt(last.cv.error)} ({trend}; tolerance {fmt(curve.gaps['variance'].tolerance)})"]
    verdict = f"`{curve.verdict}`" if markdown else curve.verdict
    sep = "  " if markdown else ""  # a Markdown line break keeps the lines apart
    parts += ["", f"Verdict: {verdict}{sep}", VERDICT_WORDS[curve.verdict] + sep,
              f"More training data helps: {fmt(curve.more_data_helps)}"]
    if curve.extrapolation is not None:
        parts += ["", f"Extrapolation: {curve.extrapolation.message}{sep}",
                  f"Fit quality: RMSE {fmt(curve.extrapolation.rmse)}, R² {fmt(curve.extrapolation.r2)} "
                  f"over {curve.extrapolation.n_points} points"]
    parts += ["", _heading("What to try", markdown), *_bullets(curve.recommendations, markdown)]
    if curve.warnings:
        parts += ["", _heading("Warnings", markdown), *_bullets(curve.warnings, markdown, mark="!")]
    return "\n".join(parts) + "\n"


def validation_text(curve, *, markdown: bool) -> str:
    rows = [[p.value, p.train.error, p.cv.error, _interval(p.cv), p.gap, p.side or ""]
            for p in curve.points]
    headers = [curve.param, "J_train", "J_cv", "95% interval (cv)", "J_cv - J_train", "side"]
    title = f"validation curve over {curve.param} — task: {curve.task}, metric: {curve.metric}"
    best = curve.chosen_point
    parts = [f"## {title}" if markdown else title, "", table(headers, rows, markdown=markdown), "",
             f"Chosen: {curve.param} = {fmt(best.value)} (lowest J_cv {fmt(best.cv.error)}; "
             f"ties go to the {curve.tie_rule} value)" + ("  " if markdown else "")]
    if curve.test is not None:
        parts.append(f"J_test of the chosen value: {fmt(curve.test.error)} {_interval(curve.test)} "
                     f"on {curve.test.n} rows (test was not used to choose)")
    parts += ["", f"Verdict: {curve.verdict}", "", _heading("What to try", markdown),
              *_bullets(curve.recommendations, markdown)]
    if curve.warnings:
        parts += ["", _heading("Warnings", markdown), *_bullets(curve.warnings, markdown, mark="!")]
    return "\n".join(parts) + "\n"


def _bullets(items, markdown: bool, mark: str = "-") -> list[str]:
    return [f"- {x}" if markdown else f"  {mark} {x}" for x in items]


def curve_chart(curve):
    """An Altair chart of a learning or validation curve (error bands are 95% intervals).

    >>> from diagnose.curve_learning import learning_curve
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
