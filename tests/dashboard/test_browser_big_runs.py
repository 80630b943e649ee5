"""The big-run pages in a real browser (headless Chromium against ``diagnose dashboard``), on the
demo runs with DIAGNOSE_DASHBOARD_BIG_RUN_ROWS set low so that every run counts as big:
Thresholds says its counts come from the histograms, Error analysis opens with the sample and
a button, and the button draws the sections that read every cv row."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.dashboard import servers
from tests.dashboard.conftest import PAGE_TIMEOUT
from tests.dashboard.test_browser import EXCEPTION, page_text, wait_drawn
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def big_url(tmp_path_factory) -> str:
    servers.browser_or_skip()
    folder = tmp_path_factory.mktemp("big")
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
           "DIAGNOSE_DASHBOARD_BIG_RUN_ROWS": "10"}
    demo = subprocess.run(servers.diagnose("demo"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert demo.returncode == 0, f"diagnose demo failed:\n{demo.stdout}\n{demo.stderr}"
    proc, port = servers.start(env, folder / "server.log", "--address", "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        servers.stop(proc)


def _shown(driver, text: str) -> str:
    deadline = time.monotonic() + PAGE_TIMEOUT
    while time.monotonic() < deadline:
        body = page_text(driver)
        if text in body:
            return body
        time.sleep(0.2)
    return page_text(driver)


def test_thresholds_of_a_stored_run_come_from_its_histograms(driver, big_url):
    from selenium.webdriver.common.by import By

    driver.get(f"{big_url}/thresholds?project=samples&run=breast_cancer")
    wait_drawn(driver, "Thresholds", 3)
    body = _shown(driver, "No row is read")
    assert "Counted from the run's stored score histograms" in body
    assert "the counts are those at threshold" in body
    assert not driver.find_elements(By.CSS_SELECTOR, EXCEPTION)


def test_a_big_runs_error_analysis_waits_for_the_button(driver, big_url):
    from selenium.webdriver.common.by import By

    driver.get(f"{big_url}/error-analysis?project=samples&run=breast_cancer")
    wait_drawn(driver, "Error analysis", 0)
    body = _shown(driver, "Read every cv row")
    assert "so the page opened with the sample only" in body
    assert "Save tags" in body and "Label-noise suspects" not in body  # (the caption says "label-noise")
    button = next(b for b in driver.find_elements(By.TAG_NAME, "button") if "Read every cv row" in b.text)
    button.click()
    body = _shown(driver, "Label-noise suspects")
    assert "Label-noise suspects" in body and "Slices" in body
    assert not driver.find_elements(By.CSS_SELECTOR, EXCEPTION)
