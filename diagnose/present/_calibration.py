"""Text, Markdown and charts of calibration: the report's section, a recalibration, and the
reliability diagram."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..calibration import Calibration, Recalibration, SplitCalibration
from ..values import renders
from ._tables import fmt, heading, table, text_and_markdown

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

SPLITS = ("train", "cv", "test")


def _row(name: str, c: Calibration) -> list:
    return [name, c.n, fmt(c.ece), f"[{fmt(c.ece_ci_low)}, {fmt(c.ece_ci_high)}]" if c.reps else "-", fmt(c.mce),
            fmt(c.brier), fmt(c.reliability), fmt(c.resolution), c.verdict]


HEADERS = ["split", "n", "ECE", "95% interval", "MCE", "Brier", "reliability", "resolution", "verdict"]


def _legend(c: Calibration) -> str:
    what = {"binary": "the positive-class score", "multiclass": "top-label (the largest probability)",
            "multilabel": "the mean over labels"}.get(c.task, "")
    return (f"ECE over {len(c.bins) if c.task != 'multilabel' else 'per-label'} {c.bins_strategy} bins of {what}; "
            f"verdict by Spiegelhalter's z-test at {c.alpha:g}, its direction by the calibration slope "
            "(below 1: overconfident).")


@text_and_markdown(SplitCalibration)
def calibration_section(s: SplitCalibration, *, markdown: bool) -> str:
    """The report's calibration section: one row per split."""
    rows = [_row(name, s.splits[name]) for name in SPLITS if name in s.splits]
    first = next(iter(s.splits.values()))
    return "\n".join([heading("Calibration", markdown), "", table(HEADERS, rows, markdown=markdown), "",
                      _legend(first)]) + "\n"


@text_and_markdown(Calibration)
def calibration_lines(c: Calibration, *, markdown: bool) -> str:
    """One split's calibration with its reliability bins."""
    bins = [[f"[{fmt(b.lo, 3)}, {fmt(b.hi, 3)}]", b.n, fmt(b.mean_score), fmt(b.observed_rate),
             f"[{fmt(b.ci_low)}, {fmt(b.ci_high)}]"] for b in c.bins if b.n]
    return "\n".join([heading("Calibration", markdown), "", table(HEADERS[1:], [_row("", c)[1:]], markdown=markdown),
                      "", table(["bin", "n", "mean score", "observed rate", "95% interval"], bins, markdown=markdown),
                      "", _legend(c)]) + "\n"


@text_and_markdown(Recalibration)
def recalibration_lines(r: Recalibration, *, markdown: bool) -> str:
    """Each method fitted on cv and judged on test, and the recommendation."""
    data = r.to_dict()
    rows = [[m["method"], fmt(m["ece_before"]), fmt(m["ece_after"]), fmt(m["log_loss_before"]),
             fmt(m["log_loss_after"]), fmt(m["brier_before"]), fmt(m["brier_after"]),
             f"{m['gain']:+.4g} [{fmt(m['gain_ci_low'])}, {fmt(m['gain_ci_high'])}]", fmt(m["p_value"], 3)]
            for m in data["methods"].values()]
    pick = data["recommended"]
    verdict = (f"Recommended: {pick} (its test log-loss gain is significant)." if pick != "none" else
               "No method is recommended: none lowers the test log loss significantly.")
    return "\n".join([heading(f"Recalibration fitted on cv ({data['n_cv']} rows), judged on test "
                              f"({data['n_test']} rows)", markdown), "",
                      table(["method", "ECE before", "after", "log loss before", "after", "Brier before", "after",
                             "log-loss gain [interval]", "p"], rows, markdown=markdown),
                      "", verdict, data["method"]]) + "\n"


@renders(Calibration, "chart")
@renders(SplitCalibration, "chart")
def reliability_chart(value: Any) -> alt.LayerChart | alt.FacetChart:
    """A reliability diagram: each bin's observed rate (with its Wilson interval) against its
    mean score, per split, beside the diagonal of perfect calibration. ``value``: a
    :class:`Calibration`, a :class:`SplitCalibration`, or a report's ``calibration`` JSON.

    >>> import numpy as np
    >>> from diagnose.calibration import calibration
    >>> from diagnose.ingest import Predictions
    >>> s = np.linspace(0.05, 0.95, 300)
    >>> c = calibration(Predictions("binary", (np.arange(300) % 7 < 7 * s).astype(np.int8), s), reps=0)
    >>> type(reliability_chart(c)).__name__
    'LayerChart'
    """
    import altair as alt
    import pandas as pd

    if isinstance(value, Calibration):
        value = {"scores": value}
    data: Mapping[str, Any] = value.to_dict() if isinstance(value, SplitCalibration) else {
        name: c.to_dict() if isinstance(c, Calibration) else c for name, c in value.items()}
    rows = [{"split": name, **b} for name, c in data.items() for b in c["bins"] if b["n"]]
    frame = pd.DataFrame(rows)
    x = alt.X("mean_score:Q", title="mean score in the bin", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("observed_rate:Q", title="observed rate", scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("split:N", title="split")
    diagonal = alt.Chart(pd.DataFrame({"mean_score": [0.0, 1.0], "observed_rate": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="gray").encode(x=x, y=y)
    base = alt.Chart(frame)
    bars = base.mark_rule().encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=color)
    points = base.mark_line(point=True).encode(
        x=x, y=y, color=color, tooltip=["split", "lo", "hi", "n", "mean_score", "observed_rate", "ci_low", "ci_high"])
    return alt.layer(diagonal, bars, points).properties(width=420, height=420, title="Reliability diagram")


def calibration_frame(calibration: Mapping[str, Any]) -> pd.DataFrame:
    """A report's ``calibration`` JSON as a display table, one row per split.

    >>> row = {"n": 100, "ece": 0.04, "ece_ci_low": 0.03, "ece_ci_high": 0.07, "mce": 0.2, "brier": 0.1,
    ...        "verdict": "calibrated", "p_value": 0.4, "slope": 0.95}
    >>> calibration_frame({"cv": row}).columns.tolist()[:4]
    ['split', 'n', 'ECE', 'ECE low']
    """
    import pandas as pd

    return pd.DataFrame([{"split": name, "n": c["n"], "ECE": c["ece"], "ECE low": c["ece_ci_low"],
                          "ECE high": c["ece_ci_high"], "MCE": c["mce"], "Brier": c["brier"], "verdict": c["verdict"],
                          "p-value": c["p_value"], "slope": c["slope"]} for name, c in calibration.items()])
