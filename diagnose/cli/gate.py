"""``diagnose gate``: judge a run's report against a rule file (exit 0 pass, 1 fail, 2 bad usage)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from ..options import ReportOptions
from . import _remote
from ._options import baseline_options, emit, format_option, note, options
from .report import prepare, run_files


@click.command()
@_remote.remote(_remote.gate)
@click.argument("rules_file", metavar="RULES.toml", type=click.Path(dir_okay=False))
@run_files
@baseline_options
@options(ReportOptions)
@click.option("--project", help="Stored project: the run to gate (with --run), and the previous "
              "run that no_regression compares with.")
@click.option("--run", "run_name", help="Gate this stored run of --project instead of files.")
@click.option("--interval", is_flag=True, help="Judge every rule on its 95% interval where the "
              "report has one (as interval = true in the file).")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write JUnit XML here "
              "(one testcase per rule; missing folders are created).")
@format_option
@click.pass_context
def gate(ctx, rules_file, project, run_name, interval, junit, fmt, **values):
    """Check a run's report against RULES.toml; exit 0 if every rule holds, 1 if one fails.

    Gate files (--train/--cv/--test or --data), or a stored run (--project P --run R).
    """
    from ..gate import check
    from ..service import load_rules

    rules = load_rules(rules_file)  # bad rules are bad usage: report before reading any data
    files = any(values.get(k) for k in ("train", "cv", "test", "data"))
    if run_name and files:
        raise click.UsageError("give either files (--train/--cv/--test/--data) or --run, not both")
    if run_name and not project:
        raise click.UsageError("--run needs --project")
    if not run_name and not files:
        raise click.UsageError("give --train and --cv (and --test), or --project P --run R")
    if rules.no_regression and not project:
        raise click.UsageError("no_regression compares with the previous stored run: give --project")

    previous = current = None
    if run_name:
        report, previous = _stored(project, run_name, need_previous=bool(rules.no_regression))
        name = f"diagnose gate {project}/{run_name}"
    else:
        prepared = prepare(values, encode=False)
        report, current = prepared.report, prepared.splits
        if rules.no_regression:
            previous = _latest(project)
        name = "diagnose gate"
    paired = None
    if previous is not None and any(r.confidence == "paired" for r in rules.no_regression):
        paired = _paired(project, run_name, current, previous, report)
    result = check(report, rules, previous=previous, interval=interval, name=name, paired=paired)
    if junit:  # like pytest --junitxml: a CI's reports/ folder need not exist yet
        from ..present import render

        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_text(render(result, "junit"), encoding="utf-8")
    emit(result, fmt)
    if fmt != "text":  # the one-line verdict still reaches a person reading the log
        note(result.summary().splitlines()[0])
    if not result.passed:
        ctx.exit(1)


def _stored(project, run_name, *, need_previous):
    from ..service import session
    from ..store import get_run, previous_run

    with session(create=False) as s:  # reading: a mistyped store is an error, never created
        stored = get_run(s, project, run_name)
        prev = previous_run(s, project, run_name) if need_previous else None
    return stored.report, prev  # the stored run itself, so the gate can name it


def _paired(project, run_name, current, previous, report):
    """The judge of paired no_regression rules: this run's predictions against the previous run's."""
    from ..service import paired_judge, session
    from ..store import load_run_splits

    with session(create=False) as s:
        if current is None:
            current = load_run_splits(s, project, run_name)
        before = load_run_splits(s, project, previous.summary.run)
    metric = report.get("metric") if isinstance(report, Mapping) else getattr(report, "metric", None)
    return paired_judge(current, before, metric)


def _latest(project):
    from ..exceptions import UsageError
    from ..service import session
    from ..store import previous_run

    try:  # no store yet, or a project with no runs yet: nothing to regress from
        with session(create=False) as s:
            return previous_run(s, project)
    except UsageError:
        return None
