"""Benchmark: the exact best-threshold search vs scikit-learn and vs the one-sort sweep, on
the same 10M-row arrays, side by side in one process.

Run: .venv/bin/python benchmarks/bench_threshold.py [--rows N] [--repeat R]

Three ways to the same threshold (binary labels with 3% positives, float64 scores):

* ``diagnose.thresholds.best_threshold``: the bound-and-refine search (one pass counts the
  rows per score bucket, the rule's bound prunes the buckets, only the rows of the
  remaining ones are sorted); the public function, input checks included. It runs its two
  passes on two threads. "Search alone" is ``candidate_sweep`` + ``pick_index`` without the
  input checks; its "one thread" time (``threads=False``) shows what the threads add.
* the one-sort sweep (``sweep`` + ``pick_index``): what ``best_threshold`` did before.
* scikit-learn: ``precision_recall_curve`` followed by an F1 argmax (the largest threshold
  among the tied maxima, as diagnose's tie rule).

Each time is the best of R runs, the ways alternating. Scores: all-distinct floats, and
rounded to 6 decimals as in a CSV file (many ties); with and without sample weights. All
three ways must give the same threshold; the script checks it (and for the other rules,
which scikit-learn has no curve for, that the search equals the one-sort sweep). Peak extra
memory is tracemalloc's peak (numpy reports its buffers to it) during one call, after the
inputs exist, in copies of the score array (8 bytes per row). A benchmark, not a test: CI
never runs it.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

RULES = ("fbeta:2", "precision>=0.5", "recall>=0.9", "cost:fp=1,fn=20")


def make(rows: int, *, decimals: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.03).astype(np.int8)
    score = rng.random(rows)
    score = np.clip(score * 0.8 + 0.25 * y * rng.random(rows), 0.0, 1.0)
    if decimals is not None:
        score = score.round(decimals)
    return y, score


def ours(y, s, w=None, rule="f1"):
    from diagnose.thresholds import best_threshold

    return best_threshold(y, s, sample_weight=w, rule=rule)


def search_alone(y, s, w=None, rule="f1", threads=True):
    from diagnose.thresholds import candidate_sweep, pick_index

    sw = candidate_sweep(y, s, sample_weight=w, rule=rule, threads=threads)
    i = pick_index(sw, rule)
    return float("nan") if i is None else float(sw.thresholds[i])


def one_thread(y, s, w=None, rule="f1"):
    return search_alone(y, s, w, rule, threads=False)


def sort_sweep(y, s, w=None, rule="f1"):
    from diagnose.thresholds import pick_index, sweep

    sw = sweep(y, s, sample_weight=w)
    i = pick_index(sw, rule)
    return float("nan") if i is None else float(sw.thresholds[i])


def sklearn_f1(y, s, w=None, rule="f1"):
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(y, s, sample_weight=w)
    p, r = p[:-1], r[:-1]  # drop the appended (1, 0) end point, which has no threshold
    den = p + r
    f1 = np.divide(2 * p * r, den, out=np.zeros_like(den), where=den > 0)
    # the largest threshold among the tied maxima (diagnose's tie rule)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(t[best[-1]])


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


def best_times(ways, args, repeat: int) -> tuple[list[float], list[float]]:
    times = [[] for _ in ways]
    values: list[float] = [0.0] * len(ways)
    for _ in range(repeat):
        for k, way in enumerate(ways):
            start = time.perf_counter()
            values[k] = way(*args)
            times[k].append(time.perf_counter() - start)
    return [min(t) for t in times], values


def compare(label: str, y, s, w, repeat: int) -> str:
    ways = (ours, one_thread, sort_sweep, sklearn_f1)
    (a, a1, b, c), values = best_times(ways, (y, s, w), repeat)
    assert len(set(values)) == 1, (label, values)  # the same threshold every way
    copy = s.nbytes / 1e6
    m_ours, m_alone, m_sort, m_sk = (peak_mb(way, y, s, w) for way in (ours, search_alone, sort_sweep, sklearn_f1))
    print(f"{label}: diagnose {a:.3f} s (one thread {a1:.3f} s), one-sort sweep {b:.3f} s, sklearn {c:.3f} s; "
          f"speed-up vs sklearn {c / a:.1f}x, vs the sort {b / a:.1f}x; peak extra memory {m_ours:.0f} "
          f"(search alone {m_alone:.0f}) / {m_sort:.0f} / {m_sk:.0f} MB; threshold {values[0]:.6g} every way",
          flush=True)
    return (f"| {label} | {a:.3f} s | {a1:.3f} s | {b:.3f} s | {c:.3f} s | **{c / a:.1f}×** | {b / a:.1f}× "
            f"| {m_ours:.0f} MB ({m_ours / copy:.2f}×) | {m_alone:.0f} MB ({m_alone / copy:.2f}×) "
            f"| {m_sort:.0f} MB ({m_sort / copy:.1f}×) | {m_sk:.0f} MB ({m_sk / copy:.1f}×) |")


def compare_rule(rule: str, y, s, repeat: int) -> str:
    (a, b), values = best_times((ours, sort_sweep), (y, s, None, rule), repeat)
    assert values[0] == values[1], (rule, values)
    print(f"{rule}: diagnose {a:.3f} s, one-sort sweep {b:.3f} s ({b / a:.1f}x); threshold {values[0]:.6g}",
          flush=True)
    return f"| `{rule}` | {a:.3f} s | {b:.3f} s | {b / a:.1f}× | {values[0]:.6g} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import sklearn.metrics  # noqa: F401  imported before timing: its import is not the point

    import diagnose.thresholds  # noqa: F401

    rows = ["| scores | diagnose | search alone, one thread | one-sort sweep | sklearn PR curve + F1 argmax "
            "| vs sklearn | vs the sort | diagnose peak extra | search alone peak extra | sort peak extra "
            "| sklearn peak extra |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    weights = np.random.default_rng(1).random(args.rows) * 2
    y, s = make(args.rows, decimals=None)
    rows.append(compare("distinct floats", y, s, None, args.repeat))
    rows.append(compare("distinct floats, weighted", y, s, weights, args.repeat))
    y, s = make(args.rows, decimals=6)
    rows.append(compare("6 decimals (ties)", y, s, None, args.repeat))
    rows.append(compare("6 decimals, weighted", y, s, weights, args.repeat))
    rules = ["| rule (6 decimals) | diagnose | one-sort sweep | speed-up | threshold |", "|---|---|---|---|---|"]
    rules += [compare_rule(rule, y, s, args.repeat) for rule in RULES]
    print()
    print("\n".join(rows))
    print()
    print("\n".join(rules))


if __name__ == "__main__":
    main()
