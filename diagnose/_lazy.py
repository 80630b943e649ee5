"""Names a package lends that load from its modules on first use (PEP 562), so that
``import diagnose`` and the command line start without the heavy modules behind them.

>>> import sys, types
>>> demo = types.ModuleType("demo_pkg"); sys.modules["demo_pkg"] = demo
>>> demo.__getattr__, demo.__dir__ = lazy_names("demo_pkg", {"sqrt": "math"})
>>> demo.sqrt(9.0), "sqrt" in dir(demo)
(3.0, True)
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, names: Mapping[str, str], fallback: Callable[[str], Any] | None = None,
               listed: Iterable[str] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps each name to the
    module it comes from (relative to the package, e.g. ``"._engine"``); once loaded, a name
    stays in the package's namespace. Any other name goes to ``fallback`` (or is an
    ``AttributeError``); ``listed`` are more names for ``dir()``."""
    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            if fallback is not None:
                return fallback(name)
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names, *listed})

    return getattr_, dir_
