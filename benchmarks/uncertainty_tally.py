"""Simulation: how truthful the error tally's uncertainty is, before and after the exact intervals.

Run: .venv/bin/python benchmarks/uncertainty_tally.py [--quick] [--reviews 5000] [--seed 0]

For each setting (n reviewed errors out of N cv errors) a population of N errors is built
once (seeded): categories c0..c5 with exact shares 50%, 42%, 20%, 10%, 5% and 2% of the
errors (profile "close"; profile "clear" has c1 at 25%), each put on a random set of rows
independently (so a row often carries several tags), ``rare`` at 0.9 x 3/n, and ``other``
on the rows left without a tag. Then ``--reviews`` reviews of n errors are drawn without
replacement (from one generator seeded by the setting) and tallied. ``--quick``: 400
reviews.

Before = the tally as it was (reimplemented here): Wilson intervals with the
finite-population correction (n_eff = n (N-1)/(N-n)), clipped to what is possible, no bound
for untagged categories, nothing about the ranking. After =
``diagnose.error_analysis._simultaneous`` as ``tally_tags`` uses it (checked against
``tally_tags`` itself on the first reviews of every setting): exact hypergeometric
intervals, Bonferroni over the categories in the table, the one-sided exact bound for an
untagged category, and the exact McNemar test (finite population) of the top category
against each other one shown.

Table 1 (profile "close"), cells before -> after:
  per-cat min   the lowest coverage of the 95% interval over the categories (every review,
                a category's interval as the method gives it at its count, 0 included)
  2% cat        coverage for the 2% category
  simult.       how often the intervals of all the categories shown (count > 0) hold at once
                (before: the per-category intervals; after: the simultaneous ones)
  unseen        the untagged-category bound, for the worst category: 1 - P(the category is
                untagged and above the bound) (before there is no bound: 1 - P(untagged))
  width         mean width of c0's 95% share interval
Table 2, both profiles: top right (the most-tagged category, ties by name, is the true most
common), note|wrong (the ranking note is shown when the top is wrong; before: never),
note|right (shown when the top is right: the price of the note).
Table 3: exact coverage (the hypergeometric pmf summed over the counts whose interval holds,
no simulation), the worst over shares 2%, 3%, 5%, 10%, 20%, 30%, 40%, 50% of N.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from diagnose.error_analysis import tally_tags
from diagnose.error_analysis._simultaneous import count_interval, mcnemar_p, unseen_upper

Z95 = 1.959963984540054
PROFILES = {"close": [0.50, 0.42, 0.20, 0.10, 0.05, 0.02], "clear": [0.50, 0.25, 0.20, 0.10, 0.05, 0.02]}
GRID_SHARES = [0.02, 0.03, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50]
SETTINGS = [(10, 50), (30, 50), (10, 1000), (30, 1000), (100, 1000), (200, 1000),
            (10, 10_000), (30, 10_000), (100, 10_000), (200, 10_000)]


def population(n: int, size: int, base: list[float], rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Errors x categories (names in alphabetical order, as the tally breaks ties)."""
    shares = [*base, 0.9 * 3 / n]
    names = [f"c{j}" for j in range(len(base))] + ["rare"]
    members = np.zeros((size, len(shares)), dtype=bool)
    for j, share in enumerate(shares):
        members[rng.choice(size, max(1, round(share * size)), replace=False), j] = True
    members = np.column_stack([members, ~members.any(axis=1)])
    names.append("other")
    order = np.argsort(names)
    return members[:, order], [names[i] for i in order]


def wilson_fpc(k: np.ndarray, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Today's interval, as a count among the N errors: Wilson with n_eff, clipped to the possible."""
    p = k / n
    n_eff = n * (size - 1) / (size - n)
    centre = (p + Z95 ** 2 / (2 * n_eff)) / (1 + Z95 ** 2 / n_eff)
    half = Z95 * np.sqrt(p * (1 - p) / n_eff + Z95 ** 2 / (4 * n_eff ** 2)) / (1 + Z95 ** 2 / n_eff)
    low = np.maximum(centre - half, k / size)
    high = np.minimum(centre + half, (k + size - n) / size)
    return low * size, high * size


def simulate(n: int, size: int, reviews: int, seed: int, profile: str) -> dict:
    rng = np.random.default_rng([seed, n, size, list(PROFILES).index(profile)])
    members, names = population(n, size, PROFILES[profile], rng)
    truth = members.sum(axis=0)
    idx = np.stack([rng.choice(size, n, replace=False) for _ in range(reviews)])
    samples = members[idx]  # reviews x n x categories
    counts = samples.sum(axis=1)
    shown = counts > 0
    m = shown.sum(axis=1, keepdims=True)
    c0, c5 = names.index("c0"), names.index("c5")

    def covered(lo, hi):
        return (lo <= truth) & (truth <= hi)

    b_lo, b_hi = wilson_fpc(counts, n, size)
    a_lo, a_hi = count_interval(counts, n, size)
    s_lo, s_hi = count_interval(counts, n, size, 0.05 / m)
    bound = round(unseen_upper(n, size) * size)

    # ranking: the top by count (first in alphabetical order on ties), tested against the others shown
    top = counts.argmax(axis=1)
    right = truth[top] == truth.max()
    top_rows = samples[np.arange(reviews), :, top]
    only_top = (top_rows[:, :, None] & ~samples).sum(axis=1)
    only_other = (~top_rows[:, :, None] & samples).sum(axis=1)
    p = mcnemar_p(only_top, only_other, size - n)
    p[np.arange(reviews), top] = 0.0
    candidates = 1 + (shown & (p >= 0.05)).sum(axis=1)
    note = candidates > 1

    # the same numbers through tally_tags on the first reviews
    for r in range(min(reviews, 10)):
        t = tally_tags([";".join(names[j] for j in np.flatnonzero(row)) for row in samples[r]], total_errors=size)
        for c in t.categories:
            j = names.index(c.name)
            assert (c.estimated_ci_low, c.estimated_ci_high) == (a_lo[r, j], a_hi[r, j])
            assert (c.estimated_sim_low, c.estimated_sim_high) == (s_lo[r, j], s_hi[r, j])
        assert len(t.top_candidates) == candidates[r] and t.top_candidates[0] == names[top[r]]
        assert t.unseen_estimated_upper == bound

    untagged = ~shown & (truth > 0)
    return {
        "before": {"per_cat": covered(b_lo, b_hi).mean(axis=0).min(), "c5": covered(b_lo, b_hi)[:, c5].mean(),
                   "sim": np.all(~shown | covered(b_lo, b_hi), axis=1).mean(),
                   "unseen": 1 - untagged.mean(axis=0).max(), "width": ((b_hi - b_lo)[:, c0] / size).mean()},
        "after": {"per_cat": covered(a_lo, a_hi).mean(axis=0).min(), "c5": covered(a_lo, a_hi)[:, c5].mean(),
                  "sim": np.all(~shown | covered(s_lo, s_hi), axis=1).mean(),
                  "unseen": 1 - (untagged & (truth > bound)).mean(axis=0).max(),
                  "width": ((a_hi - a_lo)[:, c0] / size).mean()},
        "top_right": right.mean(),
        "note_wrong": note[~right].mean() if (~right).any() else np.nan,
        "note_right": note[right].mean(),
    }


def exact_coverage(n: int, size: int) -> tuple[float, float, float, float]:
    """The worst coverage over GRID_SHARES, before and after, and the share where it happens."""
    from scipy.stats import hypergeom

    worst = [(2.0, 0.0), (2.0, 0.0)]
    k = np.arange(n + 1)
    for share in GRID_SHARES:
        K = max(1, round(share * size))
        pmf = hypergeom.pmf(k, size, K, n)
        for i, (lo, hi) in enumerate([wilson_fpc(k, n, size), count_interval(k, n, size)]):
            cover = float(pmf[(lo <= K) & (K <= hi)].sum())
            if cover < worst[i][0]:
                worst[i] = (cover, share)
    return worst[0][0], worst[0][1], worst[1][0], worst[1][1]


def pct(x: float) -> str:
    return "   -  " if np.isnan(x) else f"{100 * x:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=5000, help="reviews drawn per setting (default 5000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="400 reviews per setting (a smoke run)")
    args = parser.parse_args()
    reviews = 400 if args.quick else args.reviews
    t0 = time.perf_counter()
    print(f"{reviews} reviews per setting; categories c0..c5 at {', '.join(f'{s:.0%}' for s in PROFILES['close'])} "
          "(close) or c1 at 25% (clear), 'rare' at 0.9 x 3/n, and 'other'\n")
    results = {(n, size, profile): simulate(n, size, reviews, args.seed, profile)
               for profile in PROFILES for n, size in SETTINGS}
    print("Table 1: coverage (profile close), before -> after")
    head = (f"{'n':>4} {'N':>6} | {'per-cat min':^16} | {'2% cat':^16} | {'simult.':^16} | {'unseen':^16} | "
            f"{'width (c0)':^13}")
    print(head)
    print("-" * len(head))
    for n, size in SETTINGS:
        r = results[(n, size, "close")]
        b, a = r["before"], r["after"]
        print(f"{n:>4} {size:>6} | {pct(b['per_cat'])} -> {pct(a['per_cat'])} | {pct(b['c5'])} -> {pct(a['c5'])} | "
              f"{pct(b['sim'])} -> {pct(a['sim'])} | {pct(b['unseen'])} -> {pct(a['unseen'])} | "
              f"{b['width']:.3f} -> {a['width']:.3f}")
    print("\nTable 2: ranking (the note: before never, after as below)")
    head = f"{'':>11} | " + " | ".join(f"{p:^32}" for p in PROFILES)
    print(head)
    print(f"{'n':>4} {'N':>6} | " + " | ".join(f"{'top right':>10} {'note|wrong':>10} {'note|right':>10}"
                                              for _ in PROFILES))
    print("-" * len(head))
    for n, size in SETTINGS:
        cells = [f"{pct(r['top_right']):>10} {pct(r['note_wrong']):>10} {pct(r['note_right']):>10}"
                 for r in (results[(n, size, p)] for p in PROFILES)]
        print(f"{n:>4} {size:>6} | " + " | ".join(cells))
    print("\nTable 3: exact coverage, worst over shares " + ", ".join(f"{s:.0%}" for s in GRID_SHARES))
    head = f"{'n':>4} {'N':>6} | {'before (at share)':^20} | {'after (at share)':^20}"
    print(head)
    print("-" * len(head))
    for n, size in [(n, size) for n in (10, 30, 100, 200) for size in (50, 100, 200, 1000, 10_000) if n < size]:
        b, bs, a, as_ = exact_coverage(n, size)
        print(f"{n:>4} {size:>6} | {pct(b)} ({bs:4.0%})        | {pct(a)} ({as_:4.0%})")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
