"""Benchmark: does the threshold section's interval cover the F1 the chosen threshold has on unseen data?

Run: .venv/bin/python benchmarks/uncertainty_threshold.py [--quick] [--sims N] [--reps R] [--jobs J]

Simulation. Scores of positives ~ Beta(a1, b1), of negatives ~ Beta(a2, b2), each row
positive with probability ``prevalence``. For each setting, ``--sims`` cv sets of n rows and
as many test sets of n rows are drawn; the threshold is chosen on cv by the rule
(``diagnose.thresholds.threshold_search``, the report's own code, with ``--reps`` bootstrap
resamples). Its true F1 (and precision, recall) is exact from the two distributions:

    TPR(t) = P(score >= t | positive), FPR(t) = P(score >= t | negative)
    F1(t) = 2 pi TPR / (pi TPR + (1 - pi) FPR + pi)

Columns: ``in-sample`` is the old ``f1_low``/``f1_high`` (the F1 of each resample's threshold
on that same resample), ``oob`` the new ``oob_f1_low``/``oob_f1_high``; ``cov`` is how often the
interval holds the true F1 of the threshold chosen on cv, ``width`` its mean width.
``cv-true`` is the mean of cv F1 minus true F1 (the real optimism), ``optim.`` the mean
reported ``optimism`` (cv F1 minus ``oob_f1``), ``oob-true`` the mean of ``oob_f1`` minus
true F1 (< 0: pessimistic). ``test cov``/``test width``: the bootstrap interval of the test
F1 at the cv threshold (``test_interval.f1_low/high``). ``rule cov``: for precision>= and
recall>= rules, the coverage of the out-of-bag interval of that metric. Runs where no
threshold could be chosen on cv, or no resample left a positive out of the bag, are not
counted (``skip``). This is a benchmark, not a test: CI never runs it (the test suite has a
small version in tests/thresholds/test_uncertainty.py).
"""
from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

DISTRIBUTIONS = {"moderate": (4.0, 2.0, 2.0, 4.0), "weak": (3.0, 2.0, 2.0, 3.0)}


def truth(t: float, dist: tuple, prevalence: float) -> tuple[float, float, float]:
    """Exact precision, recall and F1 on the population when score >= t is positive."""
    a1, b1, a2, b2 = dist
    tpr, fpr = stats.beta.sf(t, a1, b1), stats.beta.sf(t, a2, b2)
    tp, pp = prevalence * tpr, prevalence * tpr + (1 - prevalence) * fpr
    return (tp / pp if pp > 0 else 0.0), tpr, 2 * tp / (pp + prevalence)


def draw(rng: np.random.Generator, n: int, dist: tuple, prevalence: float):
    a1, b1, a2, b2 = dist
    y = (rng.random(n) < prevalence).astype(np.int8)
    return y, np.where(y == 1, rng.beta(a1, b1, n), rng.beta(a2, b2, n))


def run_setting(args: tuple) -> dict:
    """Every simulated cv (and test) set of one setting; returns the table row."""
    from diagnose.thresholds import ThresholdRule, threshold_search

    rule, dist_name, prevalence, n, sims, reps, seed = args
    dist, kind = DISTRIBUTIONS[dist_name], ThresholdRule.parse(rule).kind
    rng = np.random.default_rng([seed, n, int(prevalence * 1000), sum(map(ord, rule + dist_name))])
    rec, skipped, start = [], 0, time.perf_counter()
    for k in range(sims):
        y, s = draw(rng, n, dist, prevalence)
        yt, st = draw(rng, n, dist, prevalence)
        r = threshold_search(y, s, y_test=yt, score_test=st, rule=rule, bootstrap=reps, seed=k)
        b, ti = r.bootstrap, r.test_interval
        if r.value is None or b is None or b.oob_reps == 0 or ti is None or r.cv is None or r.test is None:
            skipped += 1
            continue
        precision, recall, f1 = truth(r.value, dist, prevalence)
        true_metric = {"precision": precision, "recall": recall}.get(kind)
        rule_cov = (np.nan if true_metric is None else
                    float(getattr(b, f"oob_{kind}_low") <= true_metric <= getattr(b, f"oob_{kind}_high")))
        rec.append((b.f1_low <= f1 <= b.f1_high, b.f1_high - b.f1_low,
                    b.oob_f1_low <= f1 <= b.oob_f1_high, b.oob_f1_high - b.oob_f1_low,
                    r.cv.f1 - f1, b.optimism, b.oob_f1 - f1,
                    ti.f1_low <= f1 <= ti.f1_high, ti.f1_high - ti.f1_low, rule_cov))
    a = np.array(rec, dtype=np.float64).reshape(-1, 10)
    mean = a.mean(axis=0) if len(a) else np.full(10, np.nan)
    return {"rule": rule, "dist": dist_name, "prev": prevalence, "n": n, "runs": len(a), "skip": skipped,
            "in_cov": mean[0], "in_width": mean[1], "oob_cov": mean[2], "oob_width": mean[3], "cv_true": mean[4],
            "optimism": mean[5], "oob_true": mean[6], "test_cov": mean[7], "test_width": mean[8],
            "rule_cov": np.nanmean(a[:, 9]) if len(a) and not np.isnan(a[:, 9]).all() else np.nan,
            "seconds": time.perf_counter() - start}


def settings(quick: bool, sims: int, reps: int, seed: int) -> list[tuple]:
    sizes = [100, 300, 1000] if quick else [100, 300, 1000, 3000]
    out = [("f1", d, p, n) for d in DISTRIBUTIONS for p in (0.1, 0.3) for n in sizes]
    others = ["precision>=0.7", "recall>=0.8", "cost:fp=1,fn=5"]
    out += [(rule, "moderate", p, n) for rule in (others[:1] if quick else others) for p in (0.1, 0.3)
            for n in sizes]
    return [(*s, sims, reps, seed) for s in out]


def fmt(x: float, digits: int = 3) -> str:
    return "-" if np.isnan(x) else f"{x:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer settings, 200 sims, 100 resamples")
    parser.add_argument("--sims", type=int, help="simulated cv sets per setting (default 1000; quick 200)")
    parser.add_argument("--reps", type=int, help="bootstrap resamples (default 200, the report's; quick 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sims = args.sims or (200 if args.quick else 1000)
    reps = args.reps or (100 if args.quick else 200)
    todo = settings(args.quick, sims, reps, args.seed)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run_setting, todo))
    print(f"{sims} simulated cv sets per setting (test sets of the same size), {reps} bootstrap resamples; "
          f"moderate = Beta(4,2) vs Beta(2,4), weak = Beta(3,2) vs Beta(2,3)\n")
    head = ("rule", "dist", "prev", "n", "runs", "skip", "in-sample cov", "oob cov", "in-sample width",
            "oob width", "cv-true", "optim.", "oob-true", "test cov", "test width", "rule cov")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (r["rule"], r["dist"], f"{r['prev']:g}", f"{r['n']:,}", str(r["runs"]), str(r["skip"]),
                 fmt(r["in_cov"]), fmt(r["oob_cov"]), fmt(r["in_width"]), fmt(r["oob_width"]),
                 fmt(r["cv_true"], 4), fmt(r["optimism"], 4), fmt(r["oob_true"], 4), fmt(r["test_cov"]),
                 fmt(r["test_width"]), fmt(r["rule_cov"]))
        print("| " + " | ".join(cells) + " |")
    big = [r for r in rows if r["n"] >= 300]
    print(f"\nlowest out-of-bag coverage at n >= 300: {min(r['oob_cov'] for r in big):.3f} "
          f"(in-sample: {min(r['in_cov'] for r in big):.3f}); lowest test coverage: "
          f"{min(r['test_cov'] for r in rows):.3f}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
