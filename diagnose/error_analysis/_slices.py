"""Slice discovery: the conjunctions of up to three conditions on the slice columns where
the cv error concentrates, with false discoveries under control.

1. **Halves.** A keyed hash of (seed, id) puts each cv row in the discovery half or the
   held-out half, so the split does not depend on row order.
2. **Search** (on the discovery half), level by level like SliceLine (Sagadeeva & Boehm,
   2021): level 1 is every condition of every column (:mod:`._conditions`); a slice of
   level k + 1 is only counted when every parent (the slice without one of its conditions)
   passed both prunings:
   - *size*: at least ``min_size`` rows;
   - *effect*: its error count could still reach ``min_lift`` x the overall rate in a
     child of ``min_size`` rows (a child has at most its parent's errors).
   Counts come from one ``bincount`` per combination of columns, never a loop over rows.
3. **Test** every counted slice of at least ``min_size`` rows against the rest of the half:
   one-sided hypergeometric (Fisher exact) for error rates; for regression, whose "error"
   is the squared error, a one-sided Welch z-test of the mean. Benjamini-Hochberg over all
   of them at ``fdr`` (the number of tests is reported).
4. **Replicate.** A discovery (q <= fdr, lift >= ``min_lift``) is kept only when the same
   test on the held-out half, Benjamini-Hochberg over the discoveries, agrees.
5. **Report** figures on all of cv, and on test when given: size and share, error with a
   95% interval (Wilson; regression: normal), lift over the overall error, the share of all
   errors inside, and the ceiling of fixing it: the errors removed if the slice were as good
   as the rest (``errors - n * rest rate``). Sorted by that ceiling.
6. **Redundancy.** Taking slices by the lower end of their lift's interval, a slice inside a
   kept one is left out unless its lift is ``min_lift`` x higher; any other slice is left out
   when its rows outside the kept slices are no longer significantly above the rows outside
   it (so a parent whose excess is all in one child is not listed beside it).

Rows are counted unweighted. Errors are those of :func:`error_mask`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import UsageError
from ..ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, Predictions
from ..metrics import Z95, wilson_bounds
from ..options import (
    DEFAULT_BINS,
    DEFAULT_FDR,
    DEFAULT_MAX_CONDITIONS,
    DEFAULT_MIN_LIFT,
    DEFAULT_TOP,
    DEFAULT_TOP_SHARE,
)
from ..values import Rendered, json_value
from ._conditions import Condition, code_column, slice_mask
from ._errors import error_mask, ids_of

if TYPE_CHECKING:
    import pandas as pd

MAX_CANDIDATES = 200  # discoveries considered for the redundancy pass, by lift
SLICE_COLUMNS = ("slice", "conditions", "n", "share", "errors", "error", "ci_low", "ci_high", "lift",
                 "error_share", "errors_removed", "p_value", "q_value", "holdout_error", "holdout_q",
                 "test_n", "test_error", "test_ci_low", "test_ci_high", "test_lift")


@dataclass(frozen=True)
class SliceTable(Rendered):
    """The slices found, one row each in ``frame`` (columns ``SLICE_COLUMNS``; ``conditions``
    holds :class:`Condition` tuples), best ceiling first, and how the search went."""

    frame: pd.DataFrame
    n: int
    errors: float
    error: float
    loss: str
    tests: int
    discoveries: int
    replicated: int
    fdr: float
    min_size: int
    min_lift: float
    max_conditions: int
    bins: int
    seed: int
    cut: float | None = None
    test_n: int | None = None
    test_error: float | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        rows = [{k: (json_value(float(v)) if isinstance(v, (float, np.floating)) else
                     int(v) if isinstance(v, np.integer) else v)
                 for k, v in row.items() if k != "conditions"} for row in self.frame.to_dict(orient="records")]
        return {"loss": self.loss, "n": self.n, "errors": json_value(float(self.errors)),
                "error": json_value(float(self.error)), "cut": self.cut, "test_n": self.test_n,
                "test_error": json_value(self.test_error), "tests": self.tests, "discoveries": self.discoveries,
                "replicated": self.replicated, "fdr": self.fdr, "min_size": self.min_size,
                "min_lift": self.min_lift, "max_conditions": self.max_conditions, "bins": self.bins,
                "seed": self.seed, "method": METHOD, "slices": rows, "warnings": list(self.warnings)}


METHOD = ("lattice search to 3 conditions with size and effect pruning; one-sided Fisher exact "
          "(regression: Welch z) slice vs rest; Benjamini-Hochberg; replicated on a held-out half of cv")


def holdout_half(ids: np.ndarray, seed: int) -> np.ndarray:
    """True for the rows of the held-out half: a keyed hash of (seed, id), so the same ids fall
    the same way whatever the row order.

    >>> h = holdout_half(np.arange(10_000), seed=0)
    >>> bool(abs(h.mean() - 0.5) < 0.02), bool((h == holdout_half(np.arange(10_000)[::-1], 0)[::-1]).all())
    (True, True)
    """
    import pandas as pd

    h = pd.util.hash_array(np.asarray(ids)).astype(np.uint64)
    # splitmix64's finaliser over (hash + seed): a different seed, an independent split
    with np.errstate(over="ignore"):
        z = h + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(63)).astype(bool)


def _p_above(n, s, s2, totals, binary: bool) -> np.ndarray:
    """One-sided p-values that the slices (n rows, error sum s, sum of squares s2) are worse
    than the rest of ``totals`` (the same three sums over all rows)."""
    from scipy.stats import hypergeom, norm

    total_n, total_s, total_s2 = (float(t) for t in totals)
    n, s, s2 = (np.asarray(a, dtype=np.float64) for a in (n, s, s2))
    if binary:
        return np.clip(hypergeom.sf(np.round(s) - 1, total_n, round(total_s), n), 0.0, 1.0)
    rest_n = total_n - n
    with np.errstate(divide="ignore", invalid="ignore"):
        mean, rest_mean = s / n, (total_s - s) / rest_n
        var = np.maximum(s2 / n - mean ** 2, 0.0) * n / np.maximum(n - 1, 1)
        rest_var = np.maximum((total_s2 - s2) / rest_n - rest_mean ** 2, 0.0) * rest_n / np.maximum(rest_n - 1, 1)
        z = (mean - rest_mean) / np.sqrt(var / n + rest_var / rest_n)
    return np.where(np.isfinite(z), norm.sf(z), np.where(mean > rest_mean, 0.0, 1.0))


@dataclass
class _Level:
    """The counted cells of one combination of columns: flat keys, discovery and held-out sums."""

    columns: tuple[int, ...]
    shape: tuple[int, ...]
    a: np.ndarray  # (3, cells): n, sum, sum of squares on the discovery half
    b: np.ndarray  # the same on the held-out half
    viable: np.ndarray  # cells whose children may still be material


def _count(codes: list[np.ndarray], sizes: list[int], cols: tuple[int, ...], loss: np.ndarray,
           held: np.ndarray) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    shape = tuple(sizes[c] for c in cols)
    key = np.ravel_multi_index(tuple(codes[c] for c in cols), shape) * 2 + held
    cells = int(np.prod(shape))
    sums = [np.bincount(key, weights=w, minlength=2 * cells) if w is not None else
            np.bincount(key, minlength=2 * cells).astype(np.float64) for w in (None, loss, loss * loss)]
    both = np.stack(sums).reshape(3, cells, 2)
    return shape, both[:, :, 0], both[:, :, 1]


def search(loss: np.ndarray, slices: pd.DataFrame, held: np.ndarray, *, binary: bool, bins: int, min_size: int,
           min_lift: float, fdr: float, max_conditions: int) -> tuple[list[dict[str, Any]], int, int, list[str]]:
    """Steps 2-4 of the module's method: the replicated discoveries (conditions and
    discovery/held-out figures), the number of tests, of discoveries, and warnings."""
    from scipy.stats import false_discovery_control

    codes, conds, names, warnings = [], [], [], []
    for name in slices.columns:
        coded = code_column(str(name), slices[name], bins=bins, min_size=min_size)
        if coded is None:
            warnings.append(f"slice column '{name}' has too many values to slice by; left out")
            continue
        codes.append(coded[0])
        conds.append(coded[1])
        names.append(str(name))
    sizes = [len(c) for c in conds]
    held_i = held.astype(np.int64)
    total = [np.array([float((~held).sum()), loss[~held].sum(), (loss[~held] ** 2).sum()]),
             np.array([float(held.sum()), loss[held].sum(), (loss[held] ** 2).sum()])]
    overall = total[0][1] / total[0][0] if total[0][0] else 0.0
    levels: dict[tuple[int, ...], _Level] = {}
    tested: list[tuple[tuple[int, ...], np.ndarray]] = []
    for k in range(1, max_conditions + 1):
        for cols in itertools.combinations(range(len(codes)), k):
            parents = [cols[:i] + cols[i + 1:] for i in range(k)] if k > 1 else []
            if any(parent not in levels or not levels[parent].viable.any() for parent in parents):
                continue
            shape, a, b = _count(codes, sizes, cols, loss, held_i)
            ok = a[0] >= min_size
            if parents:
                index = np.unravel_index(np.arange(a.shape[1]), shape)
                for drop, parent in enumerate(parents):
                    parent_key = np.ravel_multi_index(tuple(index[j] for j in range(k) if j != drop),
                                                      levels[parent].shape)
                    ok &= levels[parent].viable[parent_key]
            viable = ok & (a[1] >= min_size * min_lift * overall) & (a[1] > 0)
            levels[cols] = _Level(cols, shape, a, b, viable)
            tested.append((cols, np.flatnonzero(ok)))
    if not tested or not any(len(t) for _, t in tested):
        return [], 0, 0, warnings
    found_cols = np.concatenate([np.full(len(t), i) for i, (_, t) in enumerate(tested)])
    found_cell = np.concatenate([t for _, t in tested])
    a = np.concatenate([levels[cols].a[:, t] for cols, t in tested], axis=1)
    b = np.concatenate([levels[cols].b[:, t] for cols, t in tested], axis=1)
    p = _p_above(a[0], a[1], a[2], total[0], binary)
    q = false_discovery_control(p, method="bh")
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = (a[1] / a[0]) / overall if overall > 0 else np.where(a[1] > 0, np.inf, 1.0)
    disc = np.flatnonzero((q <= fdr) & (lift >= min_lift))
    if not len(disc):
        return [], len(p), 0, warnings
    p_held = _p_above(b[0, disc], b[1, disc], b[2, disc], total[1], binary)
    q_held = false_discovery_control(p_held, method="bh")
    out: list[dict[str, Any]] = []
    for at, qh in zip(disc, q_held):
        if qh > fdr:
            continue
        i = int(at)
        cols = tested[found_cols[i]][0]
        cell = [int(v) for v in np.unravel_index(found_cell[i], levels[cols].shape)]
        out.append({"conditions": tuple(conds[c][int(v)] for c, v in zip(cols, cell)),
                    "codes": tuple(zip(cols, cell)),
                    "p_value": float(p[i]), "q_value": float(q[i]), "holdout_q": float(qh),
                    "holdout_error": float(b[1, i] / b[0, i]) if b[0, i] else float("nan")})
    for item in out:
        item["mask"] = np.logical_and.reduce([codes[c] == v for c, v in item["codes"]])
    return out, len(p), len(disc), warnings


def interval(loss_sum, sq_sum, n, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of the error in a slice: Wilson for a rate, normal for a mean loss."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(loss_sum) / n
        if binary:
            return wilson_bounds(mean, n)
        se = np.sqrt(np.maximum(np.asarray(sq_sum) / n - mean ** 2, 0.0) / np.maximum(n - 1, 1))
    return mean - Z95 * se, mean + Z95 * se


def _worse(inside: np.ndarray, reference: np.ndarray, loss: np.ndarray, binary: bool) -> float:
    """One-sided p-value that the rows of ``inside`` are worse than those of ``reference``."""
    n_in, n_ref = int(inside.sum()), int(reference.sum())
    if not n_in or not n_ref:
        return 1.0
    s_in, s_ref = float(loss[inside].sum()), float(loss[reference].sum())
    q_in, q_ref = float((loss[inside] ** 2).sum()), float((loss[reference] ** 2).sum())
    return float(_p_above(n_in, s_in, q_in, (n_in + n_ref, s_in + s_ref, q_in + q_ref), binary))


def _rate(mask: np.ndarray, loss: np.ndarray) -> float:
    n = int(mask.sum())
    return float(loss[mask].sum()) / n if n else 0.0


def prune_redundant(found: list[dict[str, Any]], loss: np.ndarray, held: np.ndarray, *, binary: bool,
                    min_lift: float, fdr: float) -> list[dict[str, Any]]:
    """Step 6 of the module's method, over all cv rows; an extra lift must show on both halves."""
    total_n, total_s = len(loss), float(loss.sum())
    overall = total_s / total_n if total_n else 0.0
    for item in found:
        m = item["mask"]
        item["n"], item["s"], item["s2"] = int(m.sum()), float(loss[m].sum()), float((loss[m] ** 2).sum())
        low, _ = interval(item["s"], item["s2"], item["n"], binary)
        item["rank"] = float(low) / overall if overall > 0 else float(low)

    candidates = sorted(found, key=lambda x: -x["rank"])[:MAX_CANDIDATES]
    level = fdr / max(len(candidates), 1)  # Bonferroni over the candidates, on all rows

    def holds(inside: np.ndarray, reference: np.ndarray) -> bool:
        return (_rate(inside, loss) >= min_lift * _rate(reference, loss) and
                _worse(inside, reference, loss, binary) <= level and
                all(_worse(inside & half, reference & half, loss, binary) <= fdr for half in (held, ~held)))

    kept: list[dict[str, Any]] = []
    covered = np.zeros(total_n, dtype=bool)
    for item in candidates:
        mine = set(item["codes"])
        inside = [k for k in kept if set(k["codes"]) < mine]
        if inside:  # a subset of a kept slice: only with more lift than the rest of it
            parent = max(inside, key=lambda k: k["s"] / k["n"])
            if not holds(item["mask"], parent["mask"] & ~item["mask"]):
                continue
        elif not holds(item["mask"] & ~covered, ~item["mask"] & ~covered):
            continue
        kept.append(item)
        covered |= item["mask"]
    # a slice kept before a parent of it was: it stays only with more lift than the rest of the parent
    return [k for k in kept if all(holds(k["mask"], s["mask"] & ~k["mask"])
                                   for s in kept if set(s["codes"]) < set(k["codes"]))]


def slice_errors(pred: Predictions, *, cut: float | None = None,
                 top_share: float = DEFAULT_TOP_SHARE) -> tuple[np.ndarray, bool, float | None]:
    """Each row's error for slicing: 0/1 for classification (as :func:`error_mask`), the
    squared error for regression; whether it is a rate; the regression cut used elsewhere."""
    if pred.kind.classification:
        mask, _ = error_mask(pred)
        return mask.astype(np.float64), True, None
    assert pred.y_pred is not None  # regression predictions are y_pred
    _, cut = error_mask(pred, cut=cut, top_share=top_share)
    return (np.asarray(pred.y_pred, np.float64) - pred.y_true) ** 2, False, cut


def find_slices(pred: Predictions, test: Predictions | None = None, *, bins: int = DEFAULT_BINS,
                fdr: float = DEFAULT_FDR, min_size: int | None = None, min_lift: float = DEFAULT_MIN_LIFT,
                max_conditions: int = DEFAULT_MAX_CONDITIONS, top: int = DEFAULT_TOP, seed: int = 0) -> SliceTable:
    """Slices of the cv split (``pred``) whose error is significantly and materially above the
    rest, found, tested and replicated as the module says; figures on ``test`` too when given.
    ``min_size`` defaults to 1% of the discovery half, at least 30 rows.

    >>> import pandas as pd
    >>> from diagnose.ingest import load_predictions
    >>> rng = np.random.default_rng(1)
    >>> n = 4000
    >>> region, device = rng.choice(["north", "south"], n), rng.choice(["mobile", "desktop"], n)
    >>> bad = (region == "north") & (device == "mobile")
    >>> y = (rng.random(n) < 0.5).astype(int)
    >>> wrong = rng.random(n) < np.where(bad, 0.4, 0.1)
    >>> score = np.where(wrong, 1 - y, y) * 0.8 + 0.1
    >>> cv = load_predictions(pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score,
    ...                                     "region": region, "device": device}))
    >>> found = find_slices(cv)
    >>> found.frame["slice"].tolist()
    ['region=north & device=mobile']
    """
    import pandas as pd

    if not 0 < fdr < 1:
        raise UsageError(f"the false-discovery rate {fdr} must lie strictly between 0 and 1")
    if not 1 <= max_conditions <= 3:
        raise UsageError(f"a slice has 1 to 3 conditions, not {max_conditions}")
    loss, binary, cut = slice_errors(pred)
    ids, warnings = ids_of(pred)
    held = holdout_half(ids, seed)
    frame_in = pred.slices().drop(columns=[c for c in (TOTAL_ERRORS_COLUMN, CV_N_COLUMN) if c in pred.slice_columns],
                                  errors="ignore")
    size = min_size if min_size is not None else max(30, int(np.ceil(0.01 * (~held).sum())))
    warnings = list(warnings)
    found: list[dict[str, Any]] = []
    if frame_in.columns.empty:
        warnings.append("no slice columns: every column is a label, score, id or parameter")
        tests, discoveries, replicated = 0, 0, 0
    else:
        found, tests, discoveries, more = search(loss, frame_in, held, binary=binary, bins=bins, min_size=size,
                                                 min_lift=min_lift, fdr=fdr, max_conditions=max_conditions)
        warnings += more
        replicated = len(found)
        found = prune_redundant(found, loss, held, binary=binary, min_lift=min_lift, fdr=fdr)
    total_n, total_s = len(loss), float(loss.sum())
    overall = total_s / total_n if total_n else 0.0
    rows = []
    test_loss = test_frame = None
    if test is not None:
        test_loss = (error_mask(test)[0].astype(np.float64) if binary else
                     (np.asarray(test.y_pred, np.float64) - test.y_true) ** 2)
        test_frame = test.slices()
    for item in found:
        n, s = item["n"], item["s"]
        lo, hi = interval(s, item["s2"], n, binary)
        rest = (total_s - s) / (total_n - n) if total_n > n else float("nan")
        row = {"slice": " & ".join(map(str, item["conditions"])), "conditions": item["conditions"], "n": n,
               "share": n / total_n, "errors": s, "error": s / n, "ci_low": float(lo), "ci_high": float(hi),
               "lift": (s / n) / overall if overall else float("nan"), "error_share": s / total_s if total_s else 0.0,
               "errors_removed": s - n * rest, "p_value": item["p_value"], "q_value": item["q_value"],
               "holdout_error": item["holdout_error"], "holdout_q": item["holdout_q"]}
        row.update(_on_test(item["conditions"], test_loss, test_frame, binary, test))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(SLICE_COLUMNS))
    if rows:
        frame = frame.sort_values(["errors_removed", "slice"], ascending=[False, True], kind="stable")
    frame = frame.head(top).reset_index(drop=True)
    return SliceTable(frame=frame, n=total_n, errors=total_s, error=overall, loss="error_rate" if binary else
                      "squared_error", tests=tests, discoveries=discoveries, replicated=replicated, fdr=fdr,
                      min_size=size, min_lift=min_lift, max_conditions=max_conditions, bins=bins, seed=seed, cut=cut,
                      test_n=None if test is None else test.n,
                      test_error=None if test_loss is None else float(test_loss.mean()) if len(test_loss) else None,
                      warnings=tuple(warnings))


def _on_test(conditions: tuple[Condition, ...], loss: np.ndarray | None, frame: pd.DataFrame | None, binary: bool,
             test: Predictions | None) -> dict[str, Any]:
    nan = float("nan")
    if loss is None or frame is None or test is None:
        return {"test_n": None, "test_error": nan, "test_ci_low": nan, "test_ci_high": nan, "test_lift": nan}
    try:
        mask = slice_mask(conditions, frame, source=test.source)
    except UsageError:  # test lacks a slice column
        mask = np.zeros(len(loss), dtype=bool)
    n, s = int(mask.sum()), float(loss[mask].sum())
    lo, hi = interval(s, float((loss[mask] ** 2).sum()), n, binary)
    overall = float(loss.mean()) if len(loss) else nan
    error = s / n if n else nan
    return {"test_n": n, "test_error": error, "test_ci_low": float(lo) if n else nan,
            "test_ci_high": float(hi) if n else nan, "test_lift": error / overall if overall else nan}
