"""Simulation and timing: calibration, paired comparison, cost thresholds (issue 17).

Run: .venv/bin/python benchmarks/calibration_compare.py [--quick]
     [--parts verdicts,interval,ties,recalibrate,paired,cost,perf]
     [--verdict-redraws 1000] [--verdict-rows 10000] [--interval-redraws 300] [--interval-rows 1000,10000]
     [--interval-reps 200] [--normal-rows 150000] [--normal-seeds 5] [--recal-redraws 100]
     [--recal-rows 10000] [--paired-redraws 2000] [--paired-rows 500] [--paired-check 100]
     [--cost-rows 1000000] [--cost-datasets 10] [--cost-check-rows 2000] [--perf-rows 1000000] [--repeat 5]
     [--tie-rows 1000000] [--json FILE]

The defaults are the acceptance sizes; ``--quick`` shrinks every count for a smoke run. Every
draw is seeded (redraw ``i`` of a part uses ``numpy.random.default_rng`` of a fixed offset + i).
Scores ``s`` are uniform on [0.02, 0.98] unless said otherwise, and labels are drawn from a
"true" probability q(s): ``y = 1`` with probability q(s).

1. Verdicts of ``diagnose.calibration.calibration`` (``reps=0``): q(s) = s (calibrated; the model
   reports s), the same labels with the scores pushed through sigmoid(3 logit s) (overconfident)
   and through sigmoid(logit(s) / 3) (underconfident): the share of each verdict.
2. The ECE interval (``reps=200``): labels from q(s) = sigmoid(logit(s) / k) (k = 2: strongly
   overconfident scores; k = 1.2: mildly), the model reporting s. The true ECE of that score
   distribution with the same 15 uniform bins is computed by numerical integration (per bin, the
   mean of q(s) - s over a fine grid, times the bin's probability). Coverage of
   [ece_ci_low, ece_ci_high], the share of intervals wholly above and below it, and the mean ECE
   minus the truth. Then the normal-limit bootstrap used above ``EXACT_BOOTSTRAP_ROWS`` rows,
   against the exact row bootstrap (that constant monkeypatched to 10**12) on the same data, and
   against the exact bootstrap with another seed (its own Monte Carlo noise).
3. ``recalibrate`` (all three methods, fitted on cv, judged on test), overconfident scores and
   calibrated scores: how often a method is recommended, which, and whether test ECE falls.
4. ``diagnose.paired.compare_splits`` under the null: logit p ~ N(0, 1.5^2), labels from p, each
   model sigmoid(logit p + N(0, 1)) with its own noise; the share of redraws whose verdict names
   a better model, for the default metric (error rate, McNemar), log_loss and brier (``reps=0``;
   the first ``--paired-check`` redraws are rerun with ``reps=200`` to check the verdict does not
   depend on the bootstrap). Power: model b with noise N(0, 0.5^2): the share ``b_better``.
5. The cost rule: ``threshold_search(..., rule="cost:fp=1,fn=5", bootstrap=0)`` against
   ``rule="f1"`` on 1M rows (same arrays, alternating; median of ``--repeat``), and on
   ``--cost-datasets`` datasets of 2,000 rows (half of them with scores rounded to 2 decimals, so
   with ties) the chosen threshold and its cost against a brute-force scan (at every distinct
   score, FP and FN by counting; the tie rule: the higher F1, then the higher threshold);
   ``decision_curve`` checked the same way (net benefit at 0.01..0.99 by counting) and timed.
6. ``calibration(pred)`` (``reps=200``, and ``reps=0``) on 1M binary rows, and
   ``diagnose.report(train=, cv=, test=)`` on three in-memory DataFrames of 1M binary rows with
   and without the report's calibration section (popped from ``SECTIONS`` in process, then put
   back), alternating; the ratio of the medians and the median of the per-round ratios. Also each
   split's ``calibration`` alone, its calibration-slope fit alone, and both under one BLAS thread.

Also (part ``ties``): the calibration slope and verdict above 200,000 rows (where the slope is
fitted on a hashed sample of the rows) when the scores are rounded to 2 decimals, against the
same on the first 200,000 rows.

Times are single-process wall clock (time.perf_counter). This is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from collections import Counter

import numpy as np

BINS = 15
LOW, HIGH = 0.02, 0.98


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    return np.log(p) - np.log1p(-p)


def binary(y, s):
    from diagnose.ingest import Predictions

    n = len(y)
    return Predictions("binary", y_true=np.asarray(y, np.int8), y_score=np.asarray(s, np.float64),
                       classes=("0", "1"), ids=np.arange(n))


def draw(rng, n, k=1.0):
    """Scores uniform on [LOW, HIGH] and labels with P(y = 1 | s) = sigmoid(logit(s) / k)."""
    s = rng.uniform(LOW, HIGH, n)
    q = s if k == 1.0 else sigmoid(logit(s) / k)
    return s, (rng.random(n) < q).astype(np.int8)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def median_range(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s ({min(times):.3f}-{max(times):.3f})"


# ----------------------------------------------------------------------------- 1. verdicts


def verdicts(redraws: int, n: int) -> dict:
    from diagnose.calibration import calibration

    maps = {"calibrated": lambda s: s, "overconfident": lambda s: sigmoid(3 * logit(s)),
            "underconfident": lambda s: sigmoid(logit(s) / 3)}
    out = {}
    for j, (name, push) in enumerate(maps.items()):
        counts: Counter = Counter()
        for i in range(redraws):
            s, y = draw(np.random.default_rng(100_000 * (j + 1) + i), n)
            counts[calibration(binary(y, push(s)), reps=0).verdict] += 1
        out[name] = {"redraws": redraws, "n": n, "target_share": counts[name] / redraws, "counts": dict(counts)}
        print(f"  {name}: {pct(counts[name] / redraws)} {dict(counts)}", flush=True)
    return out


# ----------------------------------------------------------------------------- 2. ECE interval


def true_ece(k: float, bins: int = BINS, grid: int = 2_000_000) -> float:
    """ECE of scores uniform on [LOW, HIGH] with P(y | s) = sigmoid(logit(s) / k), equal-width bins:
    sum over bins of P(bin) |E[q(s) - s | bin]|, by the midpoint rule on a fine grid per bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        a, b = max(lo, LOW), min(hi, HIGH)
        if b <= a:
            continue
        x = a + (np.arange(grid) + 0.5) * (b - a) / grid
        gap = float(np.mean(sigmoid(logit(x) / k) - x))
        total += (b - a) / (HIGH - LOW) * abs(gap)
    return total


def interval(redraws: int, sizes: list[int], reps: int) -> dict:
    from diagnose.calibration import calibration

    out = {}
    for k in (2.0, 1.2):
        truth = true_ece(k)
        for n in sizes:
            ece, low, high = [], [], []
            for i in range(redraws):
                s, y = draw(np.random.default_rng(200_000 + i), n, k)
                c = calibration(binary(y, s), reps=reps, seed=i)
                ece.append(c.ece)
                low.append(c.ece_ci_low)
                high.append(c.ece_ci_high)
            ece, low, high = map(np.array, (ece, low, high))
            row = {"k": k, "n": n, "redraws": redraws, "reps": reps, "true_ece": truth,
                   "coverage": float(np.mean((low <= truth) & (truth <= high))),
                   "above": float(np.mean(low > truth)), "below": float(np.mean(high < truth)),
                   "mean_ece": float(ece.mean()), "bias": float(ece.mean() - truth),
                   # the basic (reflected) bootstrap interval [2 ECE - high, 2 ECE - low], for comparison
                   "basic_coverage": float(np.mean((2 * ece - high <= truth) & (truth <= 2 * ece - low))),
                   "mean_width": float(np.mean(high - low)),
                   "ece_mean_in_ci": float(np.mean((low <= ece) & (ece <= high)))}
            out[f"k={k:g},n={n}"] = row
            print(f"  k={k:g} n={n}: true {truth:.5f}, mean ECE {row['mean_ece']:.5f} (bias {row['bias']:+.5f}), "
                  f"coverage {pct(row['coverage'])}, above {pct(row['above'])}, below {pct(row['below'])}, "
                  f"width {row['mean_width']:.4f}; basic bootstrap interval coverage {pct(row['basic_coverage'])}",
                  flush=True)
    return out


def normal_limit(n: int, seeds: int, reps: int, redraws: int) -> dict:
    """The normal-limit bootstrap above EXACT_BOOTSTRAP_ROWS against the exact row bootstrap."""
    import diagnose.calibration._bins as bins_module
    from diagnose.calibration import calibration

    assert n > bins_module.EXACT_BOOTSTRAP_ROWS, "the normal limit needs more rows than EXACT_BOOTSTRAP_ROWS"
    saved = bins_module.EXACT_BOOTSTRAP_ROWS
    rows, t_normal, t_exact = [], [], []
    for k in (2.0, 1.0):
        for seed in range(seeds):
            s, y = draw(np.random.default_rng(300_000 + seed), n, k)
            pred = binary(y, s)
            t0 = time.perf_counter()
            normal = calibration(pred, reps=reps, seed=seed)
            t_normal.append(time.perf_counter() - t0)
            bins_module.EXACT_BOOTSTRAP_ROWS = 10**12
            try:
                t0 = time.perf_counter()
                exact = calibration(pred, reps=reps, seed=seed)
                t_exact.append(time.perf_counter() - t0)
                other = calibration(pred, reps=reps, seed=seed + 1000)
            finally:
                bins_module.EXACT_BOOTSTRAP_ROWS = saved
            rows.append({"k": k, "seed": seed, "ece": normal.ece,
                         "normal": [normal.ece_ci_low, normal.ece_ci_high],
                         "exact": [exact.ece_ci_low, exact.ece_ci_high],
                         "exact_other_seed": [other.ece_ci_low, other.ece_ci_high]})
            print(f"  k={k:g} seed={seed}: ECE {normal.ece:.5f}; normal [{normal.ece_ci_low:.5f}, "
                  f"{normal.ece_ci_high:.5f}], exact [{exact.ece_ci_low:.5f}, {exact.ece_ci_high:.5f}], "
                  f"exact (other seed) [{other.ece_ci_low:.5f}, {other.ece_ci_high:.5f}]", flush=True)

    def gaps(a: str, b: str) -> dict:
        d = np.array([[abs(r[a][0] - r[b][0]), abs(r[a][1] - r[b][1])] for r in rows])
        w = np.array([r[b][1] - r[b][0] for r in rows])
        return {"mean_abs_endpoint": float(d.mean()), "max_abs_endpoint": float(d.max()),
                "mean_rel_to_width": float((d.mean(axis=1) / w).mean())}

    # coverage of the normal-limit interval itself (true ECE of the k = 2 model)
    truth = true_ece(2.0)
    cover = 0
    for i in range(redraws):
        s, y = draw(np.random.default_rng(310_000 + i), n, 2.0)
        c = calibration(binary(y, s), reps=reps, seed=i)
        cover += c.ece_ci_low <= truth <= c.ece_ci_high
    out = {"n": n, "reps": reps, "rows": rows, "normal_vs_exact": gaps("normal", "exact"),
           "exact_vs_exact_other_seed": gaps("exact_other_seed", "exact"),
           "time_normal": statistics.median(t_normal), "time_exact": statistics.median(t_exact),
           "coverage_redraws": redraws, "coverage": cover / max(redraws, 1), "true_ece": truth}
    print(f"  normal vs exact: {out['normal_vs_exact']}; exact vs exact (other seed): "
          f"{out['exact_vs_exact_other_seed']}; calibration() median {out['time_normal']:.3f} s normal, "
          f"{out['time_exact']:.3f} s exact; normal-limit coverage at n={n}: {pct(out['coverage'])} "
          f"of {redraws}", flush=True)
    return out


def tied_slope(n: int) -> dict:
    """The calibration slope above SLOPE_ROWS rows with tied scores: scores uniform on [0.02, 0.98],
    then rounded to 2 decimals or not; labels with P(y = 1 | s) = sigmoid(b logit(s)), b = 1 (calibrated)
    and b = 0.9 (the scores overconfident). ``calibration`` on all n rows, and on the first
    SLOPE_ROWS rows (where the slope is fitted on every row)."""
    from diagnose.calibration import calibration
    from diagnose.calibration._calibration import SLOPE_ROWS

    out = {}
    for decimals in (None, 2):
        for b in (1.0, 0.9):
            rng = np.random.default_rng(900_000)
            s = rng.uniform(LOW, HIGH, n)
            if decimals is not None:
                s = np.round(s, decimals)
            y = (rng.random(n) < sigmoid(b * logit(s))).astype(np.int8)
            whole = calibration(binary(y, s), reps=0)
            part = calibration(binary(y[:SLOPE_ROWS], s[:SLOPE_ROWS]), reps=0)
            key = f"decimals={decimals},b={b:g}"
            out[key] = {"n": n, "verdict": whole.verdict, "slope": whole.slope, "slope_se": whole.slope_se,
                        "p_value": whole.p_value, "first_rows": SLOPE_ROWS, "verdict_first": part.verdict,
                        "slope_first": part.slope}
            print(f"  {key}: {n:,} rows {whole.verdict} (slope {whole.slope:.3f} +- {whole.slope_se:.3f}); first "
                  f"{SLOPE_ROWS:,} rows {part.verdict} (slope {part.slope:.3f})", flush=True)
    return out


# ----------------------------------------------------------------------------- 3. recalibration


def recalibration(redraws: int, n: int) -> dict:
    from diagnose.calibration import recalibrate

    out = {}
    for j, (name, push) in enumerate((("overconfident", lambda s: sigmoid(3 * logit(s))),
                                      ("calibrated", lambda s: s))):
        chosen: Counter = Counter()
        significant: Counter = Counter()
        fell = recommended_fell = 0
        before, after = [], []
        for i in range(redraws):
            rng = np.random.default_rng(400_000 + 10_000 * j + i)
            s_cv, y_cv = draw(rng, n)
            s_test, y_test = draw(rng, n)
            r = recalibrate(binary(y_cv, push(s_cv)), binary(y_test, push(s_test)))
            methods = r.to_dict()["methods"]
            chosen[r.recommended] += 1
            for m, v in methods.items():
                significant[m] += bool(v["significant"])
            if r.recommended != "none":
                m = methods[r.recommended]
                recommended_fell += m["ece_after"] < m["ece_before"]
                before.append(m["ece_before"])
                after.append(m["ece_after"])
            fell += any(v["ece_after"] < v["ece_before"] for v in methods.values())
        share = 1 - chosen["none"] / redraws
        out[name] = {"redraws": redraws, "n_cv": n, "n_test": n, "recommended_share": share,
                     "recommended": dict(chosen), "significant": dict(significant),
                     "recommended_and_ece_fell": recommended_fell / redraws,
                     "any_method_ece_fell": fell / redraws,
                     "mean_ece_before": float(np.mean(before)) if before else None,
                     "mean_ece_after": float(np.mean(after)) if after else None}
        print(f"  {name}: a method recommended in {pct(share)} {dict(chosen)}; recommended and test ECE fell "
              f"{pct(recommended_fell / redraws)}; significant per method {dict(significant)}; "
              f"ECE {out[name]['mean_ece_before']} -> {out[name]['mean_ece_after']}", flush=True)
    return out


# ----------------------------------------------------------------------------- 4. paired comparison


def paired_models(rng, n: int, noise_b: float):
    z = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < sigmoid(z)).astype(np.int8)
    a = sigmoid(z + rng.normal(0.0, 1.0, n))
    b = sigmoid(z + rng.normal(0.0, noise_b, n))
    return {"cv": binary(y, a)}, {"cv": binary(y, b)}


def mcnemar_size(m: int, alpha: float = 0.05) -> float:
    """The exact rejection rate of the two-sided exact McNemar test with ``m`` discordant rows when
    each is equally likely to favour either model."""
    from scipy.stats import binom

    from diagnose.paired import mcnemar_p

    return float(sum(binom.pmf(k, m, 0.5) for k in range(m + 1) if mcnemar_p(k, m - k) < alpha))


def paired(redraws: int, n: int, check: int) -> dict:
    from diagnose.paired import compare_splits

    out = {}
    for scenario, noise_b, offset in (("null", 1.0, 500_000), ("power", 0.5, 600_000)):
        for metric in (None, "log_loss", "brier"):
            counts: Counter = Counter()
            discordant: Counter = Counter()
            mismatch = 0
            for i in range(redraws):
                a, b = paired_models(np.random.default_rng(offset + i), n, noise_b)
                r = compare_splits(a, b, metric=metric, reps=0)
                counts[r.verdict] += 1
                test = r.splits["cv"].mcnemar
                discordant[test.n01 + test.n10] += 1
                if i < check:
                    mismatch += compare_splits(a, b, metric=metric, reps=200, seed=i).verdict != r.verdict
            name = metric or f"default ({r.metric}, {r.splits['cv'].verdict_by})"
            named = (counts["a_better"] + counts["b_better"]) / redraws
            out[f"{scenario}:{metric or 'default'}"] = {
                "scenario": scenario, "metric": r.metric, "verdict_by": r.splits["cv"].verdict_by, "n": n,
                "redraws": redraws, "names_better": named, "b_better": counts["b_better"] / redraws,
                "counts": dict(counts), "checked_with_bootstrap": min(check, redraws),
                "verdict_changed_by_bootstrap": mismatch}
            if metric is None and scenario == "null":
                # what the exact test rejects on average at these numbers of discordant rows
                size = sum(c * mcnemar_size(m) for m, c in discordant.items()) / redraws
                out[f"{scenario}:default"]["exact_size"] = size
                out[f"{scenario}:default"]["mean_discordant"] = sum(m * c for m, c in discordant.items()) / redraws
                print(f"  null McNemar: exact size at the simulated discordant counts {pct(size)} (mean "
                      f"{out[f'{scenario}:default']['mean_discordant']:.1f} discordant rows)", flush=True)
            print(f"  {scenario} {name}: names a better model {pct(named)}, b_better "
                  f"{pct(counts['b_better'] / redraws)} {dict(counts)}; reps=200 changed {mismatch} of "
                  f"{min(check, redraws)} verdicts", flush=True)
    return out


# ----------------------------------------------------------------------------- 5. cost rule


def brute_cost(y: np.ndarray, s: np.ndarray, fp_cost: float, fn_cost: float) -> tuple[float, float]:
    """The threshold (a distinct score) of least (C_fp FP + C_fn FN) / n by counting; ties (within
    1e-12): the higher F1, then the higher threshold. Returns (threshold, cost per row)."""
    n = len(y)
    rows = []
    for t in np.unique(s):
        pred = s >= t
        tp = int(np.sum(pred & (y == 1)))
        fp = int(np.sum(pred & (y == 0)))
        fn = int(np.sum(~pred & (y == 1)))
        rows.append((float(t), (fp_cost * fp + fn_cost * fn) / n, 2 * tp / (2 * tp + fp + fn) if tp else 0.0))
    least = min(c for _, c, _ in rows)
    tied = [r for r in rows if r[1] <= least + 1e-12 * max(abs(least), 1.0)]
    top_f1 = max(f for _, _, f in tied)
    t, cost, _ = max(r for r in tied if r[2] >= top_f1 - 1e-12)
    return t, cost


def brute_net_benefit(y: np.ndarray, s: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    n = len(y)
    out = []
    for p in thresholds:
        pred = s >= p
        tp, fp = np.sum(pred & (y == 1)), np.sum(pred & (y == 0))
        out.append(tp / n - fp / n * p / (1 - p))
    return np.array(out)


def cost_rule(rows: int, datasets: int, check_rows: int, repeat: int) -> dict:
    from diagnose.thresholds import best_threshold, decision_curve, threshold_search

    rule = "cost:fp=1,fn=5"
    agree = agree_best = agree_cost = agree_curve = 0
    worst_gap = 0.0
    for i in range(datasets):
        rng = np.random.default_rng(700_000 + i)
        z = rng.normal(-1.0, 1.5, check_rows)
        y = (rng.random(check_rows) < sigmoid(z)).astype(np.int8)
        s = sigmoid(z + rng.normal(0.0, 1.0, check_rows))
        if i % 2:
            s = np.round(s, 2)  # ties
        t_brute, c_brute = brute_cost(y, s, 1.0, 5.0)
        r = threshold_search(y, s, rule=rule, bootstrap=0)
        agree += r.value == t_brute
        agree_cost += abs(r.cost.cv - c_brute) < 1e-12
        agree_best += best_threshold(y, s, rule=rule) == t_brute
        dc = decision_curve(binary(y, s))
        gap = float(np.max(np.abs(dc.model - brute_net_benefit(y, s, dc.threshold))))
        worst_gap = max(worst_gap, gap)
        agree_curve += gap < 1e-12
        if r.value != t_brute:
            print(f"  dataset {i}: threshold_search {r.value} (cost {r.cost.cv}) vs brute force {t_brute} "
                  f"(cost {c_brute})", flush=True)
    print(f"  brute force: threshold_search agrees {agree}/{datasets} (cost {agree_cost}/{datasets}), "
          f"best_threshold {agree_best}/{datasets}, decision_curve {agree_curve}/{datasets} "
          f"(max |gap| {worst_gap:.2e})", flush=True)

    rng = np.random.default_rng(1)
    y = (rng.random(rows) < 0.3).astype(np.int8)
    s = np.clip(0.35 * y + rng.random(rows) * 0.65, 0.0, 1.0)
    threshold_search(y[:1000], s[:1000], rule=rule, bootstrap=0)  # warm up
    pred = binary(y, s)
    t_cost, t_f1, t_dc = [], [], []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        c = threshold_search(y, s, rule=rule, bootstrap=0)
        t_cost.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        f = threshold_search(y, s, rule="f1", bootstrap=0)
        t_f1.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        decision_curve(pred)
        t_dc.append(time.perf_counter() - t0)
    ratios = [a / b for a, b in zip(t_cost, t_f1)]
    out = {"datasets": datasets, "check_rows": check_rows, "agree": agree, "agree_cost": agree_cost,
           "agree_best_threshold": agree_best, "decision_curve_agree": agree_curve,
           "decision_curve_max_gap": worst_gap, "rows": rows, "repeat": repeat, "cost_times": t_cost,
           "f1_times": t_f1, "decision_curve_times": t_dc,
           "ratio_of_medians": statistics.median(t_cost) / statistics.median(t_f1),
           "median_ratio": statistics.median(ratios), "cost_threshold": c.value, "f1_threshold": f.value}
    print(f"  {rows:,} rows: cost {median_range(t_cost)}, f1 {median_range(t_f1)}, ratio of medians "
          f"{out['ratio_of_medians']:.3f} (median per-round {out['median_ratio']:.3f}); decision_curve "
          f"{median_range(t_dc)}; thresholds cost {c.value:.4f}, f1 {f.value:.4f}", flush=True)
    return out


# ----------------------------------------------------------------------------- 6. times at 1M rows


def frames(rows: int):
    import pandas as pd

    rng = np.random.default_rng(0)
    out = {}
    for split, signal in (("train", 0.5), ("cv", 0.4), ("test", 0.4)):
        y = rng.integers(0, 2, rows)
        score = np.clip(y * signal + rng.random(rows) * 0.6, 0, 1).round(6)
        out[split] = pd.DataFrame({"id": np.arange(rows), "y_true": y, "y_score": score})
    return out


def perf(rows: int, repeat: int) -> dict:
    from threadpoolctl import threadpool_limits

    import diagnose
    from diagnose.bias_variance._sections import SECTIONS
    from diagnose.calibration import calibration

    s, y = draw(np.random.default_rng(800_000), rows)
    pred = binary(y, s)
    calibration(binary(y[:1000], s[:1000]))  # imports out of the timing
    t200, t0s = [], []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        calibration(pred)
        t200.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        calibration(pred, reps=0)
        t0s.append(time.perf_counter() - t0)
    print(f"  calibration(pred) on {rows:,} rows: reps=200 {median_range(t200)}, reps=0 {median_range(t0s)}",
          flush=True)

    from diagnose.calibration._calibration import _slope

    data = frames(rows)
    per_split, slope_times = {}, {}
    for name, frame in {"uniform": None, **data}.items():
        p = pred if frame is None else binary(frame["y_true"].to_numpy(), frame["y_score"].to_numpy())
        ss, yy = np.asarray(p.y_score, np.float64), p.y_true.astype(np.float64)
        cal, slo, one = [], [], []
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            calibration(p)
            cal.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _slope(ss, yy, np.ones(len(ss)), 0)
            slo.append(time.perf_counter() - t0)
            with threadpool_limits(1):
                t0 = time.perf_counter()
                calibration(p)
                one.append(time.perf_counter() - t0)
        per_split[name], slope_times[name] = {"default": cal, "one_blas_thread": one}, slo
        print(f"  {name}: calibration(pred) {median_range(cal)}, of it the slope fit {median_range(slo)}; "
              f"calibration(pred) with one BLAS thread {median_range(one)}", flush=True)
    small = {k: v.head(2000) for k, v in data.items()}
    diagnose.report(**small)  # imports out of the timing
    index = next(i for i, sec in enumerate(SECTIONS) if sec.key == "calibration")
    with_cal, without, one_thread, sections_run = [], [], [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        r = diagnose.report(**data)
        with_cal.append(time.perf_counter() - t0)
        sections_run = sorted(k for k in ("threshold", "calibration", "shift")
                              if r.to_dict().get(k) is not None)
        section = SECTIONS.pop(index)
        try:
            gc.collect()
            t0 = time.perf_counter()
            r2 = diagnose.report(**data)
            without.append(time.perf_counter() - t0)
        finally:
            SECTIONS.insert(index, section)
        assert r2.to_dict().get("calibration") is None
        # the same report with one BLAS thread (OpenBLAS's default here is 2; see the notes in RESULTS.md)
        with threadpool_limits(1):
            gc.collect()
            t0 = time.perf_counter()
            diagnose.report(**data)
            one_thread.append(time.perf_counter() - t0)
    assert any(sec.key == "calibration" for sec in SECTIONS)
    ratios = [a / b for a, b in zip(with_cal, without)]
    out = {"rows": rows, "repeat": repeat, "calibration_reps200": t200, "calibration_reps0": t0s,
           "report_with": with_cal, "report_without": without, "report_with_one_blas_thread": one_thread,
           "one_thread_ratio": statistics.median(one_thread) / statistics.median(without),
           "calibration_per_split": per_split,
           "slope_per_split": slope_times,
           "ratio_of_medians": statistics.median(with_cal) / statistics.median(without),
           "median_ratio": statistics.median(ratios), "sections": sections_run,
           "verdicts": r.to_dict()["calibration"] and {k: v["verdict"] for k, v in r.to_dict()["calibration"].items()}}
    print(f"  report on 3 x {rows:,} rows: with calibration {median_range(with_cal)}, without "
          f"{median_range(without)}, ratio of medians {out['ratio_of_medians']:.3f} (median per-round "
          f"{out['median_ratio']:.3f}); with calibration and one BLAS thread {median_range(one_thread)}, ratio "
          f"{out['one_thread_ratio']:.3f}; sections with a value: {sections_run}; verdicts {out['verdicts']}",
          flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="verdicts,interval,ties,recalibrate,paired,cost,perf")
    parser.add_argument("--tie-rows", type=int, default=1_000_000,
                        help="rows for the slope with tied scores (above SLOPE_ROWS = 200,000)")
    parser.add_argument("--verdict-redraws", type=int, default=1000)
    parser.add_argument("--verdict-rows", type=int, default=10_000)
    parser.add_argument("--interval-redraws", type=int, default=300)
    parser.add_argument("--interval-rows", default="1000,10000")
    parser.add_argument("--interval-reps", type=int, default=200)
    parser.add_argument("--normal-rows", type=int, default=150_000)
    parser.add_argument("--normal-seeds", type=int, default=5)
    parser.add_argument("--normal-redraws", type=int, default=100,
                        help="redraws for the coverage of the normal-limit interval")
    parser.add_argument("--recal-redraws", type=int, default=100)
    parser.add_argument("--recal-rows", type=int, default=10_000)
    parser.add_argument("--paired-redraws", type=int, default=2000)
    parser.add_argument("--paired-rows", type=int, default=500)
    parser.add_argument("--paired-check", type=int, default=100,
                        help="redraws rerun with reps=200 to check the verdict does not use the bootstrap")
    parser.add_argument("--cost-rows", type=int, default=1_000_000)
    parser.add_argument("--cost-datasets", type=int, default=10)
    parser.add_argument("--cost-check-rows", type=int, default=2000)
    parser.add_argument("--perf-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--quick", action="store_true", help="small counts everywhere (a smoke run)")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.verdict_redraws, args.verdict_rows = 20, 5000
        args.interval_redraws, args.interval_rows, args.interval_reps = 10, "1000", 50
        args.normal_seeds, args.normal_redraws = 1, 3
        args.recal_redraws, args.recal_rows = 5, 3000
        args.paired_redraws, args.paired_check = 50, 5
        args.cost_rows, args.cost_datasets, args.cost_check_rows = 50_000, 2, 500
        args.perf_rows, args.repeat = 50_000, 2
        args.tie_rows = 300_000
    parts = set(args.parts.split(","))
    results: dict = {}
    start = time.perf_counter()
    if "verdicts" in parts:
        print("1. calibration verdicts", flush=True)
        results["verdicts"] = verdicts(args.verdict_redraws, args.verdict_rows)
    if "interval" in parts:
        print("2. ECE interval", flush=True)
        sizes = [int(x) for x in args.interval_rows.split(",")]
        results["interval"] = interval(args.interval_redraws, sizes, args.interval_reps)
        results["normal_limit"] = normal_limit(args.normal_rows, args.normal_seeds, args.interval_reps,
                                               args.normal_redraws)
    if "ties" in parts:
        print("2b. calibration slope with tied scores", flush=True)
        results["ties"] = tied_slope(args.tie_rows)
    if "recalibrate" in parts:
        print("3. recalibration", flush=True)
        results["recalibrate"] = recalibration(args.recal_redraws, args.recal_rows)
    if "paired" in parts:
        print("4. paired comparison", flush=True)
        results["paired"] = paired(args.paired_redraws, args.paired_rows, args.paired_check)
    if "cost" in parts:
        print(f"5. cost rule (load average {os.getloadavg()[0]:.2f})", flush=True)
        results["cost"] = cost_rule(args.cost_rows, args.cost_datasets, args.cost_check_rows, args.repeat)
    if "perf" in parts:
        print(f"6. times (load average {os.getloadavg()[0]:.2f})", flush=True)
        results["perf"] = perf(args.perf_rows, args.repeat)
    print(f"total {time.perf_counter() - start:.0f} s; load average at the end {os.getloadavg()[0]:.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=float)


if __name__ == "__main__":
    main()
