"""Text and Markdown of a threshold chosen on cv (:class:`~diagnose.thresholds.ThresholdResult`)."""
from __future__ import annotations

from ..thresholds import DEFAULT_THRESHOLD, ThresholdResult
from ._tables import fmt, table, text_and_markdown


def _rows(result: ThresholdResult, name: str = "") -> list:
    rows = []
    for split, at, m in (("cv", result.value, result.cv), ("test", result.value, result.test),
                         ("cv", DEFAULT_THRESHOLD, result.default_cv),
                         ("test", DEFAULT_THRESHOLD, result.default_test)):
        if m is not None:
            where = "per label" if result.labels and at is result.value else at
            rows.append([*([name] if name else []), split, where, m.precision, m.recall, m.f1])
    return rows


def interval_text(result: ThresholdResult) -> str:
    """``; bootstrap 95% interval [...] ...`` for the text, or "" without a bootstrap."""
    b = result.bootstrap
    if b is None or b.reps <= b.failed:
        return ""
    failed = f", {b.failed} with no threshold to choose" if b.failed else ""
    return (f"; bootstrap 95% interval [{fmt(b.value_low)}, {fmt(b.value_high)}], cv F1 "
            f"[{fmt(b.f1_low)}, {fmt(b.f1_high)}] ({b.reps} resamples of cv{failed}, seed {b.seed})")


def threshold_lines(result: ThresholdResult, markdown: bool) -> list[str]:
    """The chosen threshold with its bootstrap interval, and the metrics on cv and test."""
    head = (f"Threshold (rule {result.rule}, chosen on cv; positive when score >= threshold)"
            if result.rule != "argmax" else "Threshold")
    lines = [f"### {head}" if markdown else head, ""]
    if result.value is not None:
        lines += [f"Chosen threshold: {fmt(result.value)}{interval_text(result)}", ""]
        if result.bootstrap is not None and result.bootstrap.note:
            lines += [result.bootstrap.note, ""]
    if result.message:
        lines += [result.message, ""]
    headers = ["split", "threshold", "precision", "recall", "f1"]
    rows = _rows(result)
    if result.labels:
        rows = [["micro", *r] for r in rows]
        for name, r in result.labels.items():
            rows += _rows(r, name)
            # each label's own choice, with how stable it is
            if r.value is not None:
                lines += [f"{name}: threshold {fmt(r.value)}{interval_text(r)}", ""]
            if r.message:
                lines += [f"{name}: {r.message}", ""]
        headers = ["label", *headers]
    if rows:
        lines.append(table(headers, rows, markdown=markdown))
    if result.cost is not None:
        lines += ["", *cost_lines(result, markdown)]
    return lines


def cost_lines(result: ThresholdResult, markdown: bool) -> list[str]:
    """Expected cost per row at the chosen threshold, at 0.5, and treating none or all."""
    c = result.cost
    assert c is not None
    rows = [[what, fmt(cv), fmt(test)] for what, cv, test in (
        ("chosen threshold", c.cv, c.test), (f"threshold {DEFAULT_THRESHOLD:g}", c.default_cv, c.default_test),
        ("treat none", c.none_cv, c.none_test), ("treat all", c.all_cv, c.all_test))]
    costs = c.costs
    return [f"Expected cost per row (fp {costs.fp:g}, fn {costs.fn:g}, tp gain {costs.tp:g}, tn gain {costs.tn:g}; "
            f"for calibrated scores the best threshold would be {fmt(costs.bayes_threshold)}):", "",
            table(["at", "cv", "test"], rows, markdown=markdown)]


@text_and_markdown(ThresholdResult)
def threshold_text(result: ThresholdResult, *, markdown: bool) -> str:
    """The threshold section as text or Markdown."""
    return "\n".join(threshold_lines(result, markdown)).rstrip() + "\n"
