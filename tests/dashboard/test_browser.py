"""Browser smoke test of the Streamlit dashboard: real server, real Chromium.

Once per module: ``diagnose demo`` fills a fresh SQLite database, ``diagnose dashboard`` serves
it on a free port, and one headless Chromium (Debian's chromium + chromedriver) visits each
page. A page passes when its title is drawn, the script has finished, the expected texts are
there, the charts are drawn, and it shows no exception and no error alert. Every page leaves a
screenshot in ``$DIAGNOSE_TEST_ARTIFACTS/dashboard/`` (default ``<repo>/test-artifacts``), and
the server's log lands beside them.

Without /usr/bin/chromium, /usr/bin/chromedriver or selenium the test is skipped, unless
DIAGNOSE_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.dashboard import servers
from tests.dashboard.conftest import PAGE_TIMEOUT
from tests.fixtures import ROOT

ARTIFACTS_ENV = "DIAGNOSE_TEST_ARTIFACTS"

# DOM selectors (Streamlit 1.67)
STATUS_RUNNING = "[data-testid='stStatusWidget']"   # present while the script runs
EXCEPTION = "[data-testid='stException']"           # st.exception / uncaught error box
ERROR_ALERT = "[data-testid='stAlertContentError']"  # st.error (stAlert > stAlertContainer > this)
DIALOG = "[data-testid='stDialog']"                  # Streamlit's "Page not found" is a dialog
CHART = ("[data-testid='stVegaLiteChart'] svg.marks, "   # a drawn Vega-Lite chart (svg or canvas)
         "[data-testid='stVegaLiteChart'] canvas")
TABLE_CELL = "[data-testid='stDataFrame'] [data-testid^='glide-cell-']"  # st.dataframe draws on a
#   canvas; its cells' text lives only in these (invisible) accessibility cells

SETTLE = 0.5          # seconds the page must stay unchanged before it counts as drawn
MIN_SCREENSHOT_BYTES = 10_000


# page id (also the screenshot's name), address, title, expected texts, minimum number of charts
PAGES = [
    pytest.param("diagnosis", "diagnosis?project=samples&run=high_variance", "Diagnosis",
                 ["High variance", "What to try", "Where the error sits", "Calibration"], 2, id="diagnosis"),
    pytest.param("thresholds", "thresholds?project=samples&run=breast_cancer", "Thresholds",
                 ["Precision/recall curve", "At the slider's threshold", "Confusion matrix, cv",
                  "The threshold chosen on cv", "Decision curve"], 3, id="thresholds"),
    pytest.param("runs", "runs?project=samples", "Runs",
                 ["Compare two runs", "breast_cancer", "skewed", "Row by row"], 0, id="runs"),
    # the root address forwards to Runs
    pytest.param("root", "?project=digits-learning", "Runs", ["Compare two runs", "m=1078"], 0, id="root"),
    pytest.param("curves-learning", "curves?project=digits-learning", "Curves",
                 ["Learning curve", "high_variance"], 1, id="curves-learning"),
    pytest.param("curves-validation", "curves?project=diabetes-lambda", "Curves",
                 ["Validation curve", "lambda"], 1, id="curves-validation"),
    pytest.param("error-analysis", "error-analysis?project=samples&run=breast_cancer",
                 "Error analysis", ["Save tags", "Cohorts", "Slices"], 0, id="error-analysis"),
    pytest.param("upload", "upload", "Upload a run", ["Diagnose and store"], 0, id="upload"),
]


# ------------------------------------------------------------------ fixtures (once per module)

@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get(ARTIFACTS_ENV) or ROOT / "test-artifacts") / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server_log(artifacts) -> Path:
    return artifacts / "server.log"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """The URL of the fresh database the dashboard serves (the demo runs, stored by dashboard_url)."""
    return f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'demo.db'}"


@pytest.fixture(scope="module")
def dashboard_url(demo_db, server_log) -> str:
    """Base address of a dashboard served over a fresh database holding the demo runs."""
    servers.browser_or_skip()  # no server without a browser to look at it
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": demo_db}
    demo = subprocess.run(servers.diagnose("demo"), env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=180)
    assert demo.returncode == 0, f"diagnose demo failed:\n{demo.stdout}\n{demo.stderr}"
    proc, port = servers.start(env, server_log, "--address", "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        servers.stop(proc)



# ------------------------------------------------------------------ helpers

def page_text(driver) -> str:
    """The page's visible text, plus the text of st.dataframe cells (drawn on a canvas)."""
    from selenium.webdriver.common.by import By

    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", TABLE_CELL)
    return driver.find_element(By.TAG_NAME, "body").text + "\n" + "\n".join(cells)


def wait_drawn(driver, title: str, charts: int) -> None:
    """Wait until the page's title is drawn, the script has finished, ``charts`` charts are
    drawn, and the page has stayed the same for SETTLE seconds."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + PAGE_TIMEOUT
    last, since = None, time.monotonic()
    while True:
        # read in one script call: elements found first may be redrawn (stale) before .text
        h1 = driver.execute_script("return Array.from(document.querySelectorAll('h1'), e => e.innerText.trim())")
        ready = (title in h1
                 and not driver.find_elements(By.CSS_SELECTOR, STATUS_RUNNING)
                 and len(driver.find_elements(By.CSS_SELECTOR, CHART)) >= charts)
        state = (ready, driver.execute_script("return document.body.innerHTML.length"))
        now = time.monotonic()
        if state != last:
            last, since = state, now
        elif ready and now - since >= SETTLE:
            return
        if now > deadline:
            return  # the assertions that follow say what is missing
        time.sleep(0.1)


# ------------------------------------------------------------------ the test

@pytest.mark.parametrize("name, path, title, texts, charts", PAGES)
def test_dashboard_page_renders(driver, dashboard_url, artifacts, name, path, title, texts, charts):
    from selenium.webdriver.common.by import By

    driver.get(f"{dashboard_url}/{path}")
    wait_drawn(driver, title, charts)
    shot = artifacts / f"{name}.png"
    shot.unlink(missing_ok=True)
    assert driver.save_screenshot(str(shot)), f"no screenshot of /{path}"

    h1 = [e.text.strip() for e in driver.find_elements(By.TAG_NAME, "h1")]
    assert title in h1, f"/{path}: no title {title!r} (h1: {h1})"
    assert not driver.find_elements(By.CSS_SELECTOR, STATUS_RUNNING), f"/{path}: still running"

    text = page_text(driver)
    missing = [t for t in texts if t not in text]
    assert not missing, f"/{path}: missing {missing} in the page's text:\n{text}"

    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"{EXCEPTION}, {ERROR_ALERT}")]
    assert not errors, f"/{path} shows errors: {errors}"
    drawn = len(driver.find_elements(By.CSS_SELECTOR, CHART))
    assert drawn >= charts, f"/{path}: {drawn} charts drawn, expected at least {charts}"

    dialogs = [e.text for e in driver.find_elements(By.CSS_SELECTOR, DIALOG)]
    assert not dialogs, f"/{path} opened a dialog (\"Page not found\" for a wrong address): {dialogs}"

    assert shot.stat().st_size > MIN_SCREENSHOT_BYTES, f"{shot} is nearly empty"


def test_the_curve_text_is_a_monospace_block_of_exactly_its_text(driver, dashboard_url, demo_db):
    """The learning curve's text (ui.preformatted, not st.code): in the browser one block with no
    element inside, in a monospace font with every space kept, whose text is the curve's text."""
    from diagnose import present, service

    driver.get(f"{dashboard_url}/curves?project=digits-learning")
    wait_drawn(driver, "Curves", 1)
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('div.diagnose-text'), p => [p.textContent, "
        "p.querySelectorAll('*').length, getComputedStyle(p).fontFamily, getComputedStyle(p).whiteSpace])")
    with service.session(demo_db) as s:
        expected = present.render(service.learning_curve_from_store(s, "digits-learning"), "text")
    assert len(found) == 1, found
    text, inside, font, space = found[0]
    assert (inside, space) == (0, "pre") and "monospace" in font
    assert text == expected and "Verdict: high_variance" in text


def test_server_log_has_no_errors(dashboard_url, server_log):
    """Runs after the pages (module order): the dashboard logged no traceback or error."""
    log = server_log.read_text(errors="replace")
    bad = [line for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
    assert not bad, f"the dashboard's log ({server_log}) has errors:\n{log}"
