"""Text and Markdown renderings of result values (the CLI and ``Report.to_markdown``)."""
from __future__ import annotations

from typing import Any, Sequence

VERDICT_WORDS = {
    "good_fit": "Good fit: no material, significant bias or variance problem.",
    "high_bias": "High bias: the model underfits; training error sits well above the reference.",
    "high_variance": "High variance: the model overfits; cv error sits well above training error.",
    "high_bias_high_variance": "High bias and high variance: training error is above the "
    "reference and cv error is well above training error.",
}
SPLIT_ORDER = ("train", "cv", "test")


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, markdown: bool = False) -> str:
    """An aligned plain-text table, or a Markdown one."""
    cells = [[fmt(c) for c in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for raw, row in zip(rows, cells):
        out.append("  ".join(
            c.rjust(w) if isinstance(v, (int, float)) and not isinstance(v, bool) else c.ljust(w)
            for v, c, w in zip(raw, row, widths)).rstrip())
    return "\n".join(out)


def _split_rows(report) -> list[list[Any]]:
    rows = []
    for name in SPLIT_ORDER:
        s = report.splits.get(name)
        if s is not None:
            rows.append([name, s.n, s.error, f"[{fmt(s.ci_low)}, {fmt(s.ci_high)}]"])
    return rows


def _baseline_rows(report) -> list[list[Any]]:
    rows = []
    for name, value in report.baselines.items():
        mark = " (reference)" if name == report.verdict.reference_name else ""
        label = f"{name}{mark}" if name != "trivial" else f"trivial: {report.trivial_baseline}"
        rows.append([label, value])
    return rows


def _gap_rows(report) -> list[list[Any]]:
    rows = []
    for name, g in report.verdict.gaps.items():
        status = "counts" if g.counted else ("within noise" if g.material else "below tolerance")
        rows.append([name, g.value, f"[{fmt(g.ci_low)}, {fmt(g.ci_high)}]", g.tolerance, status])
    return rows


def report_text(report) -> str:
    v = report.verdict
    parts = [
        f"diagnose report — task: {report.task}, metric: {report.metric}",
        "",
        table(["split", "n", "error", "95% interval"], _split_rows(report)),
        "",
        table(["baseline", report.metric], _baseline_rows(report)),
        "",
        f"Reference level: {fmt(v.reference)} ({v.reference_name})",
        "",
        table(["gap", "value", "95% interval", "tolerance", "status"], _gap_rows(report)),
        "",
        f"Verdict: {v.verdict}",
        VERDICT_WORDS[v.verdict],
        "",
        "What to try:",
        *[f"  - {r}" for r in v.recommendations],
    ]
    for extra in _sections(report, markdown=False):
        parts += ["", extra]
    if report.warnings:
        parts += ["", "Warnings:", *[f"  ! {w}" for w in report.warnings]]
    return "\n".join(parts) + "\n"


def report_markdown(report) -> str:
    v = report.verdict
    parts = [
        f"## diagnose report: `{v.verdict}`",
        "",
        f"Task **{report.task}**, metric **{report.metric}**. {VERDICT_WORDS[v.verdict]}",
        "",
        table(["split", "n", "error", "95% interval"], _split_rows(report), markdown=True),
        "",
        table(["baseline", report.metric], _baseline_rows(report), markdown=True),
        "",
        f"Reference level: **{fmt(v.reference)}** ({v.reference_name})",
        "",
        table(["gap", "value", "95% interval", "tolerance", "status"], _gap_rows(report), markdown=True),
        "",
        "### What to try",
        *[f"- {r}" for r in v.recommendations],
    ]
    for extra in _sections(report, markdown=True):
        parts += ["", extra]
    if report.warnings:
        parts += ["", "### Warnings", *[f"- {w}" for w in report.warnings]]
    return "\n".join(parts) + "\n"


def _default_decision(report, *, markdown: bool) -> str | None:
    """Classification: accuracy, prevalence, precision, recall and F1 of each split at the
    default decision (the ``splits.<split>`` numbers of the JSON), as one table."""
    binary = report.task == "binary"
    # multiclass and multi-label have no single prevalence (class shares are in the JSON)
    keys = ("accuracy", "prevalence", "precision", "recall", "f1") if binary else ("accuracy", "precision",
                                                                                   "recall", "f1")
    rows = [[name, *(report.splits[name].extras.get(k) for k in keys)]
            for name in SPLIT_ORDER if name in report.splits and "f1" in report.splits[name].extras]
    if not rows:
        return None
    head = "At the default decision (score >= 0.5, argmax or y_pred)"
    if not binary:
        head += "; precision, recall and f1 are macro averages"
    return "\n".join([f"### {head}" if markdown else head, "", table(["split", *keys], rows, markdown=markdown)])


def _sections(report, *, markdown: bool) -> list[str]:
    """Extra sections (threshold, skew, ...) that know how to render themselves."""
    out = []
    default = _default_decision(report, markdown=markdown)
    if default is not None:
        out.append(default)
    for key in ("skew", "per_class", "threshold"):
        value = getattr(report, key, None)
        if value is None:
            continue
        renderer = getattr(value, "to_markdown" if markdown else "to_text", None)
        if renderer is not None:
            out.append(renderer().rstrip("\n"))
    return out
