"""Benchmark: `diagnose curve learning` on one multi-run file vs reading that file alone.

Run: .venv/bin/python benchmarks/bench_curves.py [--rows N] [--repeat R] [--format csv|grouped|parquet|all]
     [--before FOLDER]

Data (never committed) is written to a temporary folder under /tmp: one learning-curve file
of N rows (default 20M) with columns ``split, train_size, y_true, y_score``; 10 training
sizes, each with train and cv rows, split labels in mixed case (``Train``, ``CV``, ...);
rows shuffled (CSV and Parquet) or written run by run (a second CSV). Three fresh processes
run side by side on each file, interleaved, R times (the best time and the peak RSS of
each are kept):

(a) pyarrow reads the file and nothing else (the floor);
(b) ``diagnose curve learning FILE``;
(c) pandas reads it (pyarrow engine) and takes the mean per-row error per
    (train_size, split) with a groupby.

The figure of interest is b/a (target 1.2x or less). Peak RSS is the child's
``ru_maxrss`` (resource.getrusage of the finished child). ``--before FOLDER`` adds (b0), the
same command run from another copy of the package (e.g. the last commit's, copied to
FOLDER), for a paired before/after figure.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

SIZES = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)


def make_table(rows: int, seed: int = 0, grouped: bool = False) -> pa.Table:
    """``rows`` rows of 10 runs, train and cv rows of each; binary labels and scores; rows
    shuffled, or written run by run (``grouped``: each run's train rows, then its cv rows)."""
    rng = np.random.default_rng(seed)
    run = rng.integers(0, len(SIZES), rows)
    is_cv = rng.random(rows) < 0.5
    if grouped:
        order = np.argsort(run * 2 + is_cv, kind="stable")
        run, is_cv = run[order], is_cv[order]
    y = rng.integers(0, 2, rows).astype(np.int8)
    noise = 0.55 - 0.04 * run + 0.25 * is_cv  # bigger runs learn more; cv is harder
    score = np.clip(np.where(y == 1, 0.5 + (1 - noise) * 0.5, 0.5 - (1 - noise) * 0.5)
                    + rng.normal(0, noise * 0.5, rows), 0, 1).round(4)
    labels = np.array(["train", "Train", "TRAIN", "cv", "CV", "Cv"])
    split = labels[np.where(is_cv, 3, 0) + rng.integers(0, 3, rows)]
    return pa.table({
        "split": pa.array(split).dictionary_encode(),
        "train_size": np.asarray(SIZES)[run],
        "y_true": y,
        "y_score": score,
    })


def write_files(folder: Path, rows: int, formats: tuple[str, ...]) -> dict[str, Path]:
    """The files named by ``formats``: csv and parquet (rows shuffled), grouped (a CSV
    written run by run)."""
    from pyarrow import csv, parquet

    def plain(table: pa.Table) -> pa.Table:
        return table.set_column(0, "split", table.column("split").cast(pa.string()))

    out = {}
    if "csv" in formats or "parquet" in formats:
        table = plain(make_table(rows))
        if "csv" in formats:
            out["csv, rows shuffled"] = folder / "learning.csv"
            csv.write_csv(table, out["csv, rows shuffled"])
        if "parquet" in formats:
            out["parquet, rows shuffled"] = folder / "learning.parquet"
            parquet.write_table(table, out["parquet, rows shuffled"])
    if "grouped" in formats:
        out["csv, written run by run"] = folder / "learning_grouped.csv"
        csv.write_csv(plain(make_table(rows, grouped=True)), out["csv, written run by run"])
    return out


READ_ONLY = """
import sys
path = sys.argv[1]
if path.endswith('.parquet'):
    import pyarrow.parquet as pq
    t = pq.read_table(path)
else:
    from pyarrow import csv
    t = csv.read_csv(path)
print(t.num_rows)
"""

PANDAS_GROUPBY = """
import sys
import pandas as pd
path = sys.argv[1]
df = pd.read_parquet(path) if path.endswith('.parquet') else pd.read_csv(path, engine='pyarrow')
df['split'] = df['split'].str.lower()
df['error'] = (df['y_true'] != (df['y_score'] >= 0.5)).astype(float)
print(df.groupby(['train_size', 'split'])['error'].mean().unstack())
"""

CLI = "import sys\nfrom diagnose.cli import main\nsys.argv[0] = 'diagnose'\nmain()"


def measured(cmd: list[str], env: dict[str, str] | None = None,
             cwd: str | None = None) -> tuple[float, float, str]:
    """Run ``cmd`` in a wrapper process that reports the child's own peak RSS."""
    wrapper = [sys.executable, "-c",
               "import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
               "t = time.perf_counter() - t\n"
               "sys.stdout.write(p.stdout.decode())\n"
               "sys.stderr.write(p.stderr.decode())\n"
               "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
               "print(f'@@ {t} {r}')\n"
               "sys.exit(p.returncode)\n", *cmd]
    proc = subprocess.run(wrapper, capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-3000:]}")
    lines = proc.stdout.rstrip().splitlines()
    _, t, r = lines[-1].split()
    return float(t), float(r), "\n".join(lines[:-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "parquet", "grouped", "all"), default="all")
    parser.add_argument("--before", metavar="FOLDER",
                        help="also run the CLI from another copy of the package (PYTHONPATH=FOLDER), "
                             "e.g. the last commit's, for a paired before/after figure")
    parser.add_argument("--show", action="store_true", help="print the CLI's output once")
    args = parser.parse_args()
    formats = ("csv", "grouped", "parquet") if args.format == "all" else (args.format,)
    cli = str(Path(sys.executable).with_name("diagnose"))
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        start = time.perf_counter()
        paths = write_files(Path(tmp), args.rows, formats)
        print(f"{args.rows:,} rows, 10 runs x (train, cv); written in {time.perf_counter() - start:.1f} s")
        for fmt, path in paths.items():
            sides = {
                "(a) pyarrow read only": [sys.executable, "-c", READ_ONLY, str(path)],
                "(b) diagnose curve learning": [cli, "curve", "learning", str(path)],
                "(c) pandas read + groupby": [sys.executable, "-c", PANDAS_GROUPBY, str(path)],
            }
            envs: dict[str, dict[str, str] | None] = {label: None for label in sides}
            if args.before:
                sides["(b0) the same, before"] = [sys.executable, "-c", CLI, "curve", "learning", str(path)]
                envs["(b0) the same, before"] = {**os.environ, "PYTHONPATH": args.before}
            best: dict[str, tuple[float, float]] = {}
            shown = ""
            for _ in range(args.repeat):  # interleaved, so that noise hits every side alike
                for label, cmd in sides.items():
                    # (b0) runs outside this checkout, so that `python -c` does not import it first
                    t, r, out = measured(cmd, envs[label], args.before if envs[label] else None)
                    old = best.get(label)
                    best[label] = (min(t, old[0]) if old else t, max(r, old[1]) if old else r)
                    if label.startswith("(b)"):
                        shown = out
            size = path.stat().st_size / 1e6
            print(f"\n{fmt}: {path.name}, {size:,.0f} MB; best of {args.repeat}, peak RSS")
            for label, (t, r) in best.items():
                print(f"  {label:30s} {t:7.2f} s  {r:8,.0f} MB")
            a, b, c = (best[k][0] for k in list(sides)[:3])
            print(f"  b/a = {b / a:.2f}x   b/c = {b / c:.2f}x")
            if args.before:
                b0 = best["(b0) the same, before"][0]
                print(f"  before: b0/a = {b0 / a:.2f}x   b0/c = {b0 / c:.2f}x")
            if args.show:
                print(shown)


if __name__ == "__main__":
    main()
