"""Paired comparison of two models on the same rows: is b better than a, worse, or the same?

Rows are joined by id: both prediction sets need ids, the same set of them, the same task,
classes and labels (weights, where both have them, must agree). Every difference is
``b - a``. Per split:

* the report metric (``error_rate`` for classification, ``half_mse`` for regression, or
  ``metric``): its value on a and b and the paired ``1 - alpha`` normal interval of the
  difference of the (weighted) mean per-row losses. With weights the variance is the
  design-based linearised ("sandwich") one, ``n/(n-1) * sum((w_i/W)(d_i - mean d))^2``,
  unit-free in the weights (all weights x 10 change nothing); ``rmse`` is differentiated
  through the root;
* the exact McNemar test of the default decisions (classification): a row is wrong when
  its decision differs from its label; for multi-label when any of its labels is decided
  wrong (exact-match error, where ``error_rate`` is the Hamming loss); it counts rows, so it
  ignores sample weights;
* a paired bootstrap (rows resampled jointly, seeded) of F1 (binary, at the default
  decision), macro F1 (multiclass; multi-label over the labels; the classes present in the
  labels or the decisions of a resample, as scikit-learn), log loss and Brier (when both
  models have scores): each figure on a and b and the percentile interval of ``b - a``;
* DeLong's test of ROC AUC (fast DeLong of Sun & Xu 2014, mid-ranks for ties; weighted
  pairs with weights): binary with scores one test, multi-label one per label, multiclass
  none;
* the verdict: ``equivalent`` (only with a ``margin``) when both one-sided tests of TOST
  reject at ``alpha``, i.e. the ``1 - 2 alpha`` interval of the difference lies inside
  ``(-margin, margin)``: it is checked first, since the margin says what difference is
  negligible; else ``b_better`` / ``a_better`` when the deciding test rejects "no
  difference" at ``alpha`` two-sided (lower loss is better); else ``no_difference_shown``.
  The deciding test (``verdict_by``) is ``"mcnemar"`` for ``error_rate`` on binary and
  multiclass rows without weights (exact where the normal interval is not, with few
  discordant rows), ``"interval"`` otherwise (the metric's paired interval).

:func:`compare_splits` compares cv and test (when both have it; train never) and takes
the overall verdict from cv, where models are chosen; test is reported alongside, with a
warning when its verdict points another way.

JSON (:meth:`PairedComparison.to_dict`)::

    metric, verdict, verdict_split ("cv"), alpha, margin (or null), warnings: [str],
    splits: {cv: SPLIT, test: SPLIT}

    SPLIT = split, task, metric, n, alpha, verdict, verdict_by ("mcnemar" | "interval"),
      difference: {a, b, estimate, se, ci_low, ci_high, level, n}          # b - a in the metric
      equivalence: {margin, ci_low, ci_high, level, p_value, equivalent}   # or null: no margin
      mcnemar: {table: [[both right, a right b wrong], [a wrong b right, both wrong]],
                a_right_b_wrong, a_wrong_b_right, p_value, wrong_means}   # or null: regression
      bootstrap: {f1 | macro_f1, log_loss, brier: {a, b, difference, ci_low, ci_high, level,
                  higher_is_better, reps, seed, failed}}                  # {} for regression
      delong: [{label, auc_a, auc_b, difference, variance, se, z, p_value, ci_low, ci_high,
                level, positives, negatives}]                             # [] where no AUC
      warnings: [str]

For a gate, :func:`worse_with_confidence` asks one question: is the new run's loss higher
than the old one's by more than ``margin``, with confidence ``1 - alpha`` (one-sided)?

>>> import numpy as np
>>> from diagnose.ingest import Predictions
>>> y = np.array([0, 1] * 100); ids = np.arange(200)
>>> a = Predictions("binary", y, y_pred=np.where(ids % 5 == 0, 1 - y, y), ids=ids)
>>> b = Predictions("binary", y, y_pred=np.where(ids % 50 == 0, 1 - y, y), ids=ids)
>>> compare_predictions(a, b, reps=0).verdict
'b_better'
"""
from __future__ import annotations

from ._bootstrap import BootstrapDifference, paired_bootstrap
from ._compare import (
    A_BETTER,
    B_BETTER,
    COMPARED_SPLITS,
    EQUIVALENT,
    NO_DIFFERENCE,
    VERDICT_SPLIT,
    VERDICTS,
    PairedComparison,
    SplitComparison,
    compare_predictions,
    compare_splits,
    worse_with_confidence,
)
from ._delong import DeLong, delong_cov, delong_test, midranks
from ._disagree import disagreements
from ._join import align
from ._stats import Difference, Equivalence, McNemar, equivalence, mcnemar, mcnemar_p, paired_difference

__all__ = [
    "A_BETTER", "B_BETTER", "COMPARED_SPLITS", "EQUIVALENT", "NO_DIFFERENCE", "VERDICTS", "VERDICT_SPLIT",
    "BootstrapDifference", "DeLong", "Difference", "Equivalence", "McNemar", "PairedComparison", "SplitComparison",
    "align", "compare_predictions", "compare_splits", "delong_cov", "delong_test", "disagreements", "equivalence",
    "mcnemar",
    "mcnemar_p", "midranks", "paired_bootstrap", "paired_difference", "worse_with_confidence",
]
