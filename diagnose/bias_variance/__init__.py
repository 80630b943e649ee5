"""The bias/variance report of one run: each split's error, the gaps between the
baseline, J_train, J_cv and J_test, the verdict, and the registered sections that
classification adds (accuracy, precision, recall and F1 at the default decision, skew,
per-class tables, the threshold chosen on cv).

Gaps (all in the report's metric): ``bias`` = J_train - reference (avoidable bias),
``variance`` = J_cv - J_train, ``test`` = J_test - J_cv. A gap counts only when it is
material (above the tolerance) and significant (its 95% interval excludes 0).

>>> WORDS["high_bias"].remedies[0]
'Add features (more informative inputs)'
"""
from __future__ import annotations

from ..metrics import Z95
from ..options import Tolerance
from ._classification import (
                              ALPHA,
                              MAX_MATRIX_CLASSES,
                              SKEW_THRESHOLD,
                              TOP_CONFUSIONS,
                              ClassTable,
                              PerClass,
                              Skew,
                              SplitClassification,
                              class_table,
                              mcnemar_p,
                              skew,
                              split_classification,
)
from ._gaps import Gap, Verdict, diagnose_bias_variance, gap_status
from ._report import TRIVIAL, Report, assemble_report, build_report, check_baselines
from ._sections import (
                              SECTIONS,
                              DecisionMetrics,
                              Section,
                              SectionOutput,
                              register_section,
)
from ._streamed import NOT_STREAMED, report_from_statistics, unseen_classes
from ._verdicts import (
                              BIAS_REMEDIES,
                              GOOD_FIT_ADVICE,
                              VARIANCE_REMEDIES,
                              VERDICT_TITLES,
                              VERDICT_WORDS,
                              VERDICTS,
                              WORDS,
                              VerdictWord,
                              verdict_word,
)

__all__ = [
    "ALPHA", "BIAS_REMEDIES", "GOOD_FIT_ADVICE", "MAX_MATRIX_CLASSES", "SECTIONS", "SKEW_THRESHOLD",
    "TOP_CONFUSIONS", "TRIVIAL", "VARIANCE_REMEDIES", "VERDICTS", "VERDICT_TITLES", "VERDICT_WORDS", "WORDS", "Z95",
    "ClassTable", "DecisionMetrics", "Gap", "PerClass", "Report", "Section", "SectionOutput", "Skew",
    "SplitClassification", "Tolerance", "Verdict", "VerdictWord", "build_report", "check_baselines",
    "NOT_STREAMED", "assemble_report", "report_from_statistics", "unseen_classes",
    "class_table", "diagnose_bias_variance", "gap_status", "mcnemar_p", "register_section", "skew",
    "split_classification",
    "verdict_word",
]
