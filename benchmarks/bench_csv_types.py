"""Benchmark: what typing CSV columns by the whole file costs the streaming engines (issue 15).

Two paired comparisons, in one process, alternating, best of K:

* ``id``: a statistics pass over a CSV of (id, y_true, y_score) reading y_true and y_score,
  with the id column converted too (what a statistics pass now does, to find the ids' type
  for the bootstrap's and a submit's later passes) against without it (before);
* ``mixed``: the same pass with the ids converted, on a file whose ids are integers for the
  first half of the rows and text (``a-1``) later, against the file of integer ids only:
  the cost of one loosening (the reader reopens the file and skips the rows already given,
  which it tokenizes again).

Run: .venv/bin/python benchmarks/bench_csv_types.py [--rows N] [--repeat K]
A benchmark, not a test: CI never runs it.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def make(folder: str, rows: int) -> dict[str, str]:
    import pandas as pd

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, rows)
    s = rng.random(rows).round(4)
    ids = np.arange(1, rows + 1).astype(str).astype(object)
    paths = {"ints": os.path.join(folder, "ints.csv"), "mixed": os.path.join(folder, "mixed.csv")}
    pd.DataFrame({"id": ids, "y_true": y, "y_score": s}).to_csv(paths["ints"], index=False)
    ids[rows // 2:] = [f"a-{i}" for i in range(rows - rows // 2)]
    pd.DataFrame({"id": ids, "y_true": y, "y_score": s}).to_csv(paths["mixed"], index=False)
    return paths


def one_pass(path: str, with_id: bool) -> float:
    from diagnose.ingest import Columns
    from diagnose.service import _inputs, _retype

    _retype._KNOWN.clear()  # a fresh reading: no types remembered
    cols = Columns()
    source = _inputs.Input.of(path)
    source.csv_schema(cols)
    start = time.perf_counter()
    for _ in _inputs._csv_batches(source, path, ["y_true", "y_score"], cols, also=["id"] if with_id else None):
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = make(folder, args.rows)
        cases = {"id": ((paths["ints"], False), (paths["ints"], True)),
                 "mixed": ((paths["ints"], True), (paths["mixed"], True))}
        for name, (before, after) in cases.items():
            times: dict[int, list[float]] = {0: [], 1: []}
            ratios = []
            for _ in range(args.repeat):
                a, b = one_pass(*before), one_pass(*after)
                times[0].append(a)
                times[1].append(b)
                ratios.append(b / a)
            print(f"{name}: best {min(times[0]):.3f} s -> {min(times[1]):.3f} s "
                  f"(ratio of bests {min(times[1]) / min(times[0]):.2f}x; paired ratios "
                  f"{', '.join(f'{r:.2f}' for r in ratios)}, median {float(np.median(ratios)):.2f}x)")


if __name__ == "__main__":
    main()
