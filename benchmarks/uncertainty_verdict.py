"""The verdict's promises by simulation where the truth is known (issue 13).

1. Null: no gap at all (train, cv and test drawn with the true error, the baseline equal to
   it), n = 50 ... 1,000,000 rows per split, true error 0.01 ... 0.3: how often any gap
   counts wrongly (target <= 5%), and how often the verdict is good_fit / inconclusive.
2. A real variance gap of twice the tolerance (J_cv = 1.2 J_train, the tolerance being 10%
   of J_train) at 1,000 rows per split: how often it is called good_fit (target <= 5%), and,
   at the sample size the report suggests, how often the gap then counts (target >= 75%).

Binomial error counts are drawn directly and judged by diagnose's own verdict code
(``rate_error`` + ``diagnose_bias_variance``), so each redraw costs microseconds.

    .venv/bin/python benchmarks/uncertainty_verdict.py            # 4,000 redraws per setting
    .venv/bin/python benchmarks/uncertainty_verdict.py --quick
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from diagnose.bias_variance import diagnose_bias_variance
from diagnose.metrics import rate_error


def judge(k_train, k_cv, k_test, n_train, n_cv, n_test, reference):
    errors = {"train": rate_error("train", "error_rate", k_train / n_train, n_train),
              "cv": rate_error("cv", "error_rate", k_cv / n_cv, n_cv)}
    if k_test is not None:
        errors["test"] = rate_error("test", "error_rate", k_test / n_test, n_test)
    return diagnose_bias_variance(errors, reference=reference)


def null(reps: int, rng: np.random.Generator) -> None:
    print("1. No gap: share of redraws where any gap counts (target <= 5%), good_fit, inconclusive")
    print(f"{'n per split':>12} {'true error':>10} {'any counts':>10} {'good_fit':>9} {'inconclusive':>12}")
    for n in (50, 1_000, 100_000, 1_000_000):
        for p in (0.01, 0.1, 0.3):
            draws = rng.binomial(n, p, (reps, 3))
            verdicts = [judge(a, b, c, n, n, n, p) for a, b, c in draws]
            wrong = np.mean([any(g.counted for g in v.gaps.values()) for v in verdicts])
            good = np.mean([v.verdict == "good_fit" for v in verdicts])
            unsure = np.mean([v.verdict == "inconclusive" for v in verdicts])
            print(f"{n:>12,} {p:>10} {wrong:>10.3f} {good:>9.3f} {unsure:>12.3f}")


def real_gap(reps: int, rng: np.random.Generator) -> None:
    print("\n2. A variance gap of twice the tolerance at 1,000 rows per split")
    print(f"{'true error':>10} {'good_fit':>9} {'counts':>7} {'inconclusive':>12} {'counts at the suggested size':>28}"
          f" {'suggested size (median)':>24}")
    n = 1_000
    for p in (0.01, 0.05, 0.1, 0.3):
        verdicts = [judge(a, b, None, n, n, None, p) for a, b in zip(rng.binomial(n, p, reps),
                                                                       rng.binomial(n, 1.2 * p, reps))]
        good = np.mean([v.verdict == "good_fit" for v in verdicts])
        counts = np.mean([v.gaps["variance"].counted for v in verdicts])
        undecided = [v.gaps["variance"] for v in verdicts if v.gaps["variance"].status == "inconclusive"]
        again, sizes = [], []
        for gap in undecided[: max(200, reps // 10)]:
            m = gap.samples_needed
            n_train = m if gap.samples_needed_split == "train and cv" else n
            v = judge(rng.binomial(n_train, p), rng.binomial(m, 1.2 * p), None, n_train, m, None, p)
            again.append(v.gaps["variance"].counted)
            sizes.append(m)
        print(f"{p:>10} {good:>9.3f} {counts:>7.3f} {len(undecided) / reps:>12.3f} "
              f"{np.mean(again) if again else float('nan'):>28.3f} {np.median(sizes) if sizes else 0:>24,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reps = 200 if args.quick else args.reps
    rng = np.random.default_rng(2026)
    start = time.perf_counter()
    null(reps, rng)
    real_gap(reps, rng)
    print(f"\n({reps} redraws per setting, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
