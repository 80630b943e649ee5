"""``diagnose report``: the bias/variance diagnosis of one run."""
from __future__ import annotations

import click

from ..options import ReportOptions
from ._options import baseline_options, collect, emit, format_option, options, parse_pairs, setting_option

SPLIT_FILE = click.Path()  # a file, a folder of parts or a glob


def run_files(f):
    """The prediction files of one run: --train, --cv, --test, or --data with a split column."""
    for option in reversed([
        click.option("--train", type=SPLIT_FILE, help="Train-split predictions (CSV or Parquet)."),
        click.option("--cv", type=SPLIT_FILE, help="Cross-validation-split predictions."),
        click.option("--test", type=SPLIT_FILE, help="Test-split predictions (optional)."),
        click.option("--data", type=SPLIT_FILE, help="One file with a 'split' column holding train, cv and test."),
    ]):
        f = option(f)
    return f


def prepare(values: dict, *, encode: bool = True):
    """Validate a run's files and compute its report from a command's parsed ``values``
    (the file options, the baselines and every report option); nothing is stored here."""
    from ..service import prepare_run

    if not any(values.get(k) for k in ("train", "cv", "data")):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    opts = collect(ReportOptions, values)
    return prepare_run(
        train=values.pop("train"), cv=values.pop("cv"), test=values.pop("test"), data=values.pop("data"),
        # the library checks the values, so that both say the same
        baselines=parse_pairs(values.pop("baseline"), what="--baseline"),
        baseline_files=parse_pairs(values.pop("baseline_file"), what="--baseline-file"),
        options=opts, encode=encode)


@click.command()
@run_files
@baseline_options
@options(ReportOptions)
@setting_option("engine")
@setting_option("scheduler")
@format_option
def report(fmt, engine, scheduler, **values):
    """Diagnose bias vs variance from train, cv and (optional) test predictions.

    --engine arrow streams files, folders or globs of CSV/Parquet parts in constant memory;
    --engine dask runs on a Dask cluster (docs/scale.md)."""
    from ..service import pick_engine

    files = {k: values.get(k) for k in ("train", "cv", "test", "data") if values.get(k)}
    chosen = pick_engine(engine, files, values.get("encoding"))
    if chosen == "memory":
        emit(prepare(values, encode=False).report, fmt)
        return
    from ..service import report as run_report

    if not any(values.get(k) for k in ("train", "cv", "data")):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    opts = collect(ReportOptions, values)
    emit(run_report(values.pop("train"), values.pop("cv"), values.pop("test"), data=values.pop("data"),
                    baselines=parse_pairs(values.pop("baseline"), what="--baseline", number=True),
                    baseline_files=parse_pairs(values.pop("baseline_file"), what="--baseline-file"),
                    options=opts, engine=chosen, scheduler=scheduler), fmt)
