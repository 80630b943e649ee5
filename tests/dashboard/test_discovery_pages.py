"""What the dashboard shows of the searches: the slices where cv errors concentrate and a
selected slice's errors (checked against a pandas filter of the stored cv rows), the
label-noise suspects, and why test differs from cv on the Diagnosis page."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from dashboard import ui
from diagnose import service, store
from tests.dashboard.test_pages import assert_clean, open_page, tables, texts
from tests.error_analysis.test_discovery_outputs import noisy_cv
from tests.error_analysis.test_slices import planted
from tests.fixtures import ROOT


def table_with(at, column: str) -> pd.DataFrame:
    """The page's one read-only table that has ``column``."""
    [found] = [t for t in tables(at) if column in t.columns]
    return found


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
    shown = table_with(at, "lift")
    assert shown["slice"].iloc[0] == "region=north & device=mobile"
    assert {"test n", "test error", "errors removed"} <= set(shown.columns)

    at.session_state["slices_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert_clean(at)
    errors = table_with(at, "y_pred")
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


def _store(url: str, run: str, **splits) -> None:
    engine = store.make_engine(url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run=run, baselines={"human": 0.05}, **splits)
    engine.dispose()


def test_diagnosis_page_explains_a_test_gap(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    folder = ROOT / "tests" / "data" / "shifted"
    _store(sqlite_url, "shifted", **{split: str(folder / f"{split}.csv") for split in ("train", "cv", "test")})
    at = open_page("diagnosis", project="p", run="shifted")
    assert_clean(at)
    assert "Why test differs from cv" in texts(at)
    assert any(t.value.startswith("Test has more region=north") for t in at.text)
    shift = table_with(at, "moved")
    assert shift.set_index("what").loc["region", "moved"] and not shift.set_index("what").loc["device", "moved"]


def test_error_analysis_lists_label_noise_suspects(sqlite_url, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    df, flipped = noisy_cv(np.random.default_rng(4), n=1500, flips=30)
    _store(sqlite_url, "noisy", train=df, cv=df)
    at = open_page("error_analysis", project="p", run="noisy")
    assert_clean(at)
    assert "Label-noise suspects" in texts(at) and "cv labels look wrong" in texts(at)
    listed = table_with(at, "suggested_label")
    assert {"given_label", "self_confidence"} <= set(listed.columns)
    assert set(listed["id"]) <= flipped and len(listed) >= 8  # confident learning flags the clear cases


@pytest.mark.parametrize("page", ["diagnosis", "thresholds", "error_analysis"])
def test_names_are_shown_as_text_not_markdown(sqlite_url, monkeypatch, page):
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", sqlite_url)
    name = "**bold** [link](http://example.invalid) <b>x</b>"
    t = pd.DataFrame({"y_true": [0, 1] * 100, "y_score": [0.2, 0.6] * 100})
    _store(sqlite_url, name, train=t, cv=t)
    at = open_page(page, project="p", run=name)
    assert_clean(at)
    caption = next(c.value for c in at.caption if "run " in c.value)
    # every Markdown and HTML character of the name is escaped: it renders as the name itself
    assert ui.literal(name) in caption and "**bold**" not in caption
