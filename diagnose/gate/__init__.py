"""Gates: declarative rules over a report's JSON, judged pass or fail (CI model gates).

A rule is ``PATH OP VALUE``: ``PATH`` is a dotted path into ``Report.to_dict()``
(``cv.error`` is short for ``splits.cv.error``), ``OP`` one of ``< <= > >= == !=``,
``VALUE`` a number, ``true``/``false`` or a word (quoted or not). A rule ending in
``[interval]`` (or every rule, with ``interval = true`` in the rule file) judges the
pessimistic end of the 95% interval instead of the point estimate: ``ci_high`` for
``<``/``<=``, ``ci_low`` for ``>``/``>=``. ``no_regression`` compares with a previous run:
by the point values, or (``confidence = "paired"``) by a paired test on the rows both runs
share, which fails only when the new run is worse by more than the margin with confidence.
Reading a rule file is :func:`diagnose.service.load_rules` (also reachable here as
``load_rules``, its old home).

>>> report = {"splits": {"cv": {"error": 0.10, "ci_low": 0.08, "ci_high": 0.13}},
...           "verdict": "good_fit"}
>>> result = check(report, ["cv.error <= 0.12", "verdict != high_variance"])
>>> result.passed
True
>>> check(report, ["cv.error <= 0.12 [interval]"]).passed   # ci_high 0.13 > 0.12
False
"""
from __future__ import annotations

from ..bias_variance import VERDICTS
from ._judge import SPLIT_NAMES, GateResult, PairedJudge, RuleResult, check, resolve, show, status
from ._rules import OPS, GateRule, NoRegression, RuleSet, parse_rules

Rule = GateRule  # the old name (threshold rules are diagnose.thresholds.ThresholdRule)

__all__ = ["OPS", "SPLIT_NAMES", "VERDICTS", "GateResult", "GateRule", "NoRegression", "PairedJudge", "Rule",
           "RuleResult",
           "RuleSet", "check", "parse_rules", "resolve", "show", "status"]


def __getattr__(name: str):  # names that moved out (load_rules reads a file: diagnose.service)
    from .. import _compat

    return _compat.moved(__name__, name)
