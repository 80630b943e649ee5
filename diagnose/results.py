"""Frozen result values returned by the compute modules, each with ``to_dict()``.

The keys of ``to_dict()`` are the public JSON interface (README.md, "The JSON report").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .metrics import SplitError


def _num(value: float | None) -> float | None:
    """JSON-safe float: NaN and infinities become ``None``."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Gap:
    """One gap of the bias/variance analysis and why it counts or not."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    tolerance: float
    material: bool
    significant: bool
    samples_needed: Optional[int] = None
    samples_needed_split: Optional[str] = None

    @property
    def counted(self) -> bool:
        return self.material and self.significant

    def to_dict(self) -> dict:
        return {
            "value": _num(self.value),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "tolerance": _num(self.tolerance),
            "material": self.material,
            "significant": self.significant,
            "counted": self.counted,
            "samples_needed": self.samples_needed,
            "samples_needed_split": self.samples_needed_split,
        }


@dataclass(frozen=True)
class Verdict:
    """The bias/variance verdict: a word, its gaps, the remedies and the warnings."""

    verdict: str
    reference: float
    reference_name: str
    gaps: Mapping[str, Gap]
    recommendations: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """The full diagnosis of one run; ``to_dict()`` is the JSON report.

    Sections owned by other modules (``threshold``, ``skew``, ``classes``) are ``None``
    when they do not apply.
    """

    task: str
    metric: str
    splits: Mapping[str, SplitError]
    baselines: Mapping[str, float]
    trivial_baseline: str
    verdict: Verdict
    warnings: tuple[str, ...]
    tolerance: Mapping[str, float]
    classes: tuple[str, ...] = ()
    threshold: Any = None
    skew: Any = None
    per_class: Any = None

    @property
    def reference(self) -> float:
        return self.verdict.reference

    @property
    def gaps(self) -> Mapping[str, Gap]:
        return self.verdict.gaps

    @property
    def recommendations(self) -> tuple[str, ...]:
        return self.verdict.recommendations

    def to_dict(self) -> dict:
        gaps = {name: (_num(g.value) if g is not None else None) for name, g in self.verdict.gaps.items()}
        for name in ("bias", "variance", "test"):
            gaps.setdefault(name, None)
        out = {
            "task": self.task,
            "metric": self.metric,
            "splits": {name: s.to_dict() for name, s in self.splits.items()},
            "baselines": {name: _num(v) for name, v in self.baselines.items()},
            "trivial_baseline": self.trivial_baseline,
            "reference": _num(self.verdict.reference),
            "reference_name": self.verdict.reference_name,
            "gaps": gaps,
            "gap_details": {name: g.to_dict() for name, g in self.verdict.gaps.items() if g is not None},
            "tolerance": dict(self.tolerance),
            "verdict": self.verdict.verdict,
            "recommendations": list(self.verdict.recommendations),
            "warnings": list(self.warnings),
        }
        if self.classes:
            out["classes"] = list(self.classes)
        for key in ("threshold", "skew", "per_class"):
            value = getattr(self, key)
            out[key] = value.to_dict() if hasattr(value, "to_dict") else value
        return out

    def to_markdown(self) -> str:
        from .render import report_markdown

        return report_markdown(self)

    def to_text(self) -> str:
        from .render import report_text

        return report_text(self)
