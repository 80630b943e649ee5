"""Command-line options built from the option declarations (:mod:`diagnose.options`), and the
output helpers every command shares.

A field of :class:`~diagnose.options.ReportOptions` carries its help text and spelling, so
``@options(ReportOptions)`` adds one click option per field and :func:`collect` turns the
parsed values back into one options value. A new report option is one field there.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, fields
from typing import Any

import click

from .. import settings
from ..options import ReadOptions

FORMATS = ("text", "json", "markdown")


def parse_pairs(values: Iterable[str] | None, *, what: str, number: bool = False) -> dict:
    """``NAME=VALUE`` strings -> dict (values as floats when ``number``).

    >>> parse_pairs(["human=0.02"], what="--baseline", number=True)
    {'human': 0.02}
    """
    out: dict[str, float | str] = {}
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


class _MetricOption(click.Option):
    """``--metric``: its help lists the metric registry, read only when help is shown (the registry
    loads numpy, which ``diagnose --help`` does without)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from ..metrics import metric_help

        self.help = metric_help()
        return super().get_help_record(ctx)


def _click_option(f: Callable, field: Any, aliases: Mapping[str, tuple[str, ...]]) -> Callable:
    meta = field.metadata
    flag = meta.get("flag") or "--" + field.name.replace("_", "-")
    kind = meta.get("kind", str)
    kw: dict[str, Any] = {"help": meta["help"], "show_default": bool(meta.get("show_default"))}
    if kind == "metric":  # the registry's metrics, so a new one shows up in every command's help
        kw["cls"], kind = _MetricOption, str
    if meta.get("metavar"):
        kw["metavar"] = meta["metavar"]
    default = None if field.default is MISSING else field.default
    if kind == "pairs":
        kw["multiple"] = True
    elif kind == "count":  # a number of resamples; unset means the field's default ("auto")
        kw["type"] = click.IntRange(min=0)
    elif kind == "points":
        kw["type"], kw["default"] = click.IntRange(min=2), default
    elif "choices" in meta:
        kw["type"] = click.Choice(meta["choices"])
    else:
        kw["type"] = kind
        if default is not None:
            kw["default"] = default
    return click.option(flag, *aliases.get(field.name, ()), field.name, **kw)(f)


def options(cls: type[ReadOptions], *, only: Iterable[str] | None = None,
            aliases: Mapping[str, tuple[str, ...]] | None = None) -> Callable[[Callable], Callable]:
    """Add a click option for each field of ``cls`` (or the fields named in ``only``)."""
    wanted = None if only is None else set(only)

    def decorate(f: Callable) -> Callable:
        for field in reversed(fields(cls)):
            if wanted is None or field.name in wanted:
                f = _click_option(f, field, aliases or {})
        return f
    return decorate


def collect(cls: type[ReadOptions], values: dict[str, Any]) -> Any:
    """Pop the options' fields out of a command's parsed ``values`` and build one ``cls`` value."""
    declared = {f.name: f for f in fields(cls)}
    given = {k: values.pop(k) for k in list(values) if k in declared}
    for name, value in given.items():
        field = declared[name]
        if field.metadata.get("kind") == "pairs":  # NAME=VALUE texts -> a mapping
            flag = field.metadata.get("flag") or "--" + name.replace("_", "-")
            given[name] = parse_pairs(value, what=flag)
    return cls.of(**given)


class _SettingValue(click.ParamType):
    """A setting's value on the command line, checked by the setting's own parser."""

    def __init__(self, declared: settings.Setting) -> None:
        self.declared = declared
        self.name = declared.name

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.declared.parse(str(value))
        except ValueError:
            self.fail(f"{value!r} is not valid: {self.declared.help}", param, ctx)


def setting_option(name: str) -> Callable[[Callable], Callable]:
    """A click option for setting ``name`` (``upload_max_mb`` -> ``--upload-max-mb``); unset, the
    command reads the setting's environment variable or default (:func:`setting_value`).

    >>> @click.command()
    ... @setting_option("busy_timeout")
    ... def cmd(busy_timeout):
    ...     click.echo(setting_value("busy_timeout", busy_timeout))
    >>> from click.testing import CliRunner
    >>> print(CliRunner().invoke(cmd, ["--busy-timeout", "2.5"]).output.strip())
    2.5
    """
    declared = settings.setting(name)
    return click.option("--" + name.replace("_", "-"), name, type=_SettingValue(declared), default=None,
                        help=f"{declared.help[0].upper()}{declared.help[1:]} (default: {declared.env}, "
                             f"else {declared.default}).")


def setting_value(name: str, given: Any) -> Any:
    """The value a command uses: the one given on the command line, else the setting's."""
    return settings.get(name) if given is None else given


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                        show_default=True, help="Output format; json goes to stdout alone.")(f)


def baseline_options(f: Callable) -> Callable:
    f = click.option("--baseline-file", "baseline_file", multiple=True, metavar="NAME=PATH",
                     help="A competing model's predictions on the same cv rows; its cv error "
                          "becomes baseline NAME (repeatable).")(f)
    return click.option("--baseline", "baseline", multiple=True, metavar="NAME=VALUE",
                        help="A baseline error in the report's metric, e.g. human=0.05 (repeatable).")(f)


def emit(result: Any, fmt: str) -> None:
    """Print a result value in the chosen format (JSON: stdout only). Text and Markdown go to a
    terminal: control characters in them (escape codes in a stored name) are shown, not obeyed;
    JSON escapes them itself."""
    from ..present import render, terminal_text, to_json

    if fmt == "json":
        click.echo(to_json(result))
    else:
        click.echo(terminal_text(render(result, fmt)), nl=False)


def emit_with_warnings(result: Any, fmt: str) -> None:
    """A result in its format; with JSON on stdout, its warnings go to stderr as notes."""
    if fmt == "json":
        for warning in result.warnings:
            note(f"warning: {warning}")
    emit(result, fmt)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (not a pipe or a file).

    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(click.command()(lambda: click.echo(stdout_is_terminal()))).output
    'False\\n'
    """
    return sys.stdout.isatty()


def note(message: str) -> None:
    """A message for people: always on stderr, control characters (in names it quotes) shown."""
    from ..present import terminal_text

    click.echo(terminal_text(message), err=True)


def _plot_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a --plot path before any work: its extension and its folder."""
    if value is not None:
        from ..exceptions import UsageError
        from ..present import check_chart_path

        try:
            check_chart_path(value)
        except UsageError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


PLOT = click.option("--plot", type=click.Path(), metavar="OUT.html|.png|.svg", callback=_plot_path,
                    help="Also write the chart to this file: .html (a self-contained page that works "
                         "offline), .png or .svg.")


def write_plot(value: Any, path: str) -> None:
    """Write a result's chart (its registered ``chart`` renderer) to ``path`` as its extension says;
    a path that cannot be written is a UsageError (exit 2), and no partial file is left."""
    from ..present import render, write_chart

    write_chart(render(value, "chart"), path)
    note(f"wrote {path}")
