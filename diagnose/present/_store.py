"""Text and Markdown of what the store gives back: a stored run, a project's list of runs, the
list of projects. Names are the user's: table cells escape them, headers show them as text."""
from __future__ import annotations

from ..store import ProjectList, RunList, StoredRun
from ..values import renders
from ._escape import code_span, markdown_text, visible
from ._tables import table

RUN_HEADERS = ["run", "created (UTC)", "verdict", "cv error", "train size"]
PROJECT_HEADERS = ["project", "runs", "created (UTC)"]


def _header(run: StoredRun, show=visible) -> str:
    s = run.summary  # the names are the user's: shown as text (control characters written out)
    return f"project {show(s.project)}, run {show(s.run)}, submitted {s.created_at:%Y-%m-%d %H:%M:%S} UTC"


@renders(StoredRun, "text")
def stored_text(run: StoredRun) -> str:
    return _header(run) + "\n\n" + run.text


@renders(StoredRun, "markdown")
def stored_markdown(run: StoredRun) -> str:
    return f"_{_header(run, lambda name: markdown_text(name, inline=True))}_\n\n" + run.markdown


def _rows(runs: RunList) -> list[list]:
    return [[r.run, f"{r.created_at:%Y-%m-%d %H:%M:%S}", r.verdict, r.cv_error, r.train_size] for r in runs.runs]


@renders(RunList, "text")
def runs_text(runs: RunList) -> str:
    if not runs.runs:
        return f"project {visible(runs.project)} has no runs\n"
    return table(RUN_HEADERS, _rows(runs)) + "\n"


@renders(RunList, "markdown")
def runs_markdown(runs: RunList) -> str:
    if not runs.runs:
        return f"Project {code_span(runs.project)} has no runs.\n"
    return table(RUN_HEADERS, _rows(runs), markdown=True) + "\n"


def _project_rows(projects: ProjectList) -> list[list]:
    return [[p.project, p.runs, f"{p.created_at:%Y-%m-%d %H:%M:%S}"] for p in projects.projects]


@renders(ProjectList, "text")
def projects_text(projects: ProjectList) -> str:
    if not projects.projects:
        return "no projects yet (diagnose submit creates one)\n"
    return table(PROJECT_HEADERS, _project_rows(projects)) + "\n"


@renders(ProjectList, "markdown")
def projects_markdown(projects: ProjectList) -> str:
    if not projects.projects:
        return "No projects yet.\n"
    return table(PROJECT_HEADERS, _project_rows(projects), markdown=True) + "\n"
