"""A random sample of cv errors to review (Ng's error analysis: look at a uniform sample of
the cv errors, tag each with the categories it falls in, count the categories)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError
from ..ingest import CV_N_COLUMN, HASH_SCHEME, TOTAL_ERRORS_COLUMN, Predictions, sample_keys
from ..values import Rendered
from ._conditions import Condition, parse_slice, slice_mask
from ._errors import DEFAULT_TOP_SHARE, error_mask, ids_of

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ErrorSample(Rendered):
    """A random sample of cv errors to review, in draw order (any prefix is itself a
    uniform sample, so a review stopped half-way still estimates honestly).

    ``frame`` holds ``id``, ``y_true``, ``y_pred``, the score (``y_score``: max probability
    or positive-class score; regression: ``abs_error``), every slice column, an empty
    ``tags`` column and the constant columns ``total_errors`` and ``cv_n``.
    """

    frame: pd.DataFrame
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
        return (f"sampled {self.n} of {self.total_errors} {what} (cv n = {self.cv_n}, seed {self.seed}, "
                f"scheme {SAMPLING_SCHEME}); "
                f"columns '{TOTAL_ERRORS_COLUMN}' and '{CV_N_COLUMN}' record this for the tally")

    def to_dict(self) -> dict:
        rows = self.frame.astype(object).where(self.frame.notna(), None).to_dict(orient="records")
        return {"n": self.n, "total_errors": self.total_errors, "cv_n": self.cv_n, "seed": self.seed,
                "sampling": SAMPLING_SCHEME, "cut": self.cut, "warnings": list(self.warnings), "rows": rows}


SAMPLING_SCHEME = HASH_SCHEME  # which rows a seed picks: changes only with a new scheme name


def sample_errors(pred: Predictions, *, n: int, seed: int = 0, cut: float | None = None,
                  top_share: float = DEFAULT_TOP_SHARE,
                  within: str | tuple[Condition, ...] | None = None, prefer: str | None = None) -> ErrorSample:
    """A reproducible uniform random sample (without replacement) of ``n`` cv errors; with
    ``within`` (a slice such as ``"region=north & device=mobile"``), of the errors inside it.
    ``prefer="suspects"`` puts the sampled rows whose label looks wrong (:func:`find_suspects`)
    first, most doubtful first, marked in a ``label_suspect`` column with the suggested label.

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
    if prefer not in (None, "suspects"):
        raise UsageError(f"prefer must be 'suspects' (or nothing), not {prefer!r}")
    mask, cut = error_mask(pred, cut=cut, top_share=top_share)
    warnings = []
    if within is not None:
        conditions = parse_slice(within) if isinstance(within, str) else tuple(within)
        inside = slice_mask(conditions, pred.slices(), source=pred.source)
        mask = mask & inside
        warnings.append(f"sampling only the {int(mask.sum())} errors inside the slice "
                        f"{' & '.join(map(str, conditions))} ({int(inside.sum())} cv rows)")
    errors = np.flatnonzero(mask)
    if len(errors) < n:
        warnings.append(f"only {len(errors)} errors to sample from: taking all of them")
    ids, id_warnings = ids_of(pred)
    keys = sample_keys(ids[errors], seed)
    take = min(n, len(errors))
    first = np.argpartition(keys, take - 1)[:take] if 0 < take < len(errors) else np.arange(len(errors))
    picked = errors[first[np.argsort(keys[first], kind="stable")]]  # draw order: ascending key
    warnings += id_warnings
    out = {"id": ids[picked], "y_true": pred.kind.names(pred, pred.y_true[picked]),
           "y_pred": pred.kind.names(pred, pred.decision[picked])}
    if not pred.kind.classification:
        assert pred.y_pred is not None  # regression predictions are y_pred
        out["abs_error"] = np.round(np.abs(pred.y_pred[picked] - pred.y_true[picked]), 6)
    elif pred.y_score is not None and not pred.kind.multi_output:
        # the confidence of the decision: the top probability, or the positive-class score
        score = pred.y_score[picked]
        out["y_score"] = score.max(axis=1) if score.ndim == 2 else score
    frame = pd.DataFrame(out)
    if pred.slice_columns:
        assert pred.table is not None  # slice columns are columns of the table
        slices = pred.table.select(list(pred.slice_columns)).take(picked).to_pandas()
        slices = slices.drop(columns=[c for c in slices.columns if c in out or
                                      c in ("tags", TOTAL_ERRORS_COLUMN, CV_N_COLUMN)])
        frame = pd.concat([frame, slices.reset_index(drop=True)], axis=1)
    if prefer == "suspects":
        frame = _suspects_first(frame, pred, warnings)
    frame["tags"] = ""
    frame[TOTAL_ERRORS_COLUMN] = len(errors)
    frame[CV_N_COLUMN] = pred.n
    return ErrorSample(frame=frame, total_errors=int(len(errors)), cv_n=pred.n, seed=seed, cut=cut,
                       warnings=tuple(warnings))


def _suspects_first(frame: pd.DataFrame, pred: Predictions, warnings: list[str]) -> pd.DataFrame:
    """The sample with its label-noise suspects first (the sample itself is drawn as before, so
    the whole of it is still a uniform sample of the errors)."""
    import pandas as pd

    from ._suspects import find_suspects

    found = find_suspects(pred, reps=0).frame.drop_duplicates("id")
    rank = pd.Series(np.arange(len(found)), index=found["id"].to_numpy())
    suggested = pd.Series(found["suggested_label"].to_numpy(), index=found["id"].to_numpy())
    order = frame["id"].map(rank)
    is_suspect = order.notna().to_numpy()
    frame = frame.assign(label_suspect=np.where(is_suspect, "yes", ""),
                         suggested_label=frame["id"].map(suggested).fillna("").to_numpy())
    frame = frame.iloc[np.lexsort((np.arange(len(frame)), order.fillna(np.inf).to_numpy()))].reset_index(drop=True)
    warnings.append(f"{int(is_suspect.sum())} of the {len(frame)} sampled errors are label-noise suspects "
                    "(confident learning) and come first: tag them 'label noise' where the label is wrong. "
                    "Review the whole sample before tallying: only all of it, not its first rows, is a "
                    "uniform sample of the errors")
    return frame
