"""Benchmark: how little numpy work a report of 3 x N Parquet rows can do, against the read.

Run: .venv/bin/python benchmarks/report_floor.py [--folder FOLDER] [--rounds 5]

Issue 15 asks for ``diagnose report`` on 3 x 10M rows within 1.3x the time of a process that
only reads the three files, which leaves 0.3x the read for everything else the report does.
This script times, in one process and round by round, the read of the two columns (pyarrow,
its threads) and the least numpy work each section of the default report needs over those
rows, each in its cheapest form (whole arrays or blocks of 65,536 rows, the cheaper; a fixed grid instead of the exact
search's IEEE buckets, one bincount per sum, no validation, no bootstrap, no second pass):

* errors: the confusion counts at 0.5 (error, precision, recall, F1), one bincount a split;
* threshold: one histogram of (score bucket, label) over cv and test (the pass the exact
  search cannot skip; its refine pass and the bootstrap's are left out);
* calibration bins: the bin of each row and three weighted bincounts (count, sum of scores,
  sum of labels) per split;
* calibration sums: the Brier score's and Spiegelhalter's sums of products, per split (the
  slope's sample is left out).

Each is timed as CPU seconds of this process (one core: numpy runs these on one thread) and
set against the allowance: 0.3 x the wall time of the read-only process of
``benchmarks/bench_engines.py`` (start-up included, as the target counts it), timed in the
same rounds. That allowance is generous: it leaves out the report's own start-up beyond the
read's (0.13 s in the bench_engines run of the same day). Even split perfectly over both
cores (halved), the sum of the sections is the floor of what the report adds to the read.
The files are those of ``benchmarks/bench_engines.py`` (generated there if missing).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def read(paths: dict[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split, path in paths.items():
        t = pq.read_table(path, columns=["y_true", "y_score"])
        out[split] = (t.column("y_true").to_numpy(), t.column("y_score").to_numpy())
    return out


def cpu(work, *args) -> float:
    start = time.process_time()
    work(*args)
    return time.process_time() - start


BLOCK = 1 << 16  # rows a block: every temporary stays in cache (as the report's own kernels do)


def blocks(y: np.ndarray, s: np.ndarray, size: int):
    for i in range(0, len(s), size):
        yield y[i:i + size], s[i:i + size]


def sections(data: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """CPU seconds of each section, the cheaper of whole arrays and blocks of BLOCK rows."""
    def errors(size):  # the split's error, precision, recall and F1 at 0.5: its confusion counts
        for y, s in data.values():
            for yb, sb in blocks(y, s, size):
                np.bincount(2 * yb + (sb >= 0.5), minlength=4)

    def threshold(size):
        for split in ("cv", "test"):
            for yb, sb in blocks(*data[split], size):
                np.bincount((sb * 65535).astype(np.int64) * 2 + yb, minlength=2 * 65536)

    def calibration_bins(size):
        for y, s in data.values():
            for yb, sb in blocks(y, s, size):
                b = np.minimum((sb * 15).astype(np.int64), 14)
                np.bincount(b, minlength=15), np.bincount(b, sb, 15), np.bincount(b, yb, 15)

    def calibration_sums(size):  # Brier, and Spiegelhalter's z: sums of products of each row
        for y, s in data.values():
            for yb, sb in blocks(y, s, size):
                r, t = yb - sb, 1 - 2 * sb
                np.dot(r, r), np.dot(r, t), np.dot(t * t, sb * (1 - sb))

    n = len(next(iter(data.values()))[1])
    return {name: min(cpu(f, n), cpu(f, BLOCK)) for name, f in
            (("errors", errors), ("threshold", threshold), ("cal. bins", calibration_bins),
             ("cal. sums", calibration_sums))}


def main() -> None:
    from bench_engines import READ_ONLY, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", default="/tmp/diagnose_bench_engines")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    paths = generate(Path(args.folder) / f"rows{args.rows}", args.rows)
    read(paths)  # every file in the page cache
    walls, processes, parts = [], [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", READ_ONLY, *paths.values()], check=True)
        processes.append(time.perf_counter() - start)
        start = time.perf_counter()
        data = read(paths)
        walls.append(time.perf_counter() - start)
        parts.append(sections(data))
        del data
    wall, process = statistics.median(walls), statistics.median(processes)
    allowance = 0.3 * process
    load = os.getloadavg()[0]
    print(f"3 x {args.rows:,} rows of Parquet, {args.rounds} rounds (median); load average now {load:.1f}")
    print(f"  the read-only process: wall {process:.3f} s (of which the read in this process: {wall:.3f} s); "
          f"allowance 0.3 x = {allowance:.3f} s")
    total = 0.0
    for name in parts[0]:
        value = statistics.median(p[name] for p in parts)
        total += value
        print(f"  {name:12s} {value:.3f} CPU s ({value / (3 * args.rows) * 1e9:.1f} ns a row of the three splits)")
    print(f"  sum {total:.3f} CPU s; over both cores at best {total / 2:.3f} s = {total / 2 / allowance:.1f}x the "
          "allowance, before start-up, validation, the refine and bootstrap passes and the report itself")


if __name__ == "__main__":
    main()
