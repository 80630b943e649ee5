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
from . import (
    calibrate,
    compare,
    curve,
    dashboard,
    demo,
    error_analysis,
    gate,
    keys,
    projects,
    report,
    runs,
    serve,
    threshold,
)


class BadInput(click.ClickException):
    """A DiagnoseError shown to the user: one message on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        from ..present import terminal_text  # a name quoted in the message may hold escape codes

        click.echo(f"error: {terminal_text(self.format_message())}", err=True)


class MainGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DiagnoseError as exc:
            raise BadInput(str(exc)) from None
        except UnicodeEncodeError:  # a name given in bytes that are not UTF-8 (the shell passes any)
            raise BadInput(_not_utf8(ctx)) from None
        except MemoryError:
            raise BadInput("out of memory while reading or computing: stream the files instead of loading them "
                           "(diagnose report --engine arrow, or --engine dask past one machine; see docs/scale.md), "
                           "or split the file into smaller files, or run on a machine with more memory") from None
        except OSError as exc:
            raise BadInput(f"{type(exc).__name__}: {exc}") from None

    def parse_args(self, ctx, args):
        ctx.meta["diagnose.args"] = list(args)
        return super().parse_args(ctx, args)


def _not_utf8(ctx: click.Context) -> str:
    """Which command-line argument holds bytes that are not UTF-8, shown with escapes."""
    bad = []
    for arg in ctx.meta.get("diagnose.args", []):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            bad.append(repr(arg.encode("utf-8", "surrogateescape"))[2:-1])
    shown = ", ".join(f"'{b}'" for b in bad[:3]) or "an argument"
    return (f"the command line holds {shown}, which is not UTF-8 text: names and values are stored as "
            "UTF-8; give them as UTF-8 text (e.g. set a UTF-8 locale or rename)")


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="diagnose")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar on stderr for long reads and passes (it is drawn only on a terminal; "
                   "DIAGNOSE_PROGRESS=0 does the same). Before the command: diagnose -q report.")
@click.pass_context
def main(ctx: click.Context, quiet: bool) -> None:
    """Diagnose a model from its predictions: bias or variance, curves, errors, thresholds."""
    from .._threads import blas_threads_for_process, one_blas_thread

    blas_threads_for_process()  # sums over rows: a second BLAS thread only waits for a core
    ctx.with_resource(one_blas_thread())  # and a BLAS loaded already (the command line in process)
    if quiet:
        from ..ingest import quiet_progress

        ctx.with_resource(quiet_progress())


# every command, in the order `diagnose --help` lists them (click sorts them by name)
COMMANDS: tuple[click.Command, ...] = (
    demo.demo, report.report, threshold.threshold, curve.curve, error_analysis.errors, compare.compare,
    calibrate.calibrate, gate.gate,
    runs.submit, runs.runs, runs.show, projects.projects, runs.db, dashboard.dashboard, serve.serve, keys.keys,
)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
