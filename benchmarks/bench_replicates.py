"""Paired timing of the bootstrap's replicate counting (CountReplicates on one chunk): the
table inverse CDF with reused buffers (now) against the comparison kernel it replaced (kept
here as the baseline), alternating in one process, and a check that both give equal counts.

    .venv/bin/python benchmarks/bench_replicates.py --rows 10000000 --reps 20 --repeat 3
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from diagnose.ingest import mix64
from diagnose.thresholds import ScoreGrid
from diagnose.thresholds._replicates import (
    BLOCK_ROWS,
    POISSON_CAP,
    POISSON_CUTS,
    CountReplicates,
    _halves,
    _pair,
    row_keys,
    score_groups,
)


def old_weights(u: np.ndarray) -> np.ndarray:
    c = (u >= POISSON_CUTS[0]).view(np.uint8)
    for j in range(1, 5):
        c += (u >= POISSON_CUTS[j]).view(np.uint8)
    big = np.flatnonzero(u >= POISSON_CUTS[4])
    if big.shape[0]:
        c[big] = np.searchsorted(POISSON_CUTS, u[big], side="right").astype(np.uint8)
    return c


def old_count(job: CountReplicates, y, s, w, ids):
    """CountReplicates.__call__ as it was before the table (the baseline)."""
    pos = np.asarray(y) == 1
    g, width = job.groups, POISSON_CAP + 1
    cell = job.group[job.grid.keys(s)]
    base = (cell * 2 + pos) * width
    keys = row_keys(ids, s.shape[0], job.seed)
    dtype = np.int64 if w is None else np.float64
    times: np.ndarray = np.arange(width, dtype=dtype)
    rows, cells = s.shape[0], g * 2 * width
    inbag, oob = np.zeros((job.reps, g, 2), dtype), np.zeros((job.reps, g, 2), dtype)
    idx = np.empty(min(rows, BLOCK_ROWS), np.int64)
    for a in range(0, rows, BLOCK_ROWS):
        b = min(a + BLOCK_ROWS, rows)
        kb, bb, ib, wb = keys[a:b], base[a:b], idx[:b - a], None if w is None else w[a:b]
        for p in range((job.reps + 1) // 2):
            for r, u in zip((2 * p, 2 * p + 1), _halves(mix64(kb + _pair(p), copy=False))):
                if r < job.reps:
                    np.add(bb, old_weights(u), out=ib)
                    per = np.bincount(ib, weights=wb, minlength=cells).reshape(g, 2, width)
                    inbag[r] += per @ times
                    oob[r] += per[:, :, 0]
    return inbag, oob


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    y = (rng.random(a.rows) < 0.1).astype(np.int8)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random(a.rows), 0, 1), 6)
    grid = ScoreGrid(0.0, 1.0, 16)
    job = CountReplicates(grid, score_groups(np.bincount(grid.keys(s), minlength=1 << 16)), a.reps, 7)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(a.repeat):
        t = time.perf_counter()
        inbag, oob = old_count(job, y, s, None, None)
        times["before"].append(time.perf_counter() - t)
        t = time.perf_counter()
        new = job(y, s, None, None)
        times["after"].append(time.perf_counter() - t)
        assert np.array_equal(new.inbag, inbag) and np.array_equal(new.oob, oob)
    nr = a.rows * a.reps
    bo, af = min(times["before"]), min(times["after"])
    print(f"rows {a.rows:,} reps {a.reps}: before {bo:.2f} s ({bo / nr * 1e9:.1f} ns per row and replicate), "
          f"after {af:.2f} s ({af / nr * 1e9:.1f} ns), ratio {bo / af:.2f}x (best of {a.repeat}, alternating; "
          f"counts equal)")
    print("all runs:", {k: [round(x, 2) for x in v] for k, v in times.items()})


if __name__ == "__main__":
    main()
