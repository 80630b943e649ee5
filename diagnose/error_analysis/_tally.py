"""Tally the reviewers' tags of a sample of cv errors.

Each tagged row is a reviewed error. The categories are counted and ranked; with a sample,
each count becomes an estimate over all cv errors: share of reviewed errors x total errors,
with an exact interval (hypergeometric: the review draws errors without replacement, so the
finite-population correction is built in; Clopper-Pearson when the total is unknown),
intervals that hold for the whole table at once (Bonferroni), an upper bound for any
category nobody has tagged yet, and a warning when the top category cannot be told apart
from the next ones. The statistics are in :mod:`._simultaneous`.
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
from ._simultaneous import ALPHA, clopper_pearson, count_interval, mcnemar_p, unseen_upper, vs_top

if TYPE_CHECKING:
    import pandas as pd

HYPERGEOMETRIC = "hypergeometric_exact"
CLOPPER_PEARSON = "clopper_pearson"
CENSUS = "census"
BONFERRONI = "bonferroni"
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
    # intervals that hold for every category of the table at once (Bonferroni)
    share_sim_low: float | None = None
    share_sim_high: float | None = None
    estimated_sim_low: float | None = None
    estimated_sim_high: float | None = None
    max_error_reduction_sim_low: float | None = None
    max_error_reduction_sim_high: float | None = None
    # exact McNemar p-value against the top category (None for the top)
    p_vs_top: float | None = None

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
    interval_method: str | None = None
    simultaneous_method: str | None = None
    unseen_share_upper: float | None = None
    unseen_estimated_upper: float | None = None
    unseen_max_error_reduction_upper: float | None = None
    # the categories that could be the most frequent: the top and those not significantly rarer
    top_candidates: tuple[str, ...] = ()

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
                "interval_method": self.interval_method, "simultaneous_method": self.simultaneous_method,
                "categories": [c.to_dict() for c in self.categories],
                "unseen_share_upper": json_value(self.unseen_share_upper),
                "unseen_estimated_upper": json_value(self.unseen_estimated_upper),
                "unseen_max_error_reduction_upper": json_value(self.unseen_max_error_reduction_upper),
                "top_candidates": list(self.top_candidates),
                "notes": list(self.notes), "warnings": list(self.warnings)}


def split_tags(tags: Sequence[str | None]) -> pd.DataFrame:
    """Long format (``row``, ``tag``): split on ';', trimmed, lower-cased, one per row. Tags
    that differ only in case, spaces or ``_`` are one category, named by its most common
    spelling (see :func:`tag_variants`).

    >>> split_tags(["Pharma; phishing", None, "pharma;PHARMA", "label_noise; Label Noise"]).values.tolist()
    [[0, 'pharma'], [0, 'phishing'], [2, 'pharma'], [3, 'label noise']]
    """
    long = _spellings(tags)
    out = long[["row", "tag"]].drop_duplicates()
    return out.reset_index(drop=True)


def tag_variants(tags: Sequence[str | None]) -> dict[str, list[str]]:
    """The categories that were written several ways (case, spaces, ``_``): each merged
    category with the spellings the reviewers used.

    >>> tag_variants(["label noise", "label_noise", "Label Noise; pharma", "Pharma"])
    {'label noise': ['Label Noise', 'label noise', 'label_noise'], 'pharma': ['Pharma', 'pharma']}
    """
    long = _spellings(tags)
    spellings = long.groupby("tag")["spelling"].unique()
    return {tag: sorted(values) for tag, values in spellings.items() if len(values) > 1}


def _spellings(tags: Sequence[str | None]) -> pd.DataFrame:
    """(``row``, ``spelling`` as typed, ``tag`` its category) for every tag of every row."""
    import pandas as pd

    s = pd.Series(list(tags), dtype=object).fillna("").astype(str)
    long = s.str.split(";").explode()
    # trimmed; inner runs of white space become one space
    spelling = long.str.strip().str.replace(r"\s+", " ", regex=True)
    out = pd.DataFrame({"row": long.index.to_numpy(), "spelling": spelling.to_numpy()})
    out = out[out["spelling"] != ""].reset_index(drop=True)
    lower = out["spelling"].str.lower()
    # one category per key: case, '_' and spaces do not count
    key = lower.str.replace("_", " ", regex=False).str.replace(r"\s+", " ", regex=True).str.strip()
    counts = pd.DataFrame({"key": key, "lower": lower}).value_counts().reset_index(name="n")
    counts = counts.sort_values(["key", "n", "lower"], ascending=[True, False, True])
    name = counts.drop_duplicates("key").set_index("key")["lower"]
    out["tag"] = key.map(name).to_numpy() if len(out) else key.to_numpy()
    return out


def fpc_wilson(count: np.ndarray, n: int, population: int | None,
               z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals for the shares ``count / n`` of a sample of ``n`` from ``population``.

    The tally's intervals were these until they were found to cover too rarely in small
    reviews (down to 80-90% for some shares: benchmarks/uncertainty_tally.py); it now uses
    the exact intervals of ``count_interval`` (``_simultaneous``). Kept for its callers.

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
    >>> p = t.category("pharma")
    >>> p.estimated_ci_low, p.estimated_ci_high, p.estimated_sim_low, p.estimated_sim_high
    (4.0, 29.0, 3.0, 29.0)
    >>> round(t.unseen_share_upper, 3), t.top_candidates
    (0.6, ('pharma', 'image', 'routing'))
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
    if not reviewed:
        return ErrorTally(categories=(), reviewed=0, untagged=untagged, total_errors=total_errors, cv_n=cv_n,
                          finite_population_corrected=False, warnings=tuple(warnings))
    m = len(names)
    share = count / reviewed
    # the 95% interval, then the simultaneous one: of the count among all errors, or of the share
    if total_errors is None:
        shares = [*clopper_pearson(count, reviewed, ALPHA), *clopper_pearson(count, reviewed, ALPHA / m)]
    else:
        counts_ = [*count_interval(count, reviewed, total_errors, ALPHA),
                   *count_interval(count, reviewed, total_errors, ALPHA / m)]
        shares = [c / total_errors for c in counts_]
    p_top, candidates = _ranking(long, names, None if total_errors is None else total_errors - reviewed)
    cats = []
    for i, name in enumerate(names):
        est: list[float | None] = [None] * 5  # the estimate, then the bounds as above
        red: list[float | None] = [None] * 5
        if total_errors is not None:
            values = [float(share[i] * total_errors)] + [float(c[i]) for c in counts_]
            est[:] = values
            if cv_n:
                red = [v / cv_n for v in values]
        sh = [float(b[i]) for b in shares]
        cats.append(CategoryCount(
            name=name, count=int(count[i]), share=float(share[i]), share_ci_low=sh[0], share_ci_high=sh[1],
            estimated_count=est[0], estimated_ci_low=est[1], estimated_ci_high=est[2],
            max_error_reduction=red[0], max_error_reduction_ci_low=red[1], max_error_reduction_ci_high=red[2],
            share_sim_low=sh[2], share_sim_high=sh[3], estimated_sim_low=est[3], estimated_sim_high=est[4],
            max_error_reduction_sim_low=red[3], max_error_reduction_sim_high=red[4],
            p_vs_top=None if np.isnan(p_top[i]) else float(p_top[i])))
    unseen = unseen_upper(reviewed, total_errors)
    unseen_est = None if total_errors is None else float(round(unseen * total_errors))
    unseen_red = None if unseen_est is None or not cv_n else unseen_est / cv_n
    method = CLOPPER_PEARSON if total_errors is None else CENSUS if total_errors == reviewed else HYPERGEOMETRIC
    ranking = _ranking_note(method, candidates)  # first: it is the one to act on
    notes = [*ranking, SHARES_NOTE, REDUCTION_NOTE, *_uncertainty_notes(method, reviewed, total_errors, m, unseen,
                                                                         unseen_est), *_merge_notes(tags)]
    return ErrorTally(categories=tuple(cats), reviewed=reviewed, untagged=untagged,
                      total_errors=total_errors, cv_n=cv_n, finite_population_corrected=total_errors is not None,
                      warnings=tuple(warnings), notes=tuple(notes), interval_method=method,
                      simultaneous_method=BONFERRONI, unseen_share_upper=unseen, unseen_estimated_upper=unseen_est,
                      unseen_max_error_reduction_upper=unseen_red, top_candidates=tuple(candidates))


def _ranking(long: pd.DataFrame, names: list[str], unreviewed: int | None) -> tuple[np.ndarray, list[str]]:
    """The exact McNemar p-value of each category against the top one (NaN for the top), and
    the categories that could be the most frequent (the top and those not significantly rarer)."""
    rows = np.unique(long["row"].to_numpy(), return_inverse=True)[1]
    cols = long["tag"].map({n: i for i, n in enumerate(names)}).to_numpy()
    members = np.zeros((int(rows.max()) + 1, len(names)), dtype=bool)
    members[rows, cols] = True
    p = mcnemar_p(*vs_top(members), unreviewed=unreviewed)
    p[0] = np.nan
    return p, [names[0]] + [n for n, v in zip(names[1:], p[1:], strict=True) if v >= ALPHA]


def _merge_notes(tags: Sequence[str | None]) -> list[str]:
    """Which spellings were counted as one category (they differ only in case, spaces or '_')."""
    merged = tag_variants(tags)
    if not merged:
        return []
    shown = "; ".join(f"'{tag}' = " + ", ".join(f"'{v}'" for v in values) for tag, values in merged.items())
    return [f"Tags that differ only in case, spaces or '_' were counted as one category: {shown}."]


def _pct(x: float) -> str:
    return f"{100 * x:.3g}%"


def _uncertainty_notes(method: str, n: int, population: int | None, m: int, unseen: float,
                       unseen_count: float | None) -> list[str]:
    """What the intervals are, the bound for untagged categories, the simultaneous intervals."""
    if method == CENSUS:
        notes = [f"Every one of the {n} errors was reviewed: the counts are exact, with no sampling "
                 "uncertainty, and a category nobody tagged has no error."]
    else:
        if method == HYPERGEOMETRIC:
            notes = [f"95% intervals are exact: the {n} reviewed errors are drawn without replacement from the "
                     f"{population}, so a category's count among them is hypergeometric (the finite-population "
                     "correction is built in); each interval holds at least 95% of the time."]
            among = f" (at most {unseen_count:.0f} of the {population})"
        else:
            notes = ["95% intervals are exact (Clopper-Pearson); the total number of errors is unknown, so they "
                     "are about shares only."]
            among = ""
        how = ("exact, with the finite-population correction" if method == HYPERGEOMETRIC else "exact")
        if n > 3:
            how += f"; the rule of three, 3/{n}, gives {_pct(3 / n)}"
        notes.append(f"A category no reviewer has tagged yet is at most {_pct(unseen)} of errors{among}: one-sided "
                     f"95% upper bound ({how}).")
    if m > 1:
        notes.append(f"Simultaneous 95% intervals hold for all {m} categories at once at least 95% of the time "
                     f"(Bonferroni: each exact interval at level 5%/{m}, valid however the categories overlap); "
                     "use them to compare categories or to pick one from the table.")
    return notes


def _ranking_note(method: str, candidates: list[str]) -> list[str]:
    """The note when the top category cannot be told apart from the next ones (none when it can)."""
    k, shown = len(candidates), ", ".join(candidates)
    if k < 2:
        return []
    if method == CENSUS:
        return [f"The top {_count_words(k)} categories ({shown}) are tied."]
    test = ("exact McNemar test on the reviewed rows that carry one of the two tags but not the other"
            + (", with the finite-population correction" if method == HYPERGEOMETRIC else "") + ", 5% level")
    if k > 2:
        test = f"none of {', '.join(candidates[1:])} is significantly rarer than {candidates[0]}: " + test
    return [f"The top {_count_words(k)} categories ({shown}) cannot be told apart with this review ({test}): "
            "review more errors before choosing between them."]


def _count_words(k: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(k, str(k))


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
