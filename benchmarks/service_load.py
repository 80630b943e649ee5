"""Benchmark: ``diagnose serve`` under load, killed mid-load, and API vs direct submit.

Run: .venv/bin/python benchmarks/service_load.py [--submits 200] [--clients 8] [--rows 100000]
     [--big-rows 1000000] [--repeat 3] [--workers 1] [--kill-after-acks 10] [--kill-after 1]
     [--postgres URL] [--skip load,kill,compare]

1. **Load**: one server (``diagnose serve`` on 127.0.0.1, a fresh database) and ``--clients``
   threads, each with its own :class:`diagnose.Client`, submit ``--submits`` runs in all,
   each of three binary CSVs (train, cv, test) of ``--rows`` rows. Every client has its own
   seeded files (so the store keeps eight sets of blobs, not one). Afterwards: every
   submission answered 201, the store holds exactly those runs (no run lost, none twice),
   each with 3 submissions and a report; p50/p95/max latency per submission.
2. **Kill**: the same load against a fresh server, which gets SIGKILL ``--kill-after`` seconds
   after the ``--kill-after-acks``-th acknowledged submission (so some runs are stored and
   others are in flight). Afterwards the database is opened directly: every run has its 3 submissions and
   its report (no partial run), and every run a client saw acknowledged (201) is there.
3. **Compare**: a 3 x ``--big-rows`` run submitted with ``diagnose submit`` on the database
   directly, and with ``diagnose submit --server`` against a warm server on another fresh
   database; fresh CLI processes both, alternating, ``--repeat`` times; median of each.

Only 127.0.0.1 is contacted; every loop is bounded in count and in time.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "import sys; from diagnose.cli import main; sys.exit(main())"]
PROJECT = "load"
TIME_CAP = 1800  # seconds: no phase runs longer


def write_run(folder: Path, rows: int, seed: int) -> dict[str, str]:
    """Three binary prediction CSVs (id, y_true, y_score; about 15% errors)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split in ("train", "cv", "test"):
        y = rng.integers(0, 2, rows)
        score = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.3, rows), 0, 1).round(6)
        path = folder / f"{split}.csv"
        pd.DataFrame({"id": np.arange(rows), "y_true": y, "y_score": score}).to_csv(path, index=False)
        paths[split] = str(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, log: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": db_url, "DIAGNOSE_RATE_LIMIT": "0"}
    with open(log, "wb") as out:
        # its own process group, so that a kill reaches every worker
        process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(workers)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def write_key(db_url: str) -> str:
    from sqlalchemy.orm import Session

    from diagnose import store

    engine = store.make_engine(db_url)
    with Session(engine) as s, s.begin():
        secret = store.create_key(s, project=PROJECT, scope="write", name="load")[1]
    engine.dispose()
    return secret


def stored(db_url: str) -> tuple[list[str], dict[str, int], list[str]]:
    """(run names, row counts, runs lacking a split or the report) read from the database itself."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from diagnose import store

    engine = store.make_engine(db_url)
    with Session(engine) as s:
        names = list(s.execute(text("SELECT name FROM run ORDER BY id")).scalars())
        counts = store.count_rows(s)
        partial = list(s.execute(text(
            "SELECT r.name FROM run r WHERE (SELECT count(*) FROM submission x WHERE x.run_id = r.id) <> 3 "
            "OR NOT EXISTS (SELECT 1 FROM report p WHERE p.run_id = r.id)")).scalars())
    engine.dispose()
    return names, counts, partial


def hammer(url: str, key: str, files: list[dict[str, str]], submits: int, *, stop_on_error: bool,
           acknowledged: list[str] | None = None) -> dict:
    """``len(files)`` client threads submitting ``submits`` runs in all; latencies of the 201s.
    ``acknowledged`` (the names answered 201) may be the caller's list, to watch progress."""
    from diagnose import Client

    latencies: list[float] = []
    acknowledged = [] if acknowledged is None else acknowledged
    failures: list[str] = []
    lock = threading.Lock()
    clients = len(files)
    deadline = time.monotonic() + TIME_CAP

    def work(index: int) -> None:
        client = Client(url, key, timeout=600)
        for j in range(index, submits, clients):
            if time.monotonic() > deadline:
                return
            name = f"c{index}-{j}"
            start = time.monotonic()
            try:
                client.submit(PROJECT, name, **files[index])
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    failures.append(f"{name}: {exc}")
                if stop_on_error:
                    return
                continue
            with lock:
                latencies.append(time.monotonic() - start)
                acknowledged.append(name)

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "acknowledged": acknowledged, "failures": failures,
            "wall": time.monotonic() - start}


def load(args, tmp: Path, files: list[dict[str, str]]) -> None:
    db_url = args.postgres or f"sqlite:///{tmp / 'load.db'}"
    key = write_key(db_url)
    process, url = start_server(db_url, tmp / "load.log", args.workers)
    try:
        out = hammer(url, key, files, args.submits, stop_on_error=False)
    finally:
        process.terminate()
        process.wait(timeout=30)
    names, counts, partial = stored(db_url)
    lat = sorted(out["latencies"])
    print(f"\n## load: {args.submits} submits of 3 x {args.rows:,} rows from {len(files)} clients "
          f"({args.workers} worker(s), {'PostgreSQL' if args.postgres else 'SQLite'})")
    print(f"answered 201: {len(out['acknowledged'])}; failures: {len(out['failures'])} {out['failures'][:3]}")
    print(f"stored runs: {len(names)} (distinct {len(set(names))}); rows: {counts}; partial runs: {partial}")
    print(f"all stored, none lost, none twice: {sorted(names) == sorted(out['acknowledged']) == sorted(set(names))}"
          f" and {len(names) == args.submits}")
    if lat:
        print(f"latency p50 {statistics.median(lat):.2f} s, p95 {lat[int(0.95 * (len(lat) - 1))]:.2f} s, "
              f"max {lat[-1]:.2f} s; wall {out['wall']:.1f} s ({len(lat) / out['wall']:.2f} submits/s)")


def kill(args, tmp: Path, files: list[dict[str, str]]) -> None:
    db_url = f"sqlite:///{tmp / 'kill.db'}"
    key = write_key(db_url)
    process, url = start_server(db_url, tmp / "kill.log", args.workers)
    result: dict = {}
    acknowledged: list[str] = []
    runner = threading.Thread(target=lambda: result.update(hammer(url, key, files, args.submits,
                                                                  stop_on_error=True, acknowledged=acknowledged)))
    runner.start()
    started = time.monotonic()
    # kill once some runs are stored, so that others are surely half way through
    while len(acknowledged) < args.kill_after_acks and time.monotonic() - started < TIME_CAP:
        time.sleep(0.1)
    time.sleep(args.kill_after)
    os.killpg(process.pid, signal.SIGKILL)  # the server and its workers, at once, mid-request
    process.wait()
    runner.join(timeout=TIME_CAP)
    names, counts, partial = stored(db_url)
    lost = sorted(set(result["acknowledged"]) - set(names))
    print(f"\n## kill -9 {args.kill_after:g} s after the {args.kill_after_acks}th acknowledged submit")
    print(f"acknowledged before the kill: {len(result['acknowledged'])}; stored: {len(names)}; "
          f"failed in flight: {len(result['failures'])}")
    print(f"partial runs: {partial or 'none'}; acknowledged but missing: {lost or 'none'}; rows: {counts}")


def timed(cmd: list[str], env: dict) -> float:
    start = time.monotonic()
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=TIME_CAP)
    if out.returncode != 0:
        raise SystemExit(f"{cmd[3:]} failed: {out.stderr}")
    return time.monotonic() - start


def compare(args, tmp: Path) -> None:
    big = write_run(tmp / "big", args.big_rows, seed=99)
    small = write_run(tmp / "small", 1000, seed=98)
    served = f"sqlite:///{tmp / 'served.db'}"
    key = write_key(served)
    process, url = start_server(served, tmp / "compare.log", 1)
    files = ["--train", big["train"], "--cv", big["cv"], "--test", big["test"]]
    env = {**os.environ}
    env.pop("DIAGNOSE_SERVER", None)
    try:
        # warm the server (its first report imports the compute code), as a long-running one is
        timed([*CLI, "submit", "--server", url, "--key", key, "--project", PROJECT, "--run", "warm",
               "--train", small["train"], "--cv", small["cv"]], env)
        direct, remote = [], []
        for i in range(args.repeat):
            direct_env = {**env, "DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp / f'direct-{i}.db'}"}
            timed([*CLI, "db", "upgrade"], direct_env)  # the schema exists, as on a server's database
            direct.append(timed([*CLI, "submit", "--project", PROJECT, "--run", f"big-{i}", *files], direct_env))
            remote.append(timed([*CLI, "submit", "--server", url, "--key", key, "--project", PROJECT,
                                 "--run", f"big-{i}", *files], env))
        # in this process, imports done on both sides: the library's submit vs diagnose.Client's
        from diagnose import Client
        from diagnose.service import prepare_run, session, submit_prepared

        client = Client(url, key)
        inner_direct, inner_remote = [], []
        for i in range(args.repeat + 1):  # the first pair warms this process up and is not counted
            start = time.monotonic()
            with session(f"sqlite:///{tmp / f'direct-{i}.db'}") as s, s.begin():
                submit_prepared(s, prepare_run(**big), project=PROJECT, run=f"lib-{i}")
            middle = time.monotonic()
            client.submit(PROJECT, f"lib-{i}", **big)
            if i:
                inner_direct.append(middle - start)
                inner_remote.append(time.monotonic() - middle)
    finally:
        process.terminate()
        process.wait(timeout=30)
    size = sum(Path(p).stat().st_size for p in big.values()) / 1e6
    d, r = statistics.median(direct), statistics.median(remote)
    print(f"\n## submit of 3 x {args.big_rows:,} rows ({size:.1f} MB of CSV): direct vs through the API")
    print(f"direct  `diagnose submit`:           {' '.join(f'{t:.2f}' for t in direct)} s (median {d:.2f})")
    print(f"through `diagnose submit --server`:  {' '.join(f'{t:.2f}' for t in remote)} s (median {r:.2f})")
    print(f"ratio {r / d:.2f}x (per pair: {' '.join(f'{b / a:.2f}' for a, b in zip(direct, remote))})")
    d, r = statistics.median(inner_direct), statistics.median(inner_remote)
    print(f"in process: prepare_run + submit_prepared {' '.join(f'{t:.2f}' for t in inner_direct)} s, "
          f"Client.submit {' '.join(f'{t:.2f}' for t in inner_remote)} s; ratio {r / d:.2f}x "
          f"(per pair: {' '.join(f'{b / a:.2f}' for a, b in zip(inner_direct, inner_remote))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kill-after-acks", type=int, default=10)
    parser.add_argument("--kill-after", type=float, default=1.0)
    parser.add_argument("--postgres", help="run the load phase on this PostgreSQL URL (an empty database)")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: load, kill, compare")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory(prefix="diagnose-load-") as folder:
        tmp = Path(folder)
        if not {"load", "kill"} <= skip:
            files = [write_run(tmp / f"client-{i}", args.rows, seed=i) for i in range(args.clients)]
            if "load" not in skip:
                load(args, tmp, files)
            if "kill" not in skip:
                kill(args, tmp, files)
        if "compare" not in skip:
            compare(args, tmp)


if __name__ == "__main__":
    main()
