"""``diagnose submit / runs / runs delete / runs rename / show / db upgrade``: store runs, read
them back, tidy them up."""
from __future__ import annotations

import functools

import click

from ..options import ReportOptions
from ..settings import shown_url
from . import _remote
from ._options import baseline_options, collect, emit, format_option, note, options, parse_pairs, setting_option
from .report import prepare, run_files


@click.command()
@_remote.remote(_remote.submit)
@click.option("--project", required=True, help="Project the run belongs to (created on first use).")
@click.option("--run", "run_name", required=True, help="Name of the run, unique within the project.")
@run_files
@baseline_options
@options(ReportOptions)
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE",
              help="A hyper-parameter of this run, e.g. C=0.3 (repeatable; numbers stored as numbers).")
@click.option("--train-size", type=float, help="The training-set size m of this run (learning curves).")
@setting_option("engine")
@format_option
def submit(project, run_name, param, train_size, fmt, engine, **values):
    """Validate a run's predictions, diagnose it and store files and report in one transaction.

    --engine arrow streams files or globs of CSV/Parquet parts: the report, the
    checks and the stored tables in the memory of a few record batches (docs/scale.md)."""
    from ..service import pick_engine, session, submit_prepared

    params = {k: _number_or_text(v) for k, v in parse_pairs(param, what="--param").items()}
    chosen = pick_engine(engine, {k: values.get(k) for k in ("train", "cv", "test", "data") if values.get(k)},
                         values.get("encoding"))
    if chosen != "memory":
        _submit_streamed(project, run_name, params, train_size, fmt, chosen, values)
        return
    prepared = prepare(values)
    with session() as s, s.begin():
        submit_prepared(s, prepared, project=project, run=run_name, params=params, train_size=train_size)
    note(f"stored run '{run_name}' in project '{project}' ({shown_url()})")
    emit(prepared.report, fmt)


def _submit_streamed(project, run_name, params, train_size, fmt, engine, values):
    from ..service import prepare_streamed, session, submit_prepared_stream
    from ..settings import database_url

    if engine != "arrow":
        raise click.UsageError(f"submit streams with --engine arrow (or auto); {engine} is for `diagnose report`")
    if not any(values.get(k) for k in ("train", "cv", "data")):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    if values.get("baseline_file"):
        raise click.UsageError("--baseline-file needs the rows themselves (its ids are joined to cv's): use "
                               "--engine memory, or give its cv error as --baseline")
    opts = collect(ReportOptions, values)
    with prepare_streamed(values.pop("train"), values.pop("cv"), values.pop("test"), data=values.pop("data"),
                          baselines=parse_pairs(values.pop("baseline"), what="--baseline", number=True),
                          options=opts, db_url=database_url(), project=project, run=run_name, params=params,
                          train_size=train_size) as prepared:  # (the run's name is checked before the passes)
        with session() as s, s.begin():
            submit_prepared_stream(s, prepared, project=project, run=run_name, params=params, train_size=train_size)
    note(f"stored run '{run_name}' in project '{project}' ({shown_url()})")
    emit(prepared.report, fmt)


def _list_unless_subcommand(f):
    """``diagnose runs --project P`` lists; ``diagnose runs delete|rename ...`` does only that."""
    @functools.wraps(f)
    def wrapper(**kwargs):
        ctx = click.get_current_context()
        if ctx.invoked_subcommand is not None:
            return None
        if not kwargs.get("project"):
            raise click.UsageError("Missing option '--project' (the project whose runs to list).", ctx=ctx)
        return f(**kwargs)
    return wrapper


@click.group(invoke_without_command=True)
@_list_unless_subcommand
@_remote.remote(_remote.runs)
@click.option("--project", help="The project whose runs to list.")
@format_option
def runs(project, fmt):
    """List a project's runs (--project P), oldest first; or delete or rename one.

    `diagnose runs --project P` lists; `runs delete` and `runs rename` change one run."""
    from ..service import session
    from ..store import RunList, list_runs

    with session(create=False) as s:  # reading: a mistyped store is an error, never created
        result = RunList(project=project, runs=tuple(list_runs(s, project)))
    emit(result, fmt)


@runs.command("delete")
@click.argument("project")
@click.argument("run_name", metavar="RUN")
def delete_run(project, run_name):
    """Delete run RUN of PROJECT with its report and tags, in one transaction (the stored
    prediction tables no other run uses go too)."""
    from ..service import session
    from ..store import delete_run as delete

    with session(create=False) as s, s.begin():
        delete(s, project, run_name, keep_blobs=False)
    note(f"deleted run '{run_name}' of project '{project}' ({shown_url()})")


@runs.command("rename")
@click.argument("project")
@click.argument("run_name", metavar="RUN")
@click.argument("new")
def rename_run(project, run_name, new):
    """Rename run RUN of PROJECT to NEW (its tables, report and tags stay with it); NEW must not
    be taken in the project."""
    from ..service import session
    from ..store import rename_run as rename

    with session(create=False) as s, s.begin():
        rename(s, project, run_name, new)
    note(f"renamed run '{run_name}' of project '{project}' to '{new}' ({shown_url()})")


@click.command()
@_remote.remote(_remote.show)
@click.argument("project")
@click.argument("run_name", metavar="RUN")
@format_option
def show(project, run_name, fmt):
    """Print the stored report of run RUN of PROJECT (as computed when it was submitted)."""
    from ..service import session
    from ..store import get_run

    with session(create=False) as s:
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
