"""Reviewed samples of errors (`diagnose errors tally` input)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..options import Columns
from ._checks import Checker
from ._numpy import to_numpy
from ._parse import load_predictions
from ._read import read_table
from ._values import Predictions, Source

# constant columns `diagnose errors sample` writes so that a tally can scale up
TOTAL_ERRORS_COLUMN = "total_errors"
CV_N_COLUMN = "cv_n"


@dataclass(frozen=True, eq=False)
class TaggedSample:
    """A reviewed sample of errors: ids, their tags (``None`` = not reviewed yet), and
    what the sample was drawn from (``total_errors``, ``cv_n``; ``None`` when unknown).
    ``ids`` are strings, so they compare with any id column.
    """

    ids: np.ndarray
    tags: np.ndarray
    total_errors: int | None = None
    cv_n: int | None = None
    source: str = "<data>"
    table: pa.Table | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


def load_tagged(source: Source, *, cv: "Predictions | Source | None" = None, columns=None,
                encoding: str = "utf-8") -> TaggedSample:
    """Read and validate a reviewed sample: an ``id`` and a ``tags`` column are required.

    ``cv`` (validated predictions or a source) checks that every id is a cv row; a cv
    without ids is matched by row number (1 = the first data row). Optional constant
    columns ``total_errors`` and ``cv_n`` say what the sample was drawn from.

    >>> import pandas as pd
    >>> t = load_tagged(pd.DataFrame({"id": [3, 7], "tags": ["pharma; Phishing", None]}))
    >>> t.ids.tolist(), t.tags.tolist()
    (['3', '7'], ['pharma; Phishing', None])
    """
    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = read_table(source, encoding=encoding)
    check = Checker(table, name)
    for column, role in ((cols.id, "sample id"), (cols.tags, "the reviewers' tags")):
        if column not in table.column_names:
            present = ", ".join(table.column_names[:12])
            check.fail(f"missing column '{column}' ({role})", column=column,
                       fix=f"The file has: {present}. A reviewed sample needs '{cols.id}' and "
                       f"'{cols.tags}' columns, as written by `diagnose errors sample`")
    ids = check.unique_ids(cols.id).astype(str).astype(object)
    # `errors sample` wrote an id that a spreadsheet would take for a formula as '=... (a quote
    # in front); the id itself is without it
    as_text = pa.array(ids, pa.string())
    quoted = pc.match_substring_regex(as_text, "^'[=+\\-@\t\r]")
    ids = to_numpy(pc.if_else(quoted, pc.utf8_slice_codeunits(as_text, 1), as_text)).astype(object)
    raw_tags = pc.cast(table.column(cols.tags), pa.string())
    # an empty cell means "not reviewed yet"
    blank = to_numpy(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(raw_tags), ""), True))
    # a sample where not one row names a category was never reviewed (';' alone names none)
    no_category = pc.fill_null(pc.equal(pc.utf8_trim(raw_tags, characters="; \t\r\n"), ""), True)
    if pc.all(no_category).as_py():
        check.fail(f"column '{cols.tags}' is empty on every row ({len(ids)} rows): nothing has been "
                   "reviewed yet", column=cols.tags,
                   fix=f"Fill in '{cols.tags}' with each row's error categories, separated by ';' "
                   "(e.g. 'pharma; misspelled'), then run the tally again")
    tags = to_numpy(raw_tags).astype(object)
    tags[blank] = None
    total = _constant_count(check, TOTAL_ERRORS_COLUMN)
    cv_n = _constant_count(check, CV_N_COLUMN)
    if total is not None and cv_n is not None and total > cv_n:
        check.fail(f"column '{TOTAL_ERRORS_COLUMN}' ({total}) is larger than '{CV_N_COLUMN}' ({cv_n})",
                   column=TOTAL_ERRORS_COLUMN, fix="Write the sample again with `diagnose errors sample`")
    if total is not None and total < len(ids):
        check.fail(f"has {len(ids)} rows but column '{TOTAL_ERRORS_COLUMN}' says there are only "
                   f"{total} errors in all", column=TOTAL_ERRORS_COLUMN,
                   fix="Correct the column, or drop it and give --total-errors")
    if cv is not None:
        if not isinstance(cv, Predictions):
            cv = load_predictions(cv, columns=cols, encoding=encoding)
        if cv.ids is not None:
            known = cv.ids.astype(str)
        else:
            rows = cv.row_numbers if cv.row_numbers is not None else np.arange(1, cv.n + 1)
            known = np.asarray(rows).astype(str)
        unknown = ~np.isin(ids.astype(str), known)
        if unknown.any():
            check.fail(f"column '{cols.id}' holds ids that are not in the cv file {cv.source}",
                       column=cols.id, mask=unknown, values=ids,
                       fix="Tag rows sampled from this cv file (`diagnose errors sample --cv ...`), "
                       "or give the cv file they came from")
    return TaggedSample(ids=ids, tags=tags, total_errors=total, cv_n=cv_n, source=name, table=table)


def _constant_count(check: Checker, column: str) -> int | None:
    """An optional column holding one non-negative whole number on every row."""
    if column not in check.table.column_names:
        return None
    values = check.numeric(column, kind="whole number")
    bad = (values < 0) | (values != np.round(values))
    if bad.any():
        check.fail(f"column '{column}' must hold a non-negative whole number", column=column,
                   mask=bad, values=values, fix="Write the sample again with `diagnose errors sample`")
    differs = values != values[0]
    if differs.any():
        check.fail(f"column '{column}' must hold the same number on every row", column=column,
                   mask=differs, values=values, fix="Write the sample again with `diagnose errors sample`")
    return int(values[0])
