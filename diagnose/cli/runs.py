"""``diagnose submit / runs / show / db upgrade``: store runs and read them back."""
from __future__ import annotations

import click

from ..options import ReportOptions
from ..settings import shown_url
from ._options import baseline_options, emit, format_option, note, options, parse_pairs
from .report import prepare, run_files


@click.command()
@click.option("--project", required=True, help="Project the run belongs to (created on first use).")
@click.option("--run", "run_name", required=True, help="Name of the run, unique within the project.")
@run_files
@baseline_options
@options(ReportOptions)
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE",
              help="A hyper-parameter of this run, e.g. C=0.3 (repeatable; numbers stored as numbers).")
@click.option("--train-size", type=float, help="The training-set size m of this run (learning curves).")
@format_option
def submit(project, run_name, param, train_size, fmt, **values):
    """Validate a run's predictions, diagnose it and store files and report in one transaction."""
    from ..service import session, submit_prepared

    params = {k: _number_or_text(v) for k, v in parse_pairs(param, what="--param").items()}
    prepared = prepare(values)
    with session() as s, s.begin():
        submit_prepared(s, prepared, project=project, run=run_name, params=params, train_size=train_size)
    note(f"stored run '{run_name}' in project '{project}' ({shown_url()})")
    emit(prepared.report, fmt)


@click.command()
@click.option("--project", required=True, help="The project whose runs to list.")
@format_option
def runs(project, fmt):
    """List the stored runs of a project, oldest first."""
    from ..service import session
    from ..store import RunList, list_runs

    with session() as s:
        result = RunList(project=project, runs=tuple(list_runs(s, project)))
    emit(result, fmt)


@click.command()
@click.argument("project")
@click.argument("run_name", metavar="RUN")
@format_option
def show(project, run_name, fmt):
    """Print the stored report of run RUN of PROJECT (as computed when it was submitted)."""
    from ..service import session
    from ..store import get_run

    with session() as s:
        result = get_run(s, project, run_name)
    emit(result, fmt)


@click.group()
def db() -> None:
    """Manage the run store (DIAGNOSE_DATABASE_URL)."""


@db.command()
def upgrade():
    """Bring the database schema up to date (also done automatically on first use)."""
    from ..store import database_errors, make_engine
    from ..store import upgrade as do_upgrade

    with database_errors():
        engine = make_engine(migrate=False)
        try:
            before, after = do_upgrade(engine)
        finally:
            engine.dispose()
    where = shown_url()
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
