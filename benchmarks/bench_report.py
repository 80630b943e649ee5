"""Benchmark: `diagnose report` on three 1M-row binary CSVs vs pandas' pyarrow reader alone.

Run: .venv/bin/python benchmarks/bench_report.py [--rows N] [--repeat R]
Data is generated into a temporary folder (never committed). Both sides run in the same
process and on the same files; each figure is the best of R runs (page cache warm for
both). The CLI figure is a fresh `diagnose report` process, start-up and imports included.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_files(folder: Path, rows: int) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    paths = {}
    for i, split in enumerate(("train", "cv", "test")):
        y = rng.integers(0, 2, rows)
        score = np.clip(y * (0.5 - 0.1 * i) + rng.random(rows) * 0.6, 0, 1).round(6)
        path = folder / f"{split}.csv"
        pd.DataFrame({"id": np.arange(rows), "y_true": y, "y_score": score}).to_csv(path, index=False)
        paths[split] = path
    return paths


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import diagnose

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_files(Path(tmp), args.rows)
        size = sum(p.stat().st_size for p in paths.values()) / 1e6

        def pandas_read():
            for p in paths.values():
                pd.read_csv(p, engine="pyarrow")

        def diagnose_report():
            r = diagnose.report(train=paths["train"], cv=paths["cv"], test=paths["test"],
                                baselines={"human": 0.05})
            r.to_text()

        cli = [str(Path(sys.executable).with_name("diagnose")), "report", "--train", str(paths["train"]),
               "--cv", str(paths["cv"]), "--test", str(paths["test"]), "--baseline", "human=0.05"]

        reader = [sys.executable, "-c", "import sys, pandas as pd\n"
                  "for p in sys.argv[1:]: pd.read_csv(p, engine='pyarrow')",
                  *(str(p) for p in paths.values())]

        def pandas_process():
            subprocess.run(reader, check=True, capture_output=True)

        def diagnose_cli():
            subprocess.run(cli, check=True, capture_output=True)

        diagnose_report()  # warm imports and page cache
        t_pandas = best(pandas_read, args.repeat)
        t_report = best(diagnose_report, args.repeat)
        t_cli = best(diagnose_cli, args.repeat)
        t_pandas_process = best(pandas_process, args.repeat)
    print(f"rows per file: {args.rows:,}; three CSV files, {size:.1f} MB in all")
    print(f"pandas.read_csv(engine='pyarrow'), 3 files : {t_pandas:.3f} s")
    print(f"diagnose.report(...) in process             : {t_report:.3f} s  ({t_report / t_pandas:.2f}x)")
    print(f"pandas reader, fresh process (import incl.) : {t_pandas_process:.3f} s")
    print(f"diagnose report CLI, fresh process          : {t_cli:.3f} s  ({t_cli / t_pandas_process:.2f}x)")


if __name__ == "__main__":
    main()
