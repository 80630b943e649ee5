"""Tables for people: a stored report's levels, gaps and splits, a confusion matrix, a
tally, as DataFrames (the dashboard shows them; the charts are drawn from them)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..bias_variance import gap_status

if TYPE_CHECKING:  # pandas is imported where a table is built: the CLI starts without it
    import pandas as pd

GAP_STEPS = (("bias", "baseline", "J_train"), ("variance", "J_train", "J_cv"), ("test", "J_cv", "J_test"))


def detail_status(detail: Mapping[str, Any] | None) -> str:
    """How a stored gap fared (its ``gap_details`` entry): counts, ruled_out, inconclusive or
    no_reference; for a run stored before gaps had a status, worked out from its interval.

    >>> detail_status({"counted": False, "material": False, "value": 0.01, "ci_low": -0.01, "ci_high": 0.03,
    ...                "tolerance": 0.05})
    'ruled_out'
    """
    if not detail:
        return ""
    if detail.get("status"):
        return str(detail["status"])
    keys = ("value", "ci_low", "ci_high", "tolerance")
    ruled_out = False
    if all(isinstance(detail.get(k), (int, float)) for k in keys):
        se = (detail["ci_high"] - detail["ci_low"]) / (2 * 1.959964)
        ruled_out = detail["value"] + 1.644854 * se < detail["tolerance"]
    return gap_status(bool(detail.get("counted")), bool(detail.get("material")), ruled_out)


def levels_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """The baseline and J_train, J_cv, J_test of a stored report, with their 95% intervals.

    >>> r = {"reference": 0.01, "reference_name": "human", "splits": {
    ...     "train": {"error": 0.02, "ci_low": 0.01, "ci_high": 0.03},
    ...     "cv": {"error": 0.1, "ci_low": 0.08, "ci_high": 0.12}}}
    >>> levels_frame(r)[["level", "error"]].values.tolist()
    [['baseline', 0.01], ['J_train', 0.02], ['J_cv', 0.1]]
    """
    import pandas as pd

    rows = []
    if report.get("reference") is not None:
        rows.append({"level": "baseline", "error": report["reference"], "ci_low": None, "ci_high": None,
                     "about": f"baseline: {report.get('reference_name') or 'reference'}"})
    for split in ("train", "cv", "test"):
        s = (report.get("splits") or {}).get(split)
        if s and s.get("error") is not None:
            rows.append({"level": f"J_{split}", "error": s["error"], "ci_low": s.get("ci_low"),
                         "ci_high": s.get("ci_high"), "about": f"{split} split, n = {s.get('n')}"})
    return pd.DataFrame(rows, columns=["level", "error", "ci_low", "ci_high", "about"])


def gaps_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """The gaps between consecutive levels: from, to, value and whether each counts.

    >>> r = {"reference": 0.01, "splits": {"train": {"error": 0.02}, "cv": {"error": 0.1}},
    ...      "gaps": {"bias": 0.01, "variance": 0.08}, "gap_details": {"variance": {"counted": True}}}
    >>> gaps_frame(r)[["gap", "start", "end", "status"]].values.tolist()
    [['bias', 0.01, 0.02, 'inconclusive'], ['variance', 0.02, 0.1, 'counts']]
    """
    import pandas as pd

    levels = dict(zip(*levels_frame(report)[["level", "error"]].T.values))
    details = report.get("gap_details") or {}
    rows = []
    for gap, low, high in GAP_STEPS:
        value = (report.get("gaps") or {}).get(gap)
        if value is None or low not in levels or high not in levels:
            continue
        rows.append({"gap": gap, "at": high, "start": levels[low], "end": levels[high], "value": value,
                     "status": detail_status(details.get(gap)) or "inconclusive",
                     "label": f"{gap} gap {value:+.4g}"})
    return pd.DataFrame(rows, columns=["gap", "at", "start", "end", "value", "status", "label"])


def other_baselines(report: Mapping[str, Any], *, shown: bool) -> dict[str, float]:
    """Baselines besides the reference: those near the levels (``shown``) are drawn as lines;
    the rest (a trivial classifier far above everything) would squash the chart.

    >>> r = {"reference_name": "human", "baselines": {"human": 0.01, "trivial": 0.4, "rival": 0.03},
    ...      "splits": {"train": {"error": 0.02, "ci_high": 0.03}, "cv": {"error": 0.05, "ci_high": 0.07}}}
    >>> other_baselines(r, shown=True), other_baselines(r, shown=False)
    ({'rival': 0.03}, {'trivial': 0.4})
    """
    levels = levels_frame(report)
    top = max(levels["ci_high"].fillna(levels["error"]).max(), levels["error"].max()) if not levels.empty else 0
    others = {k: v for k, v in (report.get("baselines") or {}).items()
              if v is not None and k != report.get("reference_name")}
    return {k: v for k, v in others.items() if (v <= 1.5 * top) == shown}


def metrics_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """One row per split: n, error, its interval and the headline metrics the report has.

    >>> metrics_frame({"splits": {"cv": {"n": 10, "error": 0.1}}}).values.tolist()
    [['cv', 10, 0.1]]
    """
    import pandas as pd

    rows = []
    for split, s in (report.get("splits") or {}).items():
        rows.append({"split": split, **{k: v for k, v in s.items() if not isinstance(v, (dict, list))}})
    return pd.DataFrame(rows)


def gap_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """The gap details of a stored report as a table (value, interval, tolerance, status).

    >>> gap_table({"gap_details": {"bias": {"value": 0.1, "counted": True}}})[["gap", "status"]].values.tolist()
    [['bias', 'counts']]
    """
    import pandas as pd

    rows = []
    for gap, d in (report.get("gap_details") or {}).items():
        if d is None:
            continue
        rows.append({"gap": gap, "value": d.get("value"), "ci_low": d.get("ci_low"), "ci_high": d.get("ci_high"),
                     "tolerance": d.get("tolerance"), "status": detail_status(d),
                     "samples needed": d.get("samples_needed"), "of them new": d.get("samples_needed_more")})
    return pd.DataFrame(rows, columns=["gap", "value", "ci_low", "ci_high", "tolerance", "status", "samples needed",
                                       "of them new"])


def readable(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Numbers to ``digits`` significant digits and dates to the minute, as text for a table
    that mixes kinds (a comparison's rows hold verdicts beside errors).

    >>> import pandas as pd
    >>> readable(pd.DataFrame({"m": ["J_cv", "verdict"], "a": [0.175487465, "high_bias"], "b": [None, 3]}))
    ...                                                                     # doctest: +NORMALIZE_WHITESPACE
          m          a  b
    0  J_cv     0.1755
    1  verdict  high_bias  3
    """
    import datetime as dt
    import numbers

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, numbers.Number):
            return f"{v:.{digits}g}"
        if isinstance(v, dt.datetime):
            return f"{v:%Y-%m-%d %H:%M}"
        return str(v)

    return frame.apply(lambda col: col.map(cell))


def confusion_frame(m) -> pd.DataFrame:
    """A :class:`~diagnose.thresholds.PRF`'s counts as a 2x2 confusion matrix (rows: actual).

    >>> from diagnose.thresholds import PRF
    >>> confusion_frame(PRF.from_counts(tp=8, pp=10, positives=12, total=100)).values.tolist()
    [[86, 2], [4, 8]]
    """
    import pandas as pd

    def whole(v: float):
        return int(v) if float(v).is_integer() else round(v, 3)

    return pd.DataFrame([[whole(m.tn), whole(m.fp)], [whole(m.fn), whole(m.tp)]],
                        index=["actual negative", "actual positive"],
                        columns=["predicted negative", "predicted positive"])


def tally_frame(tally) -> pd.DataFrame:
    """An :class:`~diagnose.error_analysis.ErrorTally`'s categories, most frequent first.

    >>> from diagnose.error_analysis import tally_tags
    >>> tally_frame(tally_tags(["a", "a;b"], total_errors=2, cv_n=10))[["category", "count"]].values.tolist()
    [['a', 2], ['b', 1]]
    """
    import pandas as pd

    cols = ["category", "count", "share", "share_ci_low", "share_ci_high", "estimated_count",
            "max_error_reduction"]
    rows = [{"category": c.name, **{k: getattr(c, k) for k in cols[1:]}} for c in tally.categories]
    return pd.DataFrame(rows, columns=cols)
