"""The dashboard's entry point (``diagnose dashboard`` runs it with ``streamlit run``)."""
import streamlit as st

from dashboard import data, ui

st.set_page_config(page_title="diagnose", layout="wide")

RUNS = st.Page("views/runs.py", title="Runs", url_path="runs")


def _home() -> None:
    # the default page is served at "/" only; a hidden one that forwards to Runs keeps
    # /runs a working address like every other page's
    st.switch_page(RUNS)


PAGES = [
    st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
    RUNS,
    st.Page("views/diagnosis.py", title="Diagnosis", url_path="diagnosis"),
    st.Page("views/thresholds.py", title="Thresholds", url_path="thresholds"),
    st.Page("views/curves.py", title="Curves", url_path="curves"),
    st.Page("views/error_analysis.py", title="Error analysis", url_path="error-analysis"),
    st.Page("views/upload.py", title="Upload", url_path="upload"),
]

page = st.navigation(PAGES)
with ui.guard():
    st.session_state["selection"] = ui.sidebar()
    st.sidebar.caption(f"database: {data.url()}")
with ui.guard():
    ui.show_flash()
    page.run()
