"""The Streamlit dashboard over the run store: ``diagnose dashboard`` starts it.

Each page is a module in ``dashboard/views/`` with a ``render(project, run)`` function;
the list of pages and the frame they run in (sidebar, error guard) is
:mod:`dashboard.navigation`. Pages stay short: they call :mod:`diagnose` (charts and
tables come from :mod:`diagnose.present`) and the store through :mod:`dashboard.data`,
the one module that caches (a page's charts too: built once per run, :func:`dashboard.data.run_drawing`);
:mod:`dashboard.charts` thins a curve to the points a chart's pixels need before the browser draws it,
and draws a chart from its stored spec. What costs the browser most on a new session is kept off the
pages: st.code's syntax highlighter (a long text shows through :func:`dashboard.ui.preformatted`) and
st.table's cell-by-cell Markdown (a small fixed table: :func:`dashboard.ui.markdown_table`).
Uploads (:mod:`dashboard.uploads`) and the review table (:mod:`dashboard.tagging`) import no
Streamlit and are tested on their own. The sign-in
form and the read-only switch are :mod:`dashboard.access`; every user string that goes into
Markdown passes through :func:`dashboard.ui.literal`. Streamlit is the ``dashboard`` extra
(``pip install -e '.[dashboard]'``). Nothing
under ``diagnose/`` imports this package: ``diagnose dashboard`` finds ``app.py``
without importing it.
"""
