"""Plain-text and Markdown tables, headings and lists, how numbers are shown in them, and
one registration of a renderer for both text and Markdown."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..values import renders
from ._escape import markdown_text, visible


class Markdown(str):
    """A table cell or line that is Markdown already (built by the renderer, user text inside it
    escaped): :func:`table` puts it in as it is."""


def text_and_markdown(kind: type) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register ``fn(value, *, markdown)`` as ``kind``'s text and its Markdown renderer.

    >>> class Note:
    ...     pass
    >>> _ = text_and_markdown(Note)(lambda note, *, markdown: "**n**" if markdown else "n")
    >>> from diagnose.values import render
    >>> render(Note(), "text"), render(Note(), "markdown")
    ('n', '**n**')
    """
    def register(fn: Callable[..., str]) -> Callable[..., str]:
        renders(kind, "text")(lambda value: fn(value, markdown=False))
        renders(kind, "markdown")(lambda value: fn(value, markdown=True))
        return fn
    return register


def heading(text: str, markdown: bool, level: int = 3) -> str:
    """A section heading: ``### text`` in Markdown, ``text:`` in plain text.

    >>> heading("What to try", False), heading("What to try", True)
    ('What to try:', '### What to try')
    """
    return f"{'#' * level} {text}" if markdown else f"{text}:"


def bullets(items: Sequence[str], markdown: bool, mark: str = "-") -> list[str]:
    r"""A list: ``- item`` in Markdown, indented ``  mark item`` in plain text. The items are
    text (they may quote names from users): Markdown gets them escaped, plain text with
    control characters shown.

    >>> bullets(["a", "b"], False, mark="!")
    ['  ! a', '  ! b']
    >>> print(bullets(["*a* [x](y)"], True)[0])
    - \*a\* [x\](y)
    """
    if markdown:
        return [f"- {x if isinstance(x, Markdown) else markdown_text(x)}" for x in items]
    return [f"  {mark} {visible(x)}" for x in items]


def cell_text(value: str, markdown: bool) -> str:
    r"""Text from a result (a name, a label, a message) as it goes into a table cell or inside a
    line: in Markdown escaped unless it is :class:`Markdown` already; in plain text with
    control characters shown.

    >>> print(cell_text("a|b\x1b", True), cell_text("a|b\x1b", False), cell_text(Markdown("**a**"), True))
    a\|b\\x1b a|b\x1b **a**
    """
    if isinstance(value, Markdown):
        return str(value)
    return markdown_text(value, inline=True) if markdown else visible(value)


def warnings_section(warnings: Sequence[str], markdown: bool) -> list[str]:
    """The warnings at the end of an output (nothing when there are none).

    >>> warnings_section(["check test"], False)
    ['', 'Warnings:', '  ! check test']
    """
    return ["", heading("Warnings", markdown), *bullets(warnings, markdown, mark="!")] if warnings else []


def fmt(value: Any, digits: int = 4) -> str:
    """A value as a table cell: floats to ``digits`` significant digits, booleans as yes/no, None as ``-``.

    >>> fmt(0.123456), fmt(True), fmt(None), fmt(12)
    ('0.1235', 'yes', '-', '12')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, markdown: bool = False) -> str:
    """An aligned plain-text table (numbers right-aligned), or a Markdown one.

    >>> print(table(["split", "n", "error"], [["train", 400, 0.05], ["cv", 100, 0.125]]))
    split  n    error
    -----  ---  -----
    train  400   0.05
    cv     100  0.125
    """
    # text cells (names, labels) escaped for the output; numbers are formatted, never escaped
    cells = [[cell_text(c, markdown) if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    headers = [cell_text(h, markdown) for h in headers]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for raw, row in zip(rows, cells):
        out.append("  ".join(
            c.rjust(w) if isinstance(v, (int, float)) and not isinstance(v, bool) else c.ljust(w)
            for v, c, w in zip(raw, row, widths)).rstrip())
    return "\n".join(out)
