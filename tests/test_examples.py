"""Every public function has a runnable example in its docstring (``>>>``), which the test
run executes (``--doctest-modules`` in pyproject.toml).

Public means: named in the ``__all__`` of diagnose, of one of its packages, or of the
dashboard's Streamlit-free helpers.
"""
from __future__ import annotations

import inspect
from importlib import import_module

import diagnose

MODULES = ["diagnose", *(f"diagnose.{name}" for name in diagnose._SUBMODULES), "dashboard.uploads",
           "dashboard.tagging"]


def public_functions() -> dict[str, object]:
    found = {}
    for name in MODULES:
        module = import_module(name)
        for attr in getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")]):
            obj = getattr(module, attr)
            if inspect.isfunction(obj) and obj.__module__.split(".")[0] in ("diagnose", "dashboard"):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


def test_there_are_public_functions_to_check():
    assert len(public_functions()) > 80


def test_every_public_function_has_a_runnable_example():
    missing = sorted(name for name, fn in public_functions().items() if ">>>" not in (inspect.getdoc(fn) or ""))
    assert missing == []
