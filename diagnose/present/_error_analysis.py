"""Text and Markdown of error analysis: the review sample, the tally, the cohort tables."""
from __future__ import annotations

from ..error_analysis import CohortTable, ErrorSample, ErrorTally
from ..values import renders
from ._escape import sheet_frame
from ._tables import cell_text, fmt, table, text_and_markdown, warnings_section


@renders(ErrorSample, "text")
def sample_csv(sample: ErrorSample) -> str:
    """The review sheet as CSV text (what ``diagnose errors sample`` prints); text that a
    spreadsheet would run as a formula is written with a leading ``'``."""
    return sheet_frame(sample.frame).to_csv(index=False)


@renders(ErrorSample, "markdown")
def sample_markdown(sample: ErrorSample) -> str:
    return table(list(sample.frame.columns), sample.frame.astype(object).values.tolist(), markdown=True) + "\n"


@text_and_markdown(ErrorTally)
def tally_lines(t: ErrorTally, *, markdown: bool) -> str:
    """The tally as a ranked table with its notes and warnings."""
    def pct(x):
        return "-" if x is None else f"{100 * x:.1f}%"

    def span(lo, hi, f=fmt):
        return "-" if lo is None else f"[{f(lo)}, {f(hi)}]"

    rows = [[c.name, c.count, pct(c.share), span(c.share_ci_low, c.share_ci_high, pct),
             span(c.share_sim_low, c.share_sim_high, pct),
             fmt(c.estimated_count, 5), span(c.estimated_ci_low, c.estimated_ci_high, lambda v: f"{v:.0f}"),
             fmt(c.max_error_reduction), span(c.max_error_reduction_ci_low, c.max_error_reduction_ci_high)]
            for c in t.categories]
    total = "unknown" if t.total_errors is None else str(t.total_errors)
    head = f"Error tally: {t.reviewed} reviewed errors of {total} cv errors"
    if t.cv_n:
        head += f" (cv n = {t.cv_n}"
        head += f", J_cv = {fmt(t.total_errors / t.cv_n)})" if t.total_errors is not None else ")"
    parts = [f"## {head}" if markdown else head, ""]
    parts.append(table(["category", "count", "share", "95% interval", "simultaneous 95%", "est. count",
                        "95% interval", "max error reduction", "95% interval"], rows, markdown=markdown))
    bullet = "- " if markdown else ""
    parts += ["", f"{bullet}Untagged rows (not reviewed yet, not counted): {t.untagged}"]
    parts += [f"{bullet}{cell_text(n, markdown)}" for n in t.notes]  # notes quote the reviewers' tags
    parts += warnings_section(t.warnings, markdown)
    return "\n".join(parts) + "\n"


@text_and_markdown(CohortTable)
def cohorts_lines(table_: CohortTable, *, markdown: bool) -> str:
    """The cohort table with its legend and warnings."""
    what = "errors" if table_.cut is None else f"rows with |error| > {table_.cut:.4g}"
    head = (f"Cohort error rates: overall {table_.errors} {what} in {table_.n} rows = "
            f"{fmt(table_.error_rate)} [{fmt(table_.ci_low)}, {fmt(table_.ci_high)}]")
    rows = [[r.slice, r.value, r.n, r.errors, r.error_rate, f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
             f"{round(r.excess_errors, 1) + 0.0:+.1f}", r.q_value, "ABOVE" if r.flagged else ""]
            for r in table_.frame.itertuples(index=False)]
    parts = [f"## {head}" if markdown else head, ""]
    parts.append(table(["slice", "value", "n", "errors", "error rate", "95% interval", "excess",
                        "q-value", "flag"], rows, markdown=markdown))
    bullet = "- " if markdown else ""
    parts += ["", f"{bullet}Ranked by excess errors (errors - n x overall rate). ABOVE: error rate "
              f"significantly above the rest (one-sided Fisher exact test, Benjamini-Hochberg "
              f"false-discovery rate {table_.fdr:g} over all {len(table_.frame)} cohorts). Numeric "
              f"columns are cut into {table_.bins} quantile bins."]
    parts += warnings_section(table_.warnings, markdown)
    return "\n".join(parts) + "\n"
