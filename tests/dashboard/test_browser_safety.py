"""The dashboard in a real browser with hostile names, behind its password.

Once per module: a database whose project, runs, parameter, labels, slice column, baseline and
tags are named with HTML (``<img src=...>``), Markdown (``**bold** [link](...)``), ``</script>``
and control characters; every image and link in them points at a tiny HTTP listener of the
test's own. ``diagnose dashboard --address 0.0.0.0`` serves it with a password. The browser
signs in (a wrong password is refused first), visits every page and uploads a file whose name is
hostile too. Each page must show the names as the literal text they are, draw no element from
them, run no script from them, and make no request to the listener; the server's log must
hold no password. Without a password, ``--address 0.0.0.0`` refuses to start.
"""
from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from tests.dashboard import servers
from tests.dashboard.conftest import PAGE_TIMEOUT
from tests.dashboard.test_browser import ERROR_ALERT, EXCEPTION, page_text, wait_drawn
from tests.fixtures import ROOT

PASSWORD = "tr0ub4dor&3 but longer"
SIGN_IN_FORM = "[data-testid='stForm']"
PASSWORD_INPUT = "input[type='password']"


# ------------------------------------------------------------------ a listener for outside requests

class _Listener(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def listener():
    """An HTTP server on a free local port that records every request it gets."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Listener.seen
    finally:
        server.shutdown()


# ------------------------------------------------------------------ hostile names

class Names:
    """Every name the dashboard shows, each hostile; ``port`` is the listener's."""

    def __init__(self, port: int):
        at = f"http://127.0.0.1:{port}"
        self.project = f"**b0ld** [link]({at}/project) <img src={at}/project.png>"
        self.run = f"<img src={at}/run.png onerror=alert(1)></script><script>alert(2)</script>"
        self.other_run = f"ctrl\x07\x1b[31m\u202eev1l `c0de` ![pic]({at}/other.png) $x^2$"
        self.labels_run = f":red[c0lour] <b>l4bels</b> [x]({at}/labels)"
        self.param = f"<i>l4mbda</i>]({at}/param)"
        self.label = f"**lbl** <img src={at}/label.png>"
        self.slice = f"[s3g]({at}/slice)"
        self.slice_values = ("<i>n0rth</i>", f"**s0uth** ![s]({at}/south.png)")
        self.baseline = f"**hum4n**<img src={at}/baseline.png>"
        self.tag = f"**t4g** <img src={at}/tag.png> [t]({at}/tag)"
        self.file = "**f1le** [f](javascript:alert(3)) <img src=x onerror=alert(4)>.csv"  # no '/' in a file name
        self.upload_project = f"**upl0ad** <img src={at}/up.png>"
        self.upload_run = f"[run]({at}/uprun) </script>"


def _binary(rng: np.random.Generator, n: int, names: Names) -> pd.DataFrame:
    y = rng.integers(0, 2, n)
    score = np.clip(0.5 + (y - 0.5) * 0.5 + rng.normal(0, 0.3, n), 0.001, 0.999)
    slice_values = np.array(names.slice_values)[rng.integers(0, 2, n)]
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score, names.slice: slice_values})


def _multilabel(rng: np.random.Generator, n: int, names: Names) -> pd.DataFrame:
    frame = {"id": np.arange(n)}
    for label in (names.label, "plain"):
        y = rng.integers(0, 2, n)
        frame[f"y_true_{label}"] = y
        frame[f"y_score_{label}"] = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.3, n), 0.001, 0.999)
    return pd.DataFrame(frame)


def store_hostile_runs(url: str, names: Names) -> None:
    """Two binary runs (a learning and a validation curve, tags) and a multi-label one."""
    from diagnose import service, store

    rng = np.random.default_rng(7)
    engine = store.make_engine(url)
    with Session(engine) as s, s.begin():
        for run, size, value in ((names.run, 200, 0.1), (names.other_run, 400, 1.0)):
            service.submit_files(s, project=names.project, run=run, params={names.param: value}, train_size=size,
                                 train=_binary(rng, size, names), cv=_binary(rng, 300, names),
                                 test=_binary(rng, 300, names), baselines={names.baseline: 0.1})
        service.submit_files(s, project=names.project, run=names.labels_run, train=_multilabel(rng, 300, names),
                             cv=_multilabel(rng, 300, names))
        store.save_tags(s, project=names.project, run=names.run, tags={i: names.tag for i in range(40)},
                        reviewer="<b>rev</b>")
    engine.dispose()


# ------------------------------------------------------------------ the server and the browser

@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listener) -> tuple[Names, str]:
    servers.browser_or_skip()
    names = Names(listener[0])
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'hostile.db'}"
    store_hostile_runs(url, names)
    return names, url


@pytest.fixture(scope="module")
def server(hostile, tmp_path_factory):
    """``diagnose dashboard --address 0.0.0.0`` with a password, over the hostile database."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": hostile[1], "DIAGNOSE_DASHBOARD_PASSWORD": PASSWORD}
    proc, port = servers.start(env, log, "--address", "0.0.0.0")
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        servers.stop(proc)



def _wait_for(driver, css: str, timeout: float = PAGE_TIMEOUT):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def _replace_text(box, text: str) -> None:
    """Type ``text`` over what the input holds (clear() bypasses React's change events)."""
    from selenium.webdriver.common.keys import Keys

    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACK_SPACE)
    box.send_keys(text)


def _type_password(driver, password: str) -> None:
    from selenium.webdriver.common.by import By

    _replace_text(_wait_for(driver, PASSWORD_INPUT), password)
    [button] = [b for b in driver.find_elements(By.CSS_SELECTOR, f"{SIGN_IN_FORM} button") if "Sign in" in b.text]
    button.click()


def sign_in(driver, base: str, path: str, title: str, charts: int = 0) -> None:
    """Open ``path`` (a new session: the password form first), give the password, wait for the page."""
    driver.get(f"{base}/{path}")
    _type_password(driver, PASSWORD)
    wait_drawn(driver, title, charts)


# ------------------------------------------------------------------ what every page must (not) do

# elements that user text must never become
# (a <code> outside a <pre> would be a name's backticks rendered: st.code's own block is <pre><code>)
INJECTED = "img, script:not([src]), iframe, object, embed, a[href^='javascript'], strong, em, b, i, del, code"


def assert_inert(driver, port: int, seen: list[str], where: str) -> None:
    """No element drawn from a name, no alert, no request to the listener (server side and in the
    browser's own record of what it fetched)."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        pytest.fail(f"{where}: a script from a name ran (alert {alert.text!r})")
    except NoAlertPresentException:
        pass
    hostile_words = ("b0ld", "lbl", "t4g", "hum4n", "n0rth", "s0uth", "l4mbda", "l4bels", "f1le", "upl0ad", "ev1l",
                     "c0lour", "s3g", "rev", "c0de")
    made = driver.execute_script("""
        const words = arguments[1], port = arguments[2];
        return Array.from(document.querySelectorAll(arguments[0]))
            .filter(e => !(e.tagName === 'CODE' && e.closest('pre')))
            .filter(e => (e.src || e.href || '').includes(':' + port) ||
                         words.some(w => (e.textContent || '').includes(w)) ||
                         (e.tagName === 'IMG' && e.getAttribute('onerror')))
            .map(e => e.outerHTML.slice(0, 200));""", INJECTED, list(hostile_words), port)
    assert not made, f"{where}: elements made from user text: {made}"
    links = driver.execute_script("return Array.from(document.querySelectorAll('a[href]'), a => a.href)"
                                  ".filter(h => h.includes(':' + arguments[0]))", port)
    assert not links, f"{where}: links to the listener: {links}"
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes(':' + arguments[0]))",
        port)
    assert not fetched and not seen, f"{where}: requests to the listener: {fetched or seen}"
    errors = [e.text for e in driver.find_elements("css selector", f"{EXCEPTION}, {ERROR_ALERT}")]
    assert not errors, f"{where} shows errors: {errors}"


def assert_shows(text: str, expected: list[str], where: str) -> None:
    """Each expected text is on the page (read without the invisible word joiners that keep
    addresses from becoming links)."""
    text = text.replace("\u2060", "")
    missing = [e for e in expected if e not in text]
    assert not missing, f"{where}: these names are not shown as literal text: {missing}\n--- page:\n{text}"


def visible(name: str) -> str:
    """A name as the dashboard's captions and messages show it: control characters as escapes."""
    return (name.replace("\x07", "\\x07").replace("\x1b", "\\x1b").replace("\u202e", "\\u202e"))


def q(**params: str) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


# ------------------------------------------------------------------ the tests

def test_the_password_form_refuses_a_wrong_password_and_lets_the_right_one_in(driver, server, hostile):
    from selenium.webdriver.common.by import By

    base, _ = server
    names = hostile[0]
    driver.get(f"{base}/runs?{q(project=names.project)}")
    _wait_for(driver, PASSWORD_INPUT)
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "Password" in text and "Runs" not in [h.text for h in driver.find_elements(By.TAG_NAME, "h1")]
    assert "b0ld" not in text, "the sign-in page shows data from the database"  # no project list before it

    _type_password(driver, "not the password")
    deadline = time.monotonic() + PAGE_TIMEOUT
    while "Wrong password" not in driver.find_element(By.TAG_NAME, "body").text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Wrong password" in driver.find_element(By.TAG_NAME, "body").text
    assert driver.find_elements(By.CSS_SELECTOR, PASSWORD_INPUT), "the form went away after a wrong password"

    _type_password(driver, PASSWORD)
    wait_drawn(driver, "Runs", 0)
    assert "Runs" in [h.text.strip() for h in driver.find_elements(By.TAG_NAME, "h1")]
    assert not driver.find_elements(By.CSS_SELECTOR, PASSWORD_INPUT)
    assert_shows(page_text(driver), ["Compare two runs", f"project {names.project}"], "runs after sign-in")


# page, query, title, charts, the names that must show as literal text
PAGES = [
    ("runs", "project", "Runs", 0, ["project", "run", "other_run"]),
    ("diagnosis", "run", "Diagnosis", 1, ["project", "run", "baseline"]),
    ("thresholds", "labels_run", "Thresholds", 2, ["project", "labels_run", "label"]),
    ("curves", "project", "Curves", 2, ["project", "param"]),
    ("error-analysis", "run", "Error analysis", 0, ["project", "run"]),
]


@pytest.mark.parametrize("path, run, title, charts, shown", PAGES, ids=[p[0] for p in PAGES])
def test_hostile_names_show_as_text_on_every_page(driver, server, hostile, listener, path, run, title, charts,
                                                  shown):
    base, _ = server
    names = hostile[0]
    query = {"project": names.project} if run == "project" else {"project": names.project, "run": getattr(names, run)}
    sign_in(driver, base, f"{path}?{q(**query)}", title, charts)
    text = page_text(driver)
    assert_shows(text, [visible(getattr(names, n)) for n in shown], f"/{path}")
    assert_inert(driver, listener[0], listener[1], f"/{path}")
    if path == "curves":  # the curves' text blocks (ui.preformatted): the names in them are text, nothing else
        blocks = driver.execute_script("return Array.from(document.querySelectorAll('div.diagnose-text'), "
                                       "p => [p.textContent, p.querySelectorAll('*').length])")
        assert len(blocks) == 2 and all(inside == 0 for _, inside in blocks), blocks
        assert visible(names.param) in blocks[1][0], blocks[1][0]


def test_a_link_naming_a_missing_project_shows_its_name_as_text(driver, server, listener):
    """The issue's example: a crafted address must not put bold text and a link in the warning box."""
    base, _ = server
    crafted = f"**Session expired.** [Sign in again](http://127.0.0.1:{listener[0]}/phish)"
    sign_in(driver, base, f"runs?{q(project=crafted)}", "Runs")
    assert_shows(page_text(driver), [f"There is no project '{crafted}'"], "/runs with a crafted link")
    assert_inert(driver, listener[0], listener[1], "/runs with a crafted link")


def test_uploads_with_hostile_file_project_and_run_names(driver, server, hostile, listener, tmp_path):
    from selenium.webdriver.common.by import By

    base, _ = server
    names = hostile[0]
    rng = np.random.default_rng(11)
    good = _binary(rng, 200, names)
    folder = tmp_path / "files"
    folder.mkdir()
    bad_file = folder / names.file
    good.assign(y_score=good["y_score"] + 1.0).to_csv(bad_file, index=False)  # scores above 1: refused
    train, cv = folder / "train.csv", folder / "cv.csv"
    good.to_csv(train, index=False)
    _binary(rng, 200, names).to_csv(cv, index=False)

    def fill(train_path: Path, cv_path: Path) -> None:
        sign_in(driver, base, "upload", "Upload a run")
        fields = {e.get_attribute("aria-label"): e for e in driver.find_elements(By.CSS_SELECTOR, "input[type='text']")}
        _replace_text(fields["Project"], names.upload_project)
        _replace_text(fields["Run name"], names.upload_run)
        uploads = driver.find_elements(By.CSS_SELECTOR, "input[type='file']")
        uploads[0].send_keys(str(train_path))
        uploads[1].send_keys(str(cv_path))
        time.sleep(1.0)  # the files go up before the form is sent
        [send] = [b for b in driver.find_elements(By.TAG_NAME, "button") if "Diagnose and store" in b.text]
        send.click()

    fill(bad_file, cv)
    deadline = time.monotonic() + PAGE_TIMEOUT
    while not driver.find_elements(By.CSS_SELECTOR, ERROR_ALERT) and time.monotonic() < deadline:
        time.sleep(0.2)
    [message] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ERROR_ALERT)]
    assert message.startswith(names.file), message  # the file's name, as text, starts the message
    made = driver.find_element(By.CSS_SELECTOR, ERROR_ALERT).find_elements(By.CSS_SELECTOR, "a, img, strong, em")
    assert not made, [e.get_attribute("outerHTML") for e in made]

    fill(train, cv)
    deadline = time.monotonic() + PAGE_TIMEOUT
    while "Stored run" not in page_text(driver) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert_shows(page_text(driver), [f"Stored run {names.upload_run} in project {names.upload_project}"], "/upload")
    assert_inert(driver, listener[0], listener[1], "/upload")


def test_the_server_log_holds_no_password_and_no_error(server, driver):
    """Runs after the pages (module order)."""
    _, log = server
    text = log.read_text(errors="replace")
    assert PASSWORD not in text
    bad = [line for line in text.splitlines() if "Traceback" in line or " ERROR " in line]
    assert not bad, f"the dashboard's log has errors:\n{text}"


def test_a_public_address_without_a_password_does_not_start(tmp_path):
    servers.browser_or_skip()  # a browser test in spirit: the server that would have served pages
    port = servers.free_port()
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'runs.db'}",
           "DIAGNOSE_DASHBOARD_PASSWORD": ""}
    done = subprocess.run(servers.diagnose("dashboard", "--address", "0.0.0.0", "--port", str(port)), env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "DIAGNOSE_DASHBOARD_PASSWORD" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not servers.listening(port)


def test_the_database_password_is_on_no_page_and_in_no_log(driver, postgres_url, tmp_path):
    """A PostgreSQL URL holding a password (trust authentication ignores it): the sidebar shows it
    masked, and neither a page's HTML nor the server's output holds it, on the command line's side
    or Streamlit's."""
    from selenium.webdriver.common.by import By
    from sqlalchemy.engine import make_url

    secret = "Pg-pa55word-never-shown"
    url = make_url(postgres_url).set(password=secret).render_as_string(hide_password=False)
    log = tmp_path / "server.log"
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": url, "DIAGNOSE_DASHBOARD_PASSWORD": ""}
    store_hostile_runs(url, Names(9))
    proc, port = servers.start(env, log)
    try:
        for path, title in (("runs", "Runs"), ("upload", "Upload a run")):
            driver.get(f"http://127.0.0.1:{port}/{path}")
            wait_drawn(driver, title, 0)
            sidebar = driver.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']").text
            assert "database: postgresql+psycopg://postgres:***@" in sidebar.replace("\u2060", ""), sidebar
            assert secret not in driver.page_source and secret not in page_text(driver)
    finally:
        servers.stop(proc)
    text = log.read_text(errors="replace")
    assert "postgres:***@" in text and secret not in text
