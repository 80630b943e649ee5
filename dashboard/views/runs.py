"""Runs: the project's runs as a table, and two of them side by side."""
import pandas as pd
import streamlit as st

from dashboard import data, ui
from diagnose import present
from diagnose.present import compare_reports


def listing(runs: pd.DataFrame) -> pd.DataFrame:
    """The run overview as shown: dates to the minute, parameters as ``name=value`` text.

    >>> runs = pd.DataFrame({"run": ["a"], "created_at": pd.to_datetime(["2026-11-29 10:11:12"]),
    ...                      "params": [{"C": 0.3, "kernel": "rbf"}]})
    >>> listing(runs).values.tolist()
    [['a', '2026-11-29 10:11', 'C=0.3, kernel=rbf']]
    """
    return runs.assign(created_at=runs["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
                       params=runs["params"].map(lambda p: ", ".join(f"{k}={v}" for k, v in p.items())))


def render(project: str, run: str) -> None:
    """Draw the page for the sidebar's project and run (navigation shows the title and makes sure a run
    is selected)."""
    runs = data.overview(project)
    st.caption(f"project {project}: {len(runs)} run{'s' if len(runs) != 1 else ''}, oldest first; "
               "gaps: bias = J_train - baseline, variance = J_cv - J_train, test = J_test - J_cv")
    st.dataframe(listing(runs), hide_index=True, width="stretch",
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
        st.dataframe(present.readable(compare_reports(ra, rb, names=(a, b))), hide_index=True,
                     width="stretch")
        st.caption("change = second - first")
