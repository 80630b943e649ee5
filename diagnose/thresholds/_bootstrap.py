"""How stable a threshold choice is: cv rows resampled with replacement (fixed seed), the
rule applied again, and the 2.5% and 97.5% percentiles of the chosen threshold and of its
cv F1 (the cost rule: also of its expected cost per row)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..options import DEFAULT_SEED, DEFAULT_THRESHOLD_RULE, Bootstrap
from ..values import json_number
from ._rules import ThresholdRule
from ._sweep import pick_index, sweep_sorted

BOOTSTRAP_REPS = 200
# bootstrap="auto": each replicate costs a pass over cv, so large cv sets get fewer
# replicates (budget / rows, at most BOOTSTRAP_REPS) and none below MIN_BOOTSTRAP_REPS,
# which keeps the report within about half a second; an explicit number is always honoured
BOOTSTRAP_BUDGET = 10_000_000
MIN_BOOTSTRAP_REPS = 20


@dataclass(frozen=True)
class BootstrapInterval:
    """95% percentile intervals, over bootstrap resamples of cv, of the chosen threshold and
    of its cv F1; ``failed`` resamples had no positive row (so, as on cv itself, no
    threshold can be chosen) or no threshold that met the rule. The cost rule only:
    ``cost_low``/``cost_high``, the interval of the chosen threshold's expected cost per
    row on the resample (``None``, and no JSON key, for the other rules)."""

    reps: int
    seed: int
    value_low: float
    value_high: float
    f1_low: float
    f1_high: float
    failed: int = 0
    note: Optional[str] = None
    cost_low: Optional[float] = None
    cost_high: Optional[float] = None

    def to_dict(self) -> dict:
        out = {"reps": self.reps, "seed": self.seed, "value_low": json_number(self.value_low),
               "value_high": json_number(self.value_high), "f1_low": json_number(self.f1_low),
               "f1_high": json_number(self.f1_high), "failed": self.failed, "note": self.note}
        if self.cost_low is not None or self.cost_high is not None:
            out.update(cost_low=json_number(self.cost_low), cost_high=json_number(self.cost_high))
        return out


def bootstrap_threshold(y_true, y_score, *, rule: str | ThresholdRule = DEFAULT_THRESHOLD_RULE, sample_weight=None,
                        reps: Bootstrap = "auto", seed: int = DEFAULT_SEED) -> Optional[BootstrapInterval]:
    """Resample the rows with replacement ``reps`` times (fixed seed) and redo the choice.

    Sorts once; each resample is a vector of row counts (multinomial), so it only needs
    cumulative sums. ``reps="auto"``: 200, fewer on large inputs, none (with a note) on very
    large ones (see ``BOOTSTRAP_BUDGET``); ``0``: no bootstrap (``None``).

    >>> from diagnose.thresholds import best_threshold
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); s = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> b = bootstrap_threshold(y, s, reps=50)
    >>> b.reps, b.value_low <= best_threshold(y, s) <= b.value_high
    (50, True)
    """
    rule = ThresholdRule.parse(rule)
    y_score = np.asarray(y_score, dtype=np.float64)
    n = y_score.shape[0]
    nan = math.nan
    no_cost = None if rule.costs is None else nan  # the cost keys: the cost rule only
    if reps == "auto":
        count: int = min(BOOTSTRAP_REPS, BOOTSTRAP_BUDGET // max(n, 1))
        if count < MIN_BOOTSTRAP_REPS:
            return BootstrapInterval(0, seed, nan, nan, nan, nan, note=(
                f"bootstrap skipped: cv has {n:,} rows, too many for a quick interval (with so many rows "
                "the choice is usually stable); ask for it with --bootstrap N"), cost_low=no_cost, cost_high=no_cost)
    else:
        count = reps
    if count <= 0 or n == 0:
        return None
    count = int(count)
    order = np.argsort(y_score, kind="stable")
    s = y_score[order]
    pos = (np.asarray(y_true)[order] == 1)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[order]
    rng = np.random.default_rng(seed)
    values, f1s, costs = [], [], []
    for _ in range(count):  # a loop over replicates, not rows: each one is vectorised
        # rows are exchangeable, so multinomial counts can be laid on the sorted order
        counts = np.bincount(rng.integers(0, n, n), minlength=n)
        keep = counts > 0
        ww = (counts * w)[keep]
        sw = sweep_sorted(s[keep], ww * pos[keep], ww)
        # a resample without positives has no threshold to choose (as threshold_search
        # says for cv); picking one would drag the interval to the top score at F1 0
        i = pick_index(sw, rule) if sw.positives > 0 else None
        if i is not None:
            values.append(sw.thresholds[i])
            f1s.append(sw.fbeta(i))
            if rule.costs is not None:
                costs.append(rule.costs.per_row(sw.tp[i], sw.pp[i], sw.positives, sw.total))
    if not values:
        return BootstrapInterval(count, seed, nan, nan, nan, nan, count, cost_low=no_cost, cost_high=no_cost)
    (vlo, vhi), (flo, fhi) = np.percentile(values, [2.5, 97.5]), np.percentile(f1s, [2.5, 97.5])
    clo, chi = (float(c) for c in np.percentile(costs, [2.5, 97.5])) if costs else (None, None)
    return BootstrapInterval(count, seed, float(vlo), float(vhi), float(flo), float(fhi), count - len(values),
                             cost_low=clo, cost_high=chi)
