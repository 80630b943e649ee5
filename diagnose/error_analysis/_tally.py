"""Tally the reviewers' tags of a sample of cv errors.

Each tagged row is a reviewed error. The categories are counted and ranked; with a sample,
each count becomes an estimate over all cv errors: share of reviewed errors x total errors,
with a Wilson interval on the share (and the finite-population correction when the sample
is a large part of all errors).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError
from ..ingest import Predictions, TaggedSample
from ..metrics import Z95, wilson_bounds
from ..values import Rendered, json_value
from ._errors import DEFAULT_TOP_SHARE, error_mask, ids_of

if TYPE_CHECKING:
    import pandas as pd

SHARES_NOTE = "Shares may add up to more than 100%: a row can carry several categories."
REDUCTION_NOTE = ("max_error_reduction: the most J_cv (fraction of cv rows in error) could fall "
                  "if every error of that category were fixed and no new error appeared "
                  "(estimated count / cv n); categories overlap, so these do not add up.")


@dataclass(frozen=True)
class CategoryCount:
    """One error category: its count among reviewed errors and what it means for all errors."""

    name: str
    count: int
    share: float
    share_ci_low: float
    share_ci_high: float
    estimated_count: float | None
    estimated_ci_low: float | None
    estimated_ci_high: float | None
    max_error_reduction: float | None
    max_error_reduction_ci_low: float | None
    max_error_reduction_ci_high: float | None

    def to_dict(self) -> dict:
        return {k: json_value(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ErrorTally(Rendered):
    """The ranked tally of reviewers' tags (``categories`` by count, ties by name)."""

    categories: tuple[CategoryCount, ...]
    reviewed: int
    untagged: int
    total_errors: int | None
    cv_n: int | None
    finite_population_corrected: bool
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(SHARES_NOTE, REDUCTION_NOTE))

    def category(self, name: str) -> CategoryCount:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {"reviewed": self.reviewed, "untagged": self.untagged, "total_errors": self.total_errors,
                "cv_n": self.cv_n, "cv_error": (self.total_errors / self.cv_n
                                                if self.total_errors is not None and self.cv_n else None),
                "finite_population_corrected": self.finite_population_corrected,
                "categories": [c.to_dict() for c in self.categories],
                "notes": list(self.notes), "warnings": list(self.warnings)}


def split_tags(tags: Sequence[str | None]) -> pd.DataFrame:
    """Long format (``row``, ``tag``): split on ';', trimmed, lower-cased, one per row.

    >>> split_tags(["Pharma; phishing", None, "pharma;PHARMA"]).values.tolist()
    [[0, 'pharma'], [0, 'phishing'], [2, 'pharma']]
    """
    import pandas as pd

    s = pd.Series(list(tags), dtype=object).fillna("").astype(str)
    long = s.str.split(";").explode()
    # trimmed and case-normalised; inner runs of white space become one space
    long = long.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    out = pd.DataFrame({"row": long.index.to_numpy(), "tag": long.to_numpy()})
    out = out[out["tag"] != ""].drop_duplicates()
    return out.reset_index(drop=True)


def fpc_wilson(count: np.ndarray, n: int, population: int | None,
               z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals for the shares ``count / n`` of a sample of ``n`` from ``population``.

    With the finite-population correction the variance p(1-p)/n shrinks by (N-n)/(N-1):
    the Wilson interval is taken with that effective n; a census (n = N) is exact. With a
    population, the interval never leaves what is possible: between ``count`` and
    ``count + N - n`` members of the population are in the category.

    >>> lo, hi = fpc_wilson(np.array([21]), 100, 100)
    >>> float(lo[0]), float(hi[0])
    (0.21, 0.21)
    >>> lo, hi = fpc_wilson(np.array([5]), 8, 10)  # 5 of 8 reviewed, 2 not: 5 to 7 of 10
    >>> float(lo[0]), float(hi[0])
    (0.5, 0.7)
    """
    count = np.asarray(count, dtype=np.float64)
    p = count / n
    if population is not None and population <= n:
        return p.copy(), p.copy()
    n_eff = n if population is None else n * (population - 1) / (population - n)
    low, high = wilson_bounds(p, n_eff, z)
    if population is not None:
        # the unreviewed N - n can add at most N - n, and the reviewed count is certain
        low = np.maximum(low, count / population)
        high = np.minimum(high, (count + population - n) / population)
    return low, high


def tally_tags(tags: Iterable[str | None], *, total_errors: int | None = None,
               cv_n: int | None = None, warnings: Sequence[str] = ()) -> ErrorTally:
    """Tally the tags of reviewed errors (``None``/empty = not reviewed yet).

    ``total_errors``: how many cv errors the reviewed rows were drawn from (``None``: the
    estimates are left out); ``cv_n``: the number of cv rows (for ``max_error_reduction``).

    >>> t = tally_tags(["pharma", "pharma;image", "routing", None], total_errors=30, cv_n=100)
    >>> [(c.name, c.count, round(c.share, 3), c.estimated_count) for c in t.categories]
    [('pharma', 2, 0.667, 20.0), ('image', 1, 0.333, 10.0), ('routing', 1, 0.333, 10.0)]
    >>> t.untagged, round(t.category("pharma").max_error_reduction, 2)
    (1, 0.2)
    """
    tags = list(tags)
    long = split_tags(tags)
    tagged_rows = long["row"].unique()
    reviewed = int(len(tagged_rows))
    untagged = len(tags) - reviewed
    warnings = list(warnings)
    if total_errors is not None and total_errors < reviewed:
        raise UsageError(f"the total number of errors ({total_errors}) is smaller than the "
                         f"{reviewed} reviewed rows")
    if total_errors is not None and cv_n is not None and total_errors > cv_n:
        raise UsageError(f"the total number of errors ({total_errors}) is larger than the number of "
                         f"cv rows ({cv_n}); J_cv cannot exceed 1")
    if reviewed == 0:
        warnings.append("no row has tags yet: nothing to tally")
    if untagged and reviewed and total_errors is not None:
        has = "row has" if untagged == 1 else "rows have"
        warnings.append(f"{untagged} {has} no tags; the estimates assume they were skipped for "
                        "reasons unrelated to their category")
    counts = long["tag"].value_counts()
    # ranked by count, ties by name
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    names = [k for k, _ in order]
    count = np.array([v for _, v in order], dtype=np.int64)
    share = count / reviewed if reviewed else np.zeros(0)
    lo, hi = fpc_wilson(count, reviewed, total_errors) if reviewed else (share, share)
    cats = []
    for i, name in enumerate(names):
        est = est_lo = est_hi = red = red_lo = red_hi = None
        if total_errors is not None:
            est, est_lo, est_hi = (float(share[i] * total_errors), float(lo[i] * total_errors),
                                   float(hi[i] * total_errors))
            if cv_n:
                red, red_lo, red_hi = est / cv_n, est_lo / cv_n, est_hi / cv_n
        cats.append(CategoryCount(name=name, count=int(count[i]), share=float(share[i]),
                                  share_ci_low=float(lo[i]), share_ci_high=float(hi[i]),
                                  estimated_count=est, estimated_ci_low=est_lo, estimated_ci_high=est_hi,
                                  max_error_reduction=red, max_error_reduction_ci_low=red_lo,
                                  max_error_reduction_ci_high=red_hi))
    fpc = total_errors is not None and reviewed > 0
    return ErrorTally(categories=tuple(cats), reviewed=reviewed, untagged=untagged,
                      total_errors=total_errors, cv_n=cv_n, finite_population_corrected=fpc,
                      warnings=tuple(warnings))


def tally_sample(sample: TaggedSample, *, cv: Predictions | None = None, total_errors: int | None = None,
                 cv_n: int | None = None, cut: float | None = None,
                 top_share: float = DEFAULT_TOP_SHARE) -> ErrorTally:
    """Tally a validated reviewed sample. The totals come from, in order: the arguments,
    the sample's ``total_errors``/``cv_n`` columns, the ``cv`` predictions; failing all,
    the file is taken to hold every cv error (and the tally says so).

    >>> from diagnose.ingest import TaggedSample
    >>> sample = TaggedSample(ids=np.array(["4", "9"], dtype=object),
    ...                       tags=np.array(["pharma", "image"], dtype=object))
    >>> t = tally_sample(sample, total_errors=20, cv_n=100)
    >>> [(c.name, c.estimated_count, c.max_error_reduction) for c in t.categories]
    [('image', 10.0, 0.1), ('pharma', 10.0, 0.1)]
    """
    warnings = []
    from_cv = None
    if cv is not None:
        mask, _ = error_mask(cv, cut=cut, top_share=top_share)
        from_cv = int(mask.sum())
        ids, _ = ids_of(cv)
        wrong_ids = ids.astype(str)[mask]
        not_errors = ~np.isin(sample.ids.astype(str), wrong_ids)
        if not_errors.any():
            shown = ", ".join(sample.ids[not_errors][:5].astype(str))
            count = int(not_errors.sum())
            what = "row is not an error" if count == 1 else "rows are not errors"
            warnings.append(f"{count} reviewed {what} in {cv.source} "
                            f"(ids {shown}); is this the cv file they were sampled from?")
    if total_errors is None:
        total_errors = sample.total_errors if sample.total_errors is not None else from_cv
    if cv_n is None:
        cv_n = sample.cv_n if sample.cv_n is not None else (cv.n if cv is not None else None)
    if total_errors is None:
        total_errors = sample.n
        warnings.append(f"the total number of cv errors is unknown: taking the {sample.n} rows of "
                        f"{sample.source} as every cv error (give --total-errors N or --cv F to scale up)")
    if cv_n is None:
        warnings.append("the number of cv rows is unknown, so max_error_reduction is left out "
                        "(give --cv-n N or --cv F)")
    return tally_tags(sample.tags, total_errors=total_errors, cv_n=cv_n, warnings=warnings)
