"""Simulation: how honest is the learning-curve extrapolation? Before and after its intervals.

Run: .venv/bin/python benchmarks/uncertainty_extrapolation.py [--quick] [--fits 2000] [--seed 0]
     [--settings reach4,reach8,unreach4,unreach8,flat6]

The default is the acceptance size (2,000 fits per setting); ``--quick`` runs 150. Every curve is
seeded (fit ``i`` of a setting draws from ``numpy.random.default_rng([seed, setting, i])``).

Curves. A true power law J(m) = c + a m^-b at k sizes log-spaced from 50 to 5,000 (rounded), its
cv error at each size drawn as Binomial(n, J(m)) / n with n uniform on 500..2,000, and each
point's standard error the one the learning curve gives an error rate (Wilson width / 3.92,
``diagnose.metrics.rate_error``).

- ``reach<k>``: c ~ U(0.01, 0.2), b ~ U(0.3, 1), a such that J(50) - c ~ U(0.1, 0.5); the target
  lies between c and the true J at the largest size: c + u (J(5000) - c), u ~ U(0.05, 0.95), so
  the true size m* = (a / (target - c))^(1/b) is finite (far when u is small).
- ``unreach<k>``: the same curves, target c * U(0.3, 0.95): below the asymptote, m* = inf.
- ``flat<k>``: flat high-bias curves, c ~ U(0.2, 0.45), J(50) - c ~ U(0, 0.03), b ~ U(0.3, 1),
  target U(0.02, 0.1) (a human-level target far below the asymptote: unreachable).

Before: today's rule, reimplemented here as it stood (the same bounded soft_l1 least-squares
fit from three starts; ``unreachable`` when the fitted c >= target, else m = (a / (target -
c))^(1/b); caveats when R² < 0.8 or b < 0.1). After: ``diagnose.fit_power_law``.

Figures per setting:
- ``unreach. no caveat``: share of fits declared ``unreachable`` with an empty caveat list
  (on ``reach`` settings: reachable targets wrongly declared unreachable without a caveat);
- ``statuses``: the share of each status;
- ``m covered``: among fits that report an interval for the size, the share that holds the true
  size (an interval with no upper end holds any size above its lower end, and an unreachable
  target's infinite size); ``has m interval``: the share of fits that report one;
- ``numbers``: the share of fits that print a size as a number (status ``reachable``);
  ``numbers covered``: among those, the share whose printed interval holds the true size;
  ``within 2x (numbers)``: the share of them within a factor 2 of the true size;
- ``within 2x (no caveat)``: among sizes printed as a number with no caveat, the share within a
  factor 2 of the true size (``numbers no caveat``: how many such answers there are; after, a size
  whose 95% interval reaches beyond 2x of it carries a caveat); ``far``: true size > 10x the
  largest;
- flat curves: ``c < c*/2`` — the share of fits whose printed asymptote (the law in the message;
  the ``flat`` status prints none) is below half the true one; ``c covered`` — the share whose
  asymptote interval holds the true c.

Times are single-process wall clock. This is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import math
import time
from collections import Counter

import numpy as np

import diagnose
from diagnose.metrics import rate_error

M_MIN, M_MAX = 50, 5000
SETTINGS = {"reach4": ("reach", 4), "reach8": ("reach", 8), "unreach4": ("unreach", 4),
            "unreach8": ("unreach", 8), "flat6": ("flat", 6)}


def draw_curve(kind: str, k: int, rng: np.random.Generator) -> dict:
    """One simulated learning curve and its target, with the truth."""
    m = np.unique(np.geomspace(M_MIN, M_MAX, k).round())
    if kind == "flat":
        c, b, drop = rng.uniform(0.2, 0.45), rng.uniform(0.3, 1.0), rng.uniform(0.0, 0.03)
    else:
        c, b, drop = rng.uniform(0.01, 0.2), rng.uniform(0.3, 1.0), rng.uniform(0.1, 0.5)
    a = drop * M_MIN ** b
    p = np.clip(c + a * m ** -b, 0.0, 1.0)
    n = rng.integers(500, 2001, size=len(m))
    j = rng.binomial(n, p) / n
    se = np.array([rate_error("cv", "error_rate", float(ji), int(ni)).se for ji, ni in zip(j, n)])
    if kind == "reach":
        target = c + rng.uniform(0.05, 0.95) * (p[-1] - c)
        m_true = (a / (target - c)) ** (1 / b)
    elif kind == "unreach":
        target, m_true = c * rng.uniform(0.3, 0.95), math.inf
    else:
        target, m_true = rng.uniform(0.02, 0.1), math.inf
    return {"m": m, "j": j, "se": se, "target": float(target), "c": c, "a": a, "b": b, "m_true": m_true}


# ------------------------------------------------------------------------------ the old rule


def old_rule(m, j, se, target) -> dict:
    """Today's extrapolation (before this change), reimplemented: fit, status, size, caveats."""
    from scipy.optimize import least_squares

    m_max = float(m.max())
    x = m / m_max
    spread = max(float(np.std(j)), 1e-9 * float(np.abs(j).max()), 1e-12)
    floor = max(0.25 * float(np.median(se)), 1e-3 * spread)
    sigma = np.maximum(se, floor)

    def residuals(p):
        return (p[0] + p[1] * x ** (-p[2]) - j) / sigma

    best = None
    for b0 in (0.3, 0.7, 1.5):
        c0 = max(0.0, float(j.min()) * 0.5)
        a0 = max(float(j[np.argmin(m)] - c0) * float(x.min()) ** b0, 1e-12)
        res = least_squares(residuals, [c0, a0, b0], bounds=([0, 0, 1e-3], [np.inf, np.inf, 3.0]),
                            loss="soft_l1", f_scale=2.0, x_scale="jac", max_nfev=2000)
        if best is None or res.cost < best.cost:
            best = res
    c, a_s, b = (float(v) for v in best.x)
    a = a_s * m_max ** b
    resid = c + a_s * x ** (-b) - j
    ss_tot = float(np.sum((j - j.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 else None
    caveats = (r2 is not None and r2 < 0.8) or b < 0.1
    if j[-1] <= target:
        status, m_t = "reached", m_max
    elif c >= target or a <= 0:
        status, m_t = "unreachable", None
    else:
        log_m = (math.log(a) - math.log(target - c)) / b
        m_t = math.exp(log_m) if log_m < 700 else math.inf
        status = "unclear" if m_t <= m_max else "reachable"
        m_t = None if status == "unclear" else m_t
    return {"status": status, "m_target": m_t, "caveat": bool(caveats), "c": c, "m_ci": None, "c_ci": None,
            "prints_c": True}


def new_rule(m, j, se, target) -> dict:
    fit = diagnose.fit_power_law(m, j, se=se, target=target)
    return {"status": fit.status, "m_target": fit.m_target, "caveat": bool(fit.caveats), "c": fit.c,
            "m_ci": fit.m_target_ci, "c_ci": fit.asymptote_ci, "prints_c": fit.status not in ("flat", "cannot_tell")}


# ------------------------------------------------------------------------------ figures


def summarise(kind: str, curves: list[dict], answers: list[dict]) -> dict:
    n = len(curves)
    out: dict = {"fits": n}
    statuses = Counter(a["status"] for a in answers)
    out["statuses"] = {s: statuses[s] / n for s in sorted(statuses)}
    out["unreachable_no_caveat"] = sum(a["status"] == "unreachable" and not a["caveat"] for a in answers) / n
    with_ci = [(cv, a) for cv, a in zip(curves, answers) if a["m_ci"] is not None]
    out["has_m_interval"] = len(with_ci) / n
    out["m_covered"] = (sum(a["m_ci"][0] <= cv["m_true"] <= a["m_ci"][1] for cv, a in with_ci) / len(with_ci)
                        if with_ci else None)
    printed = [(cv, a) for cv, a in zip(curves, answers) if a["status"] == "reachable" and a["m_target"] is not None]
    out["numbers"] = len(printed) / n
    out["within_2x_all"] = (sum(0.5 <= a["m_target"] / cv["m_true"] <= 2 for cv, a in printed) / len(printed)
                            if printed else None)
    printed_ci = [(cv, a) for cv, a in printed if a["m_ci"] is not None]
    out["numbers_covered"] = (sum(a["m_ci"][0] <= cv["m_true"] <= a["m_ci"][1] for cv, a in printed_ci)
                              / len(printed_ci) if printed_ci else None)
    numbers = [(cv, a) for cv, a in printed if not a["caveat"]]
    out["numbers_no_caveat"] = len(numbers) / n
    out["within_2x"] = (sum(0.5 <= a["m_target"] / cv["m_true"] <= 2 for cv, a in numbers) / len(numbers)
                        if numbers else None)
    if kind == "reach":
        far = [(cv, a) for cv, a in numbers if cv["m_true"] > 10 * M_MAX]
        out["within_2x_far"] = (sum(0.5 <= a["m_target"] / cv["m_true"] <= 2 for cv, a in far) / len(far)
                                if far else None)
    out["c_below_half"] = sum(a["prints_c"] and a["c"] < cv["c"] / 2 for cv, a in zip(curves, answers)) / n
    cis = [(cv, a) for cv, a in zip(curves, answers) if a["c_ci"] is not None]
    out["c_covered"] = sum(a["c_ci"][0] <= cv["c"] <= a["c_ci"][1] for cv, a in cis) / len(cis) if cis else None
    return out


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 fits per setting instead of 2,000")
    parser.add_argument("--fits", type=int, default=None, help="fits per setting (default 2,000; 150 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    args = parser.parse_args()
    fits = args.fits or (150 if args.quick else 2000)
    rows = []
    for s_index, name in enumerate(args.settings.split(",")):
        kind, k = SETTINGS[name]
        curves = [draw_curve(kind, k, np.random.default_rng([args.seed, s_index, i])) for i in range(fits)]
        results = {}
        for rule_name, rule in (("before", old_rule), ("after", new_rule)):
            start = time.perf_counter()
            answers = [rule(cv["m"], cv["j"], cv["se"], cv["target"]) for cv in curves]
            elapsed = time.perf_counter() - start
            results[rule_name] = summarise(kind, curves, answers)
            results[rule_name]["ms_per_fit"] = 1000 * elapsed / fits
        rows.append((name, results))

    print(f"{fits} fits per setting, seed {args.seed}; 95% profile-likelihood intervals\n")
    header = ["setting", "rule", "unreach. no caveat", "m covered", "has m interval", "numbers", "numbers covered",
              "within 2x (numbers)", "numbers no caveat", "within 2x (no caveat)", "within 2x (no caveat, far)",
              "c < c*/2", "c covered", "ms/fit"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, results in rows:
        for rule_name in ("before", "after"):
            r = results[rule_name]
            print("| " + " | ".join([name, rule_name, pct(r["unreachable_no_caveat"]), pct(r["m_covered"]),
                                     pct(r["has_m_interval"]), pct(r["numbers"]), pct(r["numbers_covered"]),
                                     pct(r["within_2x_all"]), pct(r["numbers_no_caveat"]), pct(r["within_2x"]),
                                     pct(r.get("within_2x_far")), pct(r["c_below_half"]), pct(r["c_covered"]),
                                     f"{r['ms_per_fit']:.1f}"]) + " |")
    print("\nStatuses (share of fits):")
    for name, results in rows:
        for rule_name in ("before", "after"):
            shares = ", ".join(f"{s} {pct(v)}" for s, v in results[rule_name]["statuses"].items())
            print(f"  {name:9s} {rule_name:6s} {shares}")


if __name__ == "__main__":
    main()
