"""Upload: store a run from its prediction files (nothing is stored when a file is bad)."""
import math

import streamlit as st

from dashboard import access, data, ui, uploads
from diagnose import settings


def render(project: str | None, run: str | None) -> None:
    """Draw the Upload form (``project`` fills in the project field)."""
    if access.read_only():
        st.info(access.READ_ONLY_NOTE.format(what="uploads are"))
        return
    max_mb = float(settings.get("upload_max_mb"))
    st.caption(f"CSV or Parquet, one file per split, columns as in docs/input-format.md (y_true with y_score, "
               f"y_prob_<class>, y_true_<label>/y_score_<label> or y_pred; optional id, weight and slice columns). "
               f"Up to {max_mb:g} MB a file (DIAGNOSE_UPLOAD_MAX_MB); store bigger runs with `diagnose submit`.")
    with st.form("upload"):
        left, right = st.columns(2)
        name_project = left.text_input("Project", value=project or "default", key="upload_project")
        name_run = right.text_input("Run name", key="upload_run", placeholder="e.g. logreg-2026-11-26")
        files = {split: st.file_uploader(f"{split} predictions" + (" (optional)" if split == "test" else ""),
                                         type=["csv", "parquet", "pq"], key=f"upload_{split}",
                                         max_upload_size=max(1, math.ceil(max_mb)))
                 for split in uploads.SPLIT_FILES}
        baselines = st.text_input("Baselines", key="upload_baselines", placeholder="human=0.02, guess=0.1",
                                  help="error levels to judge the model by: human-level, a competing system, a guess")
        left, right = st.columns(2)
        train_size = left.text_input("Training-set size (for learning curves)", key="upload_train_size")
        params = right.text_input("Parameters (for validation curves)", key="upload_params",
                                  placeholder="lambda=0.1, degree=3")
        with st.expander("Reading options"):
            task = st.selectbox("Task", uploads.TASK_CHOICES, key="upload_task")
            positive = st.text_input("Positive label (binary with class names)", key="upload_positive")
        submitted = st.form_submit_button("Diagnose and store", type="primary")

    if submitted:
        upload = uploads.Upload(project=name_project, run=name_run, files=files, baselines=baselines,
                                train_size=train_size, params=params, task=task, positive_label=positive)
        with st.spinner("Checking the files and computing the diagnosis..."):
            summary, _ = uploads.store(data.writable_engine(), upload, max_mb=max_mb)
        data.forget_lists()
        ui.select_next(summary.project, summary.run)
        words = ui.VERDICT_TITLES.get(summary.verdict, summary.verdict)
        ui.flash("success", f"Stored run {ui.literal(summary.run)} in project {ui.literal(summary.project)}: "
                            f"{words}. The other pages now show it.")
        st.rerun()
