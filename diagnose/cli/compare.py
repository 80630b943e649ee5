"""``diagnose compare``: is model b better than model a on the same rows?"""
from __future__ import annotations

import click

from ..options import DEFAULT_SEED, ReadOptions
from ._options import collect, emit_with_warnings, format_option, options

FILE = click.Path(dir_okay=False)


@click.command()
@click.option("--a-cv", type=FILE, help="Model a's cv predictions (CSV or Parquet).")
@click.option("--b-cv", type=FILE, help="Model b's cv predictions, on the same rows (joined by id).")
@click.option("--a-test", type=FILE, help="Model a's test predictions.")
@click.option("--b-test", type=FILE, help="Model b's test predictions.")
@click.option("--project", help="Compare two stored runs of this project instead of files.")
@click.option("--run", "run_name", help="With --project: the stored run that is model a.")
@click.option("--against", help="With --project: the stored run that is model b.")
@click.option("--metric", help="The loss compared (default: the report's metric: error rate, or half MSE "
              "for regression; any metric of the report).")
@click.option("--margin", type=click.FloatRange(min=0, min_open=True),
              help="Call the models equivalent when the difference is shown to lie within ±MARGIN (TOST).")
@click.option("--reps", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Paired bootstrap resamples for F1, log loss and Brier.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the bootstrap.")
@options(ReadOptions)
@format_option
def compare(a_cv, b_cv, a_test, b_test, project, run_name, against, metric, margin, reps, seed, fmt, **values):
    """Compare two models' predictions on the same cv (and test) rows, joined by id.

    Per split: the difference in error with a paired 95% interval, an exact McNemar test,
    a paired bootstrap of F1, log loss and Brier, and DeLong's test of ROC AUC. The verdict
    (from cv): b_better, a_better, no_difference_shown, or equivalent (with --margin).
    """
    from ..service import compare as from_files
    from ..service import compare_stored, session

    files = any((a_cv, b_cv, a_test, b_test))
    if project or run_name or against:
        if files:
            raise click.UsageError("give files (--a-cv/--b-cv ...) or --project/--run/--against, not both")
        if not (project and run_name and against):
            raise click.UsageError("stored runs need --project P --run A --against B")
        with session(create=False) as s:  # reading: a mistyped store is an error, never created
            result = compare_stored(s, project, run_name, against, metric=metric, margin=margin, reps=reps,
                                    seed=seed)
    else:
        if not (a_cv and b_cv):
            raise click.UsageError("give --a-cv and --b-cv (and --a-test, --b-test), or --project P --run A "
                                   "--against B")
        result = from_files(a_cv, b_cv, a_test=a_test, b_test=b_test, metric=metric, margin=margin, reps=reps,
                            seed=seed, options=collect(ReadOptions, values))
    emit_with_warnings(result, fmt)
