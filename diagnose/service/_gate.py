"""A gate's rule file: read it (ingest), then parse its rules (gate)."""
from __future__ import annotations

import os

from ..exceptions import UsageError
from ..gate import RuleSet, parse_rules
from ..ingest import read_rule_file


def load_rules(path: str | os.PathLike) -> RuleSet:
    """Read a TOML rule file: ``rules = [...]``, optional ``no_regression`` and ``interval``.

    >>> load_rules("tests/golden/rules.toml").rules[0].text
    'cv.error <= 0.05'
    """
    data = read_rule_file(path)
    try:
        return parse_rules(data)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
