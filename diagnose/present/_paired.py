"""Text and Markdown of a paired comparison of two models on the same rows."""
from __future__ import annotations

from ..paired import PairedComparison
from ._tables import fmt, heading, table, text_and_markdown, warnings_section

WORDS = {"b_better": "b is better", "a_better": "a is better", "no_difference_shown": "no difference shown",
         "equivalent": "equivalent within the margin"}


def _span(lo, hi) -> str:
    return "-" if lo is None else f"[{fmt(lo)}, {fmt(hi)}]"


@text_and_markdown(PairedComparison)
def paired_lines(c: PairedComparison, *, markdown: bool) -> str:
    """Per split: the metric on a and b, the paired difference, McNemar, the bootstrap
    figures and DeLong's AUC test; then the verdict."""
    data = c.to_dict()
    head = f"Paired comparison of model b against model a ({data['metric']}; b - a, lower loss is better)"
    parts = [f"## {head}" if markdown else head, ""]
    rows = []
    for name, s in data["splits"].items():
        d = s["difference"]
        rows.append([name, s["n"], d["a"], d["b"], f"{d['estimate']:+.4g}", _span(d["ci_low"], d["ci_high"]),
                     "-" if s["mcnemar"] is None else fmt(s["mcnemar"]["p_value"], 3), WORDS[s["verdict"]]])
    parts.append(table(["split", "rows", f"a {data['metric']}", f"b {data['metric']}", "b - a",
                        f"{round(100 * (1 - data['alpha']))}% interval", "McNemar p", "verdict"], rows,
                       markdown=markdown))
    for name, s in data["splits"].items():
        extra = [[k, v["a"], v["b"], f"{v['difference']:+.4g}" if v["difference"] is not None else "-",
                  _span(v["ci_low"], v["ci_high"])] for k, v in s["bootstrap"].items()]
        extra += [[f"ROC AUC{'' if a['label'] is None else ' ' + str(a['label'])} (DeLong p {fmt(a['p_value'], 3)})",
                   a["auc_a"], a["auc_b"], f"{a['difference']:+.4g}", _span(a["ci_low"], a["ci_high"])]
                  for a in s["delong"]]
        if extra:
            parts += ["", heading(f"{name}: other figures (paired bootstrap; AUC by DeLong)", markdown), "",
                      table(["figure", "a", "b", "b - a", "95% interval"], extra, markdown=markdown)]
        if s["equivalence"]:
            e = s["equivalence"]
            shown = "equivalent" if e["equivalent"] else "not shown equivalent"
            parts += ["", f"{name}: {shown} within ±{fmt(e['margin'])} (TOST, {round(100 * e['level'])}% "
                      f"interval {_span(e['ci_low'], e['ci_high'])})"]
    verdict = f"Verdict (from {data['verdict_split']}): {WORDS[data['verdict']]}."
    parts += ["", f"**{verdict}**" if markdown else verdict]
    parts += warnings_section(data["warnings"], markdown)
    return "\n".join(parts) + "\n"
