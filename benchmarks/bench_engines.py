"""Engines side by side (issue 15): whole processes, one paired run.

1. ``diagnose report --engine arrow`` on 3 x N-row Parquet files vs a process that only
   reads the same three files with pyarrow (target: at most 1.3x);
2. ``--engine dask`` (a LocalCluster of 2 worker processes) vs arrow on the same files
   (target: at most 2x);
3. peak RSS of ``--engine arrow`` on 3 x BIG-row Parquet (target: at most 2 GB), and its
   cost per row against the 3 x N run.

Data is generated into /tmp (never committed): binary labels and scores, 1M-row row groups.
Usage: python benchmarks/bench_engines.py [--rows 10000000] [--big-rows 100000000] [--skip-big]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
DIAGNOSE = [PYTHON, "-c", "import sys; from diagnose.cli import main; sys.argv[0] = 'diagnose'; main()"]
READ_ONLY = """
import sys, pyarrow.parquet as pq
for path in sys.argv[1:]:
    pq.read_table(path, columns=["y_true", "y_score"])
"""


def generate(folder: Path, rows: int, seed: int = 15) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = {}
    for split, shift in (("train", 0.30), ("cv", 0.25), ("test", 0.24)):
        path = folder / f"{split}.parquet"
        paths[split] = str(path)
        if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
            continue
        with pq.ParquetWriter(path, pa.schema([("y_true", pa.int8()), ("y_score", pa.float64())])) as writer:
            for start in range(0, rows, 1_000_000):
                n = min(1_000_000, rows - start)
                y = rng.integers(0, 2, n).astype(np.int8)
                score = np.clip(y * shift + rng.random(n) * (1 - shift), 0, 1)
                writer.write_table(pa.table({"y_true": y, "y_score": score}))
    return paths


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1e6  # ru_maxrss is in KB on Linux; max over children so far


def rss_of(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one command, measured by GNU time when present."""
    if shutil.which("/usr/bin/time"):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        return seconds, int(done.stderr.strip().splitlines()[-1]) / 1e6
    return timed(cmd)


def report_cmd(paths: dict[str, str], engine: str) -> list[str]:
    return [*DIAGNOSE, "report", "--train", paths["train"], "--cv", paths["cv"], "--test", paths["test"],
            "--baseline", "human=0.1", "--engine", engine, "--format", "json"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--folder", default="/tmp/diagnose_bench_engines")
    args = parser.parse_args()
    small = generate(Path(args.folder) / f"rows{args.rows}", args.rows)
    size = sum(os.path.getsize(p) for p in small.values()) / 1e9
    print(f"3 x {args.rows:,} rows of Parquet ({size:.2f} GB)")
    rows = []
    for _ in range(2):  # the second round is the paired one (warm file cache for every process)
        read, _ = rss_of([PYTHON, "-c", READ_ONLY, *small.values()])
        arrow, arrow_rss = rss_of(report_cmd(small, "arrow"))
        dask, _ = rss_of(report_cmd(small, "dask"))
        memory, memory_rss = rss_of(report_cmd(small, "memory"))
        rows = [read, arrow, arrow_rss, dask, memory, memory_rss]
    read, arrow, arrow_rss, dask, memory, memory_rss = rows
    print(f"pyarrow read only      {read:7.2f} s")
    print(f"report --engine arrow  {arrow:7.2f} s  ({arrow / read:.2f}x the read; peak RSS {arrow_rss:.2f} GB)")
    print(f"report --engine dask   {dask:7.2f} s  ({dask / arrow:.2f}x arrow)")
    print(f"report --engine memory {memory:7.2f} s  ({memory / read:.2f}x the read; peak RSS {memory_rss:.2f} GB)")
    if args.skip_big:
        return
    free = shutil.disk_usage("/tmp").free / 1e9
    need = size * args.big_rows / args.rows * 1.1
    if free < need:
        print(f"skipping 3 x {args.big_rows:,}: /tmp has {free:.0f} GB free, the files need about {need:.0f} GB")
        return
    big = generate(Path(args.folder) / f"rows{args.big_rows}", args.big_rows)
    seconds, peak = rss_of(report_cmd(big, "arrow"))
    per_row = seconds / (3 * args.big_rows) / (arrow / (3 * args.rows))
    print(f"3 x {args.big_rows:,} --engine arrow: {seconds:.1f} s, peak RSS {peak:.2f} GB, "
          f"cost per row {per_row:.2f}x that of 3 x {args.rows:,}")


if __name__ == "__main__":
    main()
