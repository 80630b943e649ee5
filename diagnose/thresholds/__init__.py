"""Decision thresholds: the exact sweep over every distinct score, the exact search that
finds the best threshold without sorting every score (bound the rule per score bucket,
then sort only the rows that can win), the rules that pick a threshold on cv, the
bootstrap of that choice (with what the rule achieves out of bag, on unseen data),
intervals of the test figures at it, and the threshold section of a report.

A row is positive when its score is >= the threshold. The threshold is chosen on cv and
only reported on test. Rules: ``f1`` (default), ``fbeta:B``, ``precision>=P``,
``recall>=R``, ``cost:fp=C,fn=C[,tp=G][,tn=G]`` (the lowest expected cost per row); see
:class:`ThresholdRule` for the tie rule. :func:`decision_curve` gives the net benefit by
threshold probability (Vickers & Elkin 2006).

>>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.35
"""
from __future__ import annotations

from ._bootstrap import (
                         BOOTSTRAP_BUDGET,
                         BOOTSTRAP_REPS,
                         MIN_BOOTSTRAP_REPS,
                         BootstrapInterval,
                         bootstrap_reps,
                         bootstrap_threshold,
                         bootstrap_without_rows,
)
from ._choice import (
                         DEFAULT_THRESHOLD,
                         MAX_CURVE_POINTS,
                         ThresholdCurve,
                         ThresholdResult,
                         choose_threshold,
                         infeasible_message,
                         threshold_result,
                         threshold_search,
)
from ._costs import COST_HELP, Costs, ThresholdCost
from ._decision import DEFAULT_DECISION_THRESHOLDS, DecisionCurve, curve_from_counts, decision_curve
from ._heldout import HeldOutInterval, ThresholdCells, heldout_interval
from ._hist_curve import edge_sweep, grid_edges, histogram_curve
from ._histogram import ScoreGrid, ScoreHistogram
from ._replicates import BOOTSTRAP_SCHEME, REPLICATE_GROUPS
from ._rules import RULES_HELP, TIE_TOL, ThresholdRule
from ._search import best_threshold, candidate_sweep
from ._streamed import SCORE_GRID, ScoreStats, streamed_sweep, streamed_threshold
from ._sweep import (
                         PARALLEL_SORT_ROWS,
                         PRF,
                         Sweep,
                         metrics_at,
                         pick_index,
                         sweep,
                         sweep_sorted,
)

Rule = ThresholdRule  # the old name (gate rules are diagnose.gate.GateRule)

__all__ = [
    "BOOTSTRAP_BUDGET", "BOOTSTRAP_REPS", "BOOTSTRAP_SCHEME", "REPLICATE_GROUPS", "COST_HELP",
    "DEFAULT_DECISION_THRESHOLDS", "DEFAULT_THRESHOLD", "MAX_CURVE_POINTS", "MIN_BOOTSTRAP_REPS",
    "PARALLEL_SORT_ROWS", "PRF", "RULES_HELP", "TIE_TOL", "SCORE_GRID", "BootstrapInterval", "Costs", "DecisionCurve",
    "HeldOutInterval", "Rule", "ScoreGrid", "ScoreHistogram", "ScoreStats", "Sweep", "ThresholdCells",
    "ThresholdCost", "ThresholdCurve", "ThresholdResult", "ThresholdRule", "best_threshold", "bootstrap_reps",
    "bootstrap_threshold", "bootstrap_without_rows", "candidate_sweep", "choose_threshold", "curve_from_counts",
    "decision_curve", "heldout_interval", "infeasible_message", "metrics_at", "pick_index", "streamed_sweep",
    "streamed_threshold", "sweep", "sweep_sorted", "threshold_result", "threshold_search",
    "edge_sweep", "grid_edges", "histogram_curve",
]
