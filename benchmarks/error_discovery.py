"""Simulation and timing: slice discovery, label-noise suspects, why test differs (issue 18).

Run: .venv/bin/python benchmarks/error_discovery.py [--quick] [--parts slices,suspects,shift]
     [--slice-redraws 100] [--null-redraws 200] [--perf-rows 1000000] [--suspect-seeds 20]
     [--shift-seeds 50] [--shift-rows 20000] [--shift-perf-rows 1000000] [--repeat 3]

The defaults are the acceptance sizes; ``--quick`` shrinks every count for a smoke run. Every
draw is seeded (redraw ``i`` uses ``numpy.random.default_rng(i)`` or a fixed offset of it).

1. ``diagnose.error_analysis.find_slices`` on ``planted()`` (20,000 cv rows, slice columns
   region, device, plan, age, income, tenure; errors 40% in region=north & device=mobile, 10%
   elsewhere): how often the top slice is exactly the planted one, and how often a parent or
   child of it (a strict subset or superset of its conditions) is listed beside it. The null
   (``plant=False``, 10% everywhere): how often any slice is reported, and how often the
   discovery half finds anything before replication. Timing: ``load_predictions`` and
   ``find_slices`` on 1M rows in a child process (median of ``--repeat``; its peak RSS).
2. ``diagnose.error_analysis._suspects.find_suspects`` on scikit-learn's digits with 5% of the
   labels flipped to another class: precision@k (k = the number flipped) of the ranked suspects
   and whether the bootstrap interval of the estimated number of issues covers k, with
   out-of-fold probabilities of KNeighborsClassifier(10) and of LogisticRegression(max_iter=2000).
3. ``diagnose.error_analysis._shift.explain_shift`` on three scenarios (cv and test 20,000 rows
   each; region north/south/east/west, device mobile/desktop, a normal ``age``): a mix shift
   (north 25% of cv, 60% of test, error 30% there and 10% elsewhere in both), a worse model
   (same mix, error 10% in cv, 18% in test, everywhere), and no shift (both drawn as cv of the
   mix shift); the conclusion sentence is checked for the words ``_conclusion`` uses. Timing: one
   call on 1M + 1M rows in a child process.

Times are single-process wall clock (time.perf_counter). This is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

PLANTED = {"region=north", "device=mobile"}


def planted(rng, n=20_000, plant=True):
    region = rng.choice(["north", "south", "east", "west"], n)
    device = np.where(region == "north", rng.choice(["mobile", "desktop", "tablet"], n, p=[0.2, 0.5, 0.3]),
                      rng.choice(["mobile", "desktop", "tablet"], n, p=[0.3, 0.4, 0.3]))
    bad = (region == "north") & (device == "mobile") if plant else np.zeros(n, bool)
    y = (rng.random(n) < 0.3).astype(int)
    wrong = rng.random(n) < np.where(bad, 0.4, 0.1)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": np.where(wrong, 1 - y, y) * 0.6 + 0.2,
                         "region": region, "device": device, "plan": rng.choice(["free", "pro", "team"], n),
                         "age": rng.normal(40, 10, n), "income": rng.lognormal(10, 1, n),
                         "tenure": rng.integers(0, 60, n)})


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def child(args: list[str]) -> dict:
    """Run this script's ``--child`` mode in a fresh process (clean peak RSS); its JSON answer."""
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- 1. slices


def slices_planted(redraws: int) -> dict:
    from diagnose.error_analysis import find_slices
    from diagnose.ingest import load_predictions

    top_exact = listed = related = unrelated = 0
    lengths, others, times = [], {}, []
    for i in range(redraws):
        pred = load_predictions(planted(np.random.default_rng(i)))
        t0 = time.perf_counter()
        table = find_slices(pred)
        times.append(time.perf_counter() - t0)
        sets = [set(map(str, c)) for c in table.frame["conditions"]]
        lengths.append(len(sets))
        top_exact += bool(sets) and sets[0] == PLANTED
        listed += PLANTED in sets
        related += any(s != PLANTED and (s < PLANTED or s > PLANTED) for s in sets)
        unrelated += any(not (s <= PLANTED or s >= PLANTED) for s in sets)
        for s, text in zip(sets, table.frame["slice"]):
            if s != PLANTED:
                others[text] = others.get(text, 0) + 1
    return {"redraws": redraws, "top_exact": top_exact / redraws, "listed": listed / redraws,
            "related": related / redraws,
            "unrelated": unrelated / redraws, "mean_listed": float(np.mean(lengths)), "max_listed": max(lengths),
            "others": sorted(others.items(), key=lambda kv: -kv[1])[:10], "median_time": statistics.median(times)}


def slices_null(redraws: int) -> dict:
    from diagnose.error_analysis import find_slices
    from diagnose.ingest import load_predictions

    reported = discovered = 0
    tests, examples = [], []
    for i in range(redraws):
        pred = load_predictions(planted(np.random.default_rng(10_000 + i), plant=False))
        table = find_slices(pred)
        tests.append(table.tests)
        reported += len(table.frame) > 0
        discovered += table.discoveries > 0
        if len(table.frame) and len(examples) < 5:
            examples.append((10_000 + i, table.frame["slice"].tolist()))
    return {"redraws": redraws, "reported": reported / redraws, "discovered": discovered / redraws,
            "median_tests": statistics.median(tests), "examples": examples}


def perf_slices(rows: int, repeat: int) -> dict:
    """In a child process: load_predictions and find_slices on ``rows`` cv rows, and the peak RSS."""
    from diagnose.error_analysis import find_slices
    from diagnose.ingest import load_predictions

    find_slices(load_predictions(planted(np.random.default_rng(0), 2_000)))  # imports (scipy) out of the timing
    base = peak_mb()
    frame = planted(np.random.default_rng(1), rows)
    after_frame = peak_mb()
    loads, finds = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pred = load_predictions(frame)
        loads.append(time.perf_counter() - t0)
    after_load = peak_mb()
    for _ in range(repeat):
        t0 = time.perf_counter()
        table = find_slices(pred)
        finds.append(time.perf_counter() - t0)
    return {"rows": rows, "load": loads, "find": finds, "top": table.frame["slice"].tolist()[:3],
            "tests": table.tests, "rss_base": base, "rss_frame": after_frame, "rss_load": after_load,
            "rss_peak": peak_mb()}


# ----------------------------------------------------------------------------- 2. suspects


def suspects(seeds: int, reps: int) -> dict:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier
    from threadpoolctl import threadpool_limits

    from diagnose.error_analysis._suspects import find_suspects
    from diagnose.ingest import Predictions

    X, y = load_digits(return_X_y=True)
    n = len(y)
    k = int(round(0.05 * n))
    models = {"KNeighborsClassifier(10)": lambda: KNeighborsClassifier(10),
              "LogisticRegression(max_iter=2000)": lambda: LogisticRegression(max_iter=2000)}
    out = {}
    for name, make in models.items():
        rows = []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            flipped = rng.choice(n, k, replace=False)
            noisy = y.copy()
            noisy[flipped] = (y[flipped] + rng.integers(1, 10, k)) % 10
            # one BLAS thread: on this 2-core machine a threaded lbfgs fit of digits takes ~7 s, not 0.05 s
            with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                proba = cross_val_predict(make(), X, noisy, cv=5, method="predict_proba")
            unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            pred = Predictions("multiclass", y_true=noisy.astype(np.int64), y_score=proba,
                               classes=tuple(str(c) for c in range(10)), ids=np.arange(n))
            t0 = time.perf_counter()
            s = find_suspects(pred, reps=reps, seed=seed)
            elapsed = time.perf_counter() - t0
            top = s.frame["id"].to_numpy()[:k]
            rows.append({"precision": np.isin(top, flipped).sum() / k,
                         "hits_all": int(np.isin(s.frame["id"].to_numpy(), flipped).sum()), "flagged": s.flagged,
                         "estimate": s.estimated_issues, "low": s.ci_low, "high": s.ci_high,
                         "covers": s.ci_low <= k <= s.ci_high, "time": elapsed, "unconverged": unconverged})
        frame = pd.DataFrame(rows)
        out[name] = {"k": k, "seeds": seeds, "precision_mean": frame["precision"].mean(),
                     "precision_min": frame["precision"].min(), "precision_max": frame["precision"].max(),
                     "recall": (frame["hits_all"] / k).mean(), "flagged": frame["flagged"].mean(),
                     "flagged_precision": (frame["hits_all"] / frame["flagged"].clip(lower=1)).mean(),
                     "estimate": frame["estimate"].mean(), "low": frame["low"].mean(), "high": frame["high"].mean(),
                     "covers": frame["covers"].mean(), "below": (frame["high"] < k).mean(),
                     "above": (frame["low"] > k).mean(), "time": statistics.median(frame["time"]),
                     "unconverged": int(frame["unconverged"].sum())}
    return out


# ----------------------------------------------------------------------------- 3. shift

REGIONS = np.array(["north", "south", "east", "west"])


def shift_split(rng, n: int, north: float, err_north: float, err_other: float) -> pd.DataFrame:
    """``north``: the share of region=north; errors at ``err_north`` there, ``err_other`` elsewhere.
    Scores 0.2 / 0.8 (right or wrong) with +-0.15 of uniform jitter, so errors are exactly the draws."""
    rest = (1 - north) / 3
    region = rng.choice(REGIONS, n, p=[north, rest, rest, rest])
    y = (rng.random(n) < 0.3).astype(int)
    wrong = rng.random(n) < np.where(region == "north", err_north, err_other)
    score = np.where(wrong, 1 - y, y) * 0.6 + 0.2 + rng.uniform(-0.15, 0.15, n)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score, "region": region,
                         "device": rng.choice(["mobile", "desktop"], n), "age": rng.normal(40, 10, n)})


SCENARIOS = {  # (cv: north share, error north, error elsewhere), (test: the same)
    "mix": ((0.25, 0.30, 0.10), (0.60, 0.30, 0.10)),
    "worse": ((0.25, 0.10, 0.10), (0.25, 0.18, 0.18)),
    "null": ((0.25, 0.30, 0.10), (0.25, 0.30, 0.10)),
}


def shift_pair(scenario: str, seed: int, rows: int):
    from diagnose.ingest import load_predictions

    rng = np.random.default_rng(seed)
    (a, b) = SCENARIOS[scenario]
    return (load_predictions(shift_split(rng, rows, *a)),
            load_predictions(shift_split(rng, rows, *b), split="test"))


def shift_sim(seeds: int, rows: int) -> dict:
    from diagnose.error_analysis._shift import explain_shift

    out = {}
    for k, scenario in enumerate(SCENARIOS):
        tally: dict[str, float] = {}
        mixes, withins, examples = [], [], {}
        for seed in range(seeds):
            cv, test = shift_pair(scenario, 1000 * (k + 1) + seed, rows)
            e = explain_shift(cv, test)
            c = e.conclusion
            flags = {"labels": e.labels.flagged, "scores": e.scores is not None and e.scores.flagged,
                     "within": e.within.flagged, **{f"column {s.name}": s.flagged for s in e.slices}}
            checks = {
                "names region": "test has more region=north" in c,
                "within unchanged": "errors within slices are unchanged" in c,
                "mix verdict": "is a mix shift" in c,
                "within rose": "errors within slices rose" in c,
                "blames mix": "test has more" in c or "mix shift" in c,
                "mix unchanged": "the mix is unchanged" in c,
                "no shift": c.startswith("no shift found"),
                "any flag": any(flags.values()),
                **flags,
            }
            checks["pass"] = {"mix": checks["names region"] and checks["within unchanged"],
                              "worse": checks["within rose"] and not checks["blames mix"],
                              "null": not checks["any flag"]}[scenario]
            for name, v in checks.items():
                tally[name] = tally.get(name, 0) + bool(v)
            examples.setdefault(checks["pass"], c)
            mixes.append(e.decomposition.mix)
            withins.append(e.decomposition.within)
        out[scenario] = {"seeds": seeds, "share": {k2: v / seeds for k2, v in tally.items()},
                         "mix": float(np.mean(mixes)), "within": float(np.mean(withins)),
                         "example_pass": examples.get(True), "example_fail": examples.get(False)}
    return out


def perf_shift(rows: int, repeat: int) -> dict:
    """In a child process: explain_shift on ``rows`` cv + ``rows`` test rows (mix shift)."""
    from diagnose.error_analysis._shift import explain_shift

    explain_shift(*shift_pair("mix", 0, 2_000))  # imports out of the timing
    base = peak_mb()
    cv, test = shift_pair("mix", 1, rows)
    after_load = peak_mb()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        e = explain_shift(cv, test)
        times.append(time.perf_counter() - t0)
    return {"rows": rows, "times": times, "conclusion": e.conclusion, "rss_base": base, "rss_load": after_load,
            "rss_peak": peak_mb()}


# ----------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="slices,suspects,shift")
    parser.add_argument("--slice-redraws", type=int, default=100)
    parser.add_argument("--null-redraws", type=int, default=200)
    parser.add_argument("--perf-rows", type=int, default=1_000_000)
    parser.add_argument("--suspect-seeds", type=int, default=20)
    parser.add_argument("--suspect-reps", type=int, default=200, help="bootstrap replicates of find_suspects")
    parser.add_argument("--shift-seeds", type=int, default=50)
    parser.add_argument("--shift-rows", type=int, default=20_000)
    parser.add_argument("--shift-perf-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs at 1M rows; the median is reported")
    parser.add_argument("--quick", action="store_true", help="small counts everywhere (a smoke run)")
    parser.add_argument("--child", choices=["slices", "shift"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "slices":
        print(json.dumps(perf_slices(args.perf_rows, args.repeat)))
        return
    if args.child == "shift":
        print(json.dumps(perf_shift(args.shift_perf_rows, args.repeat)))
        return
    if args.quick:
        args.slice_redraws, args.null_redraws, args.perf_rows, args.suspect_seeds = 5, 10, 100_000, 2
        args.shift_seeds, args.shift_perf_rows, args.repeat = 5, 100_000, 1
    parts = set(args.parts.split(","))
    common = ["--repeat", str(args.repeat)]

    if "slices" in parts:
        t0 = time.perf_counter()
        r = slices_planted(args.slice_redraws)
        print(f"## 1. find_slices, planted region=north & device=mobile: {r['redraws']} redraws of 20,000 rows")
        print(f"top result exactly the planted slice: {pct(r['top_exact'])}; listed anywhere: {pct(r['listed'])}")
        print(f"a parent or child of it also listed: {pct(r['related'])}; a slice neither it nor a parent or "
              f"child of it listed: {pct(r['unrelated'])}")
        print(f"slices listed: mean {r['mean_listed']:.2f}, max {r['max_listed']}; other slices seen "
              f"(slice: redraws): {r['others']}")
        print(f"find_slices median {r['median_time']:.3f} s at 20,000 rows")
        r = slices_null(args.null_redraws)
        print(f"null (plant=False): {r['redraws']} redraws: any slice reported {pct(r['reported'])} (target <= 5%); "
              f"any discovery before replication {pct(r['discovered'])}; median tests {r['median_tests']}")
        print(f"null examples (seed, slices): {r['examples']}")
        p = child(["--child", "slices", "--perf-rows", str(args.perf_rows), *common])
        print(f"{p['rows']:,} cv rows x 6 slice columns: load_predictions median {statistics.median(p['load']):.3f} s "
              f"{[round(t, 3) for t in p['load']]}; find_slices median {statistics.median(p['find']):.3f} s "
              f"{[round(t, 3) for t in p['find']]} (target <= 10 s); tests {p['tests']}; top {p['top']}")
        print(f"peak RSS (child): after imports {p['rss_base']:.0f} MB, with the pandas frame {p['rss_frame']:.0f} MB, "
              f"after load_predictions {p['rss_load']:.0f} MB, after find_slices {p['rss_peak']:.0f} MB")
        print(f"(part 1: {time.perf_counter() - t0:.0f} s)\n", flush=True)

    if "suspects" in parts:
        t0 = time.perf_counter()
        r = suspects(args.suspect_seeds, args.suspect_reps)
        print(f"## 2. find_suspects on digits (1,797 rows), 5% of labels flipped; {args.suspect_seeds} flip seeds")
        for name, v in r.items():
            print(f"{name}: k={v['k']}; precision@k mean {v['precision_mean']:.3f} "
                  f"(min {v['precision_min']:.3f}, max {v['precision_max']:.3f}); flagged mean {v['flagged']:.1f}, "
                  f"of them flipped {v['flagged_precision']:.3f}, flipped rows flagged {v['recall']:.3f}; "
                  f"estimated issues mean {v['estimate']:.1f} "
                  f"[{v['low']:.1f}, {v['high']:.1f}]; interval covers k {pct(v['covers'])} "
                  f"(below k {pct(v['below'])}, above k {pct(v['above'])}); find_suspects median {v['time']:.3f} s; "
                  f"fold fits that did not converge {v['unconverged']} of {5 * v['seeds']}")
        print(f"(part 2: {time.perf_counter() - t0:.0f} s)\n", flush=True)

    if "shift" in parts:
        t0 = time.perf_counter()
        r = shift_sim(args.shift_seeds, args.shift_rows)
        print(f"## 3. explain_shift: {args.shift_seeds} seeds, {args.shift_rows:,} cv + {args.shift_rows:,} test rows")
        for scenario, v in r.items():
            share = ", ".join(f"{k}: {pct(x)}" for k, x in v["share"].items())
            print(f"{scenario}: pass {pct(v['share']['pass'])}; mean mix {100 * v['mix']:+.2f} points, "
                  f"within {100 * v['within']:+.2f} points")
            print(f"  {share}")
            print(f"  e.g. (pass) {v['example_pass']!r}")
            if v["example_fail"]:
                print(f"  e.g. (fail) {v['example_fail']!r}")
        p = child(["--child", "shift", "--shift-perf-rows", str(args.shift_perf_rows), *common])
        print(f"{p['rows']:,} + {p['rows']:,} rows: explain_shift median {statistics.median(p['times']):.3f} s "
              f"{[round(t, 3) for t in p['times']]}; peak RSS (child) after imports {p['rss_base']:.0f} MB, "
              f"with both splits loaded {p['rss_load']:.0f} MB, after explain_shift {p['rss_peak']:.0f} MB")
        print(f"  conclusion: {p['conclusion']}")
        print(f"(part 3: {time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
