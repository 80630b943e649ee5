"""Merged statistics give split_error's figures: a property test over random data, weights,
ties and every task and metric, against diagnose.metrics.split_error on the whole arrays."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.ingest import Predictions
from diagnose.metrics import Moments, metrics_for, split_error
from diagnose.stats import SplitStats, trivial_fit

TASKS = ("binary", "multiclass", "multilabel", "regression")


def draw(task: str, n: int, seed: int, weights: str, ties: bool) -> Predictions:
    rng = np.random.default_rng(seed)
    if weights == "none":
        w = None
    elif weights == "strata":  # class-like weights with a few values, some rows at 0
        w = rng.choice([0.0, 0.5, 2.0, 9.0], n)
        w[0] = 1.0
    else:
        w = rng.exponential(1.0, n) * 10.0 ** rng.uniform(-3, 3)
    def score(shape):
        s = rng.random(shape)
        return np.round(s, 1) if ties else s
    if task == "binary":
        return Predictions(task, rng.integers(0, 2, n).astype(np.int8), y_score=score(n), weight=w)
    if task == "multiclass":
        p = score((n, 3)) + 0.01
        return Predictions(task, rng.integers(0, 3, n), y_score=p / p.sum(axis=1, keepdims=True),
                           classes=("a", "b", "c"), weight=w)
    if task == "multilabel":
        return Predictions(task, rng.integers(0, 2, (n, 2)).astype(np.int8), y_score=score((n, 2)),
                           classes=("x", "y"), weight=w)
    y = rng.normal(0, 3, n) * 10.0 ** rng.uniform(-2, 2)
    pred = np.round(y, 0) if ties else y + rng.standard_t(3, n)
    return Predictions(task, y, y_pred=pred, weight=w)


def chunks(pred: Predictions, cuts: list[int]) -> list[Predictions]:
    from dataclasses import replace

    edges = [0, *sorted(set(c % pred.n for c in cuts)), pred.n]
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            pick = slice(a, b)
            out.append(replace(pred, y_true=pred.y_true[pick],
                               y_score=None if pred.y_score is None else pred.y_score[pick],
                               y_pred=None if pred.y_pred is None else pred.y_pred[pick],
                               weight=None if pred.weight is None else pred.weight[pick]))
    return out


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) or (math.isnan(a) and math.isnan(b))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(task=st.sampled_from(TASKS), n=st.integers(2, 400), seed=st.integers(0, 2**32 - 1),
       weights=st.sampled_from(["none", "strata", "continuous"]), ties=st.booleans(),
       cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_merged_statistics_finalize_to_split_error(task, n, seed, weights, ties, cuts):
    pred = draw(task, n, seed, weights, ties)
    for name in metrics_for(task):
        parts = [SplitStats.of(chunk, name) for chunk in chunks(pred, cuts)]
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        got, want = merged.error("cv"), split_error(pred, name, split="cv")
        assert got.n == want.n
        for field in ("error", "ci_low", "ci_high", "se", "loss_variance", "n_effective"):
            assert close(getattr(got, field), getattr(want, field)), (name, field, getattr(got, field),
                                                                      getattr(want, field))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(task=st.sampled_from(TASKS), seed=st.integers(0, 2**32 - 1), weights=st.sampled_from(["none", "strata"]),
       cuts=st.lists(st.integers(0, 10_000), max_size=4))
def test_the_trivial_model_from_label_sums_is_the_trivial_model_of_train(task, seed, weights, cuts):
    from diagnose.metrics import trivial_predictions

    train, cv = draw(task, 120, seed, weights, False), draw(task, 80, seed + 1, weights, False)
    for name in metrics_for(task):
        parts = [SplitStats.of(chunk, name) for chunk in chunks(train, cuts)]
        stats = parts[0]
        for part in parts[1:]:
            stats = stats.merge(part)
        fit = trivial_fit(stats)
        streamed = [SplitStats.of(chunk, name, fit) for chunk in chunks(cv, cuts)]
        cv_stats = streamed[0]
        for part in streamed[1:]:
            cv_stats = cv_stats.merge(part)
        want = split_error(trivial_predictions(train, cv), name).error
        assert close(cv_stats.trivial_error(), want)


def test_moments_survive_tiny_and_huge_scales():
    # fourth powers of 1e-61 deviations underflow, of 1e80 ones overflow: the units keep both
    for scale in (1e-61, 1.0, 1e80):
        x = np.array([0.0, 1.0, 3.0, 0.5, 2.0]) * scale
        whole = Moments.of(x)
        merged = Moments.of(x[:2]).merge(Moments.of(x[2:]))
        assert merged.parts() == pytest.approx(whole.parts(), rel=1e-12)
        skew = whole.parts()[3]
        d = x / scale - (x / scale).mean()
        assert skew == pytest.approx(math.sqrt(5) * np.sum(d ** 3) / np.sum(d ** 2) ** 1.5, rel=1e-12)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(task=st.sampled_from(TASKS[:3]), n=st.integers(2, 300), seed=st.integers(0, 2**32 - 1),
       weights=st.sampled_from(["none", "equal", "strata", "continuous"]), ties=st.booleans(),
       cuts=st.lists(st.integers(0, 10_000), max_size=5))
def test_the_merged_agreement_gives_the_memory_skew_section(task, n, seed, weights, ties, cuts):
    from dataclasses import replace

    from diagnose.bias_variance import skew
    from diagnose.bias_variance._streamed import streamed_skew

    train = draw(task, n, seed, "none" if weights == "equal" else weights, ties)
    cv = draw(task, n + 7, seed + 1, "none" if weights == "equal" else weights, ties)
    if weights == "equal":  # equal weights carry no information: McNemar all the same
        train, cv = replace(train, weight=np.full(train.n, 3.0)), replace(cv, weight=np.full(cv.n, 3.0))

    def merged(pred, fit=None):
        parts = [SplitStats.of(chunk, "error_rate", fit) for chunk in chunks(pred, cuts)]
        out = parts[0]
        for part in parts[1:]:
            out = out.merge(part)
        return out

    train_stats = merged(train)
    got = streamed_skew(train_stats, merged(cv, trivial_fit(train_stats)), 0.1).to_dict()
    want = skew(train, cv, limit=0.1).to_dict()
    for key, value in want.items():
        if isinstance(value, float):
            assert close(got[key], value), (key, got[key], value)
        else:
            assert got[key] == value, key
