"""Plain-text and Markdown tables, and how numbers are shown in them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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
    cells = [[fmt(c) for c in row] for row in rows]
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
