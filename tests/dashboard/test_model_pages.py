"""The dashboard's views of calibration (Diagnosis), the decision curve (Thresholds) and two
runs compared row by row (Runs), on the demo database; figures against direct computations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session
from statsmodels.stats.contingency_tables import mcnemar

from diagnose import store
from tests.dashboard import test_pages
from tests.dashboard.test_pages import SAMPLE, assert_clean, charts, open_page, tables, texts

demo, demo_url = test_pages.demo, test_pages.demo_url  # the demo database's fixtures


def table_with(at, column: str) -> pd.DataFrame:
    [found] = [t for t in tables(at) if column in t.columns]
    return found


def test_diagnosis_shows_calibration_of_each_split(demo):
    at = open_page("diagnosis", project="samples", run="breast_cancer")
    assert_clean(at)
    assert "Calibration" in texts(at)
    shown = table_with(at, "ECE").set_index("split")
    with Session(store.make_engine(demo)) as s:
        report = store.get_run(s, "samples", "breast_cancer").report
    for split in ("train", "cv", "test"):
        assert shown.loc[split, "ECE"] == pytest.approx(report["calibration"][split]["ece"])
        assert shown.loc[split, "verdict"] == report["calibration"][split]["verdict"]
    # the ECE itself, from its definition on the sample file
    cv = pd.read_csv(SAMPLE / "breast_cancer" / "cv.csv")
    bins = np.minimum((cv["y_score"] * 15).astype(int), 14)
    gaps = cv.groupby(bins).apply(lambda g: abs(g["y_true"].mean() - g["y_score"].mean()) * len(g),
                                  include_groups=False)
    assert shown.loc["cv", "ECE"] == pytest.approx(gaps.sum() / len(cv))
    assert charts(at) >= 2  # the levels chart and the reliability diagram


def test_thresholds_page_draws_the_decision_curve(demo):
    at = open_page("thresholds", project="samples", run="breast_cancer")
    assert_clean(at)
    assert "Decision curve" in texts(at)
    assert charts(at) >= 3


def test_runs_page_compares_two_runs_row_by_row_and_tags_the_disagreements(demo):
    at = open_page("runs", project="samples")
    at.selectbox(key="compare_a").set_value("digits")
    at.selectbox(key="compare_b").set_value("high_variance")
    at.run()
    assert_clean(at)
    assert "Row by row" in texts(at)
    paired = table_with(at, "McNemar p").set_index("split")

    def wrong(split):
        frame = pd.read_csv(SAMPLE / split[0] / f"{split[1]}.csv").set_index("id").sort_index()
        probs = frame[[c for c in frame.columns if c.startswith("y_prob_")]].to_numpy()
        return probs.argmax(axis=1) != frame["y_true"].to_numpy()

    a, b = wrong(("digits", "cv")), wrong(("high_variance", "cv"))
    table = [[np.sum(~a & ~b), np.sum(~a & b)], [np.sum(a & ~b), np.sum(a & b)]]
    assert paired.loc["cv", "McNemar p"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    assert paired.loc["cv", "b - a"] == pytest.approx(b.mean() - a.mean())
    assert paired.loc["cv", "verdict"] == "a is better"
    rows = at.data_editor(key="paired_tags_digits_high_variance").value
    assert len(rows) == min(50, int(np.sum(a != b)))
    ids = pd.read_csv(SAMPLE / "digits" / "cv.csv")["id"].sort_values().to_numpy()
    right = dict(zip(ids.astype(str), np.where(a, "b", "a")))
    assert all(right[i] == r for i, r in zip(rows["id"], rows["right"]))
    # tag one disagreement; it is stored with the first run
    first = str(rows["id"].iloc[0])
    at.session_state["paired_tags_digits_high_variance"] = {
        "edited_rows": {0: {"tags": "ambiguous digit"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="paired_save_digits_high_variance").click().run()
    assert_clean(at)
    with Session(store.make_engine(demo)) as s:
        stored = store.get_tags(s, project="samples", run="digits")
    assert dict(zip(stored["sample_id"].astype(str), stored["tags"]))[first] == "ambiguous digit"
