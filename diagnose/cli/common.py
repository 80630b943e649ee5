"""Options and output helpers shared by the commands."""
from __future__ import annotations

import json
import sys
from typing import Callable

import click

FORMATS = ("text", "json", "markdown")


def parse_pairs(values, *, what: str, number: bool = False) -> dict:
    """``NAME=VALUE`` strings -> dict (values as floats when ``number``)."""
    out = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint=what)
        if number:
            try:
                out[name] = float(value)
            except ValueError:
                raise click.BadParameter(f"'{item}': '{value}' is not a number", param_hint=what) from None
        else:
            out[name] = value
    return out


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                        show_default=True, help="Output format; json goes to stdout alone.")(f)


def input_options(f: Callable) -> Callable:
    """Options that say how to read prediction files."""
    options = [
        click.option("--task", type=click.Choice(["binary", "multiclass", "multilabel", "regression"]),
                     help="Force the task instead of inferring it from the columns."),
        click.option("--column", "column_map", multiple=True, metavar="ROLE=NAME",
                     help="Map a column role to your column name, e.g. y_true=label (repeatable)."),
        click.option("--positive-label", help="The positive class when binary labels are class names."),
        click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of CSV files."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def baseline_options(f: Callable) -> Callable:
    options = [
        click.option("--baseline", "baseline", multiple=True, metavar="NAME=VALUE",
                     help="A baseline error in the report's metric, e.g. human=0.05 (repeatable)."),
        click.option("--baseline-file", "baseline_file", multiple=True, metavar="NAME=PATH",
                     help="A competing model's predictions on the same cv rows; its cv error "
                          "becomes baseline NAME (repeatable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def emit(result, fmt: str) -> None:
    """Print a result value in the chosen format (JSON: stdout only)."""
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(result.to_markdown(), nl=False)
    else:
        click.echo(result.to_text(), nl=False)


def note(message: str) -> None:
    """A message for people: always on stderr."""
    click.echo(message, err=True)


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()
