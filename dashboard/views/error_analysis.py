"""Error analysis: draw a sample of cv errors, tag them, save the tags, see the ranked tally
and the cohort tables.

A big run (more cv rows than the ``dashboard_big_run_rows`` setting) opens with the sample
only, drawn by a pass over its stored cv rows in batches (the same rows the whole split
gives); the cohorts, slices and suspects, which read every cv row, wait for a button."""
import streamlit as st

from dashboard import access, data, ui
from dashboard.tagging import review_frame, tag_changes
from diagnose import present, settings
from diagnose.ingest import task_type

EDITOR = "tag_editor"


def render(project: str, run: str) -> None:
    """Draw the page for the sidebar's project and run (navigation shows the title and makes sure a run
    is selected)."""
    st.caption(f"project {ui.literal(project)}, run {ui.literal(run)}: review a sample of cv errors, give each "
               "the categories that explain it (separated by ';'), save, and attack the largest category first")
    left, mid, right = st.columns(3)
    n = int(left.number_input("Sample size", min_value=1, max_value=1000, value=50, step=10, key="sample_n"))
    seed = int(mid.number_input("Seed", min_value=0, value=0, step=1, key="sample_seed"))
    reviewer = right.text_input("Reviewer", key="reviewer", placeholder="your name (optional)")
    sample = data.error_sample(project, run, n=n, seed=seed)
    st.caption(ui.literal(sample.summary().split("; columns")[0]))
    for w in sample.warnings:
        st.warning(ui.literal(w))

    # a new sample starts with no pending edits
    identity = (project, run, n, seed)
    if st.session_state.get("tag_sample") != identity:
        st.session_state.pop(EDITOR, None)
        st.session_state["tag_sample"] = identity
    stored = data.tags(project, run)
    saved = dict(zip(stored["sample_id"], stored["tags"]))
    frame = review_frame(sample.frame, saved)
    read_only = access.read_only()
    if read_only:
        st.info(access.READ_ONLY_NOTE.format(what="saving tags is"))
    locked = True if read_only else [c for c in frame.columns if c != "tags"]
    edited = st.data_editor(frame, key=EDITOR, hide_index=True, disabled=locked, width="stretch",
                            column_config={"tags": st.column_config.TextColumn(
                                "tags", help="categories separated by ';', e.g. blurry;dark")})
    if not read_only and st.button("Save tags", type="primary"):
        changes = tag_changes(edited, saved)
        if changes.empty:
            st.info("Nothing to save: no tags were added, changed or cleared since the last save.")
        else:
            count, cleared = data.save_tag_changes(project, run, changes, reviewer.strip() or None)
            done = [f"saved tags for {count} sample{'s' if count != 1 else ''}"] if count else []
            done += [f"cleared the tags of {cleared} sample{'s' if cleared != 1 else ''}"] if cleared else []
            st.success("; ".join(done).capitalize() + ".")
            stored = data.tags(project, run)  # read again after this save (only then)

    st.subheader("Tally")
    if stored.empty:
        st.info("No tags stored for this run yet.")
    else:
        tally = data.tally(project, run, sample)
        st.altair_chart(present.tally_chart(tally))
        st.dataframe(present.tally_frame(tally), hide_index=True)
        st.caption(ui.literal(f"{tally.reviewed} reviewed errors of {tally.total_errors} cv errors. "
                              + " ".join(tally.notes)))
        for w in tally.warnings:
            st.warning(ui.literal(w))

    kind = task_type(str(data.stored_run(project, run).report.get("task")))
    if data.big_run(project, run) and not _every_row_asked(project, run):
        return
    st.subheader("Cohorts")
    cohorts = data.cohorts(project, run)
    multi_output = kind.multi_output
    if cohorts.frame.empty:
        st.info("The cv split has no slice columns (any extra column, such as region or device) to cut it by.")
    else:
        what = (f"share of rows with |error| > {cohorts.cut:.4g}" if cohorts.cut is not None else
                "share of rows with any label wrong" if multi_output else "share misclassified")
        st.caption(f"error rate here = {what}: overall {cohorts.error_rate:.4g} over {cohorts.n} rows; flagged: "
                   f"significantly above the rest (Fisher exact, Benjamini-Hochberg FDR {cohorts.fdr:g})")
        st.dataframe(cohorts.frame, hide_index=True, width="stretch")
    for w in cohorts.warnings:
        st.warning(ui.literal(w))
    _slices(project, run, n)
    _suspects(project, run, kind)


def _every_row_asked(project: str, run: str) -> bool:
    """A big run: whether the reviewer asked for the sections that read every cv row (the page
    opened with the sample only, drawn by a pass in batches). The answer lasts for the session."""
    asked = st.session_state.setdefault("every_row_asked", [])
    if [project, run] in asked:
        return True
    rows, limit = data.cv_rows(project, run), int(settings.get("dashboard_big_run_rows"))
    st.subheader("Cohorts, slices, label-noise suspects")
    st.caption(f"Run {ui.literal(run)} has {rows:,} cv rows (above the dashboard's {limit:,}, setting "
               "dashboard_big_run_rows), so the page opened with the sample only. The cohort table, the "
               f"slices where errors concentrate and the label-noise suspects read every one of the {rows:,} cv rows "
               "(no subsample): that takes a while and memory.")
    if st.button("Read every cv row: cohorts, slices, suspects", key="every_row_button"):
        asked.append([project, run])
        return True
    return False


def _slices(project: str, run: str, n: int) -> None:
    """The slices where cv errors concentrate; choosing one shows a sample of its errors."""
    st.subheader("Slices")
    found = data.slices(project, run)
    if found.frame.empty:
        st.info(f"No slice of up to {found.max_conditions} conditions has an error significantly and materially "
                f"above the rest ({found.tests} slices tested"
                f"{'' if found.tests else '; the cv split has no slice columns'}).")
        for w in found.warnings:
            st.warning(ui.literal(w))
        return
    st.caption(f"Slices whose error is at least {found.min_lift:g}x the overall {found.error:.4g}, significantly "
               f"(Benjamini-Hochberg over {found.tests} tested slices, FDR {found.fdr:g}), and again on a held-out "
               "half of cv; sorted by the errors fixing the slice could remove. Select a row to see its errors.")
    table = present.slices_frame(found)
    event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="slices_table")
    rows = list(event.selection.rows) if event is not None and hasattr(event, "selection") else []
    chosen = table["slice"].iloc[rows[0]] if rows else None
    if chosen:
        sample = data.error_sample(project, run, n=n, seed=0, within=chosen)
        st.caption(f"{sample.n} of the {sample.total_errors} cv errors in {ui.literal(chosen)}")
        st.dataframe(sample.frame.drop(columns=["tags", "total_errors", "cv_n"]), hide_index=True, width="stretch")
    for w in found.warnings:
        st.warning(ui.literal(w))


def _suspects(project: str, run: str, kind) -> None:
    """The cv rows whose label looks wrong (confident learning), most doubtful first."""
    st.subheader("Label-noise suspects")
    if not kind.classification:
        st.info("Label-noise suspects need class probabilities; this run is a regression.")
        return
    found = data.suspects(project, run)
    if found is None:
        st.info("Label-noise suspects need predicted probabilities (y_score columns); this run has only y_pred.")
        return
    st.caption(f"About {found.estimated_issues:.1f} of {found.n} cv labels look wrong (95% bootstrap interval "
               f"{found.ci_low:.1f} to {found.ci_high:.1f}); confident learning on the model's cv probabilities. "
               "Tag the wrong ones 'label noise' in the sample above.")
    if found.frame.empty:
        st.info("No cv row's label is doubted.")
    else:
        st.dataframe(found.frame, hide_index=True, width="stretch")
    for w in found.warnings:
        st.warning(ui.literal(w))
