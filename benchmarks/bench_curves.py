"""Benchmark: `diagnose curve learning` on one multi-run file vs reading that file alone.

Run: .venv/bin/python benchmarks/bench_curves.py [--rows N] [--repeat R] [--format csv|grouped|parquet|all]
     [--before FOLDER] [--data FOLDER] [--command learning|validation] [--no-pandas]

Data (never committed) is written to a temporary folder under /tmp (or to ``--data FOLDER``,
kept and reused by later runs of the same size): one learning-curve file of N rows (default
20M) with columns ``split, train_size, y_true, y_score``; 10 training sizes, each with train
and cv rows, split labels in mixed case (``Train``, ``CV``, ...); rows shuffled (CSV and
Parquet) or written run by run (a second CSV). ``--command validation`` runs
``diagnose curve validation FILE --param train_size`` instead (the same runs read as a
swept parameter: the file's size column is renamed ``param_train_size``). Three fresh
processes run side by side on each file, interleaved, R times (the best time and the peak
RSS of each are kept):

(a) pyarrow reads the file and nothing else (the floor);
(b) ``diagnose curve learning FILE`` (or ``curve validation``);
(c) pandas reads it (pyarrow engine) and takes the mean per-row error per
    (train_size, split) with a groupby (left out with ``--no-pandas``);
(b1) with ``--dictionary-prototype``: (b) with pyarrow's readers patched to return the
    split column dictionary-encoded (the prototype of what ``read_table(...,
    dictionary_columns=...)`` now gives a Parquet file on the curve path).

The figure of interest is b/a (target 1.2x or less), paired round by round (the median
and range of the R ratios) as well as from the best times. Peak RSS is the child's
``ru_maxrss`` (resource.getrusage of the finished child). ``--before FOLDER`` adds (b0), the
same command run from another copy of the package (e.g. the last commit's, copied to
FOLDER), for a paired before/after figure.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

SIZES = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)


def make_table(rows: int, seed: int = 0, grouped: bool = False) -> pa.Table:
    """``rows`` rows of 10 runs, train and cv rows of each; binary labels and scores; rows
    shuffled, or written run by run (``grouped``: each run's train rows, then its cv rows)."""
    rng = np.random.default_rng(seed)
    run = rng.integers(0, len(SIZES), rows)
    is_cv = rng.random(rows) < 0.5
    if grouped:
        order = np.argsort(run * 2 + is_cv, kind="stable")
        run, is_cv = run[order], is_cv[order]
    y = rng.integers(0, 2, rows).astype(np.int8)
    noise = 0.55 - 0.04 * run + 0.25 * is_cv  # bigger runs learn more; cv is harder
    score = np.clip(np.where(y == 1, 0.5 + (1 - noise) * 0.5, 0.5 - (1 - noise) * 0.5)
                    + rng.normal(0, noise * 0.5, rows), 0, 1).round(4)
    labels = np.array(["train", "Train", "TRAIN", "cv", "CV", "Cv"])
    split = labels[np.where(is_cv, 3, 0) + rng.integers(0, 3, rows)]
    return pa.table({
        "split": pa.array(split).dictionary_encode(),
        "train_size": np.asarray(SIZES)[run],
        "y_true": y,
        "y_score": score,
    })


def write_files(folder: Path, rows: int, formats: tuple[str, ...], param: bool = False) -> dict[str, Path]:
    """The files named by ``formats``: csv and parquet (rows shuffled), grouped (a CSV
    written run by run); files of these rows already in ``folder`` are kept. ``param``: the
    size column is named ``param_train_size`` (a validation curve's swept parameter)."""
    from pyarrow import csv, parquet

    def plain(table: pa.Table) -> pa.Table:
        table = table.set_column(0, "split", table.column("split").cast(pa.string()))
        return table.rename_columns(["split", "param_train_size", "y_true", "y_score"]) if param else table

    stem = f"{'validation' if param else 'learning'}_{rows}"
    names = {"csv": ("csv, rows shuffled", f"{stem}.csv"), "parquet": ("parquet, rows shuffled", f"{stem}.parquet"),
             "grouped": ("csv, written run by run", f"{stem}_grouped.csv")}
    out = {names[f][0]: folder / names[f][1] for f in formats}
    shuffled = [k for k in out if "shuffled" in k and not out[k].exists()]
    if shuffled:
        table = plain(make_table(rows))
        for k in shuffled:
            (csv.write_csv if k.startswith("csv") else parquet.write_table)(table, out[k])
    grouped = "csv, written run by run"
    if grouped in out and not out[grouped].exists():
        csv.write_csv(plain(make_table(rows, grouped=True)), out[grouped])
    return out


READ_ONLY = """
import sys
path = sys.argv[1]
if path.endswith('.parquet'):
    import pyarrow.parquet as pq
    t = pq.read_table(path)
else:
    from pyarrow import csv
    t = csv.read_csv(path)
print(t.num_rows)
"""

PANDAS_GROUPBY = """
import sys
import pandas as pd
path = sys.argv[1]
df = pd.read_parquet(path) if path.endswith('.parquet') else pd.read_csv(path, engine='pyarrow')
df['split'] = df['split'].str.lower()
df['error'] = (df['y_true'] != (df['y_score'] >= 0.5)).astype(float)
print(df.groupby([sys.argv[2], 'split'])['error'].mean().unstack())
"""

CLI = "import sys\nfrom diagnose.cli import main\nsys.argv[0] = 'diagnose'\nmain()"

# (b1), a prototype of what is left: the same command with the split column read
# dictionary-encoded by pyarrow (Parquet's read_dictionary, the CSV reader's dictionary
# column type), so that no split string is made per row and none is hashed afterwards.
# Not a feature: diagnose's read_table has no such option yet (see RESULTS.md).
DICTIONARY_SPLIT = """
import sys
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import csv

_pq, _csv = pq.read_table, csv.read_csv

def read_table(source, *args, **kwargs):
    kwargs.setdefault('read_dictionary', ['split'])
    return _pq(source, *args, **kwargs)

def read_csv(source, read_options=None, parse_options=None, convert_options=None):
    types = dict(convert_options.column_types) if convert_options else {}
    types['split'] = pa.dictionary(pa.int32(), pa.string())
    convert = csv.ConvertOptions(strings_can_be_null=True, column_types=types)
    return _csv(source, read_options=read_options, parse_options=parse_options, convert_options=convert)

pq.read_table, csv.read_csv = read_table, read_csv
from diagnose.cli import main
sys.argv[0] = 'diagnose'
main()
"""


def measured(cmd: list[str], env: dict[str, str] | None = None,
             cwd: str | None = None) -> tuple[float, float, float, str]:
    """Run ``cmd`` in a wrapper process that reports the child's wall time, its own peak RSS
    and its CPU time (user + system, every thread)."""
    wrapper = [sys.executable, "-c",
               "import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
               "t = time.perf_counter() - t\n"
               "sys.stdout.write(p.stdout.decode())\n"
               "sys.stderr.write(p.stderr.decode())\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(f'@@ {t} {u.ru_maxrss / 1024} {u.ru_utime + u.ru_stime}')\n"
               "sys.exit(p.returncode)\n", *cmd]
    proc = subprocess.run(wrapper, capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-3000:]}")
    lines = proc.stdout.rstrip().splitlines()
    _, t, r, cpu = lines[-1].split()
    return float(t), float(r), float(cpu), "\n".join(lines[:-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "parquet", "grouped", "all"), default="all")
    parser.add_argument("--command", choices=("learning", "validation"), default="learning")
    parser.add_argument("--before", metavar="FOLDER",
                        help="also run the CLI from another copy of the package (PYTHONPATH=FOLDER), "
                             "e.g. the last commit's, for a paired before/after figure")
    parser.add_argument("--dictionary-prototype", action="store_true",
                        help="also run (b1): the command with the split column read dictionary-encoded")
    parser.add_argument("--data", metavar="FOLDER", help="write the files here and keep them (reused if present)")
    parser.add_argument("--show", action="store_true", help="print the CLI's output once")
    parser.add_argument("--no-pandas", action="store_true", help="leave out (c), the pandas read + groupby")
    args = parser.parse_args()
    from bench_engines import byte_compiled  # bytecode written first, as an install has it

    byte_compiled(*([Path(__file__).resolve().parents[1] / "diagnose"] + ([Path(args.before)] if args.before else [])))
    formats = ("csv", "grouped", "parquet") if args.format == "all" else (args.format,)
    cli = str(Path(sys.executable).with_name("diagnose"))
    param = args.command == "validation"
    extra = ["--param", "train_size"] if param else []
    by = "param_train_size" if param else "train_size"
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        folder = Path(args.data or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = write_files(folder, args.rows, formats, param=param)
        print(f"{args.rows:,} rows, 10 runs x (train, cv); ready in {time.perf_counter() - start:.1f} s")
        for fmt, path in paths.items():
            sides = {
                "(a) pyarrow read only": [sys.executable, "-c", READ_ONLY, str(path)],
                f"(b) diagnose curve {args.command}": [cli, "curve", args.command, str(path), *extra],
            }
            if not args.no_pandas:
                sides["(c) pandas read + groupby"] = [sys.executable, "-c", PANDAS_GROUPBY, str(path), by]
            envs: dict[str, dict[str, str] | None] = {label: None for label in sides}
            if args.before:
                sides["(b0) the same, before"] = [sys.executable, "-c", CLI, "curve", args.command, str(path), *extra]
                envs["(b0) the same, before"] = {**os.environ, "PYTHONPATH": args.before}
            if args.dictionary_prototype:
                sides["(b1) split read as dictionary"] = [sys.executable, "-c", DICTIONARY_SPLIT, "curve",
                                                          args.command, str(path), *extra]
                envs["(b1) split read as dictionary"] = None
            times: dict[str, list[float]] = {label: [] for label in sides}
            cpus: dict[str, list[float]] = {label: [] for label in sides}
            peak: dict[str, float] = {label: 0.0 for label in sides}
            shown = ""
            for _ in range(args.repeat):  # interleaved, so that noise hits every side alike
                for label, cmd in sides.items():
                    # (b0) runs outside this checkout, so that `python -c` does not import it first
                    t, r, cpu, out = measured(cmd, envs[label], args.before if envs[label] else None)
                    times[label].append(t)
                    cpus[label].append(cpu)
                    peak[label] = max(peak[label], r)
                    if label.startswith("(b)"):
                        shown = out
            size = path.stat().st_size / 1e6
            print(f"\n{fmt}: {path.name}, {size:,.0f} MB; best of {args.repeat}: wall, CPU (user + sys), peak RSS")
            for label in sides:
                cpu = min(cpus[label])
                print(f"  {label:30s} {min(times[label]):7.2f} s  {cpu:7.2f} s CPU  {peak[label]:8,.0f} MB")
            ca, cb = (np.array(cpus[k]) for k in list(sides)[:2])
            print(f"  CPU, paired: b/a = {_spread(cb / ca)}")
            a, b = (np.array(times[k]) for k in list(sides)[:2])
            print(f"  best: b/a = {b.min() / a.min():.2f}x")
            print(f"  paired, round by round: b/a = {_spread(b / a)}")
            if not args.no_pandas:
                c = np.array(times["(c) pandas read + groupby"])
                print(f"  pandas: best b/c = {b.min() / c.min():.2f}x, paired b/c = {_spread(b / c)}")
            print(f"  each round's b/a: wall {_rounds(b / a)}; CPU {_rounds(cb / ca)}")
            if args.before:
                b0 = np.array(times["(b0) the same, before"])
                c0 = np.array(cpus["(b0) the same, before"])
                print(f"  before: b0/a = {_spread(b0 / a)}   b0/b = {_spread(b0 / b)} (paired)")
                print(f"  before, CPU: b0/a = {_spread(c0 / ca)}   b0/b = {_spread(c0 / cb)} (paired)")
            if args.dictionary_prototype:
                b1 = np.array(times["(b1) split read as dictionary"])
                print(f"  prototype: b1/a = {_spread(b1 / a)}   b1/b = {_spread(b1 / b)} (paired)")
            if args.show:
                print(shown)


def _rounds(ratios: np.ndarray) -> str:
    """Every round's ratio, in the order run."""
    return " ".join(f"{r:.2f}" for r in ratios)


def _spread(ratios: np.ndarray) -> str:
    """Median ratio with its range over the rounds."""
    return f"{np.median(ratios):.2f}x [{ratios.min():.2f}-{ratios.max():.2f}]"


if __name__ == "__main__":
    main()
