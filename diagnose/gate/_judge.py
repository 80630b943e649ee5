"""Judging a gate's rules on a report's JSON: pass or fail per rule, and the gate's result."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ..bias_variance import VERDICTS
from ..exceptions import UsageError
from ..values import Rendered, json_value, render
from ._rules import OPS, GateRule, NoRegression, parse_rules

# judges a paired no_regression: (worse by more than the margin with confidence, details)
PairedJudge = Callable[[NoRegression], tuple[bool, Mapping[str, Any]]]

SPLIT_NAMES = ("train", "cv", "test")


@dataclass(frozen=True)
class RuleResult:
    """How one rule fared: ``value`` is what was judged (an interval end in interval mode)."""

    rule: str
    passed: bool
    value: Any
    estimate: Any = None
    expected: Any = None
    skipped: bool = False
    detail: str = ""

    def to_dict(self) -> dict:
        return {"rule": self.rule, "value": json_value(self.value), "passed": self.passed,
                "estimate": json_value(self.estimate), "expected": json_value(self.expected),
                "skipped": self.skipped, "detail": self.detail}


@dataclass(frozen=True)
class GateResult(Rendered):
    """The outcome of a gate; ``assert result.passed, result.summary()`` in pytest."""

    rules: tuple[RuleResult, ...]
    name: str = "diagnose gate"

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rules)

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.passed)

    def summary(self) -> str:
        """One headline and one line per rule (failures first)."""
        head = (f"{self.name} passed: {len(self.rules)} rule(s) hold" if self.passed else
                f"{self.name} failed: {len(self.failures)} of {len(self.rules)} rule(s) failed")
        lines = [head]
        for r in sorted(self.rules, key=lambda r: r.passed):
            lines.append(f"  {status(r):4}  {r.rule}: {r.detail}")
        return "\n".join(lines)

    def to_junit_xml(self) -> str:
        """JUnit XML: one testcase per rule (rendered by :mod:`diagnose.present`)."""
        return render(self, "junit")

    def to_dict(self) -> dict:
        return {"passed": self.passed, "name": self.name, "n_rules": len(self.rules),
                "n_failed": len(self.failures), "rules": [r.to_dict() for r in self.rules]}


def check(report: Any, rules: Any, *, previous: Any = None, interval: bool = False,
          name: str = "diagnose gate", paired: PairedJudge | None = None) -> GateResult:
    """Judge ``rules`` on ``report`` (a Report, a stored run or a ``to_dict()`` mapping).

    ``previous`` is the report (or stored run) to compare with for ``no_regression`` rules;
    without it, or when it lacks the metric, they are skipped with a note. An unknown path
    raises :class:`UsageError` naming it. ``paired`` judges ``no_regression`` rules with
    ``confidence = "paired"``: given the rule, it says whether the new run is worse by more
    than the margin with confidence, and how (the caller has both runs' predictions).

    >>> r = check({"verdict": "high_bias"}, "verdict != high_bias")
    >>> r.passed, r.rules[0].detail
    (False, "verdict is 'high_bias'; needs != 'high_bias'")
    """
    data = _as_dict(report)
    ruleset = parse_rules(rules, interval=interval)
    results = [_judge(rule, data) for rule in ruleset.rules]
    prev = None if previous is None else _as_dict(previous)
    results += [_judge_paired(reg, data, paired, _run_label(previous)) if reg.confidence == "paired" and prev
                else _judge_regression(reg, data, prev, _run_label(previous)) for reg in ruleset.no_regression]
    return GateResult(rules=tuple(results), name=name)


def _run_label(previous: Any) -> str:
    """'previous run' or, for a stored run, "previous run 'v1'"."""
    name = getattr(getattr(previous, "summary", None), "run", None)
    return "previous run" if name is None else f"previous run {name!r}"


def _as_dict(report: Any) -> Mapping:
    if isinstance(report, Mapping):
        return report
    if hasattr(report, "to_dict"):
        return report.to_dict()
    raise UsageError(f"a gate needs a report (or its to_dict()), not {type(report).__name__}")


def resolve(data: Mapping, path: str, *, rule: str | None = None) -> tuple[Any, Optional[tuple]]:
    """The value at ``path`` and its 95% interval (or ``None``).

    >>> resolve({"splits": {"cv": {"error": 0.1, "ci_low": 0.05, "ci_high": 0.2}}}, "cv.error")
    (0.1, (0.05, 0.2))
    >>> calibration = {"test": {"ece": 0.04, "ece_ci_low": 0.03, "ece_ci_high": 0.06}}
    >>> resolve({"calibration": calibration}, "calibration.test.ece")
    (0.04, (0.03, 0.06))
    """
    parts = path.split(".")
    if parts[0] in SPLIT_NAMES and parts[0] not in data and "splits" in data:
        parts = ["splits", *parts]
    where = f" in rule '{rule}'" if rule else ""
    node: Any = data
    parent: Any = None
    for i, part in enumerate(parts):
        if node is None:  # a section that does not apply to this run (e.g. no test split)
            return None, None
        if isinstance(node, Mapping):
            if part not in node:
                keys = ", ".join(sorted(map(str, node))[:15])
                here = ".".join(parts[:i]) or "the report"
                raise UsageError(f"unknown path '{path}'{where}: {here} has no '{part}' (it has {keys})")
            parent, node = node, node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            parent, node = None, node[int(part)]
        else:
            raise UsageError(f"unknown path '{path}'{where}: '{'.'.join(parts[:i])}' holds "
                             f"{show(node)}, which has no '{part}'")
    ci = None
    last = parts[-1]
    if isinstance(parent, Mapping) and last in ("error", "value") and "ci_low" in parent and "ci_high" in parent:
        ci = (parent["ci_low"], parent["ci_high"])
    elif isinstance(parent, Mapping) and f"{last}_ci_low" in parent and f"{last}_ci_high" in parent:
        ci = (parent[f"{last}_ci_low"], parent[f"{last}_ci_high"])  # e.g. calibration.test.ece
    elif len(parts) == 2 and parts[0] == "gaps":
        detail = (data.get("gap_details") or {}).get(last)
        if isinstance(detail, Mapping):
            ci = (detail.get("ci_low"), detail.get("ci_high"))
    return node, ci


def _judge(rule: GateRule, data: Mapping) -> RuleResult:
    value, ci = resolve(data, rule.path, rule=rule.text)
    expected = rule.expected
    if isinstance(value, Mapping) or isinstance(value, list):
        keys = ", ".join(map(str, value)) if isinstance(value, Mapping) else "an index"
        raise UsageError(f"rule '{rule.text}': {rule.path} is a section, not a value; "
                         f"name one of its keys ({keys})")
    if rule.path == "verdict" and isinstance(expected, str) and expected not in VERDICTS:
        raise UsageError(f"rule '{rule.text}': '{expected}' is not a verdict; "
                         f"verdicts are {', '.join(VERDICTS)}")
    base = dict(rule=rule.text, estimate=value, expected=expected)
    if value is None:
        return RuleResult(passed=False, value=None, detail=f"{rule.path} has no value in this report", **base)
    numeric = _is_number(value) and _is_number(expected)
    if rule.op in ("<", "<=", ">", ">=") and not numeric:
        raise UsageError(f"rule '{rule.text}': {rule.path} is {show(value)}; {rule.op} compares numbers")
    if rule.op in ("==", "!=") and not numeric and type(value) is not type(expected):
        raise UsageError(f"rule '{rule.text}': {rule.path} is {show(value)}, "
                         f"which cannot equal {show(expected)}")
    judged, what = value, f"{rule.path} is {show(value)}"
    if rule.interval:
        if ci is None or ci[0] is None or ci[1] is None:
            if rule.interval_required:
                raise UsageError(f"rule '{rule.text}': {rule.path} has no 95% interval in the report")
            what += " (no interval; point estimate judged)"
        else:
            end = "ci_high" if rule.op in ("<", "<=") else "ci_low"
            judged = ci[1] if end == "ci_high" else ci[0]
            what = f"{rule.path} is {show(value)}, its 95% interval [{show(ci[0])}, {show(ci[1])}]; {end} judged"
    passed = bool(OPS[rule.op](float(judged), float(expected)) if numeric else OPS[rule.op](judged, expected))
    if not passed:
        what += f"; needs {rule.op} {show(expected)}"
    return RuleResult(passed=passed, value=judged, detail=what, **base)


def _judge_regression(reg: NoRegression, data: Mapping, previous: Mapping | None,
                      before_name: str = "previous run") -> RuleResult:
    value, _ = resolve(data, reg.path, rule=reg.text)  # a path this report lacks is bad usage
    if value is None:  # like any rule: a metric this run does not have fails
        return RuleResult(rule=reg.text, passed=False, value=None, detail=f"{reg.path} has no value in this report")
    if not _is_number(value):
        raise UsageError(f"{reg.text}: {reg.path} is {show(value)}; no_regression compares numbers")
    if previous is None:
        return RuleResult(rule=reg.text, passed=True, value=value, estimate=value, skipped=True,
                          detail="no earlier run to compare with")
    try:
        before, _ = resolve(previous, reg.path, rule=reg.text)
    except UsageError:  # an older run whose report lacks the key (another task, an older schema)
        before = None
    if not _is_number(before):
        # nothing to regress from: skip, visibly, rather than fail this run for the old one's gap
        return RuleResult(rule=reg.text, passed=True, value=value, estimate=value, skipped=True,
                          detail=f"{reg.path} is {show(value)}; the {before_name} has no {reg.path} "
                                 f"({show(before) if before is not None else 'absent'}), "
                                 "so there is nothing to compare with")
    if reg.direction == "lower":
        limit = before + reg.tolerance
        passed, op = value <= limit, "<="
    else:
        limit = before - reg.tolerance
        passed, op = value >= limit, ">="
    detail = (f"{reg.path} is {show(value)}, {before_name} {show(before)}; "
              f"needs {op} {show(limit)}")
    return RuleResult(rule=reg.text, passed=bool(passed), value=value, estimate=value, expected=limit,
                      detail=detail)


def _judge_paired(reg: NoRegression, data: Mapping, paired: PairedJudge | None, before_name: str) -> RuleResult:
    value, _ = resolve(data, reg.path, rule=reg.text)
    if paired is None:
        raise UsageError(f"{reg.text}: a paired no_regression needs the predictions of both runs; "
                         "gate with --project (the earlier run is stored there)")
    worse, d = paired(reg)
    if d.get("difference") is None:
        return RuleResult(rule=reg.text, passed=True, value=value, estimate=value, skipped=True,
                          detail=f"the {before_name} has no {reg.path.split('.')[-2]} split to pair with")
    detail = (f"{reg.path}: new - old = {d['difference']:+.4g} on {d['n']} shared rows (old {show(d['old'])}, "
              f"new {show(d['new'])}); one-sided {round(100 * d['level'])}% lower bound {d['one_sided_low']:+.4g}; "
              f"{'worse' if worse else 'not shown worse'} than the margin {reg.tolerance:g}")
    return RuleResult(rule=reg.text, passed=not worse, value=value, estimate=value, expected=reg.tolerance,
                      detail=detail)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def show(value: Any) -> str:
    """A value as a gate's messages show it: floats to 4 significant digits, text quoted, None as null.

    >>> show(0.123456), show("high_bias"), show(None), show(True)
    ('0.1235', "'high_bias'", 'null', 'true')
    """
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    return str(value).lower() if isinstance(value, bool) else str(value)


def status(r: RuleResult) -> str:
    """A rule's status as the tables show it: ``pass``, ``FAIL`` or ``skip``.

    >>> status(RuleResult("cv.error <= 0.05", passed=False, value=0.08))
    'FAIL'
    """
    return "skip" if r.skipped else ("pass" if r.passed else "FAIL")
