"""Error analysis on the cv split: which rows are errors, a random sample of them for people
to review, the tally of the categories reviewers tag, cohort tables over slice columns, the
slices where errors concentrate, the rows whose label looks wrong, and why test differs.

The method (Ng's spam example): look at a uniform random sample of the cv errors, tag
each with the categories it falls in, count the categories, and work first on the ones
that would cut the cv error most. Reading reviewed files and cv files is
:mod:`diagnose.service`'s ``tally`` and ``cohort_table``.

>>> t = tally_tags(["pharma", "pharma;image", None], total_errors=30, cv_n=100)
>>> [(c.name, c.count) for c in t.categories]
[('pharma', 2), ('image', 1)]
"""
from __future__ import annotations

from ._cohorts import (
    COLUMNS,
    DEFAULT_BINS,
    DEFAULT_FDR,
    MAX_CATEGORIES,
    MISSING,
    CohortTable,
    cohort_codes,
    cohort_errors,
    cohort_table,
)
from ._conditions import Condition, code_column, parse_slice, slice_mask
from ._errors import DEFAULT_TOP_SHARE, error_mask, ids_of
from ._sample import ErrorSample, sample_errors
from ._shift import Decomposition, ShiftExplanation, ShiftTest, explain_shift
from ._slices import (
    DEFAULT_MAX_CONDITIONS,
    DEFAULT_MIN_LIFT,
    DEFAULT_TOP,
    SLICE_COLUMNS,
    SliceTable,
    find_slices,
    holdout_half,
)
from ._suspects import LabelSuspects, find_suspects
from ._tally import (
    REDUCTION_NOTE,
    SHARES_NOTE,
    CategoryCount,
    ErrorTally,
    fpc_wilson,
    split_tags,
    tag_variants,
    tally_sample,
    tally_tags,
)

__all__ = [
    "COLUMNS", "DEFAULT_BINS", "DEFAULT_FDR", "DEFAULT_MAX_CONDITIONS", "DEFAULT_MIN_LIFT", "DEFAULT_TOP",
    "DEFAULT_TOP_SHARE", "MAX_CATEGORIES", "MISSING", "REDUCTION_NOTE", "SHARES_NOTE", "SLICE_COLUMNS",
    "CategoryCount", "CohortTable", "Condition", "Decomposition", "ErrorSample", "ErrorTally", "LabelSuspects",
    "ShiftExplanation", "ShiftTest", "SliceTable", "code_column", "cohort_codes", "cohort_errors", "cohort_table",
    "error_mask", "explain_shift", "find_slices", "find_suspects", "fpc_wilson", "holdout_half", "ids_of",
    "parse_slice", "sample_errors", "slice_mask", "split_tags", "tag_variants", "tally_sample", "tally_tags",
]


def __getattr__(name: str):  # names that moved out (load_cv is diagnose.ingest.load_predictions)
    from .. import _compat

    return _compat.moved(__name__, name)
