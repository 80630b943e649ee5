"""Text and Markdown of learning and validation curves."""
from __future__ import annotations

import math

from ..bias_variance import VERDICT_WORDS
from ..curves import LearningCurve, ValidationCurve
from ._report import gap_rows
from ._tables import bullets, cell_text, fmt, heading, table, text_and_markdown, warnings_section


def _interval(s) -> str:
    if s.ci_low == s.ci_high:
        return "-"
    return f"[{fmt(s.ci_low)}, {fmt(s.ci_high)}]"


def _size(m: float) -> str:
    if math.isinf(m):
        return "no upper end"
    return f"{m:,.0f}" if m < 1e7 else f"{m:.2g}"


def _uncertainty_lines(ex, sep: str) -> list[str]:
    """The intervals behind the extrapolation's answer and the test that J_cv falls."""
    lines = []
    if ex.asymptote_ci is not None:
        low, high = ex.asymptote_ci
        text = f"95% intervals (profile likelihood): asymptote [{fmt(low)}, {fmt(high)}]"
        if ex.m_target_ci is not None:
            text += f"; size reaching {fmt(ex.target)}: [{_size(ex.m_target_ci[0])}, {_size(ex.m_target_ci[1])}]"
        lines.append(text)
    if ex.trend is not None:
        word = "falls" if ex.trend.falling else "is not shown to fall"
        lines.append(f"Trend: J_cv {word} with log m (slope {fmt(ex.trend.slope, 3)} per log unit, "
                     f"one-sided p = {ex.trend.p_value:.2g})")
    return [line + sep for line in lines[:-1]] + lines[-1:]


@text_and_markdown(LearningCurve)
def learning_text(curve: LearningCurve, *, markdown: bool) -> str:
    """A learning curve: the points, the gaps at the largest size, the verdict and the extrapolation."""
    rows = [[p.value, p.train.n, p.train.error, _interval(p.train), p.cv.n, p.cv.error, _interval(p.cv)]
            for p in curve.points]
    headers = ["train_size", "n_train", "J_train", "95% interval", "n_cv", "J_cv", "95% interval"]
    title = f"learning curve — task: {curve.task or 'from a summary table'}, metric: {curve.metric}"
    parts = [f"## {title}" if markdown else title, "", table(headers, rows, markdown=markdown), "",
             f"Reference level: {fmt(curve.reference)} ({cell_text(curve.reference_name, markdown)})"]
    last = curve.points[-1]
    parts += ["", f"Gaps at the largest training set (m = {last.value}):", *([""] if markdown else []),
              table(["gap", "value", "95% interval", "tolerance", "status"], gap_rows(curve.gaps), markdown=markdown)]
    if curve.cv_drop is not None:
        tol = curve.gaps["variance"].tolerance
        trend = "still falling" if curve.cv_falling else ("rising" if -curve.cv_drop > tol else "flat")
        parts += ["", f"J_cv over the last step: {fmt(curve.points[-2].cv.error)} -> "
                      f"{fmt(last.cv.error)} ({trend}; tolerance {fmt(curve.gaps['variance'].tolerance)})"]
    verdict = f"`{curve.verdict}`" if markdown else curve.verdict
    sep = "  " if markdown else ""  # a Markdown line break keeps the lines apart
    parts += ["", f"Verdict: {verdict}{sep}", VERDICT_WORDS[curve.verdict] + sep,
              f"More training data helps: {fmt(curve.more_data_helps)}"]
    ex = curve.extrapolation
    if ex is not None:
        more = _uncertainty_lines(ex, sep)
        parts += ["", f"Extrapolation: {ex.message}{sep}",
                  f"Fit quality: RMSE {fmt(ex.rmse)}, R² {fmt(ex.r2)} over {ex.n_points} points"
                  + (sep if more else ""), *more]
    parts += ["", heading("What to try", markdown), *bullets(curve.recommendations, markdown)]
    parts += warnings_section(curve.warnings, markdown)
    return "\n".join(parts) + "\n"


@text_and_markdown(ValidationCurve)
def validation_text(curve: ValidationCurve, *, markdown: bool) -> str:
    """A validation curve: the points, the chosen value and its J_test, the verdict."""
    rows = [[p.value, p.train.error, p.cv.error, _interval(p.cv), p.gap, p.side or ""]
            for p in curve.points]
    headers = [curve.param, "J_train", "J_cv", "95% interval (cv)", "J_cv - J_train", "side"]
    param = cell_text(curve.param, markdown)  # the user's parameter name, shown as text
    title = f"validation curve over {param} — task: {curve.task}, metric: {curve.metric}"
    best = curve.chosen_point
    parts = [f"## {title}" if markdown else title, "", table(headers, rows, markdown=markdown), "",
             f"Chosen: {param} = {cell_text(fmt(best.value), markdown)} (lowest J_cv {fmt(best.cv.error)}; "
             f"ties go to the {curve.tie_rule} value)" + ("  " if markdown else "")]
    if curve.test is not None:
        parts.append(f"J_test of the chosen value: {fmt(curve.test.error)} {_interval(curve.test)} "
                     f"on {curve.test.n} rows (test was not used to choose)")
    parts += ["", f"Verdict: {curve.verdict}", "", heading("What to try", markdown),
              *bullets(curve.recommendations, markdown)]
    parts += warnings_section(curve.warnings, markdown)
    return "\n".join(parts) + "\n"
