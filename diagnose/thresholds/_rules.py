"""Threshold rules: how a decision threshold is chosen on cv.

``f1`` (default), ``fbeta:B``, ``precision>=P`` (the best recall among thresholds whose
precision is at least P), ``recall>=R`` (the best precision with recall at least R) and
``cost:fp=C,fn=C[,tp=G][,tn=G]`` (the lowest expected cost per row; see :mod:`._costs`).
Tie rule, the same for every rule: among thresholds whose objective is equal (within
1e-12, relative to the best and at least 1e-12 absolute; for ``cost`` the objective is
minus the expected cost per row), the one with the higher F1 wins, then the higher
threshold (fewer positive predictions).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Optional

from ..exceptions import UsageError
from ._costs import Costs

RULES_HELP = "f1 | fbeta:B | precision>=P | recall>=R | cost:fp=C,fn=C[,tp=G][,tn=G]"
TIE_TOL = 1e-12
_COST = re.compile(r"^\s*cost\s*:(?P<body>.*)$", re.S)
_RULE = re.compile(r"^\s*(f1|fbeta\s*:\s*(?P<beta>[^\s]+)|(?P<kind>precision|recall)\s*>=\s*(?P<min>[^\s]+))\s*$")


@dataclass(frozen=True)
class ThresholdRule:
    """A parsed threshold rule: ``kind`` is fbeta, precision, recall or cost.

    ``value`` is beta, the minimum precision or recall, or (cost) the cost-minimising
    threshold for calibrated probabilities; ``costs`` holds the cost rule's costs and gains.

    >>> ThresholdRule.parse("precision>=0.9")
    ThresholdRule(kind='precision', value=0.9, text='precision>=0.9')
    >>> ThresholdRule.parse("f1").value
    1.0
    >>> r = ThresholdRule.parse("cost: fn=5, fp=1")
    >>> r.kind, r.text, r.costs
    ('cost', 'cost:fp=1,fn=5', Costs(fp=1.0, fn=5.0, tp=0.0, tn=0.0))
    """

    kind: str
    value: float
    text: str
    costs: Optional[Costs] = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str | ThresholdRule) -> ThresholdRule:
        if isinstance(text, ThresholdRule):
            return text
        cost = _COST.match(str(text).lower())
        if cost is not None:
            costs = Costs.parse(cost.group("body"), str(text))
            return cls("cost", costs.bayes_threshold, costs.text, costs)
        m = _RULE.match(str(text).lower())
        bad = UsageError(f"unknown threshold rule '{text}'; use {RULES_HELP} (e.g. fbeta:2, precision>=0.9)")
        if m is None:
            raise bad
        try:
            number = float(m.group("min") or m.group("beta") or 1.0)
        except ValueError:
            raise bad from None
        if m.group("kind"):
            if not 0.0 <= number <= 1.0:
                raise UsageError(f"threshold rule '{text}': the minimum must lie in [0, 1]")
            return cls(m.group("kind"), number, f"{m.group('kind')}>={number:g}")
        beta = number
        if not (beta > 0 and math.isfinite(beta)):
            raise UsageError(f"threshold rule '{text}': beta must be a positive number")
        return cls("fbeta", beta, "f1" if beta == 1.0 else f"fbeta:{beta:g}")
