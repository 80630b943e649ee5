"""Text and Markdown of what the searches find: the slices where cv errors concentrate, the
rows whose label looks wrong, and what moved between cv and test."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..error_analysis import LabelSuspects, ShiftExplanation, ShiftTest, SliceTable
from ._tables import cell_text, fmt, table, text_and_markdown, warnings_section

if TYPE_CHECKING:
    import pandas as pd


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


@text_and_markdown(LabelSuspects)
def suspects_lines(s: LabelSuspects, *, markdown: bool) -> str:
    """The estimated number of label issues and the ranked suspects."""
    unit = "cells (row x label)" if "label" in s.frame.columns else "rows"
    estimate = f"{s.estimated_issues:.1f}"
    if s.reps:
        estimate += f" [{s.ci_low:.1f}, {s.ci_high:.1f}] (95% bootstrap interval, {s.reps} resamples)"
    head = f"Label-noise suspects: about {estimate} of {s.n} labels look wrong"
    parts = [f"## {head}" if markdown else head, ""]
    if len(s.frame):
        headers = [c for c in ("id", "label", "given_label", "suggested_label", "self_confidence",
                               "suggested_probability") if c in s.frame.columns]
        parts.append(table([h.replace("_", " ") for h in headers], s.frame[headers].values.tolist(),
                           markdown=markdown))
    else:
        parts.append("No row's label is doubted.")
    bullet = "- " if markdown else ""
    shown = f"the {len(s.frame)} most doubtful of {s.flagged}" if len(s.frame) < s.flagged else f"all {s.flagged}"
    parts += ["", *([f"{bullet}Showing {shown} suspect {unit}, lowest self-confidence (the model's probability "
                     "of the given label) first."] if s.flagged else []),
              f"{bullet}Method: {s.method}. The interval reflects which rows were drawn, not the model's own "
              "errors: a weaker model flags more correct labels.",
              f"{bullet}Review them with: diagnose errors sample --prefer suspects (tag wrong labels "
              "'label noise')."]
    parts += warnings_section(s.warnings, markdown)
    return "\n".join(parts) + "\n"


def _test_row(t: ShiftTest, within: bool = False) -> list:
    return [t.name, t.test, fmt(t.p_value, 2), "-" if t.q_value is None else fmt(t.q_value, 2),
            f"within {t.effect:+.3g}" if within else f"{t.effect_name} {fmt(t.effect, 3)}",
            "-" if t.psi is None else fmt(t.psi, 3),
            "yes" if t.flagged else "", t.detail]


@text_and_markdown(ShiftExplanation)
def shift_lines(e: ShiftExplanation, *, markdown: bool) -> str:
    """What moved between cv and test, one test per row, and the conclusion."""
    d = e.decomposition
    tests = [e.labels, *([e.scores] if e.scores is not None else []), *e.slices, e.within]
    parts = ["### Why test differs from cv" if markdown else "Why test differs from cv", "",
             f"Error {fmt(e.cv_error)} on cv ({e.cv_n} rows), {fmt(e.test_error)} on test ({e.test_n} rows).", "",
             table(["what", "test", "p", "q", "effect", "PSI", "moved", "detail"],
                   [_test_row(t, t is e.within) for t in tests], markdown=markdown), ""]
    bullet = "- " if markdown else ""
    if e.strata:
        strata = cell_text(", ".join(e.strata), markdown)  # the user's column names, shown as text
        parts.append(f"{bullet}On rows matched by {strata} ({d.cells} cells): gap "
                     f"{d.gap:+.4f} = mix {d.mix:+.4f} (test's mix at cv's error in each cell) + within "
                     f"{d.within:+.4f}.")
    parts.append(f"{bullet}{cell_text(e.conclusion[:1].upper() + e.conclusion[1:], markdown)}.")
    parts += warnings_section(e.warnings, markdown)
    return "\n".join(parts) + "\n"


def slices_frame(t: SliceTable) -> pd.DataFrame:
    """The slices as a display table (numbers kept as numbers), one row per slice, best first.

    >>> import pandas as pd
    >>> from diagnose.error_analysis import find_slices
    >>> from diagnose.ingest import load_predictions
    >>> cv = load_predictions(pd.DataFrame({"y_true": [0, 1] * 400, "y_score": [0.2, 0.3] * 400,
    ...                                     "region": ["north", "south"] * 400}))
    >>> slices_frame(find_slices(cv))[["slice", "n", "error"]].values.tolist()
    [['region=south', 400, 1.0]]
    """
    import pandas as pd

    f = t.frame
    out = pd.DataFrame({"slice": f["slice"], "n": f["n"], "share": f["share"], "error": f["error"],
                        "ci_low": f["ci_low"], "ci_high": f["ci_high"], "lift": f["lift"],
                        "share of errors": f["error_share"], "errors removed": f["errors_removed"],
                        "q-value": f["q_value"], "held-out error": f["holdout_error"]})
    if t.test_n is not None:
        out["test n"], out["test error"] = f["test_n"], f["test_error"]
    return out


def shift_frame(shift: Mapping[str, Any]) -> pd.DataFrame:
    """The tests of a report's ``shift`` section (its JSON) as a display table.

    >>> test = {"name": "region", "test": "chi-square", "p_value": 0.001, "q_value": 0.002, "effect": 0.3,
    ...         "effect_name": "Cramér's V", "psi": 0.4, "flagged": True, "detail": "north: 25% of cv, 60% of test"}
    >>> shift_frame({"labels": test, "scores": None, "slices": [], "within": test})["what"].tolist()
    ['region', 'region']
    """
    import pandas as pd

    tests = [shift["labels"], *([shift["scores"]] if shift.get("scores") else []), *shift["slices"], shift["within"]]
    return pd.DataFrame({"what": [t["name"] for t in tests], "test": [t["test"] for t in tests],
                         "p-value": [t["p_value"] for t in tests], "q-value": [t["q_value"] for t in tests],
                         "effect": [f"{t['effect_name']} {t['effect']:.3g}" if t["effect"] is not None else ""
                                    for t in tests],
                         "PSI": [t["psi"] for t in tests], "moved": [bool(t["flagged"]) for t in tests],
                         "detail": [t["detail"] for t in tests]})
