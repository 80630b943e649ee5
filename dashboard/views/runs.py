"""Runs: the project's runs as a table, and two of them side by side."""
import streamlit as st

from dashboard import charts, data, ui
from diagnose.present import compare_reports

project, run = st.session_state.get("selection", (None, None))
st.title("Runs")
if ui.need_run(project, run):
    runs = data.overview(project)
    st.caption(f"project {project}: {len(runs)} run{'s' if len(runs) != 1 else ''}, oldest first; "
               "gaps: bias = J_train - baseline, variance = J_cv - J_train, test = J_test - J_cv")
    table = runs.assign(created_at=runs["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
                        params=runs["params"].map(lambda p: ", ".join(f"{k}={v}" for k, v in p.items())))
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"created_at": st.column_config.TextColumn("created (UTC)")})

    st.subheader("Compare two runs")
    names = runs["run"].tolist()[::-1]
    if len(names) < 2:
        st.info("The project has one run: store another to compare them.")
    else:
        left, right = st.columns(2)
        a = left.selectbox("First run", names, index=1, key="compare_a")
        b = right.selectbox("Second run", names, index=0, key="compare_b")
        ra, rb = data.stored_run(project, a).report, data.stored_run(project, b).report
        with left:
            ui.verdict_card(ra, title=a, numbers=False)
        with right:
            ui.verdict_card(rb, title=b, numbers=False)
        st.dataframe(charts.readable(compare_reports(ra, rb, names=(a, b))), hide_index=True,
                     width="stretch")
        st.caption("change = second - first")
