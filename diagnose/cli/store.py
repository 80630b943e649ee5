"""``diagnose submit / runs / show / db upgrade``: store runs and read them back."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

import click

from . import main
from .common import (
    baseline_options,
    emit,
    format_option,
    input_options,
    note,
    parse_pairs,
)


def run_file_options(f: Callable) -> Callable:
    """The prediction files of one run and how to diagnose them (as ``diagnose report``)."""
    options = [
        click.option("--train", type=click.Path(dir_okay=False), help="Train-split predictions (CSV or Parquet)."),
        click.option("--cv", type=click.Path(dir_okay=False), help="Cross-validation-split predictions."),
        click.option("--test", type=click.Path(dir_okay=False), help="Test-split predictions (optional)."),
        click.option("--data", type=click.Path(dir_okay=False),
                     help="One file with a 'split' column holding train, cv and test."),
        click.option("--metric", help="error_rate (default), log_loss, brier; regression: half_mse "
                     "(default), mse, rmse, mae."),
        click.option("--tolerance", type=float, default=0.10, show_default=True,
                     help="A gap is material above this share of max(reference, J_train)."),
        click.option("--tolerance-abs", type=float, default=0.0, show_default=True,
                     help="...or above this absolute amount, whichever is larger."),
        click.option("--threshold-rule", default="f1", show_default=True, metavar="RULE",
                     help="How the threshold is chosen on cv: f1, fbeta:B, precision>=P or recall>=R."),
        click.option("--skew-threshold", type=float, default=0.10, show_default=True,
                     help="Classes count as skewed when the minority share of train is below this."),
    ]
    f = input_options(baseline_options(f))
    for option in reversed(options):
        f = option(f)
    return f


def prepare_from_options(train, cv, test, data, baseline, baseline_file, metric, tolerance,
                         tolerance_abs, threshold_rule, skew_threshold, task, column_map,
                         positive_label, encoding, *, encode=True):
    """Validate the files and compute the report; nothing touches the database here."""
    from ..options import Tolerance
    from ..store.submit import prepare_run

    if not any([train, cv, data]):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    return prepare_run(
        train=train, cv=cv, test=test, data=data,
        baselines=parse_pairs(baseline, what="--baseline", number=True),
        baseline_files=parse_pairs(baseline_file, what="--baseline-file"),
        task=task, metric=metric, columns=parse_pairs(column_map, what="--column"),
        positive_label=positive_label, tolerance=Tolerance(relative=tolerance, absolute=tolerance_abs),
        encoding=encoding, threshold_rule=threshold_rule, skew_threshold=skew_threshold, encode=encode)


@contextmanager
def _engine(*, migrate: bool = True) -> Iterator:
    """The configured engine, disposed afterwards (no pooled connection outlives the command)."""
    from ..store import make_engine

    engine = make_engine(migrate=migrate)
    try:
        yield engine
    finally:
        engine.dispose()


@main.command()
@click.option("--project", required=True, help="Project the run belongs to (created on first use).")
@click.option("--run", "run_name", required=True, help="Name of the run, unique within the project.")
@run_file_options
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE",
              help="A hyper-parameter of this run, e.g. C=0.3 (repeatable; numbers stored as numbers).")
@click.option("--train-size", type=float, help="The training-set size m of this run (learning curves).")
@format_option
def submit(project, run_name, train, cv, test, data, baseline, baseline_file, metric, tolerance,
           tolerance_abs, threshold_rule, skew_threshold, task, column_map, positive_label, encoding,
           param, train_size, fmt):
    """Validate a run's predictions, diagnose it and store files and report in one transaction."""
    from sqlalchemy.orm import Session

    from ..store.engine import database_errors
    from ..store.submit import submit_prepared

    params = {k: _number_or_text(v) for k, v in parse_pairs(param, what="--param").items()}
    prepared = prepare_from_options(train, cv, test, data, baseline, baseline_file, metric, tolerance,
                                    tolerance_abs, threshold_rule, skew_threshold, task, column_map,
                                    positive_label, encoding)
    with database_errors(), _engine() as engine:
        with Session(engine) as session, session.begin():
            submit_prepared(session, prepared, project=project, run=run_name, params=params,
                            train_size=train_size)
    note(f"stored run '{run_name}' in project '{project}' ({engine.url.render_as_string(hide_password=True)})")
    emit(prepared.report, fmt)


@main.command()
@click.option("--project", required=True, help="The project whose runs to list.")
@format_option
def runs(project, fmt):
    """List the stored runs of a project, oldest first."""
    from sqlalchemy.orm import Session

    from ..store import RunList, list_runs
    from ..store.engine import database_errors

    with database_errors(), _engine() as engine, Session(engine) as session:
        result = RunList(project=project, runs=tuple(list_runs(session, project)))
    emit(result, fmt)


@main.command()
@click.argument("project")
@click.argument("run_name", metavar="RUN")
@format_option
def show(project, run_name, fmt):
    """Print the stored report of run RUN of PROJECT (as computed when it was submitted)."""
    from sqlalchemy.orm import Session

    from ..store import get_run
    from ..store.engine import database_errors

    with database_errors(), _engine() as engine, Session(engine) as session:
        result = get_run(session, project, run_name)
    emit(result, fmt)


@main.group()
def db() -> None:
    """Manage the run store (DIAGNOSE_DATABASE_URL)."""


@db.command()
def upgrade():
    """Bring the database schema up to date (also done automatically on first use)."""
    from ..store import upgrade as do_upgrade
    from ..store.engine import database_errors

    with database_errors(), _engine(migrate=False) as engine:
        before, after = do_upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        note(f"{where}: already at revision {after}")
    else:
        note(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


def _number_or_text(value: str):
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
