"""Runs: the project's runs as a table, and two of them side by side (from the stored
reports); the row-by-row comparison reads both runs' rows, on big runs only when asked."""
import pandas as pd
import streamlit as st

from dashboard import access, data, ui
from dashboard.tagging import review_frame, tag_changes
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
    st.caption(f"project {ui.literal(project)}: {len(runs)} run{'s' if len(runs) != 1 else ''}, oldest first; "
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
        if a != b:
            _paired(project, a, b)


def _paired(project: str, a: str, b: str) -> None:
    """The two runs row by row: paired differences with intervals, and the rows where exactly
    one is right, to tag (the tags go with the first run, as on Error analysis)."""
    st.subheader("Row by row")
    if (data.big_run(project, a) or data.big_run(project, b)) and not _rows_asked(project, a, b):
        return
    comparison, sample, reason = data.paired(project, a, b)
    if comparison is None:
        st.info("These runs cannot be compared row by row: " + ui.literal(reason))
        return
    rows, total = sample
    st.dataframe(present.paired_frame(comparison), hide_index=True, width="stretch")
    st.caption(f"b - a with a = {ui.literal(a)} and b = {ui.literal(b)}, on the rows both hold (joined by id); "
               "the verdict is cv's. McNemar: exact test of the rows exactly one gets right.")
    st.markdown("**Rows exactly one run gets right (cv)**")
    if rows.empty:
        st.info("The two runs get the same cv rows right.")
        return
    st.caption(f"a random sample of {len(rows)} of the {total} cv rows exactly one run gets right; tag them "
               f"(categories separated by ';') and save: the tags go with run {ui.literal(a)}")
    read_only = access.read_only()
    if read_only:
        st.info(access.READ_ONLY_NOTE.format(what="saving tags is"))
    stored = data.tags(project, a)
    saved = dict(zip(stored["sample_id"], stored["tags"]))
    frame = review_frame(rows.assign(tags=""), saved)
    edited = st.data_editor(frame, key=f"paired_tags_{a}_{b}", hide_index=True, width="stretch",
                            disabled=True if read_only else [c for c in frame.columns if c != "tags"])
    if not read_only and st.button("Save tags", key=f"paired_save_{a}_{b}"):
        changes = tag_changes(edited, saved)
        if changes.empty:
            st.info("Nothing to save.")
        else:
            count, cleared = data.save_tag_changes(project, a, changes, None)
            st.success(f"Saved tags for {count} rows and cleared {cleared} of run {ui.literal(a)}.")


def _rows_asked(project: str, a: str, b: str) -> bool:
    """Big runs: whether the reviewer asked for the comparison that reads every row of both
    (the page itself reads only the stored reports). The answer lasts for the session."""
    asked = st.session_state.setdefault("paired_asked", [])
    if [project, a, b] in asked:
        return True
    rows = data.cv_rows(project, a) + data.cv_rows(project, b)
    st.caption(f"Comparing {ui.literal(a)} and {ui.literal(b)} row by row reads every cv and test row of both "
               f"({rows:,} cv rows; no subsample), which takes a while and memory on runs this big.")
    if st.button("Compare every row", key=f"paired_button_{a}_{b}"):
        asked.append([project, a, b])
        return True
    return False
