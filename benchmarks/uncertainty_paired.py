"""Simulation: the skew section's test of "model more accurate than the trivial classifier",
before (McNemar on weighted, rounded discordant counts) and after (exact McNemar without
weights, else the design-based paired z-test with rows as units).

Run: .venv/bin/python benchmarks/uncertainty_paired.py [--quick] [--redraws 5000] [--rows 400] [--seed 0]

Every redraw is seeded (``numpy.random.default_rng([seed, data, i, 1000 q])``, ``data`` as in
``SETTINGS``).
Binary data: ``flag ~ Bernoulli(0.3)`` marks the rows the model calls positive; the label is
``y ~ Bernoulli(q)`` on flagged rows and ``Bernoulli(0.2)`` elsewhere. The trivial classifier
always says 0 (the majority of train; train = cv here). On a flagged row the model is right
exactly when ``y = 1`` and the trivial classifier exactly when ``y = 0``, so with ``q = 0.5``
both are equally accurate (the null) and ``q = --power-q`` (0.62) makes the model better.
Weights are drawn independently of everything (so the weighted null holds too):
``U(0.5, 1.5)`` as given (x1), times 10 (x10), divided by their sum (sum to 1), or lognormal
``exp(N(0, 1))``. Multi-label clustering: 5 labels; flagged rows get 1 on every label from
the model, and their labels share a row-level coin (each label copies it with probability
0.8, else is its own coin): label decisions of a row are strongly correlated. Small samples,
the corner of the z-test: 2,000 rows, flag ~ Bernoulli(0.01), y ~ Bernoulli(0.02) off the
flag (about 20 discordant rows), lognormal weights; and 500 such rows (about 5), U(0.5, 1.5).

"before" reimplements the old test: b = round(sum of weights of the (row or label) decisions
only the model gets right), n = round(b + c), p = P(Bin(n, 1/2) >= b) (1 when n or b is 0).
"after" is ``diagnose.bias_variance.skew`` itself. Rejection: p < 0.05 (the report's level;
the report also requires the model's accuracy to be higher). Monte Carlo standard error of a
rate near 5% at 5,000 redraws: 0.3 points. This is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import binom

from diagnose.bias_variance import skew
from diagnose.ingest import Predictions

ALPHA = 0.05
LABELS = 5


def old_p(model_right: np.ndarray, trivial_right: np.ndarray, weight: np.ndarray | None) -> float:
    """The old test: exact McNemar on weighted discordant counts rounded to whole rows
    (multi-label: every label decision a unit, each with its row's weight)."""
    w = np.ones(model_right.shape[0]) if weight is None else weight
    w2 = np.repeat(w, model_right.shape[1]).reshape(model_right.shape) if model_right.ndim == 2 else w
    better = float((w2 * (model_right & ~trivial_right)).sum())
    worse = float((w2 * (~model_right & trivial_right)).sum())
    b, n = int(round(better)), int(round(better + worse))
    if n <= 0 or b <= 0:
        return 1.0
    return float(binom.sf(b - 1, n, 0.5))


def weights(kind: str, n: int, rng: np.random.Generator) -> np.ndarray | None:
    if kind == "none":
        return None
    if kind == "lognormal":
        return np.exp(rng.normal(0.0, 1.0, n))
    w = rng.uniform(0.5, 1.5, n)
    return {"x1": w, "x10": w * 10.0, "sum1": w / w.sum()}[kind]


def draw(setting: dict, q: float, rows: int, rng: np.random.Generator) -> Predictions:
    n = setting.get("rows", rows)
    flag = rng.random(n) < setting.get("flag", 0.3)
    base = setting.get("base", 0.2)
    w = weights(setting["weights"], n, rng)
    if setting.get("multilabel"):
        coin = rng.random(n) < q
        copy = rng.random((n, LABELS)) < 0.8
        own = rng.random((n, LABELS)) < q
        y = np.where(flag[:, None], np.where(copy, coin[:, None], own), rng.random((n, LABELS)) < base)
        score = np.repeat(flag, LABELS).reshape(n, LABELS).astype(np.float64)
        return Predictions("multilabel", y.astype(np.int8), y_score=score, weight=w,
                           classes=tuple(f"l{j}" for j in range(LABELS)))
    y = np.where(flag, rng.random(n) < q, rng.random(n) < base).astype(np.int8)
    return Predictions("binary", y, y_pred=flag.astype(np.int8), weight=w)


# "data": settings with the same number draw the same rows and base weights (x1, x10 and sum
# to 1 differ only in the unit of the weights, so a unit-free test gives the same column)
SETTINGS = {
    "no weights (binary)": {"data": 0, "weights": "none"},
    "weights x1 (U(0.5,1.5))": {"data": 1, "weights": "x1"},
    "weights x10": {"data": 1, "weights": "x10"},
    "weights sum to 1": {"data": 1, "weights": "sum1"},
    "lognormal weights": {"data": 2, "weights": "lognormal"},
    "multi-label clustering": {"data": 3, "weights": "none", "multilabel": True},
    "multi-label + lognormal": {"data": 4, "weights": "lognormal", "multilabel": True},
    "skewed, ~20 discordant rows, lognormal": {"data": 5, "weights": "lognormal", "rows": 2000, "flag": 0.01,
                                               "base": 0.02},
    "~5 discordant rows, weights x1": {"data": 6, "weights": "x1", "rows": 500, "flag": 0.01, "base": 0.02},
}


def rates(setting: dict, q: float, redraws: int, rows: int, seed: int) -> tuple[float, float, str]:
    """Share of redraws each test rejects (p < ALPHA and the model more accurate)."""
    old = new = 0
    tests = set()
    for i in range(redraws):
        rng = np.random.default_rng([seed, setting["data"], i, int(q * 1000)])
        p = draw(setting, q, rows, rng)
        model_right = p.decision == p.y_true
        trivial_right = p.y_true == 0
        s = skew(p, p)
        tests.add(s.test)
        better = s.model_accuracy > s.trivial_accuracy
        old += old_p(model_right, trivial_right, p.weight) < ALPHA and better
        new += s.significant
    return old / redraws, new / redraws, "/".join(sorted(tests))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="500 redraws per setting (a smoke run)")
    ap.add_argument("--redraws", type=int, default=5000)
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--power-q", type=float, default=0.62)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    redraws = 500 if args.quick else args.redraws
    print(f"{redraws} redraws per setting, {args.rows} rows (unless said), level {ALPHA}; "
          f"power: P(y=1 | flagged) = {args.power_q}\n")
    print("| setting | test after | type I before | type I after | power before | power after |")
    print("|---|---|---:|---:|---:|---:|")
    start = time.perf_counter()
    for name, setting in SETTINGS.items():
        old0, new0, test = rates(setting, 0.5, redraws, args.rows, args.seed)
        old1, new1, _ = rates(setting, args.power_q, redraws, args.rows, args.seed)
        print(f"| {name} | {test} | {old0:.2%} | {new0:.2%} | {old1:.2%} | {new1:.2%} |", flush=True)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
