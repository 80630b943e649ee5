"""Text and Markdown of a paired comparison of two models on the same rows."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..paired import PairedComparison
from ._tables import fmt, heading, table, text_and_markdown, warnings_section

if TYPE_CHECKING:
    import pandas as pd

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


def paired_frame(c: PairedComparison) -> pd.DataFrame:
    """One row per split: the metric on a and b, b - a with its interval, McNemar's p, the verdict.

    >>> import numpy as np
    >>> from diagnose.ingest import Predictions
    >>> from diagnose.paired import compare_splits
    >>> y, ids = np.array([0, 1] * 50), np.arange(100)
    >>> a = Predictions("binary", y, y_pred=np.where(ids % 4 == 0, 1 - y, y), ids=ids, classes=("0", "1"))
    >>> paired_frame(compare_splits({"cv": a}, {"cv": a}, reps=0))[["split", "b - a", "verdict"]].values.tolist()
    [['cv', 0.0, 'no difference shown']]
    """
    import pandas as pd

    data = c.to_dict()
    return pd.DataFrame([{"split": name, "rows": s["n"], f"a {data['metric']}": s["difference"]["a"],
                          f"b {data['metric']}": s["difference"]["b"], "b - a": s["difference"]["estimate"],
                          "ci_low": s["difference"]["ci_low"], "ci_high": s["difference"]["ci_high"],
                          "McNemar p": None if s["mcnemar"] is None else s["mcnemar"]["p_value"],
                          "verdict": WORDS[s["verdict"]]} for name, s in data["splits"].items()])
