"""``diagnose projects`` (list them with their run counts) and ``diagnose projects delete``."""
from __future__ import annotations

import click

from ..settings import shown_url
from ._options import emit, format_option, note


@click.group(invoke_without_command=True)
@format_option
@click.pass_context
def projects(ctx: click.Context, fmt: str) -> None:
    """List the stored projects with their number of runs; `projects delete` removes one."""
    if ctx.invoked_subcommand is not None:
        return
    from ..service import session
    from ..store import ProjectList, project_summaries

    with session(create=False) as s:  # reading: a mistyped store is an error, never created
        result = ProjectList(projects=tuple(project_summaries(s)))
    emit(result, fmt)


@projects.command()
@click.argument("project")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking for confirmation.")
def delete(project: str, yes: bool) -> None:
    """Delete PROJECT with all its runs, their reports, tags and API keys, in one transaction.

    The stored prediction tables that no other project's run uses are deleted too. Asks for
    confirmation unless --yes."""
    from ..exceptions import UsageError
    from ..present import terminal_text
    from ..service import session
    from ..store import delete_project, list_runs

    with session(create=False) as s:
        n_runs = len(list_runs(s, project))  # a missing project fails here, before the question
    if not yes:
        question = (f"Delete project '{terminal_text(project)}' and its {n_runs} run{'s' if n_runs != 1 else ''} "
                    "(reports, tags, API keys)? This cannot be undone")
        try:
            confirmed = click.confirm(question, default=False, err=True)
        except click.Abort:  # no answer (no terminal, end of input)
            confirmed = False
        if not confirmed:
            raise UsageError(f"nothing was deleted: answer y to delete project '{project}', or pass --yes")
    with session(create=False) as s, s.begin():
        deleted = delete_project(s, project)
    note(f"deleted project '{project}' and its {deleted} run{'s' if deleted != 1 else ''} ({shown_url()})")
