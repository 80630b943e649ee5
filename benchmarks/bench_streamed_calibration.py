"""What counting the calibration sums costs the streaming engines' first pass (issue 15).

Writes seeded train/cv/test Parquet files (binary: 1,000,000 rows a split; multiclass: 300,000
rows a split, 10 classes) once into a folder, then runs ONE report with the arrow engine:
``--strategy uniform`` counts the calibration sums (the section is streamed), ``--strategy
quantile`` does not (the section is left out). Pair the two with farm-bench:

    farm-bench -n 5 --timeout 900 -- .venv/bin/python benchmarks/bench_streamed_calibration.py --task binary \\
        --strategy uniform --vs '.venv/bin/python benchmarks/bench_streamed_calibration.py --task binary \\
        --strategy quantile'

``--engine memory`` runs the in-memory report on the same files (its calibration section
is computed either way; quantile bins there cost a quantile per problem).
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = Path(os.environ.get("BENCH_FOLDER", Path(tempfile.gettempdir()) / "bench_streamed_calibration"))


def write(task: str) -> dict[str, str]:
    """The three splits' files (written once, seeded)."""
    folder = FOLDER / task
    paths = {split: str(folder / f"{split}.parquet") for split in ("train", "cv", "test")}
    if all(Path(p).exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(15)
    for path in paths.values():
        if task == "binary":
            n = 1_000_000
            s = rng.beta(2, 3, n)
            frame = pd.DataFrame({"y_true": (rng.random(n) < s ** 1.2).astype(np.int8), "y_score": s})
        else:
            n, k = 300_000, 10
            p = rng.dirichlet(np.ones(k) * 0.5, n)
            y = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(0, k - 1)
            frame = pd.DataFrame({f"y_prob_c{j}": p[:, j] for j in range(k)})
            frame.insert(0, "y_true", [f"c{j}" for j in y])
        frame.to_parquet(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["binary", "multiclass"], default="binary")
    parser.add_argument("--strategy", choices=["uniform", "quantile"], default="uniform")
    parser.add_argument("--engine", choices=["arrow", "memory"], default="arrow")
    parser.add_argument("--write-only", action="store_true")
    args = parser.parse_args()
    paths = write(args.task)
    if args.write_only:
        return
    from diagnose.service import report

    r = report(**paths, engine=args.engine, calibration_strategy=args.strategy)
    print(r.to_dict()["calibration"] is not None)


if __name__ == "__main__":
    main()
