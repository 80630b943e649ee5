"""What every result value shares: JSON-safe numbers, and rendering by format.

Result values (a report, a curve, a tally, a gate result) are frozen dataclasses with a
``to_dict()``, their JSON. Turning them into text, Markdown, JUnit XML or a chart is the job
of :mod:`diagnose.present`, which registers one renderer per (type, format) here. The
values' own ``to_text()`` and ``to_markdown()`` look the renderer up in that registry, so
a compute package never imports the presentation layer: ``diagnose/__init__`` tells this
module how to load it (:func:`set_loader`) the first time a renderer is asked for.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Answer(Rendered):
...     value: float
>>> @renders(Answer, "text")
... def _answer_text(a):
...     return f"the answer is {a.value:g}\\n"
>>> Answer(42.0).to_text()
'the answer is 42\\n'
>>> json_number(float("nan")) is None, json_number(0.25)
(True, 0.25)
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .exceptions import UsageError

Renderer = Callable[[Any], Any]
_RENDERERS: dict[tuple[type, str], Renderer] = {}
_loader: Callable[[], object] | None = None
_loaded = False


def json_number(value: Any) -> float | None:
    """A float for JSON: NaN and infinities become ``None`` (JSON has no such numbers).

    >>> json_number(None), json_number(3), json_number(float("inf"))
    (None, 3.0, None)
    """
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def json_value(value: Any) -> Any:
    """A value for JSON as it is, but a float made JSON-safe (:func:`json_number`).

    >>> json_value(float("nan")), json_value("good_fit"), json_value(True), json_value(0.5)
    (None, 'good_fit', True, 0.5)
    """
    return json_number(value) if isinstance(value, float) else value


def renders(kind: type, fmt: str) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the ``fmt`` renderer of ``kind`` (and its subclasses).

    >>> class Note(Rendered):
    ...     pass
    >>> _ = renders(Note, "markdown")(lambda note: "*a note*\\n")
    >>> Note().to_markdown()
    '*a note*\\n'
    """
    def register(fn: Renderer) -> Renderer:
        _RENDERERS[kind, fmt] = fn
        return fn
    return register


def set_loader(load: Callable[[], object]) -> None:
    """How to load the renderers (the presentation package) on first use."""
    global _loader, _loaded
    _loader, _loaded = load, False


def renderer(kind: type, fmt: str) -> Renderer | None:
    """The ``fmt`` renderer of ``kind`` or of its nearest base class; ``None`` if there is none.

    >>> renderer(int, "text") is None
    True
    """
    global _loaded
    if not _loaded and _loader is not None:
        _loaded = True
        _loader()
    for base in kind.__mro__:
        fn = _RENDERERS.get((base, fmt))
        if fn is not None:
            return fn
    return None


def formats(kind: type) -> tuple[str, ...]:
    """The formats ``kind`` can be rendered in (besides JSON, which every value has).

    >>> formats(int)
    ()
    """
    renderer(kind, "")  # loads the renderers
    found: list[str] = []
    for base in kind.__mro__:
        found += [fmt for (k, fmt) in _RENDERERS if k is base and fmt not in found]
    return tuple(found)


def render(value: Any, fmt: str) -> Any:
    """``value`` in format ``fmt`` (text, markdown, junit, chart, ...).

    >>> render(3, "text")
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: int has no text rendering; it has none
    """
    fn = renderer(type(value), fmt)
    if fn is None:
        have = ", ".join(formats(type(value))) or "none"
        raise UsageError(f"{type(value).__name__} has no {fmt} rendering; it has {have}")
    return fn(value)


class Rendered:
    """Mixin of result values: ``to_text()`` and ``to_markdown()`` through the registry."""

    __slots__ = ()

    def to_text(self) -> str:
        return render(self, "text")

    def to_markdown(self) -> str:
        return render(self, "markdown")
