"""Benchmark: the exact best-F1 threshold sweep vs scikit-learn, on the same 10M-row arrays.

Run: .venv/bin/python benchmarks/bench_threshold.py [--rows N] [--repeat R]

Both sides run in the same process on the same arrays (binary labels with 3% positives,
float64 scores): ``diagnose.thresholds.best_threshold`` (one sort + cumulative counts + F1
argmax) against ``sklearn.metrics.precision_recall_curve`` followed by an F1 argmax. Each
time is the best of R runs, the two alternating. Two score kinds: all-distinct floats, and
scores rounded to 6 decimals as in a CSV file (many ties). A weighted case (argsort +
cumulative sums of weights) is timed too. Peak extra memory is measured with tracemalloc
(numpy reports its buffers to it) around one call of each, after the inputs exist, and is
given in copies of the score array (8 bytes per row). Both sides must pick the same
threshold; the script checks it. This is a benchmark, not a test: CI never runs it.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np


def make(rows: int, *, decimals: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.03).astype(np.int8)
    score = rng.random(rows)
    score = np.clip(score * 0.8 + 0.25 * y * rng.random(rows), 0.0, 1.0)
    if decimals is not None:
        score = score.round(decimals)
    return y, score


def ours(y, s, w=None):
    from diagnose.thresholds import best_threshold

    return best_threshold(y, s, sample_weight=w)


def sklearn_f1(y, s, w=None):
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(y, s, sample_weight=w)
    p, r = p[:-1], r[:-1]  # drop the appended (1, 0) end point, which has no threshold
    den = p + r
    f1 = np.divide(2 * p * r, den, out=np.zeros_like(den), where=den > 0)
    # the largest threshold among the tied maxima (diagnose's tie rule)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(t[best[-1]])


def timed(fn, *args) -> tuple[float, float]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


def compare(label: str, y, s, w, repeat: int) -> list[str]:
    t_ours, t_sk = [], []
    v_ours = v_sk = None
    for _ in range(repeat):
        dt, v_ours = timed(ours, y, s, w)
        t_ours.append(dt)
        dt, v_sk = timed(sklearn_f1, y, s, w)
        t_sk.append(dt)
    assert v_ours == v_sk, (v_ours, v_sk)
    m_ours, m_sk = peak_mb(ours, y, s, w), peak_mb(sklearn_f1, y, s, w)
    copy = s.nbytes / 1e6
    a, b = min(t_ours), min(t_sk)
    print(f"{label}: diagnose {a:.3f} s, sklearn {b:.3f} s, speed-up {b / a:.1f}x; peak extra memory "
          f"diagnose {m_ours:.0f} MB ({m_ours / copy:.1f} copies), sklearn {m_sk:.0f} MB "
          f"({m_sk / copy:.1f} copies); threshold {v_ours:.6g} on both", flush=True)
    return [f"| {label} | {a:.3f} s | {b:.3f} s | {b / a:.1f}× | {m_ours:.0f} MB ({m_ours / copy:.1f}×) "
            f"| {m_sk:.0f} MB ({m_sk / copy:.1f}×) |"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import sklearn.metrics  # noqa: F401  imported before timing: its import is not the point

    import diagnose.thresholds  # noqa: F401

    rows = ["| scores | diagnose | sklearn PR curve + F1 argmax | speed-up | diagnose peak extra "
            "| sklearn peak extra |",
            "|---|---|---|---|---|---|"]
    y, s = make(args.rows, decimals=None)
    rows += compare("distinct floats", y, s, None, args.repeat)
    y, s = make(args.rows, decimals=6)
    rows += compare("6 decimals (ties)", y, s, None, args.repeat)
    w = np.random.default_rng(1).random(args.rows) * 2
    rows += compare("6 decimals, weighted", y, s, w, args.repeat)
    print()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
