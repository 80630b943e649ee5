"""diagnose: tell from predictions alone why a model falls short and what to do next.

The top-level names are the library's front door: the workflows that read files
(``report``, ``learning_curve``, ``tally``, ...) and the values they return. Each package
owns one concept (see docs/architecture.md); they are reachable as attributes too
(``diagnose.gate.check``). Names load on first use, so the command line starts fast.

>>> import diagnose
>>> callable(diagnose.report), callable(diagnose.gate.check)
(True, True)
>>> {"learning_curve", "tally", "gate"} <= set(dir(diagnose))  # lazy names are listed too
True
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from . import _compat, values
from ._lazy import lazy_names
from .exceptions import DiagnoseError, InputError, UsageError
from .options import Columns, ReadOptions, ReportOptions, Tolerance

__version__ = "0.1.0"

# old module names (diagnose.results, diagnose.errors, ...) stay importable for now
_compat.install()


def _load_renderers() -> None:
    """Result values render through diagnose.present, loaded the first time one is asked for."""
    import_module(".present", __name__)


values.set_loader(_load_renderers)

# package -> the names it lends the top level; loaded on first use
_FROM = {
    "service": ("report", "learning_curve", "validation_curve", "learning_curve_from_estimator", "tally",
                "cohort_table", "slices", "suspects", "shift", "compare", "calibrate", "load_rules"),
    "ingest": ("load_splits", "load_predictions", "load_tagged", "Predictions", "Splits", "TaggedSample"),
    "metrics": ("split_error",),
    "api": ("Client",),
    "bias_variance": ("build_report", "Report", "split_classification", "class_table"),
    "thresholds": ("best_threshold", "threshold_search", "choose_threshold", "ThresholdResult"),
    "curves": ("LearningCurve", "ValidationCurve", "fit_power_law"),
    "error_analysis": ("error_mask", "sample_errors", "ErrorSample", "tally_tags", "tally_sample", "ErrorTally",
                       "CategoryCount", "cohort_errors", "CohortTable", "find_slices", "SliceTable",
                       "find_suspects", "LabelSuspects", "explain_shift", "ShiftExplanation"),
}
_LAZY = {name: package for package, names in _FROM.items() for name in names}

# every package, reachable as an attribute after a plain `import diagnose`
_SUBMODULES = ("ingest", "metrics", "bias_variance", "thresholds", "curves", "error_analysis", "gate", "paired",
               "calibration", "present", "store", "service", "api", "settings", "options", "exceptions")

__all__ = ["Columns", "DiagnoseError", "InputError", "ReadOptions", "ReportOptions", "Tolerance", "UsageError",
           *_LAZY]


def _submodule(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'diagnose' has no attribute '{name}'")


# names load on first use, so that tab completion and dir() still find them all
__getattr__, __dir__ = lazy_names(__name__, {name: f".{package}" for name, package in _LAZY.items()}, _submodule,
                                  listed=[*__all__, *_SUBMODULES])
