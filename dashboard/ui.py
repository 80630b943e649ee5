"""Pieces every page uses: the error guard, the project and run pickers, the verdict card."""
from __future__ import annotations

import html
import logging
import re
from contextlib import contextmanager

import streamlit as st

from diagnose.bias_variance import VERDICT_TITLES
from diagnose.exceptions import DiagnoseError
from diagnose.present import terminal_text

from . import data

log = logging.getLogger("diagnose.dashboard")

FLASH = "_flash"      # a message to show after a rerun
SELECT = "_select"    # (project, run) to select on the next run
LINK_NOTE = "_link"   # (project, run, message): the address named a project or run that is not there


# every character Markdown, Streamlit's extensions (:red[..], $..$) or HTML give a meaning to
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^\"'/@])")


# where GitHub Markdown turns bare text into a link (http://, www., name@host): escapes do not
# stop it, so an invisible word joiner (U+2060) goes in after the scheme, the www and the @
_AUTOLINK = re.compile(r"(?i)(?<![^\W_])(https?|ftp|mailto|xmpp|www)(?=[:.])|(@)")
WORD_JOINER = "\u2060"


def literal(text: str) -> str:
    """Text with every Markdown and HTML character escaped, for Streamlit elements that render
    Markdown (warnings, captions, errors): names and values from users show as they are, and
    a control or format character shows as its escape (``\\x1b``, :func:`visible`) instead of
    acting. Addresses in the text stay text (a word joiner, invisible, keeps Markdown from linking
    them).

    >>> print(literal("region=**north** <b>"))
    region\\=\\*\\*north\\*\\* \\<b\\>
    >>> print(literal("a\\x1b[31mb"))
    a\\\\x1b\\[31mb
    >>> print(literal("see http://x.org").replace(WORD_JOINER, "|"))
    see http|\\:\\/\\/x\\.org
    """
    unlinked = _AUTOLINK.sub(lambda m: m.group() + WORD_JOINER, visible(text))
    return _MARKDOWN.sub(r"\\\1", unlinked)


def visible(text: str) -> str:
    """``text`` with each control character (tab and newline aside), line or paragraph separator
    and format character (bidirectional controls, zero-width spaces, the BOM...) and each lone
    surrogate written as its escape (``\\x1b``, ``\\u202e``, ``\\U000e0041``), so that none
    acts, hides or reorders what follows: :func:`diagnose.present.terminal_text`, the one
    definition the command line and the progress bar use too (a lone surrogate, which UTF-8
    cannot encode, would stop the page).

    >>> print(visible("a\\x1b[31mb \\u202ec \\u200bd\\ufeff"))
    a\\x1b[31mb \\u202ec \\u200bd\\ufeff
    """
    return terminal_text(str(text))


# a block like st.code's, in the theme's code font; the background shows in light and dark themes
_PRE_STYLE = ("font-family: 'Source Code Pro', monospace; font-size: 0.875rem; line-height: 1.5; white-space: pre; "
              "overflow-x: auto; margin: 0; padding: 1rem; border-radius: 0.5rem; "
              "background-color: rgba(151, 166, 195, 0.15); color: inherit")


def preformatted(text: str, where=None) -> None:
    """Show ``text`` as st.code shows it (monospace, every space kept, in a block) in ``where``
    (default: the page), without st.code's syntax highlighter, whose script costs a new session
    0.2-0.3 s in the browser (benchmarks/RESULTS.md). The text stays text: every character HTML
    gives a meaning to is escaped (:func:`html.escape`), control and format characters
    (bidirectional controls, zero-width spaces...) show as their escapes (:func:`visible`);
    st.html renders no Markdown.

    >>> preformatted.__name__  # drawn on a page: tests/dashboard/test_pages.py reads it back
    'preformatted'
    """
    where = st if where is None else where
    # st.html dedents its body, which empties a line of only spaces or tabs, and a browser drops a
    # newline right after <pre>: such lines keep their blanks as character references, and the
    # block is a <div> whose style keeps every space and line (white-space: pre)
    body = re.sub(r"(?m)^[ \t]+$", lambda m: m.group().replace(" ", "&#32;").replace("\t", "&#9;"),
                  html.escape(visible(text)))
    where.html(f'<div class="diagnose-text" style="{_PRE_STYLE}">{body}</div>')


def markdown_table(frame, where=None) -> None:
    """Draw a small table (its index as the first column) as one Markdown table in ``where``
    (default: the page): far cheaper for the browser than st.table, which draws every cell as
    Markdown of its own (a new session 0.1 s for two 2x2 matrices, benchmarks/RESULTS.md). Each
    header and cell is its value's text, escaped with :func:`literal` (a line break shows as
    ``\\n``, a ``|`` stays in its cell; Markdown trims a cell's leading and trailing spaces, so
    it is for counts and fixed labels, as the confusion matrices hold, not for user text).

    >>> import pandas as pd
    >>> print(_table_markdown(pd.DataFrame({"n": [86, 4]}, index=["a|b", "c*"])))
    |  | n |
    |---|---|
    | a\\|b | 86 |
    | c\\* | 4 |
    """
    (st if where is None else where).markdown(_table_markdown(frame))


def _table_markdown(frame) -> str:
    """The Markdown :func:`markdown_table` draws for ``frame``."""
    def cell(value) -> str:
        return literal(str(value).replace("\n", "\\n"))

    rows = [["", *map(cell, frame.columns)], ["---"] * (len(frame.columns) + 1)]
    rows += [[cell(i), *map(cell, r)] for i, r in zip(frame.index, frame.itertuples(index=False))]
    return "\n".join("| " + " | ".join(r) + " |" if r[0] != "---" else "|" + "---|" * len(r) for r in rows)


def plain(exc: BaseException) -> str:
    """A message for people: a DiagnoseError says what to fix; anything else names only its kind."""
    if isinstance(exc, DiagnoseError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    return (f"Something went wrong ({type(exc).__name__}{': ' + first if first else ''}). "
            "The dashboard's log has the details.")


@contextmanager
def guard():
    """Show any error of the code inside as one plain message, never a stack trace.

    Streamlit's own stop and rerun signals are BaseExceptions and pass through.
    """
    try:
        yield
    except DiagnoseError as exc:  # its message names files, columns and values: shown as text
        st.error(literal(plain(exc)))
    except Exception as exc:  # noqa: BLE001 - the page must not show a traceback
        log.exception("dashboard page failed")
        st.error(literal(plain(exc)))


def flash(kind: str, text: str) -> None:
    """Show ``text`` (Markdown: names in it escaped with :func:`literal`) after the next rerun
    (``kind``: success, info, warning)."""
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind:
        getattr(st, kind)(text)


def select_next(project: str, run: str | None) -> None:
    """Make (project, run) the sidebar's selection on the next run (a widget's value cannot
    change once it is drawn)."""
    st.session_state[SELECT] = (project, run)


def sidebar() -> tuple[str | None, str | None]:
    """The project and run pickers; they start from ``?project=&run=`` in the address, and
    keep the address in step so that a page can be shared as a link."""
    state, query = st.session_state, st.query_params
    projects = data.projects()
    if not projects:
        st.sidebar.info("No runs stored yet: upload one, or run `diagnose demo`.")
        return None, None
    pending = state.pop(SELECT, None)
    if pending:
        state["project"], state["run"] = pending
    if state.get("project") not in projects:
        wanted = query.get("project")
        state["project"] = wanted if wanted in projects else ("samples" if "samples" in projects else projects[0])
        if wanted and wanted not in projects:
            state[LINK_NOTE] = (state["project"], None,
                                f"There is no project '{literal(wanted)}' in this database; showing project "
                                f"{literal(state['project'])}.")
    project = st.sidebar.selectbox("Project", projects, key="project")
    runs = data.overview(project)["run"].tolist()[::-1]  # newest first
    if not runs:
        return project, None
    if state.get("run") not in runs:
        wanted = query.get("run")
        state["run"] = wanted if wanted in runs else runs[0]
        if wanted and wanted not in runs and query.get("project") == project:
            state[LINK_NOTE] = (project, state["run"],
                                f"There is no run '{literal(wanted)}' in project {literal(project)}; showing its "
                                f"latest run, {literal(state['run'])}.")
    run = st.sidebar.selectbox("Run", runs, key="run")
    query["project"], query["run"] = project, run
    _link_note(project, run)
    return project, run


def _link_note(project: str, run: str) -> None:
    """Say that a link's project or run was not found, for as long as its stand-in is shown."""
    note = st.session_state.get(LINK_NOTE)
    if note is None:
        return
    if note[0] == project and note[1] in (None, run):
        st.warning(note[2])
    else:
        del st.session_state[LINK_NOTE]


def selected_run(project: str | None, run: str | None) -> tuple[str, str] | None:
    """The selected (project, run); None, after telling the user what to do, when no run is selected."""
    if project is None or run is None:
        st.info("No run to show yet. Store one on the Upload page (or run `diagnose demo` for the "
                "sample runs), then pick it in the sidebar.")
        return None
    return project, run


def verdict_card(report: dict, *, title: str | None = None, numbers: bool = True) -> None:
    """The verdict in large type, with the errors it rests on (``numbers``)."""
    verdict = report.get("verdict", "")
    words = VERDICT_TITLES.get(verdict) or literal(verdict.replace("_", " ").capitalize())
    show = st.success if verdict == "good_fit" else st.info if verdict == "inconclusive" else st.warning
    show(f"### {literal(title) + ': ' if title else ''}{words}")
    if not numbers:
        return
    splits = report.get("splits", {})
    # a metric's label is Markdown: the baseline's name is the user's
    cells = [(f"baseline ({literal(report.get('reference_name') or 'none')})", report.get("reference"))]
    cells += [(f"J_{name}", (splits.get(name) or {}).get("error")) for name in ("train", "cv", "test")]
    cols = st.columns(len(cells))
    for col, (label, value) in zip(cols, cells):
        col.metric(label, "—" if value is None else f"{value:.4g}")
    st.caption(f"metric: {literal(report.get('metric', '?'))}; a gap counts when it is above the tolerance and "
               "outside noise (its 95% interval excludes 0), and is ruled out when its one-sided 95% upper "
               "bound is below the tolerance; otherwise it is inconclusive")
