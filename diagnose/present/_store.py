"""Text and Markdown of what the store gives back: a stored run, a project's list of runs."""
from __future__ import annotations

from ..store import RunList, StoredRun
from ..values import renders
from ._tables import table

RUN_HEADERS = ["run", "created (UTC)", "verdict", "cv error", "train size"]


def _header(run: StoredRun) -> str:
    s = run.summary
    return f"project {s.project}, run {s.run}, submitted {s.created_at:%Y-%m-%d %H:%M:%S} UTC"


@renders(StoredRun, "text")
def stored_text(run: StoredRun) -> str:
    return _header(run) + "\n\n" + run.text


@renders(StoredRun, "markdown")
def stored_markdown(run: StoredRun) -> str:
    return f"_{_header(run)}_\n\n" + run.markdown


def _rows(runs: RunList) -> list[list]:
    return [[r.run, f"{r.created_at:%Y-%m-%d %H:%M:%S}", r.verdict, r.cv_error, r.train_size] for r in runs.runs]


@renders(RunList, "text")
def runs_text(runs: RunList) -> str:
    if not runs.runs:
        return f"project {runs.project} has no runs\n"
    return table(RUN_HEADERS, _rows(runs)) + "\n"


@renders(RunList, "markdown")
def runs_markdown(runs: RunList) -> str:
    if not runs.runs:
        return f"Project `{runs.project}` has no runs.\n"
    return table(RUN_HEADERS, _rows(runs), markdown=True) + "\n"
