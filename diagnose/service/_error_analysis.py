"""Error analysis from files: tally a reviewed sample, cohort tables and slices of a cv file,
label-noise suspects, and why test differs from cv."""
from __future__ import annotations

from typing import Any

from ..error_analysis import (
    DEFAULT_BINS,
    DEFAULT_FDR,
    DEFAULT_MAX_CONDITIONS,
    DEFAULT_MIN_LIFT,
    DEFAULT_TOP,
    DEFAULT_TOP_SHARE,
    CohortTable,
    ErrorTally,
    LabelSuspects,
    ShiftExplanation,
    SliceTable,
    explain_shift,
    find_slices,
    find_suspects,
    tally_sample,
)
from ..error_analysis import cohort_table as compute_cohorts
from ..exceptions import UsageError
from ..ingest import Predictions, TaggedSample, load_cv_test, load_predictions, load_tagged
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


def slices(cv: Any, *, test: Any = None, bins: int = DEFAULT_BINS, fdr: float = DEFAULT_FDR,
           min_size: int | None = None, min_lift: float = DEFAULT_MIN_LIFT,
           max_conditions: int = DEFAULT_MAX_CONDITIONS, top: int = DEFAULT_TOP, seed: int = 0,
           options: ReadOptions | None = None, **reading: Any) -> SliceTable:
    """The slices (conjunctions of up to three conditions) where the cv error concentrates,
    tested and replicated (:func:`diagnose.error_analysis.find_slices`), with their figures on
    ``test`` when given. ``cv`` and ``test``: validated predictions, or a path, DataFrame or
    Arrow table to read.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> region = rng.choice(["north", "south", "east"], 3000)
    >>> y = rng.integers(0, 2, 3000)
    >>> wrong = rng.random(3000) < np.where(region == "east", 0.3, 0.05)
    >>> cv = pd.DataFrame({"id": range(3000), "y_true": y, "y_score": np.where(wrong, 1 - y, y) * 0.8 + 0.1,
    ...                    "region": region})
    >>> slices(cv).frame["slice"].tolist()
    ['region=east']
    """
    cv_pred, test_pred = cv_and_test(cv, test, ReadOptions.of(options, **reading))
    return find_slices(cv_pred, test_pred, bins=bins, fdr=fdr, min_size=min_size, min_lift=min_lift,
                       max_conditions=max_conditions, top=top, seed=seed)


def cv_and_test(cv: Any, test: Any, options: ReadOptions) -> tuple[Predictions, Predictions | None]:
    """Validated cv and test predictions from predictions or sources (read together, so their
    classes line up; a cv file with a ``split`` column gives its test rows too).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"split": ["cv", "test"] * 3, "y_true": [0, 1] * 3, "y_score": [0.2, 0.7] * 3})
    >>> cv, test = cv_and_test(t, None, ReadOptions())
    >>> cv.n, test.n
    (3, 3)
    """
    if not isinstance(cv, Predictions) and not isinstance(test, Predictions):
        return load_cv_test(cv, test, options=options)
    cv_pred = cv if isinstance(cv, Predictions) else load_predictions(cv, options=options)
    test_pred = test if test is None or isinstance(test, Predictions) else load_predictions(test, options=options)
    if test_pred is not None and (test_pred.task, test_pred.classes) != (cv_pred.task, cv_pred.classes):
        raise UsageError(f"{test_pred.source} holds {test_pred.task} predictions of classes "
                         f"{', '.join(test_pred.classes) or '-'}, but {cv_pred.source} {cv_pred.task} of "
                         f"{', '.join(cv_pred.classes) or '-'}: give both as files so they are read together")
    return cv_pred, test_pred


def suspects(source: Any, *, split: str = "cv", out_of_fold: bool = False, top: int | None = None,
             reps: int = 200, seed: int = 0, options: ReadOptions | None = None, **reading: Any) -> LabelSuspects:
    """The rows of one split whose label looks wrong, by confident learning
    (:func:`diagnose.error_analysis.find_suspects`). ``source``: validated predictions, or a
    path, DataFrame or Arrow table to read as ``split``; train predictions are refused unless
    ``out_of_fold``.

    >>> import pandas as pd
    >>> cv = pd.DataFrame({"id": range(6), "y_true": [0, 0, 0, 1, 1, 1], "y_score": [0.1, 0.2, 0.95, 0.9, 0.8, 0.7]})
    >>> suspects(cv, reps=0).frame["id"].tolist()
    [2]
    """
    pred = source if isinstance(source, Predictions) else load_predictions(
        source, split=split, options=ReadOptions.of(options, **reading))
    return find_suspects(pred, out_of_fold=out_of_fold, top=top, reps=reps, seed=seed)


def shift(cv: Any, test: Any = None, *, bins: int = DEFAULT_BINS, fdr: float = DEFAULT_FDR, cut: float | None = None,
          top_share: float = DEFAULT_TOP_SHARE, options: ReadOptions | None = None, **reading: Any) -> ShiftExplanation:
    """Why test's error differs from cv's: the labels, the scores, each slice column and the
    errors within matched slices (:func:`diagnose.error_analysis.explain_shift`). Without
    ``test``, a cv file's ``split`` column gives the test rows.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"split": ["cv", "cv", "test", "test"] * 25, "y_true": [0, 1] * 50,
    ...                   "y_score": [0.2, 0.8] * 50})
    >>> print(shift(t).conclusion.replace("; ", ";\\n"))
    no shift found in the labels, scores or slice columns;
    errors are unchanged: the gap (+0.0 points) is within chance
    """
    cv_pred, test_pred = cv_and_test(cv, test, ReadOptions.of(options, **reading))
    if test_pred is None:
        raise UsageError(f"{cv_pred.source} has no test rows: give the test predictions too (--test)")
    return explain_shift(cv_pred, test_pred, cut=cut, top_share=top_share, bins=bins, fdr=fdr)
