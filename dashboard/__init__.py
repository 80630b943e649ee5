"""The Streamlit dashboard over the run store: ``diagnose dashboard`` starts it.

Pages live in ``dashboard/views/`` and stay short: they call :mod:`diagnose` and the
store through :mod:`dashboard.data`, the one module that caches. Charts are built by
:mod:`dashboard.charts` and uploads handled by :mod:`dashboard.uploads`; neither imports
Streamlit, so both are tested without it. Nothing under ``diagnose/`` imports this package.
"""
from pathlib import Path

APP = Path(__file__).with_name("app.py")
