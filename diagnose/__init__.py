"""diagnose: tell from predictions alone why a model falls short and what to do next.

>>> import diagnose
>>> callable(diagnose.report), callable(diagnose.gate.check)
(True, True)
>>> {"learning_curve", "tally", "gate"} <= set(dir(diagnose))  # lazy names are listed too
True
"""
from __future__ import annotations

from importlib import import_module

from . import _compat, values
from .exceptions import DiagnoseError, InputError, UsageError
from .options import ReadOptions, ReportOptions, Tolerance

__version__ = "0.1.0"

# old module names (diagnose.results, diagnose.errors, ...) stay importable for now
_compat.install()


def _load_renderers() -> None:
    """Result values render through diagnose.present, loaded the first time one is asked for."""
    import_module(".present", __name__)


values.set_loader(_load_renderers)

# name -> module; loaded on first use so that the CLI starts fast
_LAZY = {
    # skewed data and thresholds (issue 3)
    "best_threshold": "thresholds",
    "threshold_search": "thresholds",
    "choose_threshold": "thresholds",
    "ThresholdResult": "thresholds",
    "split_classification": "bias_variance",
    "class_table": "bias_variance",
    "report": "service",
    "build_report": "bias_variance",
    "Report": "bias_variance",
    "load_splits": "ingest",
    "load_predictions": "ingest",
    "Predictions": "ingest",
    "Columns": "ingest",
    "split_error": "metrics",
    # curves (issue 4)
    "learning_curve": "service",
    "validation_curve": "service",
    "LearningCurve": "curves",
    "ValidationCurve": "curves",
    "learning_curve_from_estimator": "service",
    "fit_power_law": "curves",
    # error analysis (issue 5)
    "load_tagged": "ingest",
    "TaggedSample": "ingest",
    "error_mask": "error_analysis",
    "sample_errors": "error_analysis",
    "ErrorSample": "error_analysis",
    "tally": "service",
    "tally_tags": "error_analysis",
    "tally_sample": "error_analysis",
    "ErrorTally": "error_analysis",
    "CategoryCount": "error_analysis",
    "cohort_table": "service",
    "cohort_errors": "error_analysis",
    "CohortTable": "error_analysis",
}

__all__ = ["DiagnoseError", "InputError", "UsageError", "ReadOptions", "ReportOptions", "Tolerance", *_LAZY]


# submodules reachable as attributes after a plain `import diagnose` (diagnose.gate.check)
_SUBMODULES = ("gate", "store", "settings", "metrics", "thresholds", "curves",
               "error_analysis")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'diagnose' has no attribute '{name}'")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Also list the names loaded on first use, so tab completion and ``dir()`` find them."""
    return sorted({*globals(), *__all__, *_SUBMODULES})
