"""``diagnose curve learning`` and ``diagnose curve validation``."""
from __future__ import annotations

import click

from ..options import ReportOptions
from ._options import PLOT, collect, emit, format_option, options, parse_pairs, write_plot

FILES = click.argument("files", nargs=-1, required=False, type=click.Path(dir_okay=False))
# stored runs instead of files (diagnose submit --train-size / --param)
PROJECT = click.option("--project", help="Build the curve from this project's stored runs instead of FILES.")
RUNS = click.option("--runs", "run_names", multiple=True, metavar="RUN",
                    help="With --project: only these stored runs (repeatable; default: all).")
READING = ("task", "columns", "positive_label", "encoding")


@click.group()
def curve():
    """Learning curves (error against training-set size) and validation curves."""


@curve.command()
@FILES
@click.option("--baseline", multiple=True, metavar="NAME=VALUE",
              help="A baseline error in the curve's metric, e.g. human=0.05 (repeatable).")
@click.option("--target", type=float, help="The J_cv to reach; default: reference + tolerance.")
@options(ReportOptions, only=("metric", "tolerance", "tolerance_abs", *READING))
@PLOT
@PROJECT
@RUNS
@format_option
def learning(files, baseline, target, plot, project, run_names, fmt, **values):
    """Learning curve from FILES: prediction tables with 'split' (train, cv) and 'train_size'
    columns, or one summary table (train_size, train_error, cv_error[, n_train, n_cv])."""
    from ..exceptions import UsageError
    from ..service import learning_curve

    opts = collect(ReportOptions, values)
    baselines = parse_pairs(baseline, what="--baseline", number=True)
    if _stored(files, project):  # the store (SQLAlchemy) loads only for stored runs
        from ..service import learning_curve_from_store, session

        with session(create=False) as s:  # reading: a mistyped store is an error, never created
            result = learning_curve_from_store(s, project, runs=list(run_names) or None,
                                               baselines=baselines or None, options=opts, target=target)
    else:
        result = learning_curve(*files, baselines=baselines, options=opts, target=target)
    if target is not None and result.extrapolation is None:
        raise UsageError(f"--target needs an extrapolation, which needs runs at 3 or more training-set "
                         f"sizes; these files hold {len(result.points)}")
    _finish(result, fmt, plot)


@curve.command()
@FILES
@click.option("--param", required=True, metavar="NAME",
              help="The swept hyper-parameter: column param_NAME (e.g. lambda, degree).")
@click.option("--tie", type=click.Choice(["smallest", "largest"]), default="smallest", show_default=True,
              help="Which value wins when several share the lowest J_cv.")
@options(ReportOptions, only=("metric", *READING))
@PLOT
@PROJECT
@RUNS
@format_option
def validation(files, param, tie, plot, project, run_names, fmt, **values):
    """Validation curve from FILES: prediction tables with 'split' (train, cv, optional test)
    and 'param_NAME' columns. Chooses the value with the lowest J_cv; J_test is reported
    for that value only."""
    from ..service import validation_curve

    opts = collect(ReportOptions, values)
    if _stored(files, project):  # the store (SQLAlchemy) loads only for stored runs
        from ..service import session, validation_curve_from_store

        with session(create=False) as s:
            result = validation_curve_from_store(s, project, param=param, runs=list(run_names) or None,
                                                 options=opts, tie=tie)
    else:
        result = validation_curve(*files, param=param, options=opts, tie=tie)
    _finish(result, fmt, plot)


def _stored(files, project) -> bool:
    """True for --project (stored runs), False for FILES; both or neither is bad usage."""
    if files and project:
        raise click.UsageError("give FILES or --project, not both")
    if not files and not project:
        raise click.UsageError("give prediction FILES, or --project P to use its stored runs")
    return bool(project)


def _finish(result, fmt: str, plot: str | None) -> None:
    emit(result, fmt)
    if plot:
        write_plot(result, plot)
