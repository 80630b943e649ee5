"""Benchmark: the threshold bootstrap on 10M cv rows, against the exact threshold search on
the same rows: without weights (scheme poisson-cells-v1: replicates drawn per cell of the
histogram's counts) or, with --weighted, with weights of 1 (scheme poisson-hash-v1: Poisson(1)
weights from a keyed hash per row).

Run: .venv/bin/python benchmarks/bench_bootstrap.py [--rows N] [--reps R] [--repeat K] [--weighted]
     .venv/bin/python benchmarks/bench_bootstrap.py --mode boot|search   (one timed step, for a
     whole-process pairing of the two modes)
     .venv/bin/python benchmarks/bench_bootstrap.py --mode arrow   (the arrow engine's report,
     --bootstrap 0 against auto, on a Parquet cv of N rows)

``--bootstrap auto`` draws 200 replicates without weights (each a multinomial draw per cell
of about 1,024 groups x 2 labels, plus one pass for the groups' lowest scores), and with
weights ``BOOTSTRAP_BUDGET / rows`` replicates, at least 20 (on 10M rows, 20; each hashes
every row's key, takes the Poisson(1) inverse CDF and counts the rows per (group of scores,
label, weight value): one pass of a few vectorised operations per replicate, no sort).
Times in one process, the two steps alternating, best of K; the
figure to quote is the ratio bootstrap / search and the nanoseconds per row and replicate.
A benchmark, not a test: CI never runs it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def make(rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.1).astype(np.int8)
    s = np.clip(rng.random(rows) * 0.8 + 0.25 * y * rng.random(rows), 0.0, 1.0).round(6)
    return y, s


def search(y, s):
    from diagnose.thresholds import candidate_sweep, pick_index

    sw = candidate_sweep(y, s)
    return float(sw.thresholds[pick_index(sw)])


def boot(y, s, reps, weighted=False):
    from diagnose.thresholds import bootstrap_threshold

    return bootstrap_threshold(y, s, reps=reps, sample_weight=np.ones(len(s)) if weighted else None)


def streamed(rows: int, repeat: int) -> None:
    """The arrow engine's report on a Parquet cv of ``rows`` rows (train: 100,000 rows),
    ``--bootstrap 0`` against ``auto``, alternating: what the bootstrap's pass adds."""
    import tempfile

    import pandas as pd

    from diagnose.service import report

    folder = tempfile.mkdtemp()
    for split, n in (("train", 100_000), ("cv", rows)):
        y, s = make(n, seed=1 if split == "train" else 0)
        pd.DataFrame({"y_true": y, "y_score": s}).to_parquet(f"{folder}/{split}.parquet", row_group_size=1 << 20)
    best = {0: np.inf, "auto": np.inf}
    for _ in range(repeat):
        for boot in (0, "auto"):
            t = time.perf_counter()
            r = report(f"{folder}/train.parquet", f"{folder}/cv.parquet", engine="arrow", bootstrap=boot)
            best[boot] = min(best[boot], time.perf_counter() - t)
    b = r.sections["threshold"].bootstrap
    print(f"arrow, cv {rows:,} rows: report without bootstrap {best[0]:.2f} s, with --bootstrap auto ({b.reps} "
          f"replicates) {best['auto']:.2f} s (ratio {best['auto'] / best[0]:.1f})")


def main() -> None:
    from diagnose.thresholds import bootstrap_reps

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", default="auto")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--mode", choices=["both", "boot", "search", "arrow"], default="both")
    ap.add_argument("--weighted", action="store_true", help="weights of 1: the keyed scheme poisson-hash-v1")
    args = ap.parse_args()
    if args.mode == "arrow":
        streamed(args.rows, args.repeat)
        return
    reps = bootstrap_reps(args.rows, "auto" if args.reps == "auto" else int(args.reps), weighted=args.weighted)
    y, s = make(args.rows)
    if args.mode != "both":
        t = time.perf_counter()
        out = boot(y, s, reps, args.weighted) if args.mode == "boot" else search(y, s)
        print(f"{args.mode}: {time.perf_counter() - t:.2f} s", out if args.mode == "search" else out.reps)
        return
    best = {"search": np.inf, "boot": np.inf}
    for _ in range(args.repeat):
        for name in ("search", "boot"):
            t = time.perf_counter()
            boot(y, s, reps, args.weighted) if name == "boot" else search(y, s)
            best[name] = min(best[name], time.perf_counter() - t)
    per = (best["boot"] - best["search"]) / (reps * args.rows) * 1e9  # the search is inside the bootstrap
    scheme = "poisson-hash-v1" if args.weighted else "poisson-cells-v1"
    print(f"{scheme}, rows {args.rows:,}, replicates {reps}: search {best['search']:.2f} s, "
          f"bootstrap {best['boot']:.2f} s "
          f"(ratio {best['boot'] / best['search']:.1f}), about {per:.0f} ns per row and replicate")


if __name__ == "__main__":
    main()
