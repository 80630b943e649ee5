"""Benchmark: storing a 1M-row binary run in SQLite vs computing its report.

Run: .venv/bin/python benchmarks/bench_submit.py [--rows N] [--repeat R]
Data is generated into a temporary folder (never committed): three binary CSVs (train,
cv, test) of N rows each. Both sides run in the same process on the same files, best of
R. "submit" is everything ``diagnose submit`` does after start-up: read and validate the
files, compute the report, encode each split as Parquet, hash it, and write the run in
one transaction to a fresh, already-migrated SQLite file (a new file per repeat, so the
blobs are really written, not deduplicated). The CLI rows are fresh processes, imports
and the schema check included.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_report import make_files  # the same three binary CSVs as the report benchmark


def best(fn, repeat: int) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from sqlalchemy.orm import Session

    import diagnose
    from diagnose import store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = make_files(tmp, args.rows)
        size = sum(p.stat().st_size for p in paths.values()) / 1e6
        files = dict(train=paths["train"], cv=paths["cv"], test=paths["test"], baselines={"human": 0.05})
        engines = [store.make_engine(f"sqlite:///{tmp / f'in_process_{i}.db'}") for i in range(args.repeat)]

        def report(_):
            diagnose.report(**files).to_text()

        def submit(i):
            with Session(engines[i]) as s, s.begin():
                store.submit_files(s, project="bench", run="r", **files)

        t_report = best(report, args.repeat)
        t_submit = best(submit, args.repeat)
        with Session(engines[0]) as s:
            counts = store.count_rows(s)
        db_size = (tmp / "in_process_0.db").stat().st_size + sum(
            p.stat().st_size for p in tmp.glob("in_process_0.db-wal"))
        for e in engines:
            e.dispose()

        exe = str(Path(sys.executable).with_name("diagnose"))
        cli_files = ["--train", str(paths["train"]), "--cv", str(paths["cv"]), "--test", str(paths["test"]),
                     "--baseline", "human=0.05"]

        def cli_report(_):
            subprocess.run([exe, "report", *cli_files], check=True, capture_output=True)

        def cli_submit(i):
            env = {**os.environ, "DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp / f'cli_{i}.db'}"}
            subprocess.run([exe, "db", "upgrade"], check=True, capture_output=True, env=env)
            start = time.perf_counter()
            subprocess.run([exe, "submit", "--project", "bench", "--run", "r", *cli_files],
                           check=True, capture_output=True, env=env)
            return time.perf_counter() - start

        t_cli_report = best(cli_report, args.repeat)
        t_cli_submit = min(cli_submit(i) for i in range(args.repeat))

    print(f"{args.rows:,} rows per split, 3 splits, {size:.1f} MB of CSV; stored "
          f"{counts['blob']} blobs, database {db_size / 1e6:.1f} MB; best of {args.repeat}")
    print("| what | time | ratio |")
    print("|---|---|---|")
    print(f"| `diagnose.report(...)` + text, in process | {t_report:.3f} s | 1 |")
    print(f"| `store.submit_files(...)` into SQLite, in process | {t_submit:.3f} s | {t_submit / t_report:.2f}× |")
    print(f"| `diagnose report` CLI, fresh process | {t_cli_report:.3f} s | 1 |")
    print(f"| `diagnose submit` CLI, fresh process | {t_cli_submit:.3f} s | {t_cli_submit / t_cli_report:.2f}× |")


if __name__ == "__main__":
    main()
