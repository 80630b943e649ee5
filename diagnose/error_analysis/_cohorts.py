"""Cohort tables: the error rate of each value of each slice column, and which cohorts fail.

Every slice column is cut into cohorts: one per value (empty cells form a "(missing)"
cohort), numeric columns with more distinct values than ``bins`` into quantile bins.
For each cohort: n, errors, the error rate with its Wilson 95% interval, and the excess
errors over the overall rate (errors - n * overall rate), by which the table is ranked.

A cohort is flagged when its error rate is significantly *above* the overall one: a
one-sided Fisher exact test of the cohort against the rest of the rows (given the total
number of errors, a cohort's error count is hypergeometric when slices have no effect),
with the Benjamini-Hochberg correction over every cohort of every column at ``fdr``.
Rows are counted unweighted; errors are defined as in :func:`error_mask`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError
from ..ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, Predictions
from ..metrics import wilson_bounds
from ..options import DEFAULT_BINS, DEFAULT_FDR
from ..values import Rendered, json_number
from ._errors import DEFAULT_TOP_SHARE, error_mask

if TYPE_CHECKING:
    import pandas as pd

# a text column with more values than this is most likely an id, not a cohort key
MAX_CATEGORIES = 50
MISSING = "(missing)"
COLUMNS = ("slice", "value", "n", "errors", "error_rate", "ci_low", "ci_high", "excess_errors",
           "p_value", "q_value", "flagged")


@dataclass(frozen=True)
class CohortTable(Rendered):
    """Cohorts of every slice column in one long-format ``frame`` (columns ``COLUMNS``),
    ranked by excess errors; ``flagged`` marks error rates significantly above overall."""

    frame: pd.DataFrame
    n: int
    errors: int
    error_rate: float
    ci_low: float
    ci_high: float
    fdr: float
    bins: int
    cut: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def flagged(self) -> pd.DataFrame:
        return self.frame[self.frame["flagged"]]

    def to_dict(self) -> dict:
        records = []
        for row in self.frame.to_dict(orient="records"):
            records.append({k: (json_number(v) if isinstance(v, float) else
                                bool(v) if isinstance(v, (bool, np.bool_)) else
                                int(v) if isinstance(v, np.integer) else v) for k, v in row.items()})
        return {"overall": {"n": self.n, "errors": self.errors, "error_rate": json_number(self.error_rate),
                            "ci_low": json_number(self.ci_low), "ci_high": json_number(self.ci_high)},
                "fdr": self.fdr, "bins": self.bins, "cut": self.cut,
                "test": "one-sided Fisher exact (cohort vs rest), Benjamini-Hochberg",
                "cohorts": records, "warnings": list(self.warnings)}


def _distinct_labels(values: np.ndarray, digits: int) -> list[str]:
    """Distinct numbers as short text, with more digits where the short forms would collide
    (1234567 and 1234568 are both '1.23457e+06' at 6 digits)."""
    for d in (digits, 10, 17):
        labels = [f"{v:.{d}g}" for v in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def cohort_codes(values, bins: int) -> tuple[np.ndarray, list[str]] | None:
    """Cohort code per row and the cohort labels; ``None`` for a column with too many values.

    >>> codes, labels = cohort_codes([3.0, 1.0, None, 1.0], bins=4)
    >>> codes.tolist(), labels
    ([1, 0, 2, 0], ['1', '3', '(missing)'])
    """
    import pandas as pd

    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        distinct = np.unique(x[~missing])
        if len(distinct) > bins:
            # quantiles of the finite values (inf - inf would make a NaN edge); -inf and
            # inf, if any, widen the outer bins
            edges = np.quantile(x[np.isfinite(x)], np.linspace(0, 1, bins + 1))
            edges[0], edges[-1] = distinct[0], distinct[-1]
            edges = np.unique(edges)
            # bins are [e_i, e_i+1), the last one closed: [e_k-1, e_k]
            codes = np.searchsorted(edges[1:-1], x, side="right")
            shown = _distinct_labels(edges, 4)
            labels = [f"[{lo}, {hi}{']' if i == len(edges) - 2 else ')'}"
                      for i, (lo, hi) in enumerate(zip(shown[:-1], shown[1:]))]
        else:
            codes = np.searchsorted(distinct, x)
            labels = _distinct_labels(distinct, 6)
        codes = np.where(missing, len(labels), codes)
        return codes.astype(np.int64), labels + [MISSING]
    codes, uniques = pd.factorize(series.astype("string"), sort=True)
    if len(uniques) > MAX_CATEGORIES:
        return None
    labels = [str(u) for u in uniques]
    codes = np.where(codes < 0, len(labels), codes)
    return codes.astype(np.int64), labels + [MISSING]


def cohort_errors(errors: np.ndarray, slices: pd.DataFrame, *, bins: int = DEFAULT_BINS,
                  fdr: float = DEFAULT_FDR, cut: float | None = None) -> CohortTable:
    """Cohort table from a boolean error per row and the slice columns (a DataFrame).

    >>> import pandas as pd
    >>> errors = np.array([1, 1, 1, 0, 0, 0, 0, 0] * 25, dtype=bool)
    >>> slices = pd.DataFrame({"source": ["scan", "scan", "scan", "web", "web", "web", "web", "web"] * 25})
    >>> t = cohort_errors(errors, slices)
    >>> t.frame[["value", "n", "errors", "flagged"]].values.tolist()
    [['scan', 75, 75, True], ['web', 125, 0, False]]
    """
    import pandas as pd
    from scipy.stats import false_discovery_control, hypergeom

    errors = np.asarray(errors, dtype=bool)
    total, n_err = len(errors), int(errors.sum())
    rate = n_err / total if total else 0.0
    lo, hi = wilson_bounds(np.array([n_err / total if total else 0.0]), total)
    parts, warnings = [], []
    for name in slices.columns:
        coded = cohort_codes(slices[name], bins)
        if coded is None:
            warnings.append(f"slice column '{name}' has more than {MAX_CATEGORIES} values; left out")
            continue
        codes, labels = coded
        n = np.bincount(codes, minlength=len(labels))
        e = np.bincount(codes, weights=errors, minlength=len(labels)).astype(np.int64)
        keep = n > 0
        parts.append(pd.DataFrame({"slice": name, "value": np.asarray(labels, dtype=object)[keep],
                                   "n": n[keep], "errors": e[keep]}))
    if not parts:
        if not len(slices.columns):
            warnings.append("no slice columns: every column is a label, score, id or parameter")
        frame = pd.DataFrame({c: [] for c in COLUMNS})
    else:
        frame = pd.concat(parts, ignore_index=True)
        n, e = frame["n"].to_numpy(), frame["errors"].to_numpy()
        frame["error_rate"] = e / n
        frame["ci_low"], frame["ci_high"] = wilson_bounds(e / n, n)
        frame["excess_errors"] = e - n * rate
        # P(X >= e) for X ~ Hypergeometric(total rows, total errors, cohort size)
        frame["p_value"] = np.clip(hypergeom.sf(e - 1, total, n_err, n), 0.0, 1.0)
        frame["q_value"] = false_discovery_control(frame["p_value"].to_numpy(), method="bh")
        frame["flagged"] = frame["q_value"].to_numpy() <= fdr
        frame = frame.sort_values(["excess_errors", "slice", "value"], ascending=[False, True, True],
                                  kind="stable").reset_index(drop=True)
    return CohortTable(frame=frame[list(COLUMNS)], n=total, errors=n_err, error_rate=rate,
                       ci_low=float(lo[0]), ci_high=float(hi[0]), fdr=fdr, bins=bins, cut=cut,
                       warnings=tuple(warnings))


def cohort_table(pred: Predictions, *, bins: int = DEFAULT_BINS, fdr: float = DEFAULT_FDR,
                 cut: float | None = None, top_share: float = DEFAULT_TOP_SHARE,
                 slice_columns: tuple[str, ...] | None = None) -> CohortTable:
    """Cohort error rates over the slice columns of validated cv predictions.

    >>> from diagnose.ingest import load_predictions
    >>> import pandas as pd
    >>> cv = load_predictions(pd.DataFrame({"y_true": [0, 1] * 40, "y_score": [0.2, 0.3] * 40,
    ...                                     "region": ["north", "south"] * 40}))
    >>> t = cohort_table(cv)
    >>> t.frame[["value", "errors", "flagged"]].values.tolist()
    [['south', 40, True], ['north', 0, False]]
    """
    import pandas as pd

    errors, cut = error_mask(pred, cut=cut, top_share=top_share)
    wanted = pred.slice_columns if slice_columns is None else slice_columns
    names = [c for c in wanted if c not in (TOTAL_ERRORS_COLUMN, CV_N_COLUMN)]
    if not names:
        return cohort_errors(errors, pd.DataFrame(index=range(pred.n)), bins=bins, fdr=fdr, cut=cut)
    assert pred.table is not None, "slice columns are read from the predictions' table"
    unknown = [c for c in names if c not in pred.table.column_names]
    if unknown:
        raise UsageError(f"no slice column {', '.join(map(repr, unknown))} in {pred.source}; it has "
                         f"{', '.join(pred.slice_columns) or 'no slice columns'}")
    return cohort_errors(errors, pred.table.select(names).to_pandas(), bins=bins, fdr=fdr, cut=cut)
