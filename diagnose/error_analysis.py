"""Error analysis: sample misclassified cv rows for review, then tally the reviewers' tags.

The method (Ng's spam example): look at a uniform random sample of the cv errors, tag each
with the categories it falls in, count the categories, and work first on the ones that
would cut the cv error most. With a sample, each count becomes an estimate over all cv
errors: share of reviewed errors x total errors, with a Wilson interval on the share
(and the finite-population correction when the sample is a large part of all errors).

"Errors" are the rows wrong at the default decision (binary: score >= 0.5; multiclass:
argmax; multi-label: any label wrong) and, for regression, the rows whose absolute error
is above a cut (default: the top decile of |error|). Sample weights are ignored here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import UsageError
from .ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, Predictions, TaggedSample
from .metrics import Z95

DEFAULT_TOP_SHARE = 0.10  # regression: the largest 10% of |error| count as errors
SHARES_NOTE = "Shares may add up to more than 100%: a row can carry several categories."
REDUCTION_NOTE = ("max_error_reduction: the most J_cv (fraction of cv rows in error) could fall "
                  "if every error of that category were fixed and no new error appeared "
                  "(estimated count / cv n); categories overlap, so these do not add up.")


# ------------------------------------------------------------------------- which rows are errors


def error_mask(pred: Predictions, *, cut: float | None = None,
               top_share: float = DEFAULT_TOP_SHARE) -> tuple[np.ndarray, float | None]:
    """The rows in error and, for regression, the |error| cut used (else ``None``).

    >>> p = Predictions("regression", np.arange(10.0), y_pred=np.arange(10.0) + np.r_[np.zeros(9), 5.0])
    >>> mask, cut = error_mask(p, cut=1.0)
    >>> np.flatnonzero(mask).tolist(), cut
    ([9], 1.0)
    """
    if pred.task == "regression":
        abs_error = np.abs(pred.y_pred - pred.y_true)
        if cut is None:
            if not 0 < top_share < 1:
                raise UsageError(f"top share {top_share} must lie strictly between 0 and 1")
            cut = float(np.quantile(abs_error, 1.0 - top_share))
        return abs_error > cut, float(cut)
    wrong = pred.decision != pred.y_true
    return (wrong.any(axis=1) if wrong.ndim == 2 else wrong), None


def _class_names(pred: Predictions, codes: np.ndarray) -> np.ndarray:
    if pred.task == "multilabel":
        # the labels that are on, joined by '|' (';' separates tags)
        joined = np.full(codes.shape[0], "", dtype=object)
        for j, label in enumerate(pred.classes):  # a loop over labels, not rows
            on = codes[:, j].astype(bool)
            joined[on] = joined[on] + np.where(joined[on] == "", "", "|") + label
        return np.where(joined == "", "(none)", joined)
    if pred.task == "regression":
        return codes
    return np.asarray(pred.classes, dtype=object)[codes]


def load_cv(source, *, task: str | None = None, columns=None, positive_label: str | None = None,
            encoding: str = "utf-8") -> Predictions:
    """The cv predictions of a path, DataFrame or Arrow table; a table with a ``split``
    column gives its cv rows only (error analysis never looks at train or test rows)."""
    from .ingest import Columns, RawTable, parse_splits, read_table
    from .ingest.parse import _split_table

    cols = columns if isinstance(columns, Columns) else Columns.from_mapping(columns)
    table, name = read_table(source, encoding=encoding)
    if cols.split in table.column_names:
        raw = _split_table(table, name, cols).get("cv")
        if raw is None:
            raise UsageError(f"{name}: the '{cols.split}' column holds no cv rows")
    else:
        raw = RawTable(table, name, "cv")
    parsed, _ = parse_splits({"cv": raw}, task=task, columns=cols, positive_label=positive_label)
    return parsed["cv"]


def _ids(pred: Predictions) -> tuple[np.ndarray, list[str]]:
    if pred.ids is not None:
        return pred.ids, []
    rows = pred.row_numbers if pred.row_numbers is not None else np.arange(1, pred.n + 1)
    return np.asarray(rows), [f"{pred.source} has no id column: ids are row numbers (1 = first data row)"]


# ------------------------------------------------------------------------------------- sample


@dataclass(frozen=True)
class ErrorSample:
    """A random sample of cv errors to review, in draw order (any prefix is itself a
    uniform sample, so a review stopped half-way still estimates honestly).

    ``frame`` holds ``id``, ``y_true``, ``y_pred``, the score (``y_score``: max probability
    or positive-class score; regression: ``abs_error``), every slice column, an empty
    ``tags`` column and the constant columns ``total_errors`` and ``cv_n``.
    """

    frame: "pd.DataFrame"  # noqa: F821
    total_errors: int
    cv_n: int
    seed: int
    cut: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.frame)

    def summary(self) -> str:
        what = "misclassified cv rows" if self.cut is None else f"cv rows with |error| > {self.cut:.4g}"
        return (f"sampled {self.n} of {self.total_errors} {what} (cv n = {self.cv_n}, seed {self.seed}); "
                f"columns '{TOTAL_ERRORS_COLUMN}' and '{CV_N_COLUMN}' record this for the tally")

    def to_dict(self) -> dict:
        rows = self.frame.astype(object).where(self.frame.notna(), None).to_dict(orient="records")
        return {"n": self.n, "total_errors": self.total_errors, "cv_n": self.cv_n, "seed": self.seed,
                "cut": self.cut, "warnings": list(self.warnings), "rows": rows}

    def to_text(self) -> str:
        return self.frame.to_csv(index=False)

    def to_markdown(self) -> str:
        from .render import table

        return table(list(self.frame.columns), self.frame.astype(object).values.tolist(), markdown=True) + "\n"


def sample_errors(pred: Predictions, *, n: int, seed: int = 0, cut: float | None = None,
                  top_share: float = DEFAULT_TOP_SHARE) -> ErrorSample:
    """A reproducible uniform random sample (without replacement) of ``n`` cv errors.

    >>> p = Predictions("binary", np.array([1, 0, 1, 0, 1], np.int8),
    ...                 y_score=np.array([0.2, 0.9, 0.8, 0.1, 0.4]), classes=("0", "1"),
    ...                 ids=np.array([10, 11, 12, 13, 14]))
    >>> s = sample_errors(p, n=5, seed=1)
    >>> sorted(s.frame["id"].tolist()), s.total_errors, s.cv_n
    ([10, 11, 14], 3, 5)
    """
    import pandas as pd

    if n < 1:
        raise UsageError(f"the sample size must be at least 1, not {n}")
    mask, cut = error_mask(pred, cut=cut, top_share=top_share)
    errors = np.flatnonzero(mask)
    warnings = []
    if len(errors) < n:
        warnings.append(f"only {len(errors)} errors to sample from: taking all of them")
    rng = np.random.default_rng(seed)
    picked = rng.choice(errors, size=min(n, len(errors)), replace=False)
    ids, id_warnings = _ids(pred)
    warnings += id_warnings
    out = {"id": ids[picked], "y_true": _class_names(pred, pred.y_true[picked]),
           "y_pred": _class_names(pred, pred.decision[picked])}
    if pred.task == "regression":
        out["abs_error"] = np.round(np.abs(pred.y_pred[picked] - pred.y_true[picked]), 6)
    elif pred.task == "multiclass" and pred.y_score is not None:
        out["y_score"] = pred.y_score[picked].max(axis=1)
    elif pred.task == "binary" and pred.y_score is not None:
        out["y_score"] = pred.y_score[picked]
    frame = pd.DataFrame(out)
    if pred.slice_columns:
        slices = pred.table.select(list(pred.slice_columns)).take(picked).to_pandas()
        slices = slices.drop(columns=[c for c in slices.columns if c in out or
                                      c in ("tags", TOTAL_ERRORS_COLUMN, CV_N_COLUMN)])
        frame = pd.concat([frame, slices.reset_index(drop=True)], axis=1)
    frame["tags"] = ""
    frame[TOTAL_ERRORS_COLUMN] = len(errors)
    frame[CV_N_COLUMN] = pred.n
    return ErrorSample(frame=frame, total_errors=int(len(errors)), cv_n=pred.n, seed=seed, cut=cut,
                       warnings=tuple(warnings))


# -------------------------------------------------------------------------------------- tally


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
        from .results import _num

        return {k: (_num(v) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ErrorTally:
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

    def to_text(self) -> str:
        return self._render(markdown=False)

    def to_markdown(self) -> str:
        return self._render(markdown=True)

    def _render(self, *, markdown: bool) -> str:
        from .render import fmt, table

        def pct(x):
            return "-" if x is None else f"{100 * x:.1f}%"

        def span(lo, hi, f=fmt):
            return "-" if lo is None else f"[{f(lo)}, {f(hi)}]"

        rows = [[c.name, c.count, pct(c.share), span(c.share_ci_low, c.share_ci_high, pct),
                 fmt(c.estimated_count, 5), span(c.estimated_ci_low, c.estimated_ci_high, lambda v: f"{v:.1f}"),
                 fmt(c.max_error_reduction), span(c.max_error_reduction_ci_low, c.max_error_reduction_ci_high)]
                for c in self.categories]
        total = "unknown" if self.total_errors is None else str(self.total_errors)
        head = f"Error tally: {self.reviewed} reviewed errors of {total} cv errors"
        if self.cv_n:
            head += f" (cv n = {self.cv_n}"
            head += f", J_cv = {fmt(self.total_errors / self.cv_n)})" if self.total_errors is not None else ")"
        parts = [f"## {head}" if markdown else head, ""]
        parts.append(table(["category", "count", "share", "95% interval", "est. count", "95% interval",
                            "max error reduction", "95% interval"], rows, markdown=markdown))
        bullet = "- " if markdown else ""
        parts += ["", f"{bullet}Untagged rows (not reviewed yet, not counted): {self.untagged}"]
        parts += [f"{bullet}{n}" for n in self.notes]
        if self.finite_population_corrected:
            parts.append(f"{bullet}Intervals include the finite-population correction (the sample is "
                         f"{self.reviewed} of {self.total_errors} errors).")
        if self.warnings:
            parts += ["", "### Warnings" if markdown else "Warnings:"]
            parts += [f"- {w}" if markdown else f"  ! {w}" for w in self.warnings]
        return "\n".join(parts) + "\n"


def split_tags(tags: Sequence[str | None]) -> "pd.DataFrame":  # noqa: F821
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
    # the Wilson score interval (as metrics.wilson_interval), vectorised over categories
    z2 = z * z
    denom = 1.0 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = z * np.sqrt(np.maximum(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff), 0.0)) / denom
    low = np.where(p <= 0, 0.0, np.maximum(0.0, centre - half))
    high = np.where(p >= 1, 1.0, np.minimum(1.0, centre + half))
    if population is not None:
        # the unreviewed N - n can add at most N - n, and the reviewed count is certain
        low = np.maximum(low, count / population)
        high = np.minimum(high, (count + population - n) / population)
    return low, high


def tally_tags(tags: Sequence[str | None], *, total_errors: int | None = None,
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
        ids, _ = _ids(cv)
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


def tally(source, *, cv=None, total_errors: int | None = None, cv_n: int | None = None,
          columns=None, task: str | None = None, positive_label: str | None = None,
          cut: float | None = None, top_share: float = DEFAULT_TOP_SHARE,
          encoding: str = "utf-8") -> ErrorTally:
    """Read a reviewed sample (path, DataFrame, Arrow table, or a loaded
    :class:`~diagnose.ingest.TaggedSample`) and tally its tags.

    >>> import pandas as pd
    >>> tagged = pd.DataFrame({"id": [1, 2, 3], "tags": ["Pharma", "pharma ; image", ""],
    ...                        "total_errors": 30, "cv_n": 150})
    >>> t = tally(tagged)
    >>> t.categories[0].name, t.categories[0].estimated_count, t.untagged
    ('pharma', 30.0, 1)
    """
    from .ingest import load_tagged

    cv_pred = None
    if cv is not None:
        cv_pred = cv if isinstance(cv, Predictions) else load_cv(
            cv, task=task, columns=columns, positive_label=positive_label, encoding=encoding)
    sample = source if isinstance(source, TaggedSample) else load_tagged(
        source, cv=cv_pred, columns=columns, encoding=encoding)
    return tally_sample(sample, cv=cv_pred, total_errors=total_errors, cv_n=cv_n, cut=cut,
                        top_share=top_share)
