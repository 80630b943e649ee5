"""Thresholds: precision/recall and F1 by threshold, a slider, the metrics and confusion
matrix at the slider's threshold, and the threshold chosen on cv with its test metrics.

A binary run stored with its statistics is drawn from its score histograms, with no row
read: the slider moves on the histogram's bucket edges, where the counts are exact (see
:mod:`dashboard.scoregrid`), and the chosen threshold's figures are the stored report's.
A report computed by streaming stores no precision/recall curve: the charts are then drawn
from the cv histogram, at its occupied buckets' lower edges (exact there).
Multi-label runs, and runs stored before diagnose kept statistics, read their rows and
sweep every distinct score exactly."""
import pandas as pd
import streamlit as st

from dashboard import charts, data, scoregrid, ui
from diagnose import present
from diagnose.ingest import task_type


def metrics_row(split: str, threshold: float, m) -> dict:
    """One row of the table at the slider: the metrics and confusion counts of ``m``
    (a :class:`~diagnose.thresholds.PRF`).

    >>> from diagnose.thresholds import PRF
    >>> metrics_row("cv", 0.5, PRF.from_counts(tp=8, pp=10, positives=12, total=100))["FN"]
    4.0
    """
    return {"split": split, "threshold": threshold, "precision": m.precision, "recall": m.recall, "F1": m.f1,
            "accuracy": m.accuracy, "TP": m.tp, "FP": m.fp, "FN": m.fn, "TN": m.tn}


def render(project: str, run: str) -> None:
    """Draw the page for the sidebar's project and run (navigation shows the title and makes sure a run
    is selected). A binary run with stored statistics is drawn from its score histograms (no row
    read); multi-label runs and runs stored without statistics from the exact sweep of their rows."""
    report = data.stored_run(project, run).report
    task, result = report.get("task"), report.get("threshold")
    kind = task_type(task)
    if kind.thresholds and not kind.multi_output and data.stored_statistics(project, run) is not None:
        _from_histogram(project, run, report, result or {})
        return
    splits = data.splits(project, run)
    label, index = None, None
    if kind.multi_output and result and result.get("labels"):
        label = st.selectbox("Label", list(result["labels"]), key="threshold_label")
        result, index = result["labels"][label], list(splits.cv.classes).index(label)
    if not kind.thresholds:
        st.info(ui.literal((result or {}).get("message") or
                           f"Run {run} is a {task} run: decision thresholds apply to binary and multi-label scores."))
    elif splits.cv.y_score is None:
        st.info(f"Run {ui.literal(run)} holds hard predictions (y_pred) only: with no scores there is no threshold "
                "to tune.")
    else:
        chosen = result.get("value")
        where = f"project {ui.literal(project)}, run {ui.literal(run)}"
        where += f", label {ui.literal(label)}" if label else ""
        st.caption(f"{where}; rule {ui.literal(str(result.get('rule')))}, chosen on cv; a row is positive when its "
                   "score >= the threshold")
        if result.get("message"):
            st.info(ui.literal(result["message"]))
        cv_sweep = data.threshold_sweep(project, run, "cv", index)
        has_test = splits.test is not None and splits.test.y_score is not None
        test_sweep = data.threshold_sweep(project, run, "test", index) if has_test else None
        low = min(0.0, float(cv_sweep.thresholds[0])) if len(cv_sweep.thresholds) else 0.0
        high = max(1.0, float(cv_sweep.thresholds[-1])) if len(cv_sweep.thresholds) else 1.0
        # the slider starts exactly at the chosen threshold (rounding it could move a row across)
        start = float(chosen) if chosen is not None else 0.5
        t = st.slider("Threshold", min_value=low, max_value=high, value=min(max(start, low), high),
                      step=0.001, format="%.5f", key=f"threshold_{run}_{label}")
        at_cv = cv_sweep.at(t)

        def build() -> tuple | None:
            curve = pd.DataFrame(result.get("curve") or [])
            if curve.empty:
                return None
            chosen_point = None
            if chosen is not None:
                cm = cv_sweep.at(chosen)
                chosen_point = {"threshold": chosen, "precision": cm.precision, "recall": cm.recall}
            return _curve_drawing(curve, chosen, chosen_point, {"threshold": t, "precision": at_cv.precision,
                                                                "recall": at_cv.recall})

        _curve_charts(data.run_drawing(project, run, ("rows", label, t), build, moving=True))

        st.subheader(f"At the slider's threshold {t:.5g}")
        rows = [metrics_row("cv", t, at_cv)]
        if test_sweep is not None:
            rows.append(metrics_row("test", t, test_sweep.at(t)))
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        cols = st.columns(len(rows))
        for col, row, sw in zip(cols, rows, (cv_sweep, test_sweep)):
            col.markdown(f"**Confusion matrix, {row['split']}**")
            ui.markdown_table(present.confusion_frame(sw.at(t)), col)

        _chosen(result, chosen, has_test=has_test)
        _decision_curve(project, run, report, label)


def _from_histogram(project: str, run: str, report: dict, result: dict) -> None:
    """The page from the run's stored score histograms: counts at the grid's edges, exact there."""
    cv, test = data.edge_counts(project, run, "cv"), data.edge_counts(project, run, "test")
    if cv is None:
        st.info(f"Run {ui.literal(run)} holds hard predictions (y_pred) only: with no scores there is no threshold "
                "to tune.")
        return
    chosen = result.get("value")
    st.caption(f"project {ui.literal(project)}, run {ui.literal(run)}; rule {ui.literal(str(result.get('rule')))}, "
               "chosen on cv; a row is positive when its score >= the threshold")
    if result.get("message"):
        st.info(ui.literal(result["message"]))
    start = float(chosen) if chosen is not None else 0.5
    value = st.slider("Threshold", min_value=0.0, max_value=(scoregrid.BUCKETS - 1) * scoregrid.STEP,
                      value=scoregrid.nearest_edge(start) * scoregrid.STEP, step=scoregrid.STEP, format="%.5f",
                      key=f"threshold_{run}_None")
    k = scoregrid.nearest_edge(value)
    t = float(scoregrid.edges()[k])
    at_cv = cv.at(k)
    picked_cv = result.get("cv") or {}

    def build() -> tuple[bool, tuple | None]:
        curve = pd.DataFrame(result.get("curve") or [])
        from_histogram = curve.empty and cv.total > 0
        if from_histogram:  # a streamed report stores no curve: draw it from the cv histogram
            curve = cv.curve(chosen, rule=result.get("rule")).to_frame()
        if curve.empty:
            return from_histogram, None
        chosen_point = None
        if chosen is not None and picked_cv.get("precision") is not None:
            chosen_point = {"threshold": chosen, "precision": picked_cv["precision"], "recall": picked_cv["recall"]}
        return from_histogram, _curve_drawing(curve, chosen, chosen_point,
                                              {"threshold": t, "precision": at_cv.precision, "recall": at_cv.recall})

    from_histogram, drawing = data.run_drawing(project, run, ("histogram", k), build, moving=True)
    _curve_charts(drawing)
    if drawing is not None and from_histogram:
        st.caption(f"The stored report holds no precision/recall curve (it was computed by streaming), so "
                   f"both charts are drawn from the run's stored cv score histogram ({scoregrid.BUCKETS:,} "
                   f"buckets over [0, 1]): each of their {drawing[3]:,} points is at the lower edge of an "
                   f"occupied bucket, where it is exact. No row is read.")

    st.subheader(f"At the slider's threshold {t:.5g}")
    st.caption(f"Counted from the run's stored score histograms ({scoregrid.BUCKETS:,} buckets over [0, 1]): exact "
               f"at a bucket's lower edge, so the slider moves on the edges and the counts are those at threshold "
               f"{t!r} (edge {k:,}), the edge the slider shows to 5 decimals. No row is read.")
    rows = [metrics_row("cv", t, at_cv)]
    counts = [at_cv]
    if test is not None:
        counts.append(test.at(k))
        rows.append(metrics_row("test", t, counts[-1]))
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    for col, row, m in zip(st.columns(len(rows)), rows, counts):
        col.markdown(f"**Confusion matrix, {row['split']}**")
        ui.markdown_table(present.confusion_frame(m), col)
    _chosen(result, chosen, has_test=test is not None)
    _decision_curve(project, run, report, None)


def _curve_drawing(curve: pd.DataFrame, chosen, chosen_point: dict | None, current: dict) -> tuple:
    """The precision/recall chart and the measures-by-threshold chart (as
    :func:`dashboard.charts.vega_spec`), with the rows drawn and the curve's rows: the curve
    thinned to what the pixels show (:func:`dashboard.charts.thin_curve`), the marked points exact."""
    drawn = charts.thin_curve(curve, keep=[] if chosen is None else [chosen])
    return (charts.vega_spec(present.pr_chart(drawn, chosen=chosen_point, current=current)),
            charts.vega_spec(present.threshold_chart(drawn, chosen=chosen, current=current["threshold"])),
            len(drawn), len(curve))


def _curve_charts(drawing: tuple | None) -> None:
    """A :func:`_curve_drawing`'s two charts side by side (nothing for a run without a curve)."""
    if drawing is None:
        return
    pr, by_threshold, drawn, rows = drawing
    left, right = st.columns(2)
    charts.draw(pr, left)
    charts.draw(by_threshold, right)
    if drawn < rows:
        st.caption(f"Each line is drawn through {drawn:,} of the curve's {rows:,} points (their exact "
                   "values) and passes within half a pixel of the others: what the chart's pixels can show.")


def _chosen(result: dict, chosen, *, has_test: bool) -> None:
    """The threshold chosen on cv with its stored figures (exact: as the report computed them)."""
    st.subheader("The threshold chosen on cv")
    if chosen is None:
        st.info(ui.literal("No threshold was chosen on cv" + (f": {result['message']}" if result.get("message")
                                                                else ".")))
        return
    picked = [{"split": s, "threshold": chosen, **{k: v for k, v in (result.get(s) or {}).items()}}
              for s in ("cv", "test") if result.get(s)]
    st.dataframe(pd.DataFrame(picked), hide_index=True)
    b = result.get("bootstrap")
    if b and b.get("value_low") is not None:
        st.caption(f"bootstrap 95% interval of the chosen threshold: [{b['value_low']:.4g}, "
                   f"{b['value_high']:.4g}]; cv F1 [{b['f1_low']:.4g}, {b['f1_high']:.4g}] "
                   f"({b['reps']} resamples of cv)")
    if not has_test:
        st.caption("The run has no test split: the chosen threshold's test metrics need one.")


def _decision_curve(project: str, run: str, report: dict, label: str | None) -> None:
    """Net benefit by threshold probability, against treating everyone or no one."""
    curves = (report.get("threshold") or {}).get("decision_curve")
    if not curves:
        return
    if label is not None:
        curves = {split: c["labels"][label] for split, c in curves.items() if label in (c.get("labels") or {})}
    st.subheader("Decision curve")
    charts.draw(data.run_drawing(project, run, ("decision", label),
                                 lambda: charts.vega_spec(present.decision_chart(curves))))
    st.caption("Net benefit = TP/n - FP/n x p/(1 - p) when acting on the scores at threshold probability p; "
               "the model is worth using where its curve is above both treat all and treat none (Vickers & "
               "Elkin 2006).")
