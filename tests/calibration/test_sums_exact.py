"""The calibration sums computed block by block, against plain whole-array computations: the
bin sums equal (bit for bit) those of one ``np.bincount`` over every row on a binary search of
the edges (the previous implementation, kept here as the oracle); the Brier and Spiegelhalter
sums equal the whole-array dot products to 1e-12 of the sum of their terms' sizes; the
slope's sample equals (bit for bit) the brute-force bottom-k: ``np.unique`` of every score, the
k smallest keys, ``np.bincount`` of their rows and weights. Inputs with ties, scores on and
next to the edges, 0 and 1, weights with zeros, empty and tiny chunks, block boundaries, and
each path of the sample (one prefilter, a wider one, every row) counted."""
from __future__ import annotations

import numpy as np
import pytest

from diagnose.calibration import CalibrationSums, _bins, _slope, _sums
from diagnose.ingest import Predictions, mix64


def oracle_bin_sums(s, y, w, edges):
    """The previous ``bin_sums``: a binary search of the edges, then ``np.bincount`` of each product."""
    nb = len(edges) - 1
    idx = np.searchsorted(edges[1:-1], s, side="right")
    resid = y - s
    rows = np.bincount(idx, minlength=nb).astype(np.float64)
    if w is None:
        return np.stack([rows, rows, np.bincount(idx, s, nb), np.bincount(idx, y, nb), rows,
                         np.bincount(idx, resid * resid, nb), np.bincount(idx, resid, nb)])
    w2 = w * w
    return np.stack([rows, np.bincount(idx, w, nb), np.bincount(idx, w * s, nb), np.bincount(idx, w * y, nb),
                     np.bincount(idx, w2, nb), np.bincount(idx, w2 * resid * resid, nb),
                     np.bincount(idx, w2 * resid, nb)])


def oracle_dots(s, y, w):
    """The previous Brier and Spiegelhalter sums (whole arrays), and the sums of their terms' sizes."""
    w = np.ones(len(s)) if w is None else w
    resid, a = y - s, 1.0 - 2.0 * s
    terms = [w * resid * resid, w * resid * a, w * w * a * a * s * (1.0 - s)]
    return [float(t.sum()) for t in terms], [float(np.abs(t).sum()) for t in terms]


def oracle_sample(s, y, w, seed, k):
    """The bottom-k sample by brute force: every distinct score, its key, the k smallest."""
    scores, codes = np.unique(s + 0.0, return_inverse=True)
    keys = mix64((scores + 0.0).view(np.uint64) ^ mix64(np.array([seed % 2**64], np.uint64))[0])
    pick = np.argsort(keys)[:k]
    n = len(scores)
    if w is None:
        rows = np.bincount(codes, minlength=n) * 1.0
        ones = np.bincount(codes, y, n)
        return keys[pick], scores[pick], rows[pick], (rows - ones)[pick], ones[pick]
    ones_w = w * y
    return (keys[pick], scores[pick], (np.bincount(codes, minlength=n) * 1.0)[pick],
            np.bincount(codes, w - ones_w, n)[pick], np.bincount(codes, ones_w, n)[pick])


def scores_of(kind: str, rng: np.random.Generator, n: int, nb: int) -> np.ndarray:
    edges = np.linspace(0, 1, nb + 1)
    if kind == "uniform":
        return rng.random(n)
    if kind == "ties":
        return np.round(rng.random(n), 2)
    if kind == "edges":  # on the edges, a unit in the last place either side, 0 and 1, and -0.0
        pool = np.r_[edges, np.nextafter(edges, 2).clip(0, 1), np.nextafter(edges, -1).clip(0, 1), -0.0]
        s = rng.random(n)
        at = rng.random(n) < 0.3
        s[at] = rng.choice(pool, int(at.sum()))
        return s
    return rng.integers(0, 2, n).astype(np.float64)  # hard scores: mostly on the outer edges


def weights_of(rng: np.random.Generator, n: int, weighted: bool) -> np.ndarray | None:
    if not weighted:
        return None
    w = rng.uniform(0, 3, n)
    w[rng.random(n) < 0.2] = 0.0
    return w


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_bins, "BLOCK", 64)  # many blocks on small arrays: the sums carried from block to block
    monkeypatch.setattr(_sums, "BLOCK", 64)


@pytest.mark.parametrize("kind", ["uniform", "ties", "edges", "hard"])
@pytest.mark.parametrize("nb", [1, 2, 10, 15, 100])
@pytest.mark.parametrize("weighted", [False, True])
def test_bin_sums_are_those_of_one_bincount_over_a_binary_search(kind, nb, weighted, small_blocks):
    rng = np.random.default_rng(nb * 7 + weighted)
    for n in (0, 1, 63, 64, 65, 1000):
        s = scores_of(kind, rng, n, nb)
        y = (rng.random(n) < s).astype(np.float64)
        w = weights_of(rng, n, weighted)
        edges = np.linspace(0, 1, nb + 1)
        want = oracle_bin_sums(s, y, w, edges)
        assert np.array_equal(_bins.bin_sums(s, y, w, edges), want)  # bit for bit
        assert _bins.assign(s, edges).tolist() == np.searchsorted(edges[1:-1], s, side="right").tolist()
        if not n:
            continue
        quantile = _bins.bin_edges(s, nb, "quantile")  # not uniform: the binary search itself
        assert np.array_equal(_bins.bin_sums(s, y, w, quantile), oracle_bin_sums(s, y, w, quantile))


def test_bin_sums_on_full_blocks_and_a_ragged_end():
    rng = np.random.default_rng(2)
    n = 3 * _bins.BLOCK + 5
    s = scores_of("edges", rng, n, 15)
    y = (rng.random(n) < s).astype(np.float64)
    edges = np.linspace(0, 1, 16)
    for w in (None, weights_of(rng, n, True)):
        assert np.array_equal(_bins.bin_sums(s, y, w, edges), oracle_bin_sums(s, y, w, edges))


def check_problem(got: _sums.ProblemSums, s, y, w, edges, seed, k):
    assert np.array_equal(got.bins, oracle_bin_sums(s, y, w, edges))
    sums, sizes = oracle_dots(s, y, w)
    for value, want, size in zip([got.brier, *got.spiegelhalter], sums, sizes):
        assert abs(value - want) <= 1e-12 * size, (value, want)
    for field, want in zip(("key", "score", "rows", "weight0", "weight1"), oracle_sample(s, y, w, seed, k)):
        assert np.array_equal(getattr(got.sample, field), want), field


@pytest.mark.parametrize("kind", ["uniform", "ties", "edges", "hard"])
@pytest.mark.parametrize("weighted", [False, True])
def test_problem_sums_match_the_whole_array_computations(kind, weighted, small_blocks, monkeypatch):
    monkeypatch.setattr(_slope, "SLOPE_SCORES", 40)
    rng = np.random.default_rng(len(kind) + 10 * weighted)
    for n in (0, 1, 2, 49, 50, 51, 64, 65, 300, 5000):
        s = scores_of(kind, rng, n, 15)
        y = (rng.random(n) < s).astype(np.float64)
        w = weights_of(rng, n, weighted)
        edges = np.linspace(0, 1, 16)
        check_problem(_sums.ProblemSums.of(s, y, w, edges, n % 5), s, y, w, edges, n % 5, 40)
        sample = _slope.SlopeSample.of(s, y, w, n % 5)
        assert np.array_equal(sample.key, oracle_sample(s, y, w, n % 5, 40)[0])


def count_calls(monkeypatch, owner, name) -> list[int]:
    calls = [0]
    inner = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case, distinct, wider, every_row", [
    ("distinct scores: the first prefilter", None, 0, 0),
    ("a few ties, more than k scores below the cut", 2_000_000, 0, 0),
    ("many ties: a wider cut from the first one's density", 30_000, 1, 0),
    ("fewer distinct scores than k: every row", 500, 0, 1),
])
def test_each_path_of_the_slope_sample_is_the_brute_force_bottom_k(case, distinct, wider, every_row, weighted,
                                                                    monkeypatch):
    k = 1000
    monkeypatch.setattr(_slope, "SLOPE_SCORES", k)
    below = count_calls(monkeypatch, _slope.Hits, "of")
    every = count_calls(monkeypatch, _slope.SlopeSample, "_of_all")
    rng = np.random.default_rng(distinct or 1)
    n = 100_000
    s = rng.random(n) if distinct is None else rng.integers(0, distinct, n) / distinct
    s[:5] = -0.0  # -0.0 counts as 0.0
    y = (rng.random(n) < s).astype(np.float64)
    w = weights_of(rng, n, weighted)
    edges = np.linspace(0, 1, 11)
    check_problem(_sums.ProblemSums.of(s, y, w, edges, 3), s, y, w, edges, 3, k)
    assert (below[0], every[0]) == (wider, every_row), case


def test_the_big_chunk_paths_with_the_real_k():
    # SLOPE_SCORES = 50,000 on 400,000 rows: distinct scores, 6 decimals (a wider cut), 4 decimals (every row)
    rng = np.random.default_rng(9)
    n = 400_000
    for decimals in (None, 6, 4):
        s = rng.random(n) if decimals is None else np.round(rng.random(n), decimals)
        y = (rng.random(n) < s).astype(np.float64)
        w = rng.choice([0.0, 0.5, 1.0, 3.0], n)
        for weights in (None, w):
            got = _slope.SlopeSample.of(s, y, weights, 4)
            for field, want in zip(("key", "score", "rows", "weight0", "weight1"),
                                   oracle_sample(s, y, weights, 4, _slope.SLOPE_SCORES)):
                assert np.array_equal(getattr(got, field), want), (decimals, field)


def test_the_merged_samples_of_chunks_are_the_bottom_k_of_the_whole(monkeypatch):
    monkeypatch.setattr(_slope, "SLOPE_SCORES", 300)
    rng = np.random.default_rng(4)
    n = 20_000
    s = np.round(rng.random(n), 4)  # ties across chunks
    y = (rng.random(n) < s).astype(np.float64)
    w = rng.choice([0.0, 1.0, 2.0], n)
    cuts = [0, 1, 2, 700, 9000, 9001, n]
    parts = [_slope.SlopeSample.of(s[a:b], y[a:b], w[a:b], 6) for a, b in zip(cuts[:-1], cuts[1:])]
    merged = parts[0]
    for p in parts[1:]:
        merged = p.merge(merged)
    key, score, rows, w0, w1 = oracle_sample(s, y, w, 6, 300)
    assert np.array_equal(merged.key, key) and np.array_equal(merged.score, score)
    assert np.array_equal(merged.rows, rows)
    np.testing.assert_allclose(merged.weight0, w0, rtol=1e-12)  # chunks' sums added: a rounding apart
    np.testing.assert_allclose(merged.weight1, w1, rtol=1e-12)


def test_key_order_is_a_stable_argsort():
    rng = np.random.default_rng(5)
    top = rng.integers(0, 2**20, 5000, dtype=np.uint64) << np.uint64(40)
    for keys in (rng.integers(0, 2**64 - 1, 10_000, dtype=np.uint64, endpoint=True),
                 rng.integers(0, 2**60, 70_000, dtype=np.uint64),
                 rng.integers(0, 50, 9000).astype(np.uint64),  # ties, and keys of few bits
                 np.r_[top, top + rng.integers(0, 2**8, 5000, dtype=np.uint64)],  # equal on the sorted 32 bits
                 np.zeros(0, np.uint64), np.array([3, 1], np.uint64)):
        assert _slope.key_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@pytest.mark.parametrize("classes", [3, 40])
def test_the_top_label_is_max_and_argmax(classes):
    rng = np.random.default_rng(classes)
    p = np.round(rng.dirichlet(np.ones(classes), 3000), 1)  # rounded: ties for the top
    p[:10] = 1.0 / classes
    y = rng.integers(0, classes, 3000)
    top, hit = _sums.problems_of("multiclass", y, p)[0]
    assert np.array_equal(top, p.max(axis=1))
    assert np.array_equal(hit, (p.argmax(axis=1) == y).astype(np.float64))


@pytest.mark.parametrize("weighted", [False, True])
def test_pooled_multilabel_bins_are_the_cells_bin_sums(weighted):
    rng = np.random.default_rng(7)
    n = 5000
    s = np.round(rng.random((n, 3)), 3)
    y = (rng.random((n, 3)) < s).astype(np.int8)
    w = weights_of(rng, n, weighted)
    pred = Predictions("multilabel", y, s, weight=w, classes=("a", "b", "c"))
    cells = s.T.ravel()
    for strategy in ("uniform", "quantile"):
        got = CalibrationSums.of(pred, bins=10, strategy=strategy)
        want = oracle_bin_sums(cells, y.T.ravel().astype(np.float64), None if w is None else np.tile(w, 3),
                               got.pooled_edges)
        assert got.pooled is not None
        np.testing.assert_allclose(got.pooled, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
        if strategy == "quantile":
            assert np.array_equal(got.pooled, want)  # its own edges: the cells' scan itself
