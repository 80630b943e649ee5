"""Engines side by side (issue 15): whole processes, paired rounds, and the kernel's throughput.

1. ``diagnose report --engine arrow`` on 3 x N-row Parquet files and on the same rows as CSV,
   each against a process that only reads the same three files with pyarrow
   (``pyarrow.parquet.read_table``, ``pyarrow.csv.read_csv``; target: at most 1.3x);
2. ``--engine dask`` (a LocalCluster of 2 worker processes) vs arrow on the Parquet files
   (target: at most 2x);
3. (``--memory``) ``--engine memory`` on the Parquet files;
4. peak RSS of ``--engine arrow`` on 3 x BIG-row Parquet (target: at most 2 GB), and its
   cost per row against the 3 x N run (skipped with ``--skip-big``);
5. throughput in this process, one core: rows per second of the arrow engine's kernel on a
   decoded batch and with the decoding, and of one Dask task (a partition of row groups, the
   function a worker runs), for a split without scores' statistics (train) and with them (cv).

The processes of a round run one after the other (A B C ...), ``--rounds`` times; each
ratio is taken within a round, and the median of a figure's rounds is printed with its
range: the machine is shared, so absolute times from separate runs mean little.
Data is generated into /tmp (never committed): binary labels and scores, 1M-row row groups.
Usage: python benchmarks/bench_engines.py [--rows 10000000] [--rounds 5] [--memory] [--skip-big]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
DIAGNOSE = [PYTHON, "-c", "import sys; from diagnose.cli import main; sys.argv[0] = 'diagnose'; main()"]
READ_ONLY = """
import sys
if sys.argv[1].endswith(".csv"):
    import pyarrow.csv as csv
    for path in sys.argv[1:]:
        csv.read_csv(path)
else:
    import pyarrow.parquet as pq
    for path in sys.argv[1:]:
        pq.read_table(path, columns=["y_true", "y_score"])
"""


def generate(folder: Path, rows: int, seed: int = 15, csv: bool = False) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = {}
    for split, shift in (("train", 0.30), ("cv", 0.25), ("test", 0.24)):
        path = folder / f"{split}.parquet"
        paths[split] = str(path)
        if not (path.exists() and pq.ParquetFile(path).metadata.num_rows == rows):
            with pq.ParquetWriter(path, pa.schema([("y_true", pa.int8()), ("y_score", pa.float64())])) as writer:
                for start in range(0, rows, 1_000_000):
                    n = min(1_000_000, rows - start)
                    y = rng.integers(0, 2, n).astype(np.int8)
                    score = np.clip(y * shift + rng.random(n) * (1 - shift), 0, 1)
                    writer.write_table(pa.table({"y_true": y, "y_score": score}))
        if csv:
            text = folder / f"{split}.csv"
            if not text.exists() or text.stat().st_mtime < path.stat().st_mtime:
                pacsv.write_csv(pq.read_table(path), text)
    return paths


def csv_paths(paths: dict[str, str]) -> dict[str, str]:
    return {split: p.removesuffix(".parquet") + ".csv" for split, p in paths.items()}


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


CPU: list[float] = []  # CPU seconds (user + system) of each command run by rss_of, when GNU time is there


def rss_of(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one command, measured by GNU time when present
    (which also appends the command's CPU seconds to :data:`CPU`)."""
    if shutil.which("/usr/bin/time"):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        peak, user, system = done.stderr.strip().splitlines()[-1].split()
        CPU.append(float(user) + float(system))
        return seconds, int(peak) / 1e6
    return timed(cmd)


def report_cmd(paths: dict[str, str], engine: str) -> list[str]:
    return [*DIAGNOSE, "report", "--train", paths["train"], "--cv", paths["cv"], "--test", paths["test"],
            "--baseline", "human=0.1", "--engine", engine, "--format", "json"]


def spread(values: list[float], unit: str = "") -> str:
    return f"{statistics.median(values):.2f}{unit} ({min(values):.2f}–{max(values):.2f})"


def paired(small: dict[str, str], rounds: int, memory: bool, rows: int, tiny: dict[str, str]) -> None:
    """Every process of a round in turn; ratios within the round. ``tiny``: the same
    report on 3 x 1,000 rows, whose CPU time is the command's fixed cost (start-up,
    imports, the report's assembly), so that the rest is the cost of the rows."""
    text = csv_paths(small)
    runs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}
    commands = {
        "read parquet": [PYTHON, "-c", READ_ONLY, *small.values()],
        "arrow parquet": report_cmd(small, "arrow"),
        "dask parquet": report_cmd(small, "dask"),
        "read csv": [PYTHON, "-c", READ_ONLY, *text.values()],
        "arrow csv": report_cmd(text, "arrow"),
        "arrow tiny": report_cmd(tiny, "arrow"),
        "read tiny": [PYTHON, "-c", READ_ONLY, *tiny.values()],
    }
    if memory:
        commands["memory parquet"] = report_cmd(small, "memory")
    for cmd in commands.values():  # a warm-up round: every file in the page cache
        rss_of(cmd)
    for _ in range(rounds):
        for name, cmd in commands.items():
            seconds, peak = rss_of(cmd)
            runs.setdefault(name, []).append(seconds)
            if CPU:
                cpu.setdefault(name, []).append(CPU[-1])
            peaks[name] = max(peaks.get(name, 0.0), peak)

    def ratio(a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(runs[a], runs[b])]

    print(f"{rounds} paired rounds; median (min–max); load average now {os.getloadavg()[0]:.1f}")
    for name in commands:
        used = f"   CPU {spread(cpu[name], ' s')}" if name in cpu else ""
        print(f"  {name:16s} wall {spread(runs[name], ' s')}{used}   peak RSS {peaks[name]:.2f} GB")
    print(f"  arrow / read, Parquet: {spread(ratio('arrow parquet', 'read parquet'), 'x')}  (target <= 1.3x)")
    print(f"  arrow / read, CSV:     {spread(ratio('arrow csv', 'read csv'), 'x')}  (target <= 1.3x)")
    print(f"  dask / arrow, Parquet: {spread(ratio('dask parquet', 'arrow parquet'), 'x')}  (target <= 2x)")
    if memory:
        print(f"  memory / read, Parquet: {spread(ratio('memory parquet', 'read parquet'), 'x')}")
    # a floor: whatever the rows cost, the report pays its start-up (imports, the report's
    # assembly) beyond the read's own; the 1.3x target leaves 0.3x the read for everything
    gap = [a - b for a, b in zip(runs["arrow tiny"], runs["read tiny"])]
    for kind in ("parquet", "csv"):
        allowance = [0.3 * r for r in runs[f"read {kind}"]]
        print(f"  {kind}: the report's start-up beyond the read's (3 x 1,000 rows, wall) {spread(gap, ' s')}; "
              f"the target leaves 0.3 x the 3 x {rows:,} read: {spread(allowance, ' s')}")
    if cpu:
        def cpu_ratio(a: str, b: str) -> str:
            return spread([x / y for x, y in zip(cpu[a], cpu[b])], "x")

        print(f"  CPU seconds, arrow / read: Parquet {cpu_ratio('arrow parquet', 'read parquet')}, "
              f"CSV {cpu_ratio('arrow csv', 'read csv')}; dask / arrow (its reaped workers included) "
              f"{cpu_ratio('dask parquet', 'arrow parquet')}")
        fixed = statistics.median(cpu["arrow tiny"])
        for kind in ("parquet", "csv"):
            per_row = (statistics.median(cpu[f"arrow {kind}"]) - fixed) / (3 * rows)
            print(f"  arrow {kind}: {fixed:.2f} CPU s fixed (3 x 1,000 rows) + {per_row * 1e9:.1f} CPU s per "
                  f"billion rows, i.e. {1 / per_row / 1e6:.1f} M rows/s per core for the whole report")


def throughput(small: dict[str, str], repeats: int = 3) -> None:
    """Rows per second on one core of the arrow kernel and of a Dask task (in this process)."""
    from diagnose.service._dask import _piece_found, _pieces
    from diagnose.service._inputs import Input, row_groups
    from diagnose.service._partials import found_in
    from diagnose.stats import Plan, trivial_fit

    plan = Plan("binary", "error_rate")
    train = found_in(pq.read_table(small["train"], columns=["y_true", "y_score"]), plan, source="train",
                     split="train")["train"]
    scored = plan.with_trivial(trivial_fit(train.stats))
    file = pq.ParquetFile(small["cv"], pre_buffer=False)
    decoded = list(row_groups(file, ["y_true", "y_score"]))
    rows = sum(b.num_rows for b in decoded)

    def best(work) -> float:
        times = []
        for _ in range(repeats):
            start = time.process_time()  # CPU seconds of this process: one core's work
            work()
            times.append(time.process_time() - start)
        return rows / min(times)

    def kernel(p, split):
        return lambda: [found_in(b, p, source="cv", split=split) for b in decoded]

    def with_reading(p, split):
        return lambda: [found_in(b, p, source="cv", split=split)
                        for b in row_groups(pq.ParquetFile(small["cv"], pre_buffer=False), ["y_true", "y_score"])]

    source = Input.of(small["cv"])
    pieces = _pieces(source, ["y_true", "y_score"])
    assert pieces is not None

    def tasks(p, split):
        return lambda: [_piece_found(*piece, ["y_true", "y_score"], p, split) for piece in pieces]

    print(f"throughput on one core (CPU time, best of {repeats}), {rows:,} rows of 1M-row batches:")
    for label, p, split in (("train-like (no scores' statistics)", plan, "train"),
                            ("cv (scores' statistics, trivial model, agreement)", scored, "cv")):
        print(f"  {label}:")
        print(f"    arrow kernel on decoded batches  {best(kernel(p, split)) / 1e6:6.1f} M rows/s")
        print(f"    arrow kernel with Parquet decode {best(with_reading(p, split)) / 1e6:6.1f} M rows/s")
        print(f"    Dask task (a partition)          {best(tasks(p, split)) / 1e6:6.1f} M rows/s "
              f"({len(pieces)} partitions of {rows // len(pieces):,} rows)")


def byte_compiled(*folders: Path) -> None:
    """Write the bytecode of ``folders`` (the diagnose package by default) before any timing, as
    an installed package has it: where PYTHONDONTWRITEBYTECODE is set (this sandbox sets it)
    every child process would otherwise compile diagnose's ~140 modules, about 0.18 CPU s,
    which the read-only process (pyarrow, installed compiled) never pays."""
    for folder in folders or (HERE.parent / "diagnose",):
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(folder)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory", action="store_true", help="time --engine memory too (slow)")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-paired", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--folder", default="/tmp/diagnose_bench_engines")
    args = parser.parse_args()
    byte_compiled()
    small = generate(Path(args.folder) / f"rows{args.rows}", args.rows, csv=True)
    size = sum(os.path.getsize(p) for p in small.values()) / 1e9
    text = sum(os.path.getsize(p) for p in csv_paths(small).values()) / 1e9
    print(f"3 x {args.rows:,} rows: Parquet {size:.2f} GB, CSV {text:.2f} GB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_throughput:
        throughput(small)
    if not args.skip_paired:
        tiny = generate(Path(args.folder) / "rows1000", 1000)
        paired(small, args.rounds, args.memory, args.rows, tiny)
    if args.skip_big:
        return
    free = shutil.disk_usage("/tmp").free / 1e9
    need = size * args.big_rows / args.rows * 1.1
    if free < need:
        print(f"skipping 3 x {args.big_rows:,}: /tmp has {free:.0f} GB free, the files need about {need:.0f} GB")
        return
    big = generate(Path(args.folder) / f"rows{args.big_rows}", args.big_rows)
    arrow, _ = rss_of(report_cmd(small, "arrow"))
    seconds, peak = rss_of(report_cmd(big, "arrow"))
    per_row = seconds / (3 * args.big_rows) / (arrow / (3 * args.rows))
    print(f"3 x {args.big_rows:,} --engine arrow: {seconds:.1f} s, peak RSS {peak:.2f} GB, "
          f"cost per row {per_row:.2f}x that of 3 x {args.rows:,} (run just before it)")


if __name__ == "__main__":
    main()
