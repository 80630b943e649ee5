"""``diagnose submit / runs / show / db upgrade``: store runs and read them back."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..options import ReportOptions
from ._options import baseline_options, emit, format_option, note, options, parse_pairs
from .report import prepare, run_files


@contextmanager
def open_engine(*, migrate: bool = True) -> Iterator:
    """The configured engine, disposed afterwards (no pooled connection outlives the command)."""
    from ..store import make_engine

    engine = make_engine(migrate=migrate)
    try:
        yield engine
    finally:
        engine.dispose()


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
    from sqlalchemy.orm import Session

    from ..service import submit_prepared
    from ..store import database_errors

    params = {k: _number_or_text(v) for k, v in parse_pairs(param, what="--param").items()}
    prepared = prepare(values)
    with database_errors(), open_engine() as engine:
        with Session(engine) as session, session.begin():
            submit_prepared(session, prepared, project=project, run=run_name, params=params,
                            train_size=train_size)
    note(f"stored run '{run_name}' in project '{project}' ({engine.url.render_as_string(hide_password=True)})")
    emit(prepared.report, fmt)


@click.command()
@click.option("--project", required=True, help="The project whose runs to list.")
@format_option
def runs(project, fmt):
    """List the stored runs of a project, oldest first."""
    from sqlalchemy.orm import Session

    from ..store import RunList, database_errors, list_runs

    with database_errors(), open_engine() as engine, Session(engine) as session:
        result = RunList(project=project, runs=tuple(list_runs(session, project)))
    emit(result, fmt)


@click.command()
@click.argument("project")
@click.argument("run_name", metavar="RUN")
@format_option
def show(project, run_name, fmt):
    """Print the stored report of run RUN of PROJECT (as computed when it was submitted)."""
    from sqlalchemy.orm import Session

    from ..store import database_errors, get_run

    with database_errors(), open_engine() as engine, Session(engine) as session:
        result = get_run(session, project, run_name)
    emit(result, fmt)


@click.group()
def db() -> None:
    """Manage the run store (DIAGNOSE_DATABASE_URL)."""


@db.command()
def upgrade():
    """Bring the database schema up to date (also done automatically on first use)."""
    from ..store import database_errors
    from ..store import upgrade as do_upgrade

    with database_errors(), open_engine(migrate=False) as engine:
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
