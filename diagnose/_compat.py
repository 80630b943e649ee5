"""Old module and library names, kept importable while the code lives in its new home.

The re-house (docs/architecture.md) moved every module into a package per concept. Code
written against the old names keeps working: ``import diagnose.results`` gives a module
whose names resolve, on first use, to their new home, with a ``DeprecationWarning`` that
says where that is. Names that moved out of a package that still exists (such as
``diagnose.store.prepare_run``, now a workflow in :mod:`diagnose.service`) resolve through
:func:`moved`, which those packages call from their module ``__getattr__``.

This module imports nothing of diagnose at import time: the tables below are text, and a
name is looked up only when old code asks for it. That keeps it below every layer, so any
package may point its moved names here without an upward import.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     from diagnose.errors import InputError
>>> InputError.__module__
'diagnose.exceptions'
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

# old module -> the modules its names now live in, searched in order
MODULES: dict[str, tuple[str, ...]] = {
    "diagnose.errors": ("diagnose.exceptions",),
    "diagnose.threshold_choice": ("diagnose.thresholds",),
    "diagnose.results": ("diagnose.bias_variance", "diagnose.metrics"),
    "diagnose.classification": ("diagnose.bias_variance",),
    "diagnose.diagnosis": ("diagnose.service", "diagnose.bias_variance"),
    "diagnose.curve_learning": ("diagnose.service", "diagnose.curves", "diagnose.bias_variance", "diagnose.metrics"),
    "diagnose.curve_validation": ("diagnose.service", "diagnose.curves"),
    "diagnose.curve_estimator": ("diagnose.service",),
    "diagnose.extrapolation": ("diagnose.curves",),
    "diagnose.curve_render": ("diagnose.present", "diagnose.present._curves", "diagnose.present._charts"),
    "diagnose.error_tally": ("diagnose.service", "diagnose.error_analysis", "diagnose.metrics"),
    "diagnose.cohorts": ("diagnose.service", "diagnose.error_analysis", "diagnose.ingest"),
    "diagnose.gate_rules": ("diagnose.gate", "diagnose.service"),
    "diagnose.comparison": ("diagnose.present",),
    "diagnose.store.engine": ("diagnose.store", "diagnose.store._engine", "diagnose.store._dialects"),
    "diagnose.store.models": ("diagnose.store._models",),
    "diagnose.store.repository": ("diagnose.store", "diagnose.store._runs", "diagnose.store._queries",
                                  "diagnose.store._dialects"),
    "diagnose.store.tags": ("diagnose.store", "diagnose.store._tags"),
    "diagnose.store.values": ("diagnose.store", "diagnose.store._values"),
    "diagnose.store.submit": ("diagnose.service",),
    "diagnose.store.analysis": ("diagnose.service", "diagnose.store"),
    "diagnose.store.overview": ("diagnose.service", "diagnose.present"),
    "diagnose.store.cli_support": ("diagnose.service", "diagnose.service._legacy"),
    "diagnose.render": ("diagnose.present", "diagnose.present._report", "diagnose.bias_variance"),
    "diagnose.ingest.read": ("diagnose.ingest", "diagnose.ingest._read"),
    "diagnose.ingest.checks": ("diagnose.ingest", "diagnose.ingest._checks"),
    "diagnose.ingest.parse": ("diagnose.ingest", "diagnose.ingest._parse"),
    "diagnose.ingest.runs": ("diagnose.ingest", "diagnose.ingest._runs"),
    "diagnose.ingest.tagged": ("diagnose.ingest", "diagnose.ingest._tagged"),
    "diagnose.ingest.values": ("diagnose.ingest", "diagnose.ingest._values"),
}

# "old.module:name" -> "new.module:name", for names that moved out of a module or package
# that still exists, or that changed their name
MOVED: dict[str, str] = {
    "diagnose.classification:_mcnemar_p": "diagnose.bias_variance:mcnemar_p",
    "diagnose.error_analysis:load_cv": "diagnose.ingest:load_predictions",
    "diagnose.error_analysis:CV_N_COLUMN": "diagnose.ingest:CV_N_COLUMN",
    "diagnose.error_analysis:TOTAL_ERRORS_COLUMN": "diagnose.ingest:TOTAL_ERRORS_COLUMN",
    "diagnose.classification:classification_sections": "diagnose.service._legacy:classification_sections",
    "diagnose.classification:Sections": "diagnose.service._legacy:Sections",
    "diagnose.error_analysis:_ids": "diagnose.error_analysis:ids_of",
    "diagnose.gate:load_rules": "diagnose.service:load_rules",
    "diagnose.gate_rules:load_rules": "diagnose.service:load_rules",
    "diagnose.store:prepare_run": "diagnose.service:prepare_run",
    "diagnose.store:submit_prepared": "diagnose.service:submit_prepared",
    "diagnose.store:submit_files": "diagnose.service:submit_files",
    "diagnose.store:PreparedRun": "diagnose.service:PreparedRun",
    "diagnose.store:learning_curve_from_store": "diagnose.service:learning_curve_from_store",
    "diagnose.store:validation_curve_from_store": "diagnose.service:validation_curve_from_store",
    "diagnose.store:tally_from_store": "diagnose.service:tally_from_store",
    "diagnose.store:curve_runs": "diagnose.service:curve_runs",
    "diagnose.store:run_overview": "diagnose.service:run_overview",
    "diagnose.store.repository:_claim_write_lock": "diagnose.store._dialects:claim_write_lock",
    "diagnose.store.repository:_project_id": "diagnose.store:find_project",
    "diagnose.store.repository:_run_row": "diagnose.store._runs:run_row",
    "diagnose.curves:_long_frame": "diagnose.curves:long_frame",
    "diagnose.curves:_check_metric": "diagnose.curves:check_metric",
}


def moved(module: str, name: str) -> Any:
    """The object an old ``module.name`` now refers to (``AttributeError`` if none).

    >>> moved("diagnose.errors", "nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'diagnose.errors' has no attribute 'nothing'
    """
    target = MOVED.get(f"{module}:{name}")
    if target is not None:
        where, _, attr = target.partition(":")
        _warn(f"{module}.{name}", f"{where}.{attr}")
        return getattr(importlib.import_module(where), attr)
    for where in MODULES.get(module, ()):
        new = importlib.import_module(where)
        if name in dir(new) or hasattr(new, name):
            _warn(f"{module}.{name}", f"{where}.{name}")
            return getattr(new, name)
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} is now {new}; the old name will go in a later release",
                  DeprecationWarning, stacklevel=4)


class _OldModule(types.ModuleType):
    """An old module: every name resolves through :func:`moved`."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return moved(self.__name__, name)

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for where in MODULES[self.__name__]:
            names.update(n for n in dir(importlib.import_module(where)) if not n.startswith("_"))
        prefix = self.__name__ + ":"
        names.update(key[len(prefix):] for key in MOVED if key.startswith(prefix))
        return sorted(names)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old module names of :data:`MODULES` (and nothing else)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MODULES:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return _OldModule(spec.name)

    def exec_module(self, module) -> None:
        module.__doc__ = (f"The old name of {', '.join(MODULES[module.__name__])}; "
                          "kept importable for now (see docs/architecture.md).")


def install() -> None:
    """Make the old module names importable (``diagnose/__init__`` calls this once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
