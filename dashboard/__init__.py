"""The Streamlit dashboard over the run store: ``diagnose dashboard`` starts it.

Pages live in ``dashboard/views/`` and stay short: they call :mod:`diagnose` and the
store through :mod:`dashboard.data`, the one module that caches. Charts
(:mod:`dashboard.charts`), uploads (:mod:`dashboard.uploads`) and what a tag save writes
(:mod:`dashboard.tagging`) import no Streamlit and are tested on their own. Nothing
under ``diagnose/`` imports this package: ``diagnose dashboard`` finds ``app.py``
without importing it.
"""
