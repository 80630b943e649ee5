"""A gate's rule file: read it (ingest), then parse its rules (gate); and the paired judge of
``no_regression`` rules that compare two runs row by row."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..exceptions import UsageError
from ..gate import NoRegression, PairedJudge, RuleSet, parse_rules
from ..ingest import Splits, read_rule_file


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


def paired_judge(current: Splits, previous: Splits, metric: str | None) -> PairedJudge:
    """The judge of ``no_regression`` rules with ``confidence = "paired"``: the run's split named
    by the rule's path (``cv.error``: cv) against the previous run's, row by row (joined by id),
    in the report's ``metric``.

    >>> import numpy as np
    >>> from diagnose.gate import check
    >>> from diagnose.ingest import Predictions
    >>> y, ids = np.array([0, 1] * 200, np.int8), np.arange(400)
    >>> old = Predictions("binary", y, y_pred=np.where(ids % 10 == 0, 1 - y, y), ids=ids)
    >>> new = Predictions("binary", y, y_pred=np.where(ids % 4 == 0, 1 - y, y), ids=ids)
    >>> judge = paired_judge(Splits("binary", new, new), Splits("binary", old, old), "error_rate")
    >>> rule = 'no_regression(cv.error, margin=0.05, confidence="paired")'
    >>> check({"splits": {"cv": {"error": 0.25}}}, [rule], previous={"splits": {"cv": {"error": 0.1}}},
    ...       paired=judge).passed
    False
    """
    from ..paired import worse_with_confidence

    def judge(rule: NoRegression) -> tuple[bool, Mapping[str, Any]]:
        split = rule.path.split(".")[-2]
        old, new = getattr(previous, split), getattr(current, split)
        if old is None or new is None:
            return False, {"difference": None}
        return worse_with_confidence(old, new, metric=metric, margin=rule.tolerance)

    return judge
