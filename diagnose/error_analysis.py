"""Error analysis, first half: which cv rows are errors, and a random sample of them to review.

The method (Ng's spam example): look at a uniform random sample of the cv errors, tag each
with the categories it falls in, count the categories, and work first on the ones that
would cut the cv error most. This module draws the sample; :mod:`diagnose.error_tally`
counts the reviewers' tags and scales the counts up to every cv error.

"Errors" are the rows wrong at the default decision (binary: score >= 0.5; multiclass:
argmax; multi-label: any label wrong) and, for regression, the rows whose absolute error
is above a cut (default: the top decile of |error|). Sample weights are ignored here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exceptions import UsageError
from .ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, Predictions

DEFAULT_TOP_SHARE = 0.10  # regression: the largest 10% of |error| count as errors


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
    """The cv predictions of a path, DataFrame or Arrow table (see :func:`diagnose.ingest.load_predictions`)."""
    from .ingest import load_predictions

    return load_predictions(source, task=task, columns=columns, positive_label=positive_label, encoding=encoding)


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
        from .present import table

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
