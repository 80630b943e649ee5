"""The command line as a client of ``diagnose serve``: with ``--server URL`` (or
``DIAGNOSE_SERVER``) and ``--key`` (or ``DIAGNOSE_KEY``), ``submit``, ``runs``, ``show``,
``gate`` and ``errors tally --save`` send their files to the server, which computes and
renders; the output and the exit codes are those of the direct mode.

A command takes part with one decorator, :func:`remote`, naming its client-side handler.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click

from .. import settings
from ..options import ReadOptions, ReportOptions
from ._options import collect, note, parse_pairs

Handler = Callable[..., Any]


def remote(handler: Handler) -> Callable[[Callable], Callable]:
    """Add ``--server`` and ``--key`` to a command; with a server, ``handler(client, local, **params)``
    runs instead of the command (``local`` is the direct-mode command, for what needs no server)."""
    def decorate(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*, server: str | None = None, key: str | None = None, **kwargs: Any) -> Any:
            url = server or settings.get("server")
            if not url:
                return f(**kwargs)
            from ..api import Client

            return handler(Client(url, key or settings.get("key") or None), f, **kwargs)

        wrapper = click.option("--key", metavar="KEY", default=None,
                               help="API key for --server (default: DIAGNOSE_KEY).")(wrapper)
        return click.option("--server", metavar="URL", default=None,
                            help="Go through this diagnose server's HTTP API instead of the database "
                                 "(default: DIAGNOSE_SERVER).")(wrapper)
    return decorate


def _print(answer: Any, fmt: str) -> None:
    """A server-rendered result, printed as the direct mode prints it (``emit``: control
    characters in text shown, not obeyed)."""
    from ..present import terminal_text, to_json

    if fmt == "json":
        click.echo(to_json(answer.data))
    else:
        click.echo(terminal_text(answer.text if fmt == "text" else answer.markdown), nl=False)


def _run_upload(values: dict) -> dict:
    """The upload of a run from a command's parsed values, checked as the direct mode checks them."""
    if not any(values.get(k) for k in ("train", "cv", "data")):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    opts = collect(ReportOptions, values)
    return {"train": values.pop("train"), "cv": values.pop("cv"), "test": values.pop("test"),
            "data": values.pop("data"), "options": opts,
            "baselines": parse_pairs(values.pop("baseline"), what="--baseline", number=True),
            "baseline_files": parse_pairs(values.pop("baseline_file"), what="--baseline-file")}


def _number_or_text(value: str) -> Any:
    # as the direct mode's --param: numbers stored as numbers
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def submit(client: Any, local: Callable, *, project: str, run_name: str, param: tuple,
           train_size: float | None, fmt: str, **values: Any) -> None:
    params = {k: _number_or_text(v) for k, v in parse_pairs(param, what="--param").items()}
    answer = client.submit(project, run_name, params=params, train_size=train_size, **_run_upload(values))
    note(f"stored run '{run_name}' in project '{project}' ({client.shown})")
    _print(answer, fmt)


def runs(client: Any, local: Callable, *, project: str, fmt: str, **rest: Any) -> None:
    query = {"format": fmt, **{k: v for k, v in rest.items() if v is not None}}
    _echo(client.request("GET", f"/v1/projects/{_seg(project)}/runs", query=query)[2], fmt)


def show(client: Any, local: Callable, *, project: str, run_name: str, fmt: str) -> None:
    _echo(client.request("GET", f"/v1/projects/{_seg(project)}/runs/{_seg(run_name)}",
                         query={"format": fmt})[2], fmt)


def _echo(body: bytes, fmt: str) -> None:
    from ..present import terminal_text

    text = body.decode("utf-8")
    click.echo(text if fmt == "json" else terminal_text(text), nl=fmt == "json")


def _seg(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def gate(client: Any, local: Callable, *, rules_file: str, project: str | None, run_name: str | None,
         interval: bool, junit: str | None, fmt: str, **values: Any) -> None:
    from pathlib import Path

    from ..service import load_rules

    if not project:  # files and no store: nothing the server is needed for
        return local(rules_file=rules_file, project=project, run_name=run_name, interval=interval, junit=junit,
                     fmt=fmt, **values)
    load_rules(rules_file)  # bad rules are bad usage, said as the direct mode says it, before any upload
    files = any(values.get(k) for k in ("train", "cv", "test", "data"))
    if run_name and files:
        raise click.UsageError("give either files (--train/--cv/--test/--data) or --run, not both")
    if not run_name and not files:
        raise click.UsageError("give --train and --cv (and --test), or --project P --run R")
    upload = {} if run_name else _run_upload(values)
    answer = client.gate(project, rules_file, run=run_name, interval=interval, **upload)
    if junit:
        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_text(answer.extra["junit"], encoding="utf-8")
    _print(answer, fmt)
    if fmt != "text":
        note(answer.extra["summary"].splitlines()[0])
    if not answer.passed:
        click.get_current_context().exit(1)


def tally(client: Any, local: Callable, *, tagged: str | None, total_errors: int | None, cv_n: int | None,
          cv: str | None, cut: float | None, top_share: float, project: str | None, run_name: str | None,
          save: bool, reviewer: str | None, fmt: str, **values: Any) -> None:
    if not save:  # only storing tags goes through the server; a file's tally is computed here
        if project:
            raise click.UsageError("with --server, errors tally stores tags (--save); tally stored tags "
                                   "in the dashboard or on the database directly")
        return local(tagged=tagged, total_errors=total_errors, cv_n=cv_n, cv=cv, cut=cut, top_share=top_share,
                     project=project, run_name=run_name, save=save, reviewer=reviewer, fmt=fmt, **values)
    if not (tagged and project and run_name):
        raise click.UsageError("--save and --reviewer need a TAGGED file and --project P --run R")
    if cv:
        raise click.UsageError("give --cv or --project/--run, not both")
    if reviewer:
        raise click.UsageError("with --server the reviewer is the key's name (diagnose keys create --name); "
                               "leave out --reviewer")
    opts = collect(ReadOptions, values)
    answer = client.save_tagged(project, run_name, tagged, total_errors=total_errors, cv_n=cv_n, cut=cut,
                                top_share=top_share, options=json.dumps(opts.to_dict()))
    note(f"saved the tags of {answer.extra['saved']} reviewed rows to run '{run_name}' of project '{project}'")
    if fmt == "json":
        for warning in answer.data.get("warnings", []):
            note(f"warning: {warning}")
    _print(answer, fmt)
