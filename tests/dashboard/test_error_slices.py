"""The Error analysis page's slices: the table of slices where cv errors concentrate, and a
selected slice's errors (checked against a pandas filter of the stored cv rows)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from diagnose import service, store
from tests.dashboard.test_pages import assert_clean, open_page, tables, texts
from tests.error_analysis.test_slices import planted


def test_slices_table_and_the_errors_of_a_selected_slice(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    seeds = {"train": 1, "cv": 2, "test": 3}
    splits = {name: planted(np.random.default_rng(seed), n=6000) for name, seed in seeds.items()}
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="planted", baselines={"human": 0.05}, **splits)
    engine.dispose()

    at = open_page("error_analysis", project="p", run="planted")
    assert_clean(at)
    assert "Slices" in texts(at) and "Select a row to see its errors" in texts(at)
    shown = tables(at)[-1]
    assert shown["slice"].iloc[0] == "region=north & device=mobile"
    assert {"test n", "test error", "errors removed"} <= set(shown.columns)

    at.session_state["slices_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert_clean(at)
    errors = tables(at)[-1]
    cv = splits["cv"]
    inside = cv[(cv["region"] == "north") & (cv["device"] == "mobile")]
    wrong = inside[(inside["y_score"] >= 0.5) != (inside["y_true"] == 1)]
    assert set(errors["id"]) <= set(wrong["id"]) and len(errors) == min(50, len(wrong))
    assert f"of the {len(wrong)} cv errors in region=north & device=mobile" in texts(at)


def test_a_run_without_slice_columns_says_so(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    t = pd.DataFrame({"y_true": [0, 1] * 100, "y_score": [0.2, 0.6] * 100})
    engine = store.make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="plain", train=t, cv=t)
    engine.dispose()
    at = open_page("error_analysis", project="p", run="plain")
    assert_clean(at)
    assert "no slice columns" in texts(at)
