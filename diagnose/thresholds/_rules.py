"""Threshold rules: how a decision threshold is chosen on cv.

``f1`` (default), ``fbeta:B``, ``precision>=P`` (the best recall among thresholds whose
precision is at least P) and ``recall>=R`` (the best precision with recall at least R).
Tie rule: among thresholds whose objective is equal (within 1e-12, relative), the one
with the higher F1 wins, then the higher threshold (fewer positive predictions).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..exceptions import UsageError

RULES_HELP = "f1 | fbeta:B | precision>=P | recall>=R"
TIE_TOL = 1e-12
_RULE = re.compile(r"^\s*(f1|fbeta\s*:\s*(?P<beta>[^\s]+)|(?P<kind>precision|recall)\s*>=\s*(?P<min>[^\s]+))\s*$")


@dataclass(frozen=True)
class ThresholdRule:
    """A parsed threshold rule: ``kind`` is fbeta, precision or recall.

    >>> ThresholdRule.parse("precision>=0.9")
    ThresholdRule(kind='precision', value=0.9, text='precision>=0.9')
    >>> ThresholdRule.parse("f1").value
    1.0
    """

    kind: str
    value: float
    text: str

    @classmethod
    def parse(cls, text: str | ThresholdRule) -> ThresholdRule:
        if isinstance(text, ThresholdRule):
            return text
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
