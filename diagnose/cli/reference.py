"""The command-line reference (docs/cli.md), generated from the commands' own ``--help``.

Regenerate it after changing a command or an option::

    python -m diagnose.cli.reference > docs/cli.md

A test compares the file with this output, so the reference cannot drift from the code.

>>> "## diagnose report" in reference()
True
"""
from __future__ import annotations

import click

HEAD = """# Command-line reference

Generated from `diagnose ... --help` by `python -m diagnose.cli.reference > docs/cli.md`;
a test checks that this page matches the commands. Exit codes: 0 success (or a gate
passed), 1 a gate failed, 2 bad usage or bad input. JSON goes to stdout and nothing else
does; messages go to stderr. The options that say how a diagnosis is made (`--task`,
`--column`, `--metric`, `--tolerance`, `--threshold-rule`, ...) are the fields of
`diagnose.ReportOptions`, declared once in `diagnose/options.py`.
"""


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def reference() -> str:
    """The Markdown reference: one section per command, holding its ``--help`` text."""
    from . import main

    parts = [HEAD]
    for path, command in _walk(main, ["diagnose"]):
        ctx = click.Context(command, info_name=" ".join(path), terminal_width=100, max_content_width=100,
                            help_option_names=["-h", "--help"])
        parts += [f"## {' '.join(path)}", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    click.echo(reference(), nl=False)
