"""Text and Markdown of a report (:class:`~diagnose.bias_variance.Report`) and of its sections."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..bias_variance import VERDICT_WORDS, DecisionMetrics, Gap, PerClass, Report, Skew
from ..ingest import task_type
from ..values import renderer, renders
from ._tables import bullets, cell_text, fmt, heading, table, text_and_markdown, warnings_section

SPLIT_ORDER = ("train", "cv", "test")


def _split_rows(report: Report) -> list[list[Any]]:
    rows = []
    for name in SPLIT_ORDER:
        s = report.splits.get(name)
        if s is not None:
            rows.append([name, s.n, s.error, f"[{fmt(s.ci_low)}, {fmt(s.ci_high)}]"])
    return rows


def _baseline_rows(report: Report) -> list[list[Any]]:
    rows = []
    for name, value in report.baselines.items():
        mark = " (reference)" if name == report.verdict.reference_name else ""
        label = f"{name}{mark}" if name != "trivial" else f"trivial: {report.trivial_baseline}"
        rows.append([label, value])
    return rows


def _reference_line(report: Report, *, markdown: bool) -> str:
    v = report.verdict
    if v.reference != v.reference:  # NaN: no baseline, bias not judged
        return ("**No baseline: bias is not judged.** " if markdown else "No baseline: bias is not judged. ") + \
            "Give a human-level or competitor error (--baseline human=0.05)."
    return (f"Reference level: {f'**{fmt(v.reference)}**' if markdown else fmt(v.reference)} "
            f"({cell_text(v.reference_name, markdown)})")


def gap_rows(gaps: Mapping[str, Gap]) -> list[list[Any]]:
    """One table row per gap: name, value, interval, tolerance and how it fared."""
    return [[name, g.value, f"[{fmt(g.ci_low)}, {fmt(g.ci_high)}]", g.tolerance, g.status] if g.judged else
            [name, "-", "-", g.tolerance, g.status] for name, g in gaps.items()]


def _sections(report: Report, *, markdown: bool) -> list[str]:
    """The registered sections that apply, each through its own renderer."""
    out = []
    for value in report.sections.values():
        if value is None:
            continue
        fn = renderer(type(value), "markdown" if markdown else "text")
        if fn is not None:
            text = fn(value).rstrip("\n")
            if text:
                out.append(text)
    return out


@renders(Report, "text")
def report_text(report: Report) -> str:
    v = report.verdict
    parts = [
        f"diagnose report — task: {report.task}, metric: {report.metric}",
        "",
        table(["split", "n", "error", "95% interval"], _split_rows(report)),
        "",
        table(["baseline", report.metric], _baseline_rows(report)),
        "",
        _reference_line(report, markdown=False),
        "",
        table(["gap", "value", "95% interval", "tolerance", "status"], gap_rows(report.verdict.gaps)),
        "",
        f"Verdict: {v.verdict}",
        VERDICT_WORDS[v.verdict],
        "",
        heading("What to try", False),
        *bullets(v.recommendations, False),
    ]
    for extra in _sections(report, markdown=False):
        parts += ["", extra]
    parts += warnings_section(report.warnings, False)
    return "\n".join(parts) + "\n"


@renders(Report, "markdown")
def report_markdown(report: Report) -> str:
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
        _reference_line(report, markdown=True),
        "",
        table(["gap", "value", "95% interval", "tolerance", "status"], gap_rows(report.verdict.gaps), markdown=True),
        "",
        heading("What to try", True),
        *bullets(v.recommendations, True),
    ]
    for extra in _sections(report, markdown=True):
        parts += ["", extra]
    parts += warnings_section(report.warnings, True)
    return "\n".join(parts) + "\n"


@text_and_markdown(DecisionMetrics)
def decision_table(section: DecisionMetrics, *, markdown: bool) -> str:
    """Accuracy, prevalence, precision, recall and F1 of each split at the default decision
    (the ``splits.<split>`` numbers of the JSON), as one table."""
    binary = not task_type(section.task).per_class
    # multiclass and multi-label have no single prevalence (class shares are in the JSON)
    keys = ("accuracy", "prevalence", "precision", "recall", "f1") if binary else ("accuracy", "precision",
                                                                                   "recall", "f1")
    rows = [[name, *(section.splits[name].to_dict().get(k) for k in keys)]
            for name in SPLIT_ORDER if name in section.splits]
    if not rows:
        return ""
    head = "At the default decision (score >= 0.5, argmax or y_pred)"
    if not binary:
        head += "; precision, recall and f1 are macro averages"
    return "\n".join([f"### {head}" if markdown else head, "", table(["split", *keys], rows, markdown=markdown)])


@text_and_markdown(PerClass)
def per_class_tables(per_class: PerClass, *, markdown: bool) -> str:
    """The per-class table of cv (or the first split), with the averages and the top confusions."""
    split = "cv" if "cv" in per_class.tables else next(iter(per_class.tables))
    t = per_class.tables[split]
    multilabel = task_type(t.task).multi_output
    what = "label" if multilabel else "class"
    head = f"Per {what} on {split} (default decision)"
    rows = [[n, p, r, f, s] for n, p, r, f, s in zip(t.names, t.precision.tolist(), t.recall.tolist(),
                                                     t.f1.tolist(), t.support.tolist())]
    for kind in (("macro", "micro") if multilabel else ("macro", "weighted")):
        avg = t.average(kind)
        rows.append([f"{kind} avg", avg["precision"], avg["recall"], avg["f1"], float(t.support.sum())])
    lines = [f"### {head}" if markdown else head, "",
             table([what, "precision", "recall", "f1", "support"], rows, markdown=markdown)]
    top = t.top_confusions()
    if top:
        lines += ["", "Most frequent confusions (true -> predicted):" if not markdown else
                  "Most frequent confusions (true → predicted):", "",
                  table(["true", "predicted", "count"], [list(c) for c in top], markdown=markdown)]
    return "\n".join(lines) + "\n"


@text_and_markdown(Skew)
def skew_section(s: Skew, *, markdown: bool) -> str:
    """Whether the classes are skewed, and whether the model beats the trivial classifier."""
    head = "### Skew\n" if markdown else "Skew"  # Markdown leaves a blank line under a heading
    return f"{head}\n{cell_text(_skew_line(s), markdown)}\n"


def _skew_line(s: Skew) -> str:
    state = "skewed" if s.skewed else "not skewed"
    better = "significantly better" if s.significant else "NOT significantly better"
    # the test the p comes from: exact McNemar, or the paired z-test with rows as units
    test = "McNemar p" if s.test == "exact_mcnemar" else "paired z-test, rows as units, p"
    return (f"Classes are {state}: minority {s.minority_class!r} is {fmt(s.minority_share)} of train "
            f"(limit {fmt(s.limit)}). cv accuracy {fmt(s.model_accuracy)} vs the trivial "
            f"classifier's {fmt(s.trivial_accuracy)}: {better} ({test} = {fmt(s.p_value)}).")
