"""The cost rule: misclassification costs (and optional gains), and the expected cost per row.

``cost:fp=C1,fn=C2`` with optional gains ``tp=G1`` and ``tn=G2`` (keys in any order, each
once; every number finite and >= 0; at least one of fp and fn positive). At a threshold t
the expected cost per row is, with (weighted) counts,

    cost(t) = (C_fp FP(t) + C_fn FN(t) - G_tp TP(t) - G_tn TN(t)) / total weight

and the rule picks, among every distinct cv score, the threshold with the lowest cost
(ties as for every rule: the higher F1, then the higher threshold). For calibrated
probabilities the cost-minimising threshold is (C_fp + G_tn) / (C_fp + G_tn + C_fn + G_tp),
the rule's ``value`` (for reference; the rule itself searches the cv scores).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..exceptions import UsageError
from ..values import json_number

COST_HELP = "cost:fp=C,fn=C with optional gains tp=G,tn=G; e.g. cost:fp=1,fn=5"
_KEYS = ("fp", "fn", "tp", "tn")


def _number_text(x: float) -> str:
    """The shortest text of ``x`` that reads back as exactly ``x`` (``5``, not ``5.0``)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


@dataclass(frozen=True)
class Costs:
    """The costs of a false positive and a false negative, and the gains of a true positive
    and a true negative, of the ``cost:`` threshold rule.

    >>> c = Costs.parse("fn=5, fp=1")
    >>> c, c.text, round(c.bayes_threshold, 4)
    (Costs(fp=1.0, fn=5.0, tp=0.0, tn=0.0), 'cost:fp=1,fn=5', 0.1667)
    >>> float(c.per_row(tp=3, pp=4, positives=5, total=10))  # (1 FP * 1 + 2 FN * 5) / 10 rows
    1.1
    """

    fp: float
    fn: float
    tp: float = 0.0
    tn: float = 0.0

    @classmethod
    def parse(cls, body: str, text: Optional[str] = None) -> Costs:
        """Costs from ``fp=C1,fn=C2[,tp=G1][,tn=G2]`` (the part after ``cost:``); ``text``
        is the whole rule, for the messages.

        >>> Costs.parse("fp=2,fn=1,tn=0.5")
        Costs(fp=2.0, fn=1.0, tp=0.0, tn=0.5)
        >>> Costs.parse("fp=1")
        Traceback (most recent call last):
        ...
        diagnose.exceptions.UsageError: threshold rule 'cost:fp=1': the cost rule needs both fp= and fn= \
(cost:fp=C,fn=C with optional gains tp=G,tn=G; e.g. cost:fp=1,fn=5)
        """
        rule = text if text is not None else f"cost:{body}"

        def bad(why: str) -> UsageError:
            return UsageError(f"threshold rule '{rule}': {why} ({COST_HELP})")

        if not body.strip():
            raise bad("give the costs")
        found: dict[str, float] = {}
        for item in body.split(","):
            key, eq, number = (part.strip() for part in item.partition("="))
            if not eq or not key:
                raise bad(f"'{item.strip()}' is not key=number")
            if key not in _KEYS:
                raise bad(f"unknown key '{key}'; the keys are fp and fn (costs) and tp and tn (gains)")
            if key in found:
                raise bad(f"'{key}' is given twice")
            try:
                value = float(number)
            except ValueError:
                raise bad(f"'{key}={number}': '{number}' is not a number") from None
            if not (math.isfinite(value) and value >= 0):
                raise bad(f"'{key}={number}': costs and gains must be finite numbers >= 0")
            found[key] = value
        if "fp" not in found or "fn" not in found:
            raise bad("the cost rule needs both fp= and fn=")
        if found["fp"] <= 0 and found["fn"] <= 0:
            raise bad("at least one of the costs fp and fn must be positive")
        return cls(found["fp"], found["fn"], found.get("tp", 0.0), found.get("tn", 0.0))

    @property
    def text(self) -> str:
        """The rule's canonical text: fp and fn, then the gains that are not 0."""
        parts = [f"{k}={_number_text(getattr(self, k))}" for k in _KEYS if k in ("fp", "fn") or getattr(self, k)]
        return "cost:" + ",".join(parts)

    @property
    def bayes_threshold(self) -> float:
        """The cost-minimising threshold for calibrated probabilities:
        (C_fp + G_tn) / (C_fp + G_tn + C_fn + G_tp)."""
        return (self.fp + self.tn) / (self.fp + self.tn + self.fn + self.tp)

    def per_row(self, tp: Any, pp: Any, positives: float, total: float) -> Any:
        """Expected cost per row from (weighted) counts: ``tp`` true positives and ``pp``
        predicted positives (scalars or arrays), of ``positives`` among ``total``. NaN
        without rows. Written as one linear form in (pp, tp), so a sweep costs two
        multiplications per threshold."""
        if total <= 0:
            return np.full(np.shape(tp), np.nan) if np.ndim(tp) else math.nan
        # C_fp (PP - TP) + C_fn (P - TP) - G_tp TP - G_tn (N - PP + TP), N = total - P
        const = self.fn * positives - self.tn * (total - positives)
        slope_pp = self.fp + self.tn
        slope_tp = self.fp + self.fn + self.tp + self.tn
        pp, tp = np.asarray(pp, dtype=np.float64), np.asarray(tp, dtype=np.float64)
        return (const + slope_pp * pp - slope_tp * tp) / total

    def treat_none(self, positives: float, total: float) -> float:
        """Expected cost per row when no row is called positive."""
        return float(self.per_row(0.0, 0.0, positives, total))

    def treat_all(self, positives: float, total: float) -> float:
        """Expected cost per row when every row is called positive."""
        return float(self.per_row(positives, total, positives, total))

    def to_dict(self) -> dict:
        return {"fp": self.fp, "fn": self.fn, "tp": self.tp, "tn": self.tn}


def _at(costs: Costs, m: Any) -> Optional[float]:
    """Expected cost per row at the counts of ``m`` (a :class:`PRF`), or ``None``."""
    return None if m is None else float(costs.per_row(m.tp, m.pp, m.positives, m.total))


@dataclass(frozen=True)
class ThresholdCost:
    """Expected cost per row (the ``cost`` rule only) on cv and test: at the chosen
    threshold, at the default 0.5, when no row is called positive (``treat_none``) and
    when every row is (``treat_all``). ``None`` where that split or threshold is missing.

    >>> from diagnose.thresholds import PRF
    >>> cv = PRF.from_counts(tp=3, pp=4, positives=5, total=10)
    >>> c = ThresholdCost.of(Costs(1.0, 5.0), cv=cv, default_cv=cv)
    >>> c.cv, c.none_cv, c.all_cv
    (1.1, 2.5, 0.5)
    """

    costs: Costs
    cv: Optional[float] = None
    test: Optional[float] = None
    default_cv: Optional[float] = None
    default_test: Optional[float] = None
    none_cv: Optional[float] = None
    none_test: Optional[float] = None
    all_cv: Optional[float] = None
    all_test: Optional[float] = None

    @classmethod
    def of(cls, costs: Costs, *, cv: Any = None, test: Any = None, default_cv: Any = None,
           default_test: Any = None) -> ThresholdCost:
        """The costs at the given metrics (:class:`PRF`, or ``None``); treat none / all
        from the default metrics' positives and total."""
        none = lambda m: None if m is None else costs.treat_none(m.positives, m.total)  # noqa: E731
        every = lambda m: None if m is None else costs.treat_all(m.positives, m.total)  # noqa: E731
        return cls(costs, _at(costs, cv), _at(costs, test), _at(costs, default_cv), _at(costs, default_test),
                   none(default_cv), none(default_test), every(default_cv), every(default_test))

    def to_dict(self) -> dict:
        j = json_number
        return {**self.costs.to_dict(), "bayes_threshold": j(self.costs.bayes_threshold),
                "cv": j(self.cv), "test": j(self.test),
                "default": {"cv": j(self.default_cv), "test": j(self.default_test)},
                "treat_none": {"cv": j(self.none_cv), "test": j(self.none_test)},
                "treat_all": {"cv": j(self.all_cv), "test": j(self.all_test)}}
