"""``diagnose submit --engine arrow`` on big files (issue 15, store part): peak RSS and cost per row.

Generates 3 x N and 3 x BIG rows of Parquet (id int64, y_true int8, y_score float64; 1M-row
row groups) under /tmp, submits each into a fresh SQLite store with its artifact folder
(also under /tmp), and prints wall time and peak RSS (GNU time's maximum resident set) of each
whole process and the cost per row of the big run against the small one. The two submits
run back to back in one invocation (a paired run; the machine is shared and noisy). Data
and stores are deleted at the end unless --keep.

Targets: 3 x 100M completes with peak RSS <= 2 GB; cost per row within 1.1x that of 3 x 10M.
Usage: python benchmarks/bench_submit_big.py [--rows 10000000] [--big-rows 100000000] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PYTHON = sys.executable
DIAGNOSE = [PYTHON, "-c", "import sys; from diagnose.cli import main; sys.argv[0] = 'diagnose'; main()"]


def generate(folder: Path, rows: int, seed: int = 15) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    schema = pa.schema([("id", pa.int64()), ("y_true", pa.int8()), ("y_score", pa.float64())])
    paths = {}
    for split, shift in (("train", 0.30), ("cv", 0.25), ("test", 0.24)):
        path = folder / f"{split}.parquet"
        paths[split] = str(path)
        if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
            continue  # (kept by an earlier --keep run)
        with pq.ParquetWriter(path, schema) as writer:
            for start in range(0, rows, 1_000_000):
                n = min(1_000_000, rows - start)
                y = rng.integers(0, 2, n).astype(np.int8)
                score = np.clip(y * shift + rng.random(n) * (1 - shift), 0, 1)
                ids = np.arange(start, start + n, dtype=np.int64) * 7 + 3  # unique, not compact
                writer.write_table(pa.table({"id": ids, "y_true": y, "y_score": score}, schema=schema))
    return paths


def submit(paths: dict[str, str], store: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (GB, GNU time's maximum resident
    set) of one whole ``diagnose submit`` process."""
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    cmd = [*DIAGNOSE, "submit", "--project", "bench", "--run", "r", "--train", paths["train"], "--cv", paths["cv"],
           "--test", paths["test"], "--baseline", "human=0.1", "--engine", "arrow", "--format", "json"]
    env = {**os.environ, "DIAGNOSE_DATABASE_URL": f"sqlite:///{store / 'runs.db'}"}
    env.pop("DIAGNOSE_ARTIFACT_URL", None)
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    fields = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in done.stderr.splitlines()
              if line.startswith("\t") and ":" in line}
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    return seconds, cpu, int(fields["Maximum resident set size (kbytes)"]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--folder", default="/tmp/diagnose_bench_submit_big")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    root = Path(args.folder)
    try:
        small = generate(root / f"rows{args.rows}", args.rows)
        big = generate(root / f"rows{args.big_rows}", args.big_rows)
        for label, paths in (("small", small), ("big", big)):
            size = sum(os.path.getsize(p) for p in paths.values()) / 1e9
            print(f"{label}: 3 x {pq.ParquetFile(paths['train']).metadata.num_rows:,} rows ({size:.2f} GB of Parquet)")
        s_time, s_cpu, s_rss = submit(small, root / "store_small")
        b_time, b_cpu, b_rss = submit(big, root / "store_big")
        stored = sum(f.stat().st_size for f in (root / "store_big" / "runs.artifacts").iterdir()) / 1e9
        scale = (3 * args.big_rows) / (3 * args.rows)
        print(f"submit 3 x {args.rows:,}:     wall {s_time:8.1f} s  CPU {s_cpu:8.1f} s  peak RSS {s_rss:.2f} GB")
        print(f"submit 3 x {args.big_rows:,}:    wall {b_time:8.1f} s  CPU {b_cpu:8.1f} s  peak RSS {b_rss:.2f} GB  "
              f"({stored:.2f} GB of artifacts)")
        print(f"cost per row, big / small: wall {b_time / scale / s_time:.3f}x, CPU {b_cpu / scale / s_cpu:.3f}x")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
