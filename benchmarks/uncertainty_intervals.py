"""Coverage of the 95% intervals of split errors, before and after the "honest
uncertainty" change (diagnose/metrics/_intervals.py and _means.py).

Each setting draws a split of n rows from a model with a known true error, many times
over, and counts how often the reported 95% interval holds the truth (and its mean width).

* error_rate: n Bernoulli(p) rows over p 0.001–0.5 × n 30–100,000. An unweighted error
  rate's interval depends only on the count, so the redraws are binomial counts; the
  "exact" column sums the binomial probabilities of the counts it covers instead.
* log_loss, brier: binary labels with P(y = 1 | x) = sigmoid(-1 + 1.5x), x ~ N(0, 1), scored
  by sigmoid(-1 + 1.5x + e), e ~ N(0, 1) ("normal") or Student t with 5 df ("t5"); the
  truth by quadrature. mse: residuals N(0, 1) or t5 (truth 1 or 5/3).
* class-weighted ("cw") log loss and error rate: prevalence 10% (log loss also 30%), logits
  N(1, 1.5²) for the positives and N(-2, 1.5²) for the negatives (t5 noise: 1.5·t5),
  weights 0.5 / share of the class ("balanced"): at 10% the rarer, harder class weighs 9
  times more, and n = 100 rows hold about 10 of it.

"before" is the method replaced (re-implemented here): Wilson with n (Kish's effective n
with weights) for error rates; mean ± 1.96·sd / sqrt(n_Kish) otherwise, the lower bound
raised to 0. "after" calls ``diagnose.metrics.split_error`` on each redraw.

    python benchmarks/uncertainty_intervals.py            # 5,000 redraws, the full grid
    python benchmarks/uncertainty_intervals.py --quick    # 400 redraws, a small grid
    python benchmarks/uncertainty_intervals.py --max-n 10000 --jobs 2   # in two processes
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import time
import zlib

import numpy as np
from scipy import integrate, special, stats

from diagnose.ingest import Predictions
from diagnose.metrics import LOG_EPS, Z95, split_error, wilson_bounds

P_GRID = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5)
N_RATE = (30, 50, 100, 300, 1000, 3000, 10_000, 100_000)
N_MEAN = (30, 50, 100, 300, 1000, 10_000, 100_000)
N_WEIGHTED = (100, 300, 1000, 10_000, 100_000)
PREVALENCE = 0.1
CHUNK_VALUES = 4_000_000  # rows drawn at once


# ------------------------------------------------------------------ the "before" method

def before_mean(losses: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Normal interval with Kish's effective n, one row of ``losses`` per redraw."""
    w = np.ones_like(losses) if weight is None else np.broadcast_to(weight, losses.shape)
    wsum = w.sum(axis=1)
    mean = (w * losses).sum(axis=1) / wsum
    n_eff = wsum ** 2 / (w * w).sum(axis=1)
    var = (w * (losses - mean[:, None]) ** 2).sum(axis=1) / wsum * n_eff / (n_eff - 1)
    se = np.sqrt(var / n_eff)
    return np.maximum(0.0, mean - Z95 * se), mean + Z95 * se


# ------------------------------------------------------------------ data

def residuals(rng: np.random.Generator, kind: str, size) -> np.ndarray:
    return rng.standard_normal(size) if kind == "normal" else rng.standard_t(5, size)


def draw_scored(rng, kind, reps, n):
    """Binary labels and scores of ``reps`` redraws of n rows."""
    x = rng.standard_normal((reps, n))
    eta = -1.0 + 1.5 * x
    y = (rng.random((reps, n)) < special.expit(eta)).astype(np.int8)
    return y, special.expit(eta + residuals(rng, kind, (reps, n)))


def draw_weighted(rng, kind, reps, n, prevalence):
    """Class-imbalanced labels, scores and balanced class weights."""
    y = (rng.random((reps, n)) < prevalence).astype(np.int8)
    z = np.where(y == 1, 1.0, -2.0) + 1.5 * residuals(rng, kind, (reps, n))
    w = np.where(y == 1, 0.5 / prevalence, 0.5 / (1 - prevalence))
    return y, special.expit(z), w


def log_loss_rows(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    s = np.clip(s, LOG_EPS, 1 - LOG_EPS)  # as the metric clips
    return np.where(y == 1, -np.log(s), -np.log1p(-s))


def density(kind):
    return stats.norm.pdf if kind == "normal" else (lambda e: stats.t.pdf(e, 5))


def true_scored(metric: str, kind: str) -> float:
    """E[loss] of the scored model: Gauss–Hermite over x, adaptive quadrature over e."""
    xs, ws = np.polynomial.hermite_e.hermegauss(150)
    ws = ws / ws.sum()
    eta = -1.0 + 1.5 * xs
    p, pdf = special.expit(eta), density(kind)

    def inner(e):
        z = eta + e
        if metric == "log_loss":
            v = p * np.logaddexp(0, -z) + (1 - p) * np.logaddexp(0, z)
        else:
            s = special.expit(z)
            v = p * (1 - s) ** 2 + (1 - p) * s ** 2
        return v * pdf(e)

    return float(np.dot(ws, integrate.quad_vec(inner, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]))


def true_weighted(metric: str, kind: str) -> float:
    """The class-weighted truth: the mean of the two classes' expected losses."""
    pdf = density(kind)
    if metric == "error_rate":
        cdf = stats.norm.cdf if kind == "normal" else (lambda v: stats.t.cdf(v, 5))
        return 0.5 * cdf(-1.0 / 1.5) + 0.5 * (1 - cdf(2.0 / 1.5))
    pos = integrate.quad(lambda e: np.logaddexp(0, -(1 + 1.5 * e)) * pdf(e), -np.inf, np.inf, epsabs=1e-13)[0]
    neg = integrate.quad(lambda e: np.logaddexp(0, -2 + 1.5 * e) * pdf(e), -np.inf, np.inf, epsabs=1e-13)[0]
    return 0.5 * pos + 0.5 * neg


# ------------------------------------------------------------------ settings

class Tally:
    def __init__(self):
        self.hit = {"before": 0, "after": 0}
        self.width = {"before": 0.0, "after": 0.0}
        self.n = 0

    def add(self, which, low, high, truth):
        low, high = np.asarray(low), np.asarray(high)
        self.hit[which] += int(np.sum((low <= truth) & (truth <= high)))
        self.width[which] += float(np.sum(high - low))

    def row(self, which):
        return self.hit[which] / self.n, self.width[which] / self.n


def rate_setting(rng, p, n, reps):
    """Unweighted error rate: redraws are binomial counts (an interval per distinct count)."""
    counts = rng.binomial(n, p, reps)
    tally = Tally()
    tally.n = reps
    values, freq = np.unique(counts, return_counts=True)
    lo_b, hi_b = wilson_bounds(values / n, n)
    after = [split_error_of_count(int(k), n) for k in values]
    lo_a, hi_a = np.array([a[0] for a in after]), np.array([a[1] for a in after])
    for which, lo, hi in (("before", lo_b, hi_b), ("after", lo_a, hi_a)):
        tally.hit[which] = int(freq[(lo <= p) & (p <= hi)].sum())
        tally.width[which] = float(np.dot(freq, hi - lo))
    # exact coverage: the binomial probability of the counts whose interval holds p
    ks = np.arange(max(0, int(n * p - 12 * math.sqrt(n * p) - 20)), min(n, int(n * p + 12 * math.sqrt(n * p) + 20)) + 1)
    lo_k, hi_k = zip(*(split_error_of_count(int(k), n) for k in ks))
    held = (np.array(lo_k) <= p) & (p <= np.array(hi_k))
    exact = float(stats.binom.pmf(ks[held], n, p).sum())
    return tally, exact


_COUNT_CACHE: dict[tuple[int, int], tuple[float, float]] = {}


def split_error_of_count(k: int, n: int) -> tuple[float, float]:
    """split_error's interval for k errors in n unweighted rows (rows in any order)."""
    key = (k, n)
    if key not in _COUNT_CACHE:
        y = np.zeros(n, np.int8)
        y[:k] = 1  # predicted 0 throughout: the k positives are the errors
        e = split_error(Predictions("binary", y, y_pred=np.zeros(n, np.int8)), "error_rate")
        _COUNT_CACHE[key] = (e.ci_low, e.ci_high)
    return _COUNT_CACHE[key]


def mean_setting(rng, metric, kind, n, reps, truth, prevalence=PREVALENCE):
    tally = Tally()
    tally.n = reps
    chunk = max(1, min(reps, CHUNK_VALUES // n))
    for start in range(0, reps, chunk):
        r = min(chunk, reps - start)
        weight = None
        if metric == "mse":
            res = residuals(rng, kind, (r, n))
            losses = res * res
            preds = [Predictions("regression", np.zeros(n), y_pred=res[i]) for i in range(r)]
            name = "mse"
        elif metric.startswith("weighted"):
            y, s, weight = draw_weighted(rng, kind, r, n, prevalence)
            name = metric.removeprefix("weighted_")
            losses = (log_loss_rows(y, s) if name == "log_loss"
                      else ((s >= 0.5) != (y == 1)).astype(float))
            preds = [Predictions("binary", y[i], y_score=s[i], weight=weight[i]) for i in range(r)]
        else:
            y, s = draw_scored(rng, kind, r, n)
            losses = log_loss_rows(y, s) if metric == "log_loss" else (s - y) ** 2
            preds = [Predictions("binary", y[i], y_score=s[i]) for i in range(r)]
            name = metric
        if name == "error_rate":  # before: Wilson with Kish's effective n
            w = np.broadcast_to(weight, losses.shape)
            rate = (w * losses).sum(axis=1) / w.sum(axis=1)
            lo, hi = wilson_bounds(rate, w.sum(axis=1) ** 2 / (w * w).sum(axis=1))
        else:
            lo, hi = before_mean(losses, weight)
        tally.add("before", lo, hi, truth)
        after = [split_error(p, name) for p in preds]
        tally.add("after", [e.ci_low for e in after], [e.ci_high for e in after], truth)
    return tally


def run_setting(job) -> str:
    """One setting's table row; its generator is seeded by the setting, so a row does not
    depend on which others run, or in which order."""
    setting, reps, seed = job
    rng = np.random.default_rng([seed, zlib.crc32(repr(setting).encode())])
    if setting[0] == "rate":
        _, p, n = setting
        tally, exact = rate_setting(rng, p, n, reps)
        return fmt_row(f"error_rate p={p:g} (np={n * p:g})", n, tally, exact, n * p >= 10)
    if setting[0] == "mean":
        _, metric, kind, n = setting
        truth = (1.0 if kind == "normal" else 5 / 3) if metric == "mse" else true_scored(metric, kind)
        return fmt_row(f"{metric} {kind}", n, mean_setting(rng, metric, kind, n, reps, truth))
    _, metric, prevalence, kind, n = setting
    tally = mean_setting(rng, f"weighted_{metric}", kind, n, reps, true_weighted(metric, kind), prevalence)
    return fmt_row(f"cw {metric} {prevalence:.0%} {kind}", n, tally)


# ------------------------------------------------------------------ the table

def fmt_row(label, n, tally, exact=None, large=True):
    """One setting; flagged '<' when after < 0.93, '>' when after > 0.975 where the data
    allow it (``large``: for an error rate, n·p >= 10)."""
    cb, wb = tally.row("before")
    ca, wa = tally.row("after")
    worst = ca if exact is None else min(ca, exact)
    flag = " <" if worst < 0.93 else (" >" if large and max(ca, exact or 0.0) > 0.975 else "")
    ex = f"  {exact:6.3f}" if exact is not None else " " * 8
    return f"{label:<30} {n:>7} | {cb:6.3f} {wb:10.4g} | {ca:6.3f} {wa:10.4g}{ex}{flag}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 redraws over a small grid")
    parser.add_argument("--reps", type=int, default=None, help="redraws per setting (default 5,000; quick 400)")
    parser.add_argument("--max-n", type=int, default=None, help="leave out settings with more rows")
    parser.add_argument("--min-n", type=int, default=None, help="leave out settings with fewer rows")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--only", choices=("rate", "mean", "weighted"), default=None)
    parser.add_argument("--jobs", type=int, default=1, help="settings run in parallel processes")
    args = parser.parse_args(argv)
    reps = args.reps or (400 if args.quick else 5000)
    p_grid = (0.001, 0.01, 0.05, 0.3) if args.quick else P_GRID
    n_rate = (30, 100, 1000) if args.quick else N_RATE
    n_mean = (30, 100, 1000) if args.quick else N_MEAN
    n_weighted = (100, 1000) if args.quick else N_WEIGHTED
    low, high = args.min_n or 0, args.max_n or 10**9
    n_rate, n_mean, n_weighted = ([n for n in grid if low <= n <= high] for grid in (n_rate, n_mean, n_weighted))
    settings: list[tuple] = []
    if args.only in (None, "rate"):
        settings += [("rate", p, n) for p in p_grid for n in n_rate]
    if args.only in (None, "mean"):
        settings += [("mean", metric, kind, n) for metric in ("log_loss", "brier", "mse")
                     for kind in ("normal", "t5") for n in n_mean]
    if args.only in (None, "weighted"):
        settings += [("weighted", metric, prevalence, kind, n)
                     for metric, prevalence in (("log_loss", 0.1), ("log_loss", 0.3), ("error_rate", 0.1))
                     for kind in ("normal", "t5") for n in n_weighted if prevalence == 0.1 or n <= 300]
    started = time.perf_counter()
    head = (f"{'setting':<30} {'n':>7} | {'before':>6} {'width':>10} | {'after':>6} {'width':>10}  "
            f"{'exact':>6}")
    print(f"coverage of the 95% interval over {reps:,} redraws per setting (exact: binomial sum) and mean width; "
          "'<' after < 0.93, '>' after > 0.975 (error rates: where n·p >= 10)")
    print(head)
    print("-" * len(head), flush=True)
    jobs = [(setting, reps, args.seed) for setting in settings]
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            for line in pool.imap(run_setting, jobs):
                print(line, flush=True)
    else:
        for job in jobs:
            print(run_setting(job), flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
