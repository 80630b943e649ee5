"""Diagnosis: the verdict card, where the error sits, what to try, warnings."""
import streamlit as st

from dashboard import charts, data, ui
from diagnose import present


def render(project: str, run: str) -> None:
    """Draw the page for the sidebar's project and run (navigation shows the title and makes sure a run
    is selected)."""
    stored = data.stored_run(project, run)
    report = stored.report
    st.caption(f"project {ui.literal(project)}, run {ui.literal(run)}, task {ui.literal(str(report.get('task')))}, "
               f"submitted {stored.summary.created_at:%Y-%m-%d %H:%M} UTC")
    ui.verdict_card(report)
    # built once per run (building and validating a chart is most of the script's time)
    charts.draw(data.run_drawing(project, run, ("levels",), lambda: charts.vega_spec(present.levels_chart(report))))
    far = present.other_baselines(report, shown=False)
    if far:
        st.caption("Not drawn, far above the errors: " + ", ".join(f"{ui.literal(k)} {v:.4g}" for k, v in far.items()))

    st.subheader("What to try")
    for line in report.get("recommendations", []):
        st.markdown(f"- {ui.literal(line)}")
    if report.get("warnings"):
        st.subheader("Warnings")
        for line in report["warnings"]:
            st.warning(ui.literal(line))
    shift = report.get("shift")
    if shift:
        st.subheader("Why test differs from cv")
        st.text(shift["conclusion"][:1].upper() + shift["conclusion"][1:] + ".")
        st.dataframe(present.shift_frame(shift), hide_index=True, width="stretch")

    calibration = report.get("calibration")
    if calibration:
        st.subheader("Calibration")
        st.dataframe(present.calibration_frame(calibration), hide_index=True)
        charts.draw(data.run_drawing(project, run, ("reliability",),
                                     lambda: charts.vega_spec(present.reliability_chart(calibration))))
        st.caption("Each bin's observed rate (with its 95% interval) against its mean score; on the diagonal the "
                   "scores are the rates they claim. Verdicts by Spiegelhalter's z-test; diagnose calibrate fits "
                   "and judges a recalibration.")

    st.subheader("Gaps")
    st.dataframe(present.gap_table(report), hide_index=True)
    st.subheader("Per split")
    st.dataframe(present.metrics_frame(report), hide_index=True)
    # sent only once opened (a rerun): the browser highlights a long code block even in a closed expander
    with st.expander("The full report as text", on_change="rerun", key="report_text") as shown:
        if shown.open:
            st.code(stored.text, language=None)
