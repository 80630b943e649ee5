"""Benchmark: the dashboard's pages on a stored binary run with 1M rows per split.

Run: .venv/bin/python benchmarks/bench_dashboard.py [--rows N] [--rerenders K] [--curve-runs C] [--browser]
     .venv/bin/python benchmarks/bench_dashboard.py --server --rows 10000000 [--db FILE]   (issue 15)
     .venv/bin/python benchmarks/bench_dashboard.py --browser --browser-only --baseline FOLDER --db FILE

``--server`` (issue 15): per page, the first load of the big run in a fresh ``diagnose
dashboard`` driven by headless Chromium, and the Streamlit process's resident memory after
each page and at its peak (VmRSS / VmHWM from /proc); then the Error analysis page's button
that reads every cv row, timed apart. ``--db`` keeps the stored runs for another run.

A binary run ``bench/big`` with ``--rows`` rows in each of train, cv and test (id, y_true,
y_score from a noisy logit, ~10-20% errors, slice columns ``region`` and ``age``) is stored
in a temporary SQLite database by a child process (its storing time and peak memory are
reported apart from the dashboard's). ``--curve-runs`` smaller runs of the same project
carry training-set sizes rows/2, rows/4, ... (cv of ``--rows`` rows each) so that the
Curves page draws a learning curve over millions of stored rows; ``diagnose demo`` is also
stored, and the Curves page is measured once more on its small ``diabetes-lambda`` project.

Each page is then driven through Streamlit's ``AppTest`` in this process. First every page
is opened once on the small demo run ``samples/breast_cancer`` (a fresh process: one-time
imports such as altair and scipy are paid there and reported apart). Then, for each page
on ``bench/big``: the caches of dashboard/data.py are emptied (all but the engine), the
page's first load is timed, then K re-renders (Thresholds: the slider moves each time;
Error analysis: the sample seed changes, so a new sample is drawn; the other pages: a plain
rerun). ``at.exception`` and ``at.error`` are checked after every run; peak RSS is the
process's ``ru_maxrss``. ``--profile DIR`` dumps cProfile stats of each page's first load
and first re-render, taken on Streamlit's script thread.

With ``--browser`` the pages are also timed in headless Chromium (selenium) against a fresh
``diagnose dashboard`` server: a warm-up load of each page on the demo run, then per page a
first load of ``bench/big`` (its caches are cold in that server), K loads in new sessions
(a shared link opened) and K in-app visits (the page's sidebar link clicked), each timed
until the page is drawn (:data:`DRAWN_JS`: its last section's text is there, Streamlit shows
no running script, and every chart and table has drawn itself). ``--baseline FOLDER`` adds
paired new-session loads against a second server whose ``dashboard`` package comes from
FOLDER (``git -C REPO archive HEAD dashboard | tar -x -C FOLDER``), round by round, with the
ratio of each pair (instead of the loads and clicks above), ``--pages diagnosis,curves`` for some
pages only; ``--browser-only`` skips the AppTest part.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
PROJECT, RUN = "bench", "big"
# (page file, url path, sidebar title, a text the page shows last: the browser waits for it)
PAGES = [
    ("runs", "runs", "Runs", "Compare two runs"),
    ("diagnosis", "diagnosis", "Diagnosis", "The full report as text"),
    ("thresholds", "thresholds", "Thresholds", "The threshold chosen on cv"),
    ("curves", "curves", "Curves", "Validation curve"),
    ("error_analysis", "error-analysis", "Error analysis", "Cohorts"),
    ("upload", "upload", "Upload", "Diagnose and store"),
]


# ----------------------------------------------------------------------------- data


def make_split(rng: np.random.Generator, n: int, strength: float, id_start: int) -> pd.DataFrame:
    """30% positives; the score is a sigmoid of a class-dependent logit plus noise that is
    larger in region 'west' and for older rows (so the cohort table has something to flag)."""
    y = (rng.random(n) < 0.3).astype(np.int8)
    region = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), n, p=[0.4, 0.3, 0.2, 0.1])
    age = rng.integers(18, 91, n)
    sd = 1.0 + 0.8 * (region == "west") + 0.01 * (age - 18)
    logit = np.where(y == 1, strength, -strength) + rng.normal(0.0, 1.0, n) * sd - 0.3
    score = 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame({"id": np.arange(id_start, id_start + n), "y_true": y, "y_score": score,
                         "region": region, "age": age})


def store_runs(url: str, rows: int, curve_runs: int) -> dict:
    """Build and store the runs (in a child process); returns timings and sizes."""
    from click.testing import CliRunner
    from sqlalchemy.orm import Session

    from diagnose import store
    from diagnose.cli import main

    rng = np.random.default_rng(0)
    out: dict = {}
    engine = store.make_engine(url)
    start = time.perf_counter()
    for k in range(curve_runs, 0, -1):  # oldest first: the big run is stored last (the newest)
        m = rows // 2 ** k
        train = make_split(rng, m, 1.55 + 0.25 * k, 0)
        cv = make_split(rng, rows, 1.35 - 0.05 * k, 10 ** 9)
        with Session(engine) as s, s.begin():
            store.submit_files(s, project=PROJECT, run=f"m={m}", train=train, cv=cv,
                               baselines={"human": 0.05}, train_size=m)
    out["curve_runs_s"] = time.perf_counter() - start
    splits = {name: make_split(rng, rows, strength, i * 10 ** 9)
              for i, (name, strength) in enumerate((("train", 1.55), ("cv", 1.35), ("test", 1.3)))}
    out["error_rates"] = {name: float(((f["y_score"] >= 0.5) != f["y_true"]).mean()) for name, f in splits.items()}
    start = time.perf_counter()
    with Session(engine) as s, s.begin():
        summary = store.submit_files(s, project=PROJECT, run=RUN, baselines={"human": 0.05},
                                     train_size=rows if curve_runs else None, **splits)
    out["store_s"] = time.perf_counter() - start
    out["verdict"] = summary.verdict
    engine.dispose()
    result = CliRunner().invoke(main, ["demo"], env={"DIAGNOSE_DATABASE_URL": url})
    if result.exit_code != 0:
        raise SystemExit(f"diagnose demo failed:\n{result.output}")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ----------------------------------------------------------------------------- AppTest


def empty_caches() -> None:
    """Every cache of dashboard/data.py except the engine (a server that has been up)."""
    from dashboard import data

    for name in dir(data):
        fn = getattr(data, name)
        if name != "_engine" and callable(fn) and callable(getattr(fn, "clear", None)):
            fn.clear()


def problems(at) -> list[str]:
    out = [f"exception: {e.message}\n{''.join(e.stack_trace) if e.stack_trace else ''}" for e in at.exception]
    return out + [f"error: {e.value}" for e in at.error]


def timed(step, label: str, issues: list) -> float:
    start = time.perf_counter()
    at = step()
    took = time.perf_counter() - start
    for p in problems(at):
        issues.append(f"{label}: {p}")
        print(f"  !! {label}: {p}", flush=True)
    return took


def profiled(step, profile_dir: Path | None, name: str):
    """``step`` with cProfile on Streamlit's script thread (where the page runs; AppTest only
    waits for it), dumped to ``profile_dir/name.prof``; unchanged without a folder."""
    if profile_dir is None:
        return step

    def run():
        import cProfile
        import threading

        prof = cProfile.Profile()

        def attach(*_):  # runs first thing in each new thread; profile the script thread only
            sys.setprofile(None)
            if threading.current_thread().name == "ScriptRunner.scriptThread":
                prof.enable()

        threading.setprofile(attach)
        try:
            return step()
        finally:
            threading.setprofile(None)
            prof.dump_stats(profile_dir / f"{name.replace(' ', '_')}.prof")

    return run


WARM_PROJECT, WARM_RUN = "samples", "breast_cancer"  # a small run stored by `diagnose demo`


def select(at, project: str, run: str | None) -> None:
    """Pick the project (and run) in the sidebar, as a user does."""
    if at.selectbox(key="project").value != project:
        at.selectbox(key="project").set_value(project).run()
    if run is not None and at.selectbox(key="run").value != run:
        at.selectbox(key="run").set_value(run).run()


def _rerender(at, page: str, i: int):
    """The i-th re-render of a page: move the slider, draw another sample, or just run again."""
    if page == "thresholds":
        return lambda: at.slider[0].set_value(round(0.2 + 0.1 * i, 4)).run()
    if page == "error_analysis":
        return lambda: at.number_input(key="sample_seed").set_value(i + 1).run()
    return at.run


def _page(name: str) -> None:
    """One page of the app, chosen by session state (as tests/dashboard/test_pages.py does)."""
    import streamlit as st

    from dashboard.navigation import main

    main(only=st.session_state.get("_test_page", name))


def apptest_pages(rerenders: int, profile_dir: Path | None) -> tuple[list[dict], dict, list[str]]:
    """Time each page; returns the rows, the warm-up times (small demo run) and the problems."""
    from streamlit.testing.v1 import AppTest

    issues: list[str] = []
    at = AppTest.from_function(_page, args=("runs",), default_timeout=300)
    # warm-up on a small run: each page once, so that one-time imports (altair, scipy.stats,
    # scipy.optimize, ...) are not charged to the big run's first loads
    at.session_state["project"], at.session_state["run"] = WARM_PROJECT, WARM_RUN
    warm = {"app start": timed(at.run, "app start", issues)}
    for page, *_ in PAGES:
        at.session_state["_test_page"] = page
        warm[page] = timed(at.run, f"warm-up {page}", issues)
    select(at, PROJECT, RUN)
    rows = []
    cases = [(page, PROJECT, RUN) for page, *_ in PAGES] + [("curves", "diabetes-lambda", None)]
    for page, project, run in cases:
        label = page if project == PROJECT else f"{page} ({project})"
        select(at, project, run)
        empty_caches()
        at.session_state["_test_page"] = page
        first = timed(profiled(at.run, profile_dir, f"{label}-first"), f"{label} first load", issues)
        steps = []
        for i in range(rerenders):
            step = _rerender(at, page, i)
            if i == 0:
                step = profiled(step, profile_dir, f"{label}-rerender")
            steps.append(timed(step, f"{label} re-render {i + 1}", issues))
        shown = (at.selectbox(key="project").value, at.selectbox(key="run").value)
        if shown[0] != project or (run is not None and shown[1] != run):
            issues.append(f"{label}: the sidebar shows {shown}, not {(project, run)}")
        title = at.title[0].value if at.title else "no title"
        rows.append({"page": label, "first": first, "median": statistics.median(steps), "max": max(steps)})
        print(f"  {label:<26} first {first:7.3f} s   re-render median {rows[-1]['median']:.3f} s"
              f"  max {rows[-1]['max']:.3f} s  ({title}; {shown[0]}/{shown[1]})", flush=True)
    return rows, warm, issues


# ----------------------------------------------------------------------------- browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Whether the page is drawn: its last section's text (``arguments[0]``) is there, no script runs,
# no element still waits for its code (Streamlit's skeleton) and every chart and table frame holds
# its drawing (a Vega-Lite chart's svg or canvas, a dataframe's canvas). One cheap query a poll:
# WebDriver's own visible-text read walks the page with computed styles and, polled every 20 ms,
# took a large share of the browser's main thread on the chart pages (0.7 s of a 3 s load in a
# CPU profile), slowing the very load it timed; it also stopped before the charts were drawn.
DRAWN_JS = """
const body = document.body;
if (!body || !body.textContent.includes(arguments[0])) return false;
if (document.querySelector("[data-testid='stStatusWidget']")) return false;
if (document.querySelector("[data-testid='stElementContainer'] [data-testid='stSkeleton']")) return false;
for (const f of document.querySelectorAll("[data-testid='stElementContainer'] > [data-testid='stFullScreenFrame']"))
  if (!f.querySelector("svg.marks, canvas, table")) return false;
return true;
"""


@contextmanager
def dashboard_and_browser(url: str, command: list[str], wait_s: float, extra_env: dict[str, str] | None = None,
                          cwd: str | None = None):
    """A fresh ``diagnose dashboard`` on the store at ``url`` (started by ``command``) and a
    headless Chromium: yields (server process, port, driver, drawn), where ``drawn(start, what,
    marker)`` waits until the page shows ``marker`` and no script runs, and returns (seconds
    since ``start``, whether the page shows an error). Both are stopped afterwards."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    port = free_port()
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": url, **(extra_env or {})}
    server = subprocess.Popen([*command, "dashboard", "--port", str(port), "--address", "127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, cwd=cwd)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
              "--disable-component-update --disable-sync --window-size=1400,2000").split():
        opts.add_argument(a)
    driver = None
    try:
        for _ in range(int(wait_s * 2)):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        browser = driver

        def drawn(start: float, what: str, marker: str) -> tuple[float, bool]:
            while time.perf_counter() - start < wait_s:
                try:
                    done = browser.execute_script(DRAWN_JS, marker)
                except WebDriverException:  # the page is being replaced (a new session loading)
                    done = False
                if done:
                    took = time.perf_counter() - start
                    body = browser.find_element(By.TAG_NAME, "body").text
                    failed = bool(browser.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")) or \
                        "Something went wrong" in body
                    return took, failed
                time.sleep(0.02)
            raise TimeoutError(f"{what}: '{marker}' not shown within {wait_s:g} s")

        yield server, port, driver, drawn
    finally:
        if driver is not None:
            driver.quit()
        # `diagnose dashboard` runs `streamlit run` as a child: stop the whole process group it leads
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def browser_pages(url: str, loads: int) -> list[dict]:
    from selenium.webdriver.common.by import By

    command = [str(Path(sys.executable).with_name("diagnose"))]
    with dashboard_and_browser(url, command, 300) as (_, port, driver, shown):

        def drawn(start: float, what: str, marker: str) -> float:
            took, failed = shown(start, what, marker)
            if failed:
                print(f"  !! browser {what}: the page shows an error", flush=True)
            return took

        def load(path: str, marker: str, project: str = PROJECT, run: str = RUN) -> float:
            """A new session: the address typed in (or a shared link opened)."""
            start = time.perf_counter()
            driver.get(f"http://127.0.0.1:{port}/{path}?project={project}&run={run}")
            return drawn(start, path, marker)

        def click(title: str, marker: str) -> float:
            """The same session: the page's link in the sidebar clicked."""
            link = next(a for a in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNavLink']")
                        if a.text.strip() == title)
            start = time.perf_counter()
            link.click()
            return drawn(start, title, marker)

        warm = [load(path, marker, WARM_PROJECT, WARM_RUN) for _, path, _, marker in PAGES]
        print(f"  warm-up on {WARM_PROJECT}/{WARM_RUN} (fresh server: imports): "
              + ", ".join(f"{p[1]} {t:.2f} s" for p, t in zip(PAGES, warm)), flush=True)
        rows = []
        for _, path, _, marker in PAGES:
            first = load(path, marker)
            times = [load(path, marker) for _ in range(loads)]
            rows.append({"page": path, "first": first, "median": statistics.median(times), "max": max(times)})
        clicks: dict[str, list[float]] = {path: [] for _, path, _, _ in PAGES}
        for _ in range(loads):
            for _, path, title, marker in PAGES[1:] + PAGES[:1]:
                clicks[path].append(click(title, marker))
        for r in rows:
            mine = clicks[str(r["page"])]
            r["click_median"], r["click_max"] = statistics.median(mine), max(mine)
            print(f"  {r['page']:<26} first {r['first']:7.3f} s   load median {r['median']:.3f} s  max "
                  f"{r['max']:.3f} s   sidebar click median {r['click_median']:.3f} s  max {r['click_max']:.3f} s",
                  flush=True)
        return rows


def paired_pages(url: str, loads: int, baseline: Path, only: list[str] | None = None) -> list[dict]:
    """New-session loads of each page of ``bench/big`` on two fresh ``diagnose dashboard``
    servers, this checkout's and one whose ``dashboard`` package comes from ``baseline`` (a folder
    holding a ``dashboard/``, e.g. ``git archive HEAD dashboard | tar -x -C FOLDER``), each with
    its own headless Chromium; round by round, page by page, one load on each (which goes first
    alternates). ``only``: these pages' url paths alone (default: every page). Returns per page
    both medians and the median of the per-round ratios."""
    pages = [p for p in PAGES if only is None or p[1] in only]
    command = [sys.executable, "-c", "from diagnose.cli import main; main()"]
    # out of the checkout: `python -c` and `-m` put the working folder first on the path, where
    # this checkout's dashboard/ would shadow the baseline's
    neutral, baseline_env = tempfile.gettempdir(), {"PYTHONPATH": str(baseline)}
    for side, env in (("this", {}), ("baseline", baseline_env)):
        find = "import importlib.util as u; print(u.find_spec('dashboard').origin)"
        where = subprocess.run([sys.executable, "-c", find], env={**os.environ, **env}, cwd=neutral,
                               capture_output=True, text=True).stdout.strip()
        print(f"  {side}: dashboard from {where}", flush=True)
    with dashboard_and_browser(url, command, 300, cwd=neutral) as (_, port_a, driver_a, shown_a), \
            dashboard_and_browser(url, command, 300, baseline_env, cwd=neutral) as (_, port_b, driver_b, shown_b):
        sides = {"this": (port_a, driver_a, shown_a), "baseline": (port_b, driver_b, shown_b)}

        def load(side: str, path: str, marker: str, project: str = PROJECT, run: str = RUN) -> float:
            port, driver, shown = sides[side]
            start = time.perf_counter()
            driver.get(f"http://127.0.0.1:{port}/{path}?project={project}&run={run}")
            took, failed = shown(start, f"{side} {path}", marker)
            if failed:
                print(f"  !! {side} {path}: the page shows an error", flush=True)
            return took

        for side in sides:  # imports and caches: each page once on the demo run and once on the big run
            for _, path, _, marker in pages:
                load(side, path, marker, WARM_PROJECT, WARM_RUN)
                load(side, path, BIG_MARKERS.get(path, marker))
        times: dict = {(side, path): [] for side in sides for _, path, _, _ in pages}
        for i in range(loads):
            for _, path, _, marker in pages:
                for side in (("this", "baseline") if i % 2 == 0 else ("baseline", "this")):
                    times[side, path].append(load(side, path, BIG_MARKERS.get(path, marker)))
        rows = []
        for _, path, _, _ in pages:
            a, b = times["this", path], times["baseline", path]
            rows.append({"page": path, "this": statistics.median(a), "this_max": max(a),
                         "baseline": statistics.median(b), "baseline_max": max(b),
                         "ratio": statistics.median(x / y for x, y in zip(a, b))})
            print(f"  {path:<16} this {rows[-1]['this']:.3f} s (max {max(a):.3f})  baseline "
                  f"{rows[-1]['baseline']:.3f} s (max {max(b):.3f})  ratio {rows[-1]['ratio']:.2f}", flush=True)
        return rows


# ----------------------------------------------------------------------------- a server's peak RSS (issue 15)


def _streamlit_pid(server_pid: int) -> int:
    """The Streamlit process `diagnose dashboard` starts (its child), or the server itself."""
    try:
        import psutil

        kids = psutil.Process(server_pid).children(recursive=True)
        return kids[-1].pid if kids else server_pid
    except ImportError:
        kids = [int(c) for t in Path(f"/proc/{server_pid}/task").glob("*")
                for c in (t / "children").read_text().split()]
        return kids[-1] if kids else server_pid


def _memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB: its resident memory now and at its peak (/proc)."""
    status = {line.split(":")[0]: line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}
    return int(status["VmRSS"]) / 1024, int(status["VmHWM"]) / 1024


def server_pages(url: str, loads: int) -> dict:
    """Issue 15: a fresh `diagnose dashboard` on the store, headless Chromium. A warm-up load of
    each page on the small demo run (imports), then per page a first load of the big run (its
    caches cold in that server) and ``loads`` more in new sessions, each timed until the page's
    last section is drawn; the Streamlit process's VmRSS/VmHWM after each page. Last, the Error
    analysis page's "every row" button (cohorts, slices, suspects over every cv row), timed and
    its peak memory read apart."""
    from selenium.webdriver.common.by import By

    out: dict = {"pages": []}
    command = [sys.executable, "-c", "from diagnose.cli import main; main()"]
    with dashboard_and_browser(url, command, 600) as (server, port, driver, shown):

        def drawn(start: float, what: str, marker: str) -> float:
            took, failed = shown(start, what, marker)
            if failed:
                print(f"  !! {what}: the page shows an error", flush=True)
                out.setdefault("problems", []).append(what)
            return took

        def load(path: str, marker: str, project: str = PROJECT, run: str = RUN) -> float:
            start = time.perf_counter()
            driver.get(f"http://127.0.0.1:{port}/{path}?project={project}&run={run}")
            return drawn(start, path, marker)

        warm = [load(path, marker, WARM_PROJECT, WARM_RUN) for _, path, _, marker in PAGES]
        pid = _streamlit_pid(server.pid)
        out["after_warm_up_mb"] = _memory_mb(pid)
        print(f"  warm-up on {WARM_PROJECT}/{WARM_RUN}: " + ", ".join(f"{p[1]} {t:.2f} s" for p, t in zip(PAGES, warm))
              + "; Streamlit process RSS {:.0f} MB, peak {:.0f} MB".format(*out["after_warm_up_mb"]),
              flush=True)
        for _, path, _, marker in PAGES:
            # the same page on the small demo run, warm, alternating with the big run's loads below:
            # the pair shows what the big run's size adds on a machine whose load comes and goes
            small = []
            first = load(path, BIG_MARKERS.get(path, marker))
            times = []
            for _ in range(loads):
                small.append(load(path, marker, WARM_PROJECT, WARM_RUN))
                times.append(load(path, BIG_MARKERS.get(path, marker)))
            rss, hwm = _memory_mb(pid)
            row = {"page": path, "first": first, "median": statistics.median(times) if times else first,
                   "max": max(times) if times else first, "rss_mb": rss, "peak_mb": hwm,
                   "small_median": statistics.median(small) if small else float("nan")}
            out["pages"].append(row)
            print(f"  {path:<16} first {first:6.3f} s  new-session median {row['median']:.3f} s  max {row['max']:.3f} s"
                  f"  (small run {row['small_median']:.3f} s)  RSS {rss:.0f} MB  peak so far {hwm:.0f} MB", flush=True)
        # the sections of Error analysis that read every cv row, asked for with the button
        load("error-analysis", BIG_MARKERS["error-analysis"])
        button = next(b for b in driver.find_elements(By.TAG_NAME, "button") if "Read every cv row" in b.text)
        start = time.perf_counter()
        button.click()
        out["every_row_s"] = drawn(start, "every-row button", "Label-noise suspects")
        out["every_row_mb"] = _memory_mb(pid)
        print(f"  error-analysis every-row button: {out['every_row_s']:.2f} s; RSS {out['every_row_mb'][0]:.0f} MB, "
              f"peak {out['every_row_mb'][1]:.0f} MB", flush=True)
        return out


# the text a page on the big run shows last (Error analysis opens with the sample and a button)
BIG_MARKERS = {"error-analysis": "Read every cv row"}


# ----------------------------------------------------------------------------- main


def _page_paths(text: str) -> list[str]:
    """--pages: the comma-separated url paths, each one of PAGES' (else argparse's error names them)."""
    paths = [p.strip() for p in text.split(",")]
    valid = [p[1] for p in PAGES]
    unknown = [p for p in paths if p not in valid]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown page(s) {', '.join(map(repr, unknown))}; "
                                         f"the pages are {', '.join(valid)}")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per split of the big run")
    parser.add_argument("--rerenders", type=int, default=5, help="re-renders (browser: loads) per page")
    parser.add_argument("--curve-runs", type=int, default=3,
                        help="extra runs with train sizes rows/2, rows/4, ... for the learning curve")
    parser.add_argument("--browser", action="store_true", help="also time the pages in headless Chromium")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for cProfile dumps of each page's first load and first re-render")
    parser.add_argument("--server", action="store_true",
                        help="issue 15: time each page's first load in a fresh `diagnose dashboard` (headless "
                        "Chromium) and read the server's peak RSS; no AppTest")
    parser.add_argument("--db", type=Path, default=None,
                        help="a SQLite file to store the runs in, kept (and reused when it exists)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="with --browser: time new-session loads against a dashboard served from this folder's "
                        "dashboard/ package instead (paired, round by round), e.g. a `git archive HEAD dashboard`")
    parser.add_argument("--browser-only", action="store_true", help="with --browser: skip the AppTest part")
    parser.add_argument("--pages", default=None, type=_page_paths,
                        help="with --baseline: only these pages (comma-separated url paths, e.g. diagnosis,curves; "
                        f"any of {', '.join(p[1] for p in PAGES)})")
    parser.add_argument("--store-into", help=argparse.SUPPRESS)  # the child process that stores the runs
    args = parser.parse_args()

    if args.store_into:
        print(json.dumps(store_runs(args.store_into, args.rows, args.curve_runs)))
        return
    if args.server:
        server_main(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        url = f"sqlite:///{db}"
        _store_or_reuse(db, url, args)

        os.environ["DIAGNOSE_DATABASE_URL"] = url
        if args.browser and args.browser_only:
            browser_main(url, args)
            return
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        print(f"AppTest, {args.rerenders} re-renders per page:", flush=True)
        rows, warm, issues = apptest_pages(args.rerenders, args.profile)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(f"\nwarm-up on {WARM_PROJECT}/{WARM_RUN} (fresh process: imports): "
              + ", ".join(f"{k} {v:.2f} s" for k, v in warm.items()))
        now = next(int(line.split()[1]) / 1024 for line in Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
        print(f"dashboard process (AppTest) peak RSS {peak:.0f} MB, {now:.0f} MB at the end (caches filled)")
        print("\n| page | first load (caches empty) | re-render median | re-render max |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r['page']} | {r['first']:.3f} s | {r['median']:.3f} s | {r['max']:.3f} s |")
        if issues:
            print(f"\n{len(issues)} problem(s) shown by the pages; see above")

        if args.browser:
            browser_main(url, args)


def browser_main(url: str, args) -> None:
    """--browser: the pages in headless Chromium; with --baseline, paired new-session loads instead."""
    if args.baseline:
        paired_main(url, args)
        return
    print(f"\nbrowser (headless Chromium): per page a first load, then {args.rerenders} loads "
          f"(new sessions), then {args.rerenders} rounds of sidebar clicks; load average {_load()}", flush=True)
    brows = browser_pages(url, args.rerenders)
    print("\n| page | first load | new-session load median | max | sidebar click median | max |")
    print("|---|---|---|---|---|---|")
    for r in brows:
        print(f"| {r['page']} | {r['first']:.3f} s | {r['median']:.3f} s | {r['max']:.3f} s | "
              f"{r['click_median']:.3f} s | {r['click_max']:.3f} s |")



def paired_main(url: str, args) -> None:
    """--browser --baseline: :func:`paired_pages` and its table."""
    print(f"\npaired new-session loads, this checkout against {args.baseline} ({args.rerenders} rounds; "
          f"load average {_load()}):", flush=True)
    pairs = paired_pages(url, args.rerenders, args.baseline.resolve(), args.pages)
    print(f"load average after: {_load()}")
    print("\n| page | this: median (max) | baseline: median (max) | ratio (median of rounds) |")
    print("|---|---|---|---|")
    for r in pairs:
        print(f"| {r['page']} | {r['this']:.3f} s ({r['this_max']:.3f} s) | {r['baseline']:.3f} s "
              f"({r['baseline_max']:.3f} s) | {r['ratio']:.2f} |")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _store_or_reuse(db: Path, url: str, args) -> None:
    """Store the benchmark's runs into ``db`` in a child process (its time and peak memory
    apart from the dashboard's), or reuse the database a ``--db`` run left."""
    if db.exists():
        print(f"reusing {db} ({db.stat().st_size / 1e6:.0f} MB)", flush=True)
    else:
        print(f"storing {args.rows:,} rows per split (+{args.curve_runs} curve runs, diagnose demo) ...",
              flush=True)
        child = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--curve-runs",
                                str(args.curve_runs), "--store-into", url], capture_output=True, text=True)
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        stored = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"  stored run {PROJECT}/{RUN} in {stored['store_s']:.2f} s ({stored['verdict']}; error rates "
              + ", ".join(f"{k} {v:.3f}" for k, v in stored["error_rates"].items())
              + f"); curve runs {stored['curve_runs_s']:.2f} s; storing process peak RSS "
              f"{stored['peak_rss_mb']:.0f} MB; database {db.stat().st_size / 1e6:.1f} MB", flush=True)


def server_main(args) -> None:
    """--server: store (or reuse) the runs, then :func:`server_pages`."""
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        url = f"sqlite:///{db}"
        _store_or_reuse(db, url, args)
        result = server_pages(url, args.rerenders)
        print("\n| page | first load | new-session median | max | small run median | ratio | Streamlit RSS after "
              "| peak RSS so far |")
        print("|---|---|---|---|---|---|---|---|")
        for r in result["pages"]:
            print(f"| {r['page']} | {r['first']:.3f} s | {r['median']:.3f} s | {r['max']:.3f} s | "
                  f"{r['small_median']:.3f} s | {r['median'] / r['small_median']:.2f} | "
                  f"{r['rss_mb']:.0f} MB | {r['peak_mb']:.0f} MB |")
        print(f"\nError analysis, every-row button: {result['every_row_s']:.2f} s, peak RSS after "
              f"{result['every_row_mb'][1]:.0f} MB")


if __name__ == "__main__":
    main()
