"""``diagnose curve learning`` and ``diagnose curve validation``."""
from __future__ import annotations

import click

from . import main
from .common import emit, format_option, input_options, note, parse_pairs

FILES = click.argument("files", nargs=-1, required=False, type=click.Path(dir_okay=False))
# stored runs instead of files (diagnose submit --train-size / --param)
PROJECT = click.option("--project", help="Build the curve from this project's stored runs instead of FILES.")
RUNS = click.option("--runs", "run_names", multiple=True, metavar="RUN",
                    help="With --project: only these stored runs (repeatable; default: all).")
METRIC = click.option("--metric", help="error_rate (default), log_loss, brier; regression: half_mse "
                      "(default), mse, rmse, mae.")
PLOT = click.option("--plot", type=click.Path(dir_okay=False), metavar="OUT.html",
                    help="Also write the chart (Altair, HTML) to this file.")


@main.group()
def curve():
    """Learning curves (error against training-set size) and validation curves."""


@curve.command()
@FILES
@click.option("--baseline", multiple=True, metavar="NAME=VALUE",
              help="A baseline error in the curve's metric, e.g. human=0.05 (repeatable).")
@click.option("--target", type=float, help="The J_cv to reach; default: reference + tolerance.")
@METRIC
@click.option("--tolerance", type=float, default=0.10, show_default=True,
              help="A gap is material above this share of max(reference, J_train).")
@click.option("--tolerance-abs", type=float, default=0.0, show_default=True,
              help="...or above this absolute amount, whichever is larger.")
@PLOT
@PROJECT
@RUNS
@input_options
@format_option
def learning(files, baseline, target, metric, tolerance, tolerance_abs, plot, project, run_names, task,
             column_map, positive_label, encoding, fmt):
    """Learning curve from FILES: prediction tables with 'split' (train, cv) and 'train_size'
    columns, or one summary table (train_size, train_error, cv_error[, n_train, n_cv])."""
    from ..service import learning_curve
    from ..exceptions import UsageError
    from ..options import Tolerance

    if _stored(files, project):
        from ..store.cli_support import stored_learning_curve

        result = stored_learning_curve(
            project, run_names, baselines=parse_pairs(baseline, what="--baseline", number=True) or None,
            metric=metric, tolerance=Tolerance(relative=tolerance, absolute=tolerance_abs), target=target)
    else:
        result = learning_curve(
            *files, baselines=parse_pairs(baseline, what="--baseline", number=True), metric=metric,
            task=task, columns=parse_pairs(column_map, what="--column"), positive_label=positive_label,
            tolerance=Tolerance(relative=tolerance, absolute=tolerance_abs), target=target, encoding=encoding)
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
@METRIC
@PLOT
@PROJECT
@RUNS
@input_options
@format_option
def validation(files, param, tie, metric, plot, project, run_names, task, column_map, positive_label,
               encoding, fmt):
    """Validation curve from FILES: prediction tables with 'split' (train, cv, optional test)
    and 'param_NAME' columns. Chooses the value with the lowest J_cv; J_test is reported
    for that value only."""
    from ..service import validation_curve

    if _stored(files, project):
        from ..store.cli_support import stored_validation_curve

        result = stored_validation_curve(project, run_names, param=param, metric=metric, tie=tie)
    else:
        result = validation_curve(
            *files, param=param, metric=metric, task=task, columns=parse_pairs(column_map, what="--column"),
            positive_label=positive_label, tie=tie, encoding=encoding)
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
        from ..present import curve_chart

        try:
            curve_chart(result).save(plot, format="html")
        except OSError as exc:
            raise click.FileError(plot, hint=str(exc)) from None
        note(f"wrote {plot}")
