"""The dashboard's entry point (``diagnose dashboard`` runs it with ``streamlit run``)."""
import streamlit as st

from dashboard import data, ui

st.set_page_config(page_title="diagnose", layout="wide")

PAGES = [
    st.Page("views/runs.py", title="Runs", url_path="runs"),
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
