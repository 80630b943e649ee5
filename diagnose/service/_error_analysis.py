"""Error analysis from files: tally a reviewed sample, cohort tables of a cv file."""
from __future__ import annotations

from typing import Any

from ..error_analysis import DEFAULT_BINS, DEFAULT_FDR, DEFAULT_TOP_SHARE, CohortTable, ErrorTally, tally_sample
from ..error_analysis import cohort_table as compute_cohorts
from ..ingest import Predictions, TaggedSample, load_predictions, load_tagged
from ..options import ReadOptions


def tally(source: Any, *, cv: Any = None, total_errors: int | None = None, cv_n: int | None = None,
          cut: float | None = None, top_share: float = DEFAULT_TOP_SHARE, options: ReadOptions | None = None,
          **reading: Any) -> ErrorTally:
    """Read a reviewed sample (path, DataFrame, Arrow table, or a loaded
    :class:`~diagnose.ingest.TaggedSample`) and tally its tags; ``cv`` (predictions or a file)
    checks the ids and gives the totals. ``options`` (or ``task``, ``columns``, ...) say how to
    read the files.

    >>> import pandas as pd
    >>> tagged = pd.DataFrame({"id": [1, 2, 3], "tags": ["Pharma", "pharma ; image", ""],
    ...                        "total_errors": 30, "cv_n": 150})
    >>> t = tally(tagged)
    >>> t.categories[0].name, t.categories[0].estimated_count, t.untagged
    ('pharma', 30.0, 1)
    """
    opts = ReadOptions.of(options, **reading)
    cv_pred = None
    if cv is not None:
        cv_pred = cv if isinstance(cv, Predictions) else load_predictions(cv, options=opts)
    sample = source if isinstance(source, TaggedSample) else load_tagged(
        source, cv=cv_pred, columns=opts.column_map, encoding=opts.encoding)
    return tally_sample(sample, cv=cv_pred, total_errors=total_errors, cv_n=cv_n, cut=cut,
                        top_share=top_share)


def cohort_table(cv: Any, *, bins: int = DEFAULT_BINS, fdr: float = DEFAULT_FDR,
                 cut: float | None = None, top_share: float = DEFAULT_TOP_SHARE,
                 slice_columns: tuple[str, ...] | None = None, options: ReadOptions | None = None,
                 **reading: Any) -> CohortTable:
    """Cohort error rates over the slice columns of cv predictions (validated
    :class:`Predictions`, or a path, DataFrame or Arrow table to read).

    >>> import pandas as pd
    >>> cv = pd.DataFrame({"y_true": [0, 1] * 40, "y_score": [0.2, 0.3] * 40,
    ...                    "region": ["north", "south"] * 40})
    >>> t = cohort_table(cv)
    >>> t.frame[["value", "errors", "flagged"]].values.tolist()
    [['south', 40, True], ['north', 0, False]]
    """
    pred = cv if isinstance(cv, Predictions) else load_predictions(cv, options=ReadOptions.of(options, **reading))
    return compute_cohorts(pred, bins=bins, fdr=fdr, cut=cut, top_share=top_share, slice_columns=slice_columns)
