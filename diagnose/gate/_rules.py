"""Gate rule files: reading declarative rules (``PATH OP VALUE``) and ``no_regression`` tables.

A rule is ``PATH OP VALUE``: ``PATH`` is a dotted path into ``Report.to_dict()``
(``cv.error`` is short for ``splits.cv.error``), ``OP`` one of ``< <= > >= == !=``,
``VALUE`` a number, ``true``/``false`` or a word (quoted or not). A rule ending in
``[interval]`` (or every rule, with ``interval = true`` in the rule file) is judged on the
pessimistic end of the 95% interval. A rule file is TOML: ``rules = [...]``, optional
``no_regression`` tables (``{metric = "cv.error", tolerance = 0.005}``) and ``interval``.

Only the syntax is checked here; whether a path exists in a report, and judging the rules,
is :mod:`._judge`. Reading a rule file is :func:`diagnose.service.load_rules`.

>>> ruleset = parse_rules({"rules": ["cv.error <= 0.12"], "no_regression": {"metric": "cv.f1"}})
>>> ruleset.rules[0].expected, ruleset.no_regression[0].direction
(0.12, 'higher')
"""
from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..exceptions import UsageError

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}
_RULE = re.compile(
    r"^\s*(?P<path>[A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>.*?)"
    r"\s*(?P<interval>\[\s*interval\s*\])?\s*$")
# names that say which way is better, for no_regression without an explicit direction
_LOWER = ("error", "loss", "ci_low", "ci_high")
_HIGHER = ("f1", "precision", "recall", "accuracy", "auc", "score", "fbeta")


@dataclass(frozen=True)
class GateRule:
    """One parsed rule of a gate (``PATH OP VALUE``)."""

    text: str
    path: str
    op: str
    expected: Any
    interval: bool = False
    interval_required: bool = False  # written with [interval]: a path without one is an error


@dataclass(frozen=True)
class NoRegression:
    """The metric at ``path`` may not get worse than the previous run's by more than ``tolerance``.
    With ``confidence="paired"`` it fails only when a paired test on the rows both runs share
    shows the new run worse by more than ``tolerance`` (the margin), at 95% one-sided."""

    path: str
    tolerance: float
    direction: str  # "lower" or "higher" is better
    confidence: str | None = None  # None: the point values; "paired": a paired test

    @property
    def text(self) -> str:
        if self.confidence == "paired":
            return f"no_regression {self.path} (paired, margin {self.tolerance:g})"
        return (f"no_regression {self.path} ({self.direction} is better, "
                f"tolerance {self.tolerance:g})")


@dataclass(frozen=True)
class RuleSet:
    """The rules of a gate and its ``no_regression`` comparisons."""

    rules: tuple[GateRule, ...]
    no_regression: tuple[NoRegression, ...] = ()

    def __len__(self) -> int:
        return len(self.rules) + len(self.no_regression)


def parse_rules(source: Any, *, interval: bool = False) -> RuleSet:
    """Rules from a RuleSet, a TOML-shaped mapping, a list of rule strings or one string.

    >>> parse_rules(["cv.error <= 0.1 [interval]"]).rules[0].interval
    True
    """
    if isinstance(source, RuleSet):
        if not interval:
            return source
        # the switch given at check time reaches rules already parsed
        return RuleSet(rules=tuple(replace(r, interval=True) if r.op not in ("==", "!=") else r
                                   for r in source.rules), no_regression=source.no_regression)
    if isinstance(source, str):
        source = [source]
    if isinstance(source, Mapping):
        unknown = sorted(set(source) - {"rules", "no_regression", "interval"})
        if unknown:
            raise UsageError(f"unknown key(s) {', '.join(unknown)} in the rule file; "
                             "expected rules, no_regression, interval")
        interval = source.get("interval", interval)
        if not isinstance(interval, bool):
            raise UsageError("'interval' must be true or false")
        texts = source.get("rules", [])
        regressions = source.get("no_regression", [])
        if isinstance(regressions, Mapping):
            regressions = [regressions]
        if isinstance(regressions, str) or not isinstance(regressions, Sequence):
            raise UsageError('no_regression must be a table or a list of tables such as '
                             '{metric = "cv.error", tolerance = 0.005}')
    elif isinstance(source, Sequence):
        texts, regressions = source, []
    else:
        raise UsageError(f"rules must be a list of strings or a mapping, not {type(source).__name__}")
    if isinstance(texts, str) or not isinstance(texts, Sequence) or not all(isinstance(t, str) for t in texts):
        raise UsageError("'rules' must be a list of strings such as \"cv.error <= 0.12\"")
    calls = [t for t in texts if _CALL.match(t)]
    rules = tuple(_parse_rule(t, interval) for t in texts if t not in calls)
    no_reg = tuple(_parse_regression(r) for r in [*regressions, *(_call_spec(t) for t in calls)])
    if not rules and not no_reg:
        raise UsageError("no rules given: write rules = [\"cv.error <= 0.12\", ...]")
    return RuleSet(rules=rules, no_regression=no_reg)


def _parse_rule(text: str, interval: bool) -> GateRule:
    m = _RULE.match(text)
    if not m or not m.group("value"):
        raise UsageError(f"cannot read rule '{text}'; write PATH OP VALUE, e.g. \"cv.error <= 0.12\" "
                         f"(OP one of {' '.join(OPS)}), optionally ending in [interval]")
    required = m.group("interval") is not None
    op = m.group("op")
    if required and op in ("==", "!="):
        raise UsageError(f"rule '{text}': [interval] needs <, <=, > or >=")
    return GateRule(text=text.strip(), path=m.group("path"), op=op, expected=_literal(m.group("value"), text),
                interval=(interval or required) and op not in ("==", "!="), interval_required=required)


def _literal(raw: str, text: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        if not math.isfinite(number):
            raise UsageError(f"rule '{text}': {raw} is no threshold; give a finite number")
        return number
    if re.fullmatch(r"[\w\-]+", raw):
        return raw
    raise UsageError(f"rule '{text}': cannot read the value {raw!r}; give a number or a word")


_CALL = re.compile(r"^\s*no_regression\s*\((?P<args>.*)\)\s*$", re.S)


def _call_spec(text: str) -> dict[str, Any]:
    """``no_regression(cv.error, margin=0.005, confidence="paired")`` as a rule table.

    >>> _call_spec('no_regression(cv.error, margin=0.005, confidence="paired")')
    {'metric': 'cv.error', 'margin': 0.005, 'confidence': 'paired'}
    """
    m = _CALL.match(text)
    assert m is not None
    args = [a.strip() for a in m.group("args").split(",") if a.strip()]
    spec: dict[str, Any] = {}
    for i, arg in enumerate(args):
        key, sep, value = arg.partition("=")
        if not sep:
            if i:
                raise UsageError(f"rule '{text}': only the metric may come without a name "
                                 '(no_regression(cv.error, margin=0.005, confidence="paired"))')
            spec["metric"] = arg
        else:
            spec[key.strip()] = _literal(value, text)
    return spec


def _parse_regression(spec: Any) -> NoRegression:
    if not isinstance(spec, Mapping) or "metric" not in spec:
        raise UsageError('no_regression must look like {metric = "cv.error", tolerance = 0.005}')
    unknown = sorted(set(spec) - {"metric", "tolerance", "margin", "direction", "confidence"})
    if unknown:
        raise UsageError(f"unknown key(s) {', '.join(unknown)} in no_regression; "
                         "expected metric, tolerance (or margin), direction, confidence")
    if "tolerance" in spec and "margin" in spec:
        raise UsageError("no_regression: give tolerance or margin (the same thing), not both")
    path, tolerance = str(spec["metric"]), spec.get("tolerance", spec.get("margin", 0.0))
    confidence = spec.get("confidence")
    if confidence not in (None, "paired"):
        raise UsageError(f'no_regression confidence must be "paired" (or left out), not {confidence!r}')
    if confidence == "paired" and not re.fullmatch(r"(splits\.)?(cv|test)\.error", path):
        raise UsageError(f"no_regression {path}: confidence = \"paired\" compares the report's error on the "
                         "rows both runs share; use cv.error or test.error")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0:
        raise UsageError(f"no_regression tolerance must be a number >= 0, not {tolerance!r}")
    direction = spec.get("direction")
    if direction is None:
        last = path.rsplit(".", 1)[-1]
        if last.endswith(_LOWER) or path.startswith("gaps."):
            direction = "lower"
        elif last.endswith(_HIGHER):
            direction = "higher"
        else:
            raise UsageError(f"no_regression: cannot tell whether a higher or lower {path} is better; "
                             'add direction = "lower" or "higher"')
    if direction not in ("lower", "higher"):
        raise UsageError(f"no_regression direction must be \"lower\" or \"higher\", not {direction!r}")
    return NoRegression(path=path, tolerance=float(tolerance), direction=direction, confidence=confidence)

