"""Text and Markdown of a threshold chosen on cv (:class:`~diagnose.thresholds.ThresholdResult`).

Under the chosen threshold, the honest figures come first: the F1 on unseen data (out of
bag) with how much the cv F1 overstates it, then the test F1 with its 95% interval."""
from __future__ import annotations

from ..thresholds import DEFAULT_THRESHOLD, ThresholdResult, ThresholdRule
from ._tables import cell_text, fmt, table, text_and_markdown


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
    """``; bootstrap 95% interval [...] (...)`` of the chosen threshold, or "" without a bootstrap."""
    b = result.bootstrap
    if b is None or b.reps <= b.failed:
        return ""
    failed = f", {b.failed} with no threshold to choose" if b.failed else ""
    return (f"; bootstrap 95% interval [{fmt(b.value_low)}, {fmt(b.value_high)}] ({b.reps} resamples of "
            f"cv{failed}, seed {b.seed})")


def _span(value, low, high) -> str:
    return f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def _optimism(what: str, cv: float, optimism: float) -> str:
    if optimism >= 0:
        return f"cv {what} {fmt(cv)} is optimistic by {fmt(optimism)}"
    return f"cv {what} {fmt(cv)} is below it by {fmt(-optimism)}"


def unseen_lines(result: ThresholdResult, prefix: str = "") -> list[str]:
    """What the chosen threshold is worth on unseen data, honest figures first: out of bag
    (the rule redone on bootstrap resamples of cv, judged on the rows each left out), with
    how much the cv figure overstates it and, named as such, the in-sample interval of the cv
    F1; then the test figures with their interval over the test rows."""
    lines, b, cv, kind = [], result.bootstrap, result.cv, ThresholdRule.parse(result.rule).kind
    if b is not None and cv is not None and b.oob_reps > 0:
        # resamples without a positive out of the bag say nothing of F1 on unseen data
        short = f"; {b.oob_reps} of {b.reps - b.failed} resamples out of bag" if b.oob_reps < b.reps - b.failed else ""
        lines.append(f"{prefix}F1 on unseen data (out-of-bag): {_span(b.oob_f1, b.oob_f1_low, b.oob_f1_high)}; "
                     f"{_optimism('F1', cv.f1, b.optimism)} (in-sample bootstrap of the cv F1: "
                     f"[{fmt(b.f1_low)}, {fmt(b.f1_high)}]{short})")
        if kind in ("precision", "recall"):
            value, low, high = (getattr(b, f"oob_{kind}{end}") for end in ("", "_low", "_high"))
            lines.append(f"{prefix}{kind} on unseen data (out-of-bag): {_span(value, low, high)}; "
                         f"{_optimism(kind, getattr(cv, kind), getattr(cv, kind) - value)}")
        if result.cost is not None and result.cost.cv is not None and b.oob_cost is not None:
            lines.append(f"{prefix}expected cost per row on unseen data (out-of-bag): "
                         f"{_span(b.oob_cost, b.oob_cost_low, b.oob_cost_high)}; cv {fmt(result.cost.cv)}")
    t, ti = result.test, result.test_interval
    if t is not None and ti is not None:
        more = ""
        if kind in ("precision", "recall"):
            more = f", {kind} {_span(getattr(t, kind), getattr(ti, f'{kind}_low'), getattr(ti, f'{kind}_high'))}"
        if result.cost is not None and result.cost.test is not None and ti.costs_given:
            more += f", expected cost per row {_span(result.cost.test, ti.cost_low, ti.cost_high)}"
        lines.append(f"{prefix}F1 on test at this threshold: {_span(t.f1, ti.f1_low, ti.f1_high)}{more} "
                     "(95% interval over the test rows)")
    return lines


def threshold_lines(result: ThresholdResult, markdown: bool) -> list[str]:
    """The chosen threshold with its bootstrap interval, and the metrics on cv and test."""
    head = (f"Threshold (rule {result.rule}, chosen on cv; positive when score >= threshold)"
            if result.rule != "argmax" else "Threshold")
    lines = [f"### {head}" if markdown else head, ""]
    if result.value is not None:
        lines += [f"Chosen threshold: {fmt(result.value)}{interval_text(result)}", *unseen_lines(result), ""]
        if result.bootstrap is not None and result.bootstrap.note:
            lines += [result.bootstrap.note, ""]
    if result.message:
        lines += [result.message, ""]
    headers = ["split", "threshold", "precision", "recall", "f1"]
    rows = _rows(result)
    if result.labels:
        rows = [["micro", *r] for r in rows]
        for label, r in result.labels.items():
            rows += _rows(r, label)
            name = cell_text(label, markdown)  # a label named by the user's columns: shown as text
            # each label's own choice, with how stable it is
            if r.value is not None:
                lines += [f"{name}: threshold {fmt(r.value)}{interval_text(r)}", *unseen_lines(r, f"{name}: "), ""]
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
