"""The sign-in form in front of every page (DIAGNOSE_DASHBOARD_PASSWORD) and the read-only
dashboard (DIAGNOSE_DASHBOARD_READ_ONLY), page by page with AppTest. (The same in a real
browser, with --address 0.0.0.0: tests/dashboard/test_browser_safety.py.)"""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard import access, data
from diagnose.exceptions import DiagnoseError
from tests.dashboard import test_pages
from tests.dashboard.test_pages import assert_clean, open_page, shown, texts

demo, demo_url = test_pages.demo, test_pages.demo_url  # the demo database's fixtures
PASSWORD = "a long deployment password"


def _sign_in(at, password: str):
    at.text_input(key="_password").input(password)
    [button] = [b for b in at.button if b.label == "Sign in"]
    return button.click().run()


@pytest.mark.parametrize("page", ["runs", "diagnosis", "upload"])
def test_with_a_password_a_page_shows_only_the_sign_in_form(demo, monkeypatch, page):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_PASSWORD", PASSWORD)
    at = open_page(page)
    assert_clean(at)
    assert at.text_input(key="_password").value == ""
    # nothing from the database: no project picker, no caption, no table
    assert not at.sidebar.selectbox and not at.dataframe and not at.caption
    assert [t.value for t in at.title] == ["diagnose"]


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_page(demo, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_PASSWORD", PASSWORD)
    at = open_page("runs", project="samples")
    for wrong in ("", "a long deployment passwor", PASSWORD + " ", PASSWORD.upper()):
        monkeypatch.setattr(access, "WRONG_PASSWORD_DELAY", 0.0)
        _sign_in(at, wrong)
        assert [shown(e.value) for e in at.error] == ["Wrong password."]
        assert not at.sidebar.selectbox
    _sign_in(at, PASSWORD)
    assert_clean(at)
    assert "Compare two runs" in texts(at) and at.sidebar.selectbox(key="project").value == "samples"
    assert PASSWORD not in texts(at)
    at.run()  # the session stays signed in
    assert "Compare two runs" in texts(at)


def test_without_a_password_no_form_is_shown(demo, monkeypatch):
    monkeypatch.delenv("DIAGNOSE_DASHBOARD_PASSWORD", raising=False)
    at = open_page("runs", project="samples")
    assert_clean(at)
    assert not [t for t in at.text_input if t.key == "_password"] and "Compare two runs" in texts(at)


def test_password_comparison_is_exact():
    assert access.password_matches("s3cret", "s3cret")
    for other in ("s3cre", "s3cret ", "S3cret", "", "s3cret\x00"):
        assert not access.password_matches(other, "s3cret")
    assert access.password_matches("pässwörd ✓", "pässwörd ✓")


# ------------------------------------------------------------------ read-only

def test_read_only_turns_the_upload_page_off(demo, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_READ_ONLY", "1")
    at = open_page("upload")
    assert_clean(at)
    assert "read-only" in texts(at) and "uploads are turned off" in texts(at)
    assert not at.text_input and not at.button  # no form to fill, nothing to send
    assert "(read-only)" in shown(" ".join(c.value for c in at.sidebar.caption))


def test_read_only_shows_tags_but_offers_no_save(demo, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_READ_ONLY", "1")
    at = open_page("error_analysis", project="samples", run="breast_cancer")
    assert_clean(at)
    assert "saving tags is turned off" in texts(at)
    assert not [b for b in at.button if b.label == "Save tags"]
    [editor] = [d for d in at.dataframe if d.editing_mode != "read_only"]
    assert editor.proto.disabled  # the sample and its stored tags are shown, nothing can be typed


def test_a_read_only_dashboard_refuses_writes_below_the_pages(demo, monkeypatch):
    """The pages hide their writes; the write path refuses too (a second line)."""
    from dashboard.tagging import TagChanges

    monkeypatch.setenv("DIAGNOSE_DASHBOARD_READ_ONLY", "1")
    with pytest.raises(DiagnoseError, match="read-only"):
        data.save_tag_changes("samples", "breast_cancer", TagChanges(save={"1": "x"}), None)
    with pytest.raises(DiagnoseError, match="read-only"):
        data.writable_engine()
    monkeypatch.setenv("DIAGNOSE_DASHBOARD_READ_ONLY", "0")
    assert data.save_tag_changes("samples", "breast_cancer", TagChanges(save={"1": "x"}), None) == (1, 0)
    assert isinstance(data.tags("samples", "breast_cancer"), pd.DataFrame)
