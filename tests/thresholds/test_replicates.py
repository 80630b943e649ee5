"""The threshold bootstrap's replicates: with sample weights (scheme poisson-hash-v1)
Poisson(1) weights from a keyed hash of (seed, id, replicate), counted per group of scores;
without (scheme poisson-cells-v1) the multinomial counts of each weight drawn per cell of
rows; the same on every engine."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from diagnose.thresholds import REPLICATE_GROUPS, ScoreGrid, bootstrap_threshold, threshold_search
from diagnose.thresholds._replicates import (
    POISSON_CAP,
    POISSON_CUTS,
    cell_replicates,
    poisson_weights,
    replicate_weights,
    row_keys,
    score_groups,
)


def test_the_inverse_cdf_gives_each_weight_its_poisson_probability():
    # P(weight = k) is the share of 32-bit uniforms between two cuts: Poisson(1)'s pmf to 2**-32
    edges = np.concatenate(([0], POISSON_CUTS.astype(np.float64), [2.0**32]))
    share = np.diff(edges) / 2.0**32
    k = np.arange(POISSON_CAP + 1)
    assert np.abs(share[:-1] - stats.poisson.pmf(k[:-1], 1.0)).max() < 2.0**-32
    assert abs(share[-1] - stats.poisson.sf(POISSON_CAP - 1, 1.0)) < 2.0**-32  # the tail folds into the cap
    # and the function lands every uniform between its cuts
    u = np.concatenate((POISSON_CUTS - 1, POISSON_CUTS)).astype(np.uint32)
    assert poisson_weights(u).tolist() == list(range(POISSON_CAP)) + list(range(1, POISSON_CAP + 1))


def _searched_weights(u: np.ndarray) -> np.ndarray:
    """The oracle: the inverse CDF as poisson-hash-v1 first computed it (four comparisons, then
    a search above 4), i.e. the number of cuts at or below each uniform."""
    c = sum((u >= POISSON_CUTS[j]).astype(np.uint8) for j in range(5))
    big = np.flatnonzero(u >= POISSON_CUTS[4])
    c[big] = np.searchsorted(POISSON_CUTS, u[big], side="right").astype(np.uint8)
    return c


def test_the_table_inverse_cdf_equals_the_search_on_every_boundary_and_at_random():
    # every boundary: +-2 around each of the 65,536 buckets of the table and around each cut,
    # every uniform of the buckets that hold a cut (and of their neighbours), and the two ends
    starts = np.arange(1 << 16, dtype=np.int64) << 16
    holding = np.unique(POISSON_CUTS.astype(np.int64) >> 16)
    whole = (np.add.outer(np.unique(np.clip(np.add.outer(holding, [-1, 0, 1]), 0, 65535)) << 16,
                          np.arange(1 << 16))).ravel()
    near = np.add.outer(np.concatenate((starts, POISSON_CUTS.astype(np.int64), [2**32 - 1])), np.arange(-2, 3))
    u = np.unique(np.clip(np.concatenate((near.ravel(), whole)), 0, 2**32 - 1)).astype(np.uint32)
    assert np.array_equal(poisson_weights(u), _searched_weights(u))
    r = np.random.default_rng(5).integers(0, 2**32, 10_000_000, dtype=np.uint64).astype(np.uint32)
    assert np.array_equal(poisson_weights(r), _searched_weights(r))
    # a strided view (the halves of a hash) with its top 16 bits given, into a buffer
    h = r.view(np.uint64)
    out = np.empty(h.shape[0], np.uint8)
    assert poisson_weights(h.view(np.uint32)[1::2], h.view(np.uint16)[3::4], out=out) is out
    assert np.array_equal(out, _searched_weights(r[1::2]))


def test_counted_replicates_equal_a_direct_count_with_the_searched_weights(rng):
    # 3 blocks (the last one short), an odd number of replicates, with and without sample weights
    from diagnose.ingest import mix64
    from diagnose.thresholds._replicates import BLOCK_ROWS, CountReplicates, _pair

    n, reps, seed = 2 * BLOCK_ROWS + 1234, 5, 3
    y = (rng.random(n) < 0.3).astype(np.int8)
    s = rng.random(n)
    grid = ScoreGrid(0.0, 1.0, 16)
    group = score_groups(np.bincount(grid.keys(s), minlength=1 << 16))
    cell = group[grid.keys(s)] * 2 + y
    keys = row_keys(None, n, seed)
    halves = [mix64(keys + _pair(p)).view(np.uint32)[k::2] for p in range(3) for k in (0, 1)]
    g = int(group[-1]) + 1
    for w in (None, rng.random(n)):
        got = CountReplicates(grid, group, reps, seed)(y, s, w, None)
        for r in range(reps):
            c = _searched_weights(halves[r])
            ww = np.ones(n) if w is None else w
            inbag = np.bincount(cell, weights=c * ww, minlength=2 * g).reshape(g, 2)
            oob = np.bincount(cell, weights=(c == 0) * ww, minlength=2 * g).reshape(g, 2)
            np.testing.assert_allclose(got.inbag[r], inbag, rtol=1e-12, atol=0)
            np.testing.assert_allclose(got.oob[r], oob, rtol=1e-12, atol=0)
        if w is None:
            assert got.inbag.dtype == np.int64


def test_hashed_weights_have_poisson_mean_variance_and_frequencies():
    n = 400_000
    w = replicate_weights(row_keys(None, n, 11), 4).astype(np.float64)
    for c in w:  # each replicate: mean and variance 1 (Poisson(1)), to a few standard errors
        assert abs(c.mean() - stats.poisson.mean(1.0)) < 4 * np.sqrt(1.0 / n)
        assert abs(c.var() - stats.poisson.var(1.0)) < 4 * np.sqrt(3.0 / n)  # Var of (X - 1)^2 is 3 under Poisson(1)
        observed = np.bincount(np.minimum(c, 5).astype(int), minlength=6)
        expected = n * np.append(stats.poisson.pmf(np.arange(5), 1.0), stats.poisson.sf(4, 1.0))
        assert stats.chisquare(observed, expected).pvalue > 1e-4
    # replicates (the two halves of one hash, and different pairs) are uncorrelated
    r = np.corrcoef(w)
    assert np.abs(r[np.triu_indices(4, 1)]).max() < 5 / np.sqrt(n)
    # another seed: other weights; the same seed and ids: the same weights
    assert not np.array_equal(w[0], replicate_weights(row_keys(None, n, 12), 1)[0])
    assert np.array_equal(w[2:4], replicate_weights(row_keys(None, n, 11), 4, start=2))


def test_a_hand_worked_example():
    # poisson-hash-v1 pins these weights: rows 1..6 (no ids: their numbers), seed 0
    assert replicate_weights(row_keys(None, 6, 0), 2).tolist() == [[0, 0, 1, 0, 1, 1], [2, 0, 0, 1, 4, 1]]
    y = np.array([1, 0, 1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    b = bootstrap_threshold(y, s, reps=2, seed=0, sample_weight=np.ones(6))  # weights of 1: keyed weights
    assert b.sampling == "poisson-hash-v1"
    # replicate 0: in the bag 0.7 (+), 0.5 (+), 0.4 (-) once each: F1 2/3 at 0.7, 1 at 0.5, 4/5 at 0.4
    #   -> 0.5; out of the bag 0.9 (+), 0.8 (-), 0.6 (-): all called positive, TP 1, PP 3, P 1
    # replicate 1: 0.9 (+) x2, 0.6 (-) x1, 0.5 (+) x4, 0.4 (-) x1; P 6: F1 at 0.9 4/8, at 0.6 4/9,
    #   at 0.5 12/13, at 0.4 12/14 -> 0.5; out of the bag 0.8 (-), 0.7 (+): TP 1, PP 2, P 1
    assert (b.value_low, b.value_high) == (0.5, 0.5)
    assert (b.f1_low, b.f1_high) == pytest.approx(tuple(np.percentile([1.0, 12 / 13], [2.5, 97.5])))
    assert b.oob_reps == 2 and b.failed == 0
    assert b.oob_f1 == pytest.approx(2 * 2 / (5 + 2))  # pooled: TP 1 + 1, PP 3 + 2, P 1 + 1
    assert b.oob_precision == pytest.approx(2 / 5) and b.oob_recall == 1.0
    assert (b.oob_f1_low, b.oob_f1_high) == pytest.approx(tuple(np.percentile([2 / 4, 2 / 3], [2.5, 97.5])))
    # cv: the best F1 is 6/8 at 0.5 (TP 3, PP 5, P 3)
    assert b.optimism == pytest.approx(0.75 - 4 / 7)


def test_the_weights_follow_the_ids_not_the_row_order(rng):
    n = 3000
    y = (rng.random(n) < 0.3).astype(np.int8)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 4)
    ids = rng.permutation(10 * n)[:n]
    w = rng.integers(1, 4, n) / 2.0  # weighted rows: poisson-hash-v1
    b = bootstrap_threshold(y, s, reps=30, seed=4, ids=ids, sample_weight=w)
    order = rng.permutation(n)
    assert bootstrap_threshold(y[order], s[order], reps=30, seed=4, ids=ids[order], sample_weight=w[order]) == b
    assert bootstrap_threshold(y, s, reps=30, seed=4, sample_weight=w) != b  # row numbers are other keys
    text_ids = ids.astype(str).astype(object)  # text ids: pandas' keyed SipHash, as the error sample's
    assert bootstrap_threshold(y[order], s[order], reps=30, seed=4, ids=text_ids[order],
                               sample_weight=w[order]) == bootstrap_threshold(y, s, reps=30, seed=4, ids=text_ids,
                                                                              sample_weight=w)
    # unweighted rows (poisson-cells-v1): the replicates follow the counts, not ids or order
    c = bootstrap_threshold(y, s, reps=30, seed=4)
    assert c.sampling == "poisson-cells-v1" and bootstrap_threshold(y[order], s[order], reps=30, seed=4) == c
    assert bootstrap_threshold(y, s, reps=30, seed=5) != c


def test_groups_hold_about_a_share_of_the_rows_and_never_split_a_bucket():
    rows = np.random.default_rng(3).poisson(3.0, 1 << 16)
    rows[1000] = 50_000  # a crowded score: one bucket, one group
    g = score_groups(rows)
    assert g[0] == 0 and np.all(np.diff(g) >= 0) and g[-1] < REPLICATE_GROUPS
    per = np.bincount(g, weights=rows)
    n = rows.sum()
    # the crowded bucket's group holds it whole (and the few rows just below it); the next starts after it
    assert rows[1000] <= per[g[1000]] < rows[1000] + 2 * n / REPLICATE_GROUPS and g[1001] == g[1000] + 1
    assert np.delete(per, g[1000]).max() <= 2 * n / REPLICATE_GROUPS


def test_on_many_distinct_scores_each_replicate_chooses_among_the_lowest_scores_of_the_groups(rng):
    # oracle: by brute force, the F1 of the replicate (weights = the Poisson counts) at each
    # candidate threshold (the lowest cv score of each group it holds weight in), the best
    n, reps, seed = 5000, 6, 9
    y = (rng.random(n) < 0.25).astype(np.int8)
    s = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    bucket = ScoreGrid(0.0, 1.0, 16).keys(s)
    group = score_groups(np.bincount(bucket, minlength=1 << 16))[bucket]
    lows = np.array([s[group == g].min() for g in np.unique(group)])
    assert len(lows) > 900  # about 1,024 candidates, far fewer than the 5,000 scores
    values, f1s = [], []
    above = s[None, :] >= lows[:, None]  # (candidates, rows): called positive at each candidate
    for c in replicate_weights(row_keys(None, n, seed), reps).astype(np.float64):  # weights of 1: keyed
        # brute force: the replicate's weighted counts at every candidate it holds weight in
        tp, pp = above @ (c * y), above @ c
        held = np.array([c[group == g].sum() > 0 for g in np.unique(group)])
        f = np.where(held, 2 * tp / (pp + (c * y).sum()), -1.0)
        best = np.flatnonzero(f >= f.max() - 1e-12)
        values.append(lows[best].max())
        f1s.append(f.max())
    b = bootstrap_threshold(y, s, reps=reps, seed=seed, sample_weight=np.ones(n))
    assert (b.value_low, b.value_high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert (b.f1_low, b.f1_high) == pytest.approx(tuple(np.percentile(f1s, [2.5, 97.5])))
    # without weights the same candidates: the in-bag weights drawn per cell of (group, label)
    inbag, _ = cell_replicates(np.bincount(group * 2 + y, minlength=2 * (int(group.max()) + 1)).reshape(-1, 2),
                               reps, seed)
    values, f1s = [], []
    for c in inbag.astype(np.float64):  # c: (groups, 2): the replicate's weight per group and label
        tp, pp = np.cumsum(c[::-1, 1])[::-1], np.cumsum(c.sum(axis=1)[::-1])[::-1]
        held = c.sum(axis=1) > 0
        f = np.where(held, 2 * tp / (pp + c[:, 1].sum()), -1.0)
        best = np.flatnonzero(f >= f.max() - 1e-12)
        values.append(lows[best].max())
        f1s.append(f.max())
    u = bootstrap_threshold(y, s, reps=reps, seed=seed)
    assert (u.value_low, u.value_high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert (u.f1_low, u.f1_high) == pytest.approx(tuple(np.percentile(f1s, [2.5, 97.5])))
    # the cv threshold itself stays exact (any score), only the replicates use the groups
    assert threshold_search(y, s, bootstrap=0).value in s


def test_auto_draws_at_least_twenty_replicates_on_any_size():
    from diagnose.thresholds import BOOTSTRAP_BUDGET, MIN_BOOTSTRAP_REPS, bootstrap_reps

    assert bootstrap_reps(1000, weighted=True) == 200
    assert bootstrap_reps(10_000_000, weighted=True) == MIN_BOOTSTRAP_REPS
    assert bootstrap_reps(BOOTSTRAP_BUDGET // 50, weighted=True) == 50 and bootstrap_reps(10**10, 3) == 3
    assert bootstrap_reps(10**10) == 200  # unweighted: a replicate's cost does not grow with the rows


def test_cell_draws_have_the_joint_law_of_per_row_poisson_weights():
    # oracle: scipy's laws. n rows of iid Poisson(1) weights: the out-of-bag rows are
    # Binomial(n, e**-1); the in-bag weight is Poisson(n) (the cap at 12 moves it by 1e-10);
    # their covariance is -n e**-1 (E[w 1{w = 0}] = 0), a correlation of -sqrt(e**-1 / (1 - e**-1));
    # independent cells are uncorrelated
    n, reps = 40, 20_000
    inbag, oob = cell_replicates(np.array([n, n]), reps, seed=21)
    a, z = inbag[:, 0], oob[:, 0]
    assert stats.chisquare(*_binned(z, stats.binom(n, np.exp(-1.0)))).pvalue > 1e-4
    assert stats.chisquare(*_binned(a, stats.poisson(n))).pvalue > 1e-4
    rho = -np.sqrt(np.exp(-1.0) / (1 - np.exp(-1.0)))
    assert abs(np.corrcoef(a, z)[0, 1] - rho) < 5 * (1 - rho**2) / np.sqrt(reps)  # five standard errors
    assert abs(np.corrcoef(a, inbag[:, 1])[0, 1]) < 5 / np.sqrt(reps)
    # the same seed and replicate: the same draws; another seed: others
    assert np.array_equal(cell_replicates(np.array([n, n]), 3, seed=21)[0], inbag[:3])
    assert not np.array_equal(cell_replicates(np.array([n, n]), 3, seed=22)[0], inbag[:3])


def _binned(x, law):
    """Observed and expected counts of ``x`` under ``law`` over bins of expected count >= 5."""
    k = np.arange(x.max() + 2)
    p = law.pmf(k)
    p[0] += law.cdf(-1)
    p[-1] += law.sf(k[-1])
    keep = np.cumsum(p) * len(x)  # merge bins from the left until each holds >= 5 expected
    edges = [0]
    for i in range(1, len(k)):
        if (keep[i - 1] - (keep[edges[-1] - 1] if edges[-1] else 0)) >= 5 and len(x) * p[i:].sum() >= 5:
            edges.append(i)
    bins = np.searchsorted(edges, np.minimum(x, k[-1]), side="right") - 1
    observed = np.bincount(bins, minlength=len(edges))
    expected = np.add.reduceat(p, edges) * len(x)
    return observed, expected * observed.sum() / expected.sum()


def test_cell_draws_are_pinned_by_value():
    # poisson-cells-v1 is numpy's PCG64 + Generator.multinomial: should a numpy release change
    # that stream, this fails here, by name, instead of moving the figures of every report
    inbag, oob = cell_replicates(np.array([[7, 3], [1000, 0]]), 2, seed=0)
    assert inbag.tolist() == [[[7, 4], [975, 0]], [[11, 3], [1065, 0]]]
    assert oob.tolist() == [[[3, 0], [379, 0]], [[1, 0], [352, 0]]]
    # any integer seed, numpy's too, negative ones reduced mod 2**64
    assert cell_replicates(np.array([5]), 1, seed=np.int64(-5))[0].tolist() == cell_replicates(
        np.array([5]), 1, seed=2**64 - 5)[0].tolist()
