"""The dashboard's pages, in one list, and the frame every page runs in (the sidebar's
project and run pickers, the error guard, a message carried over a rerun).

A new page is one module in ``dashboard/views`` with a ``render(project, run)`` function
and one :class:`Page` entry here; see docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

import streamlit as st

from dashboard import access, data, ui


@dataclass(frozen=True)
class Page:
    """One page: the module under ``dashboard/views`` that renders it, its title in the navigation
    and its address; ``heading`` tops the page (default: the title); a page that ``needs_run`` is
    rendered only once the sidebar has a run, and says what to do otherwise."""

    module: str
    title: str
    url_path: str
    heading: str = ""
    needs_run: bool = True

    @property
    def render(self) -> Callable[..., None]:
        return import_module(f"dashboard.views.{self.module}").render


PAGES = (
    Page("runs", "Runs", "runs"),
    Page("diagnosis", "Diagnosis", "diagnosis"),
    Page("thresholds", "Thresholds", "thresholds"),
    Page("curves", "Curves", "curves"),
    Page("error_analysis", "Error analysis", "error-analysis"),
    Page("upload", "Upload", "upload", heading="Upload a run", needs_run=False),
)


def _body(page: Page) -> Callable[[], None]:
    def run() -> None:
        project, run_name = st.session_state.get("selection", (None, None))
        with ui.guard():
            ui.show_flash()
            st.title(page.heading or page.title)
            if not page.needs_run:
                page.render(project, run_name)
                return
            selected = ui.selected_run(project, run_name)
            if selected is not None:
                page.render(*selected)
    run.__name__ = f"page_{page.module}"  # Streamlit names a callable page's script after it
    return run


def main(only: str | None = None) -> None:
    """The app: the sidebar, then the page the address names (``only``: that page alone,
    without navigation, as the page tests run it)."""
    st.set_page_config(page_title="diagnose", layout="wide")
    locked = True  # stays locked when the check itself fails (the guard shows why)
    with ui.guard():
        locked = access.locked()
    nav = None
    if only is None:
        pages = [st.Page(_body(p), title=p.title, url_path=p.url_path) for p in PAGES]

        def home() -> None:
            # the default page is served at "/" only; a hidden one that forwards to Runs keeps
            # /runs a working address like every other page's
            st.switch_page(pages[0])

        # named before the sign-in form, so that signing in opens the page the address asks for
        nav = st.navigation([st.Page(home, title="Home", url_path="home", default=True, visibility="hidden"),
                             *pages], position="hidden" if locked else "sidebar")
    if locked:  # nothing from the database before the password
        with ui.guard():
            access.sign_in_form()
        return
    with ui.guard():
        st.session_state["selection"] = ui.sidebar()
        st.sidebar.caption(f"database: {ui.literal(data.shown_url())}"
                           + (" (read-only)" if access.read_only() else ""))
    if nav is None:
        _body(next(p for p in PAGES if p.module == only))()
        return
    nav.run()
