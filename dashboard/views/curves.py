"""Curves: the learning curve and validation curves built from the project's stored runs."""
import streamlit as st

from dashboard import charts, data, ui
from diagnose import present


def render(project: str, run: str) -> None:
    """Draw the page for the sidebar's project and run (navigation shows the title and makes sure a run
    is selected)."""
    runs = data.overview(project)
    sizes = runs["train_size"].dropna().nunique()
    params = sorted({name for p in runs["params"] for name in p})
    st.caption(f"project {ui.literal(project)}: a learning curve needs runs stored with different training-set "
               "sizes, a validation curve runs with different values of one parameter")

    st.subheader("Learning curve")
    if sizes < 2:
        st.info(f"{'No run' if sizes == 0 else 'Only one run'} of project {ui.literal(project)} has a training-set "
                "size. Store runs trained on growing subsets with their train size (Upload page, or "
                "`diagnose submit --train-size M`) to see whether more data would help.")
    else:
        with ui.guard():  # a learning curve that cannot be drawn leaves the validation curve be
            chart, text = data.project_drawing(project, ("learning",), lambda: _drawn(data.learning_curve(project)))
            charts.draw(chart)
            ui.preformatted(text)  # as text: it holds run and parameter names

    st.subheader("Validation curve")
    if not params:
        st.info(f"No run of project {ui.literal(project)} has a parameter. Store runs that differ in one "
                "hyper-parameter with it (Upload page, or `diagnose submit --param lambda=0.1`).")
    else:
        param = st.selectbox("Parameter", params, key="curve_param")
        with ui.guard():
            chart, text = data.project_drawing(project, ("validation", param),
                                               lambda: _drawn(data.validation_curve(project, param)))
            charts.draw(chart)
            ui.preformatted(text)  # as text: it holds run and parameter names


def _drawn(curve) -> tuple:
    """The curve's chart (:func:`dashboard.charts.vega_spec`) and its text, built once per state of
    the project's runs (the chart's band is refitted each time it is built)."""
    return charts.vega_spec(present.curve_chart(curve)), present.render(curve, "text")
