"""Error analysis: draw a sample of cv errors, tag them, save the tags, see the ranked tally
and the cohort tables."""
import streamlit as st

from dashboard import charts, data, ui

EDITOR = "tag_editor"
project, run = st.session_state.get("selection", (None, None))
st.title("Error analysis")
if ui.need_run(project, run):
    st.caption(f"project {project}, run {run}: review a sample of cv errors, give each the categories "
               "that explain it (separated by ';'), save, and attack the largest category first")
    left, mid, right = st.columns(3)
    n = int(left.number_input("Sample size", min_value=1, max_value=1000, value=50, step=10, key="sample_n"))
    seed = int(mid.number_input("Seed", min_value=0, value=0, step=1, key="sample_seed"))
    reviewer = right.text_input("Reviewer", key="reviewer", placeholder="your name (optional)")
    sample = data.error_sample(project, run, n=n, seed=seed)
    st.caption(sample.summary().split("; columns")[0])
    for w in sample.warnings:
        st.warning(w)

    # a new sample starts with no pending edits
    identity = (project, run, n, seed)
    if st.session_state.get("tag_sample") != identity:
        st.session_state.pop(EDITOR, None)
        st.session_state["tag_sample"] = identity
    frame = sample.frame.drop(columns=["total_errors", "cv_n"], errors="ignore")
    frame["id"] = frame["id"].astype(str)
    stored = data.tags(project, run)
    if not stored.empty:
        saved = dict(zip(stored["sample_id"], stored["tags"]))
        frame["tags"] = frame["id"].map(saved).fillna("")
    locked = [c for c in frame.columns if c != "tags"]
    edited = st.data_editor(frame, key=EDITOR, hide_index=True, disabled=locked, width="stretch",
                            column_config={"tags": st.column_config.TextColumn(
                                "tags", help="categories separated by ';', e.g. blurry;dark")})
    if st.button("Save tags", type="primary"):
        given = edited.loc[edited["tags"].fillna("").str.strip() != "", ["id", "tags"]]
        if given.empty:
            st.warning("No row has tags yet: type categories in the tags column, then save.")
        else:
            count = data.save_tags(project, run, dict(zip(given["id"], given["tags"].str.strip())),
                                   reviewer.strip() or None)
            st.success(f"Saved tags for {count} sample{'s' if count != 1 else ''}.")

    st.subheader("Tally")
    if data.tags(project, run).empty:
        st.info("No tags stored for this run yet.")
    else:
        tally = data.tally(project, run)
        st.altair_chart(charts.tally_chart(tally))
        st.dataframe(charts.tally_frame(tally), hide_index=True)
        st.caption(f"{tally.reviewed} reviewed errors of {tally.total_errors} cv errors; " + " ".join(tally.notes))
        for w in tally.warnings:
            st.warning(w)

    st.subheader("Cohorts")
    cohorts = data.cohorts(project, run)
    if cohorts.frame.empty:
        st.info("The cv split has no slice columns (any extra column, such as region or device) to cut it by.")
    else:
        st.caption(f"overall error rate {cohorts.error_rate:.4g} over {cohorts.n} rows; flagged: significantly "
                   f"above the rest (Fisher exact, Benjamini-Hochberg FDR {cohorts.fdr:g})")
        st.dataframe(cohorts.frame, hide_index=True, width="stretch")
    for w in cohorts.warnings:
        st.warning(w)
