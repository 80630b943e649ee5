"""Text and Markdown of what the search finds: the slices where cv errors concentrate."""
from __future__ import annotations

from ..error_analysis import SliceTable
from ._tables import fmt, table, text_and_markdown, warnings_section


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


@text_and_markdown(SliceTable)
def slices_lines(t: SliceTable, *, markdown: bool) -> str:
    """The slices found, best ceiling first, with how the search was controlled."""
    rate = t.loss == "error_rate"
    what = "error rate" if rate else "mean squared error"
    head = f"Slices where cv errors concentrate: overall {what} {fmt(t.error)} over {t.n} rows"
    if t.test_n is not None:
        head += f"; test {fmt(t.test_error)} over {t.test_n} rows"
    rows = []
    for r in t.frame.itertuples(index=False):
        row = [r.slice, r.n, _pct(r.share), fmt(r.error), f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]", f"{r.lift:.2f}x",
               _pct(r.error_share), fmt(r.errors_removed / t.n) if not rate else f"{r.errors_removed:.1f}",
               fmt(r.q_value, 2), fmt(r.holdout_error)]
        if t.test_n is not None:
            row += [r.test_n, fmt(r.test_error) if r.test_n else "-"]
        rows.append(row)
    headers = ["slice", "n", "share", what if rate else "MSE", "95% interval", "lift", "share of errors",
               "errors removed" if rate else "MSE drop", "q-value", "held-out"]
    if t.test_n is not None:
        headers += ["test n", "test " + ("error" if rate else "MSE")]
    parts = [f"## {head}" if markdown else head, ""]
    if rows:
        parts.append(table(headers, rows, markdown=markdown))
    else:
        parts.append("No slice is significantly and materially worse than the rest.")
    bullet = "- " if markdown else ""
    removed = ("errors removed: the errors that would go if the slice were as good as the rest "
               "(errors - n x rest rate), the ceiling of fixing it" if rate else
               "MSE drop: how far the overall MSE would fall if the slice were as good as the rest")
    parts += ["", *([f"{bullet}Sorted by {removed}."] if rows else []),
              f"{bullet}Searched {t.tests} slices of up to {t.max_conditions} conditions (numeric columns in "
              f"{t.bins} quantile bins, at least {t.min_size} rows) on a half of cv chosen by a hash of id "
              f"(seed {t.seed}); {t.discoveries} were significant (Benjamini-Hochberg, false-discovery rate "
              f"{t.fdr:g}) with lift >= {t.min_lift:g}, {t.replicated} replicated on the other half "
              f"('held-out'); slices explained by a listed one are left out."]
    parts += warnings_section(t.warnings, markdown)
    return "\n".join(parts) + "\n"
