"""The ``diagnose`` command line: parse, call the library, present, translate errors.

Exit codes: 0 success (or gate passed), 1 a gate failed, 2 bad usage or bad input.
Commands are registered in :data:`COMMANDS`, one module each. Heavy modules (pandas,
scikit-learn, SQLAlchemy) are imported inside the commands that need them, so
``diagnose --help`` stays fast.

>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> result.exit_code, "report" in result.output
(0, True)
"""
from __future__ import annotations

import sys

import click

from ..exceptions import DiagnoseError
from . import calibrate, compare, curve, dashboard, demo, error_analysis, gate, report, runs, threshold


class BadInput(click.ClickException):
    """A DiagnoseError shown to the user: one message on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class MainGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DiagnoseError as exc:
            raise BadInput(str(exc)) from None
        except (OSError, MemoryError) as exc:
            raise BadInput(f"{type(exc).__name__}: {exc}") from None


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="diagnose")
def main() -> None:
    """Diagnose a model from its predictions: bias or variance, curves, errors, thresholds."""


# every command, in the order `diagnose --help` lists them (click sorts them by name)
COMMANDS: tuple[click.Command, ...] = (
    demo.demo, report.report, threshold.threshold, curve.curve, error_analysis.errors, compare.compare,
    calibrate.calibrate, gate.gate,
    runs.submit, runs.runs, runs.show, runs.db, dashboard.dashboard,
)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
