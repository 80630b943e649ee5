"""The exceptions `diagnose` raises: one base class, input errors and usage errors.

Every error carries its details as attributes; only the CLI and the dashboard turn
them into text for people (``str(err)`` gives the one-line message).
"""
from __future__ import annotations

from collections.abc import Sequence


class DiagnoseError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(DiagnoseError, ValueError):
    """Input data that cannot be used: names the file, the column, the rows and the fix.

    >>> err = InputError("column 'y_score' must lie in [0, 1]", file="cv.csv",
    ...                  column="y_score", rows=[17, 240], values=[1.3, -0.2])
    >>> print(err)
    cv.csv: column 'y_score' must lie in [0, 1]; rows 17, 240 hold 1.3, -0.2
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] = (),
        values: Sequence[object] = (),
        n_bad: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.column = column
        self.rows = [int(r) for r in rows]
        self.values = list(values)
        self.n_bad = len(self.rows) if n_bad is None else int(n_bad)
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.file}: {self.problem}" if self.file else self.problem
        if self.rows:
            rows = ", ".join(str(r) for r in self.rows)
            noun = "row" if len(self.rows) == 1 else "rows"
            text += f"; {noun} {rows}"
            if self.values and all(v is None for v in self.values):
                text += " is empty" if len(self.rows) == 1 else " are empty"
            elif self.values:
                verb = "holds" if len(self.rows) == 1 else "hold"
                text += f" {verb} " + ", ".join(_show(v) for v in self.values)
            if self.n_bad > len(self.rows):
                text += f" ({self.n_bad} rows in all)"
        if self.fix:
            text += f". {self.fix}"
        return text

    def __str__(self) -> str:
        return self.message


class UsageError(DiagnoseError, ValueError):
    """A call or command that cannot be carried out as asked (a bad option, an unknown rule path)."""


def _show(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value) if value else "an empty string"
    return str(value)
