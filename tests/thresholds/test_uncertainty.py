"""Honest uncertainty of a chosen threshold: the out-of-bag F1 (what the rule achieves on
unseen data), its optimism, the Wilson intervals of the test figures, and their coverage
in a small seeded simulation (the full one is benchmarks/uncertainty_threshold.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score, precision_score, recall_score

from diagnose.ingest import load_predictions
from diagnose.metrics import wilson_interval
from diagnose.thresholds import bootstrap_threshold, heldout_interval, metrics_at, threshold_search

from .helpers import cell_resamples, poisson_resamples, sk_best, tied_data

POS, NEG = (4.0, 2.0), (2.0, 4.0)  # scores of positives ~ Beta(4, 2), of negatives ~ Beta(2, 4)


def draw(rng, n, prevalence):
    y = (rng.random(n) < prevalence).astype(np.int8)
    return y, np.where(y == 1, rng.beta(*POS, n), rng.beta(*NEG, n))


def true_f1(t, prevalence):
    """The exact F1 on the population when score >= t is positive."""
    tp = prevalence * stats.beta.sf(t, *POS)
    pp = tp + (1 - prevalence) * stats.beta.sf(t, *NEG)
    return 2 * tp / (pp + prevalence)


def resample(y, s, seed, reps, weighted=False):
    """The bootstrap's replicates as explicit resamples of row indices (Poisson(1) counts):
    per row from its hash with weights, per (score, label) cell without."""
    return poisson_resamples(len(s), seed, reps) if weighted else cell_resamples(y, s, seed, reps)


@pytest.mark.parametrize("weighted", [False, True])
def test_out_of_bag_figures_of_one_resample_equal_a_direct_computation(rng, weighted):
    y, s = tied_data(rng, 300, decimals=2)
    w = rng.integers(1, 5, 300) / 2.0 if weighted else None
    ones = np.ones(300) if w is None else w
    b = bootstrap_threshold(y, s, sample_weight=w, reps=1, seed=5)
    (drawn,) = resample(y, s, 5, 1, weighted)
    # oracle: the rule on the drawn rows (scikit-learn's curve), judged on the rows never drawn
    t, _ = sk_best(y[drawn], s[drawn], w=ones[drawn])
    out = np.bincount(drawn, minlength=300) == 0
    hit, kw = s[out] >= t, dict(sample_weight=ones[out])
    assert b.oob_reps == 1
    assert b.oob_f1 == pytest.approx(f1_score(y[out], hit, **kw))
    assert b.oob_precision == pytest.approx(precision_score(y[out], hit, **kw))
    assert b.oob_recall == pytest.approx(recall_score(y[out], hit, **kw))
    assert b.oob_f1_low == pytest.approx(b.oob_f1) and b.oob_f1_high == pytest.approx(b.oob_f1)
    cv_f1 = threshold_search(y, s, weight_cv=w, bootstrap=0).cv.f1
    assert b.optimism == pytest.approx(cv_f1 - b.oob_f1)


def test_out_of_bag_pools_counts_and_takes_percentiles_over_resamples(rng):
    y, s = tied_data(rng, 300, decimals=2)
    b = bootstrap_threshold(y, s, rule="cost:fp=1,fn=3", reps=8, seed=2)
    counts, f1s, costs = np.zeros(4), [], []
    for drawn in resample(y, s, 2, 8):
        out = np.bincount(drawn, minlength=300) == 0
        idx = np.flatnonzero(out)
        from diagnose.thresholds import best_threshold
        hit = s[idx] >= best_threshold(y[drawn], s[drawn], rule="cost:fp=1,fn=3")
        yy = y[idx] == 1
        tp, fp, fn = np.sum(hit & yy), np.sum(hit & ~yy), np.sum(~hit & yy)
        counts += (tp, fp, fn, len(idx))
        f1s.append(2 * tp / (2 * tp + fp + fn))
        costs.append((fp + 3 * fn) / len(idx))
    tp, fp, fn, rows = counts
    assert b.oob_reps == 8
    assert b.oob_f1 == pytest.approx(2 * tp / (2 * tp + fp + fn))  # pooled, not the mean of the eight
    assert (b.oob_f1_low, b.oob_f1_high) == pytest.approx(tuple(np.percentile(f1s, [2.5, 97.5])))
    assert b.oob_cost == pytest.approx((fp + 3 * fn) / rows)
    assert (b.oob_cost_low, b.oob_cost_high) == pytest.approx(tuple(np.percentile(costs, [2.5, 97.5])))


def test_out_of_bag_interval_covers_the_true_f1_and_the_in_sample_one_does_not():
    # acceptance of the issue (>= 92% at cv >= 300 rows, checked with 1,000 sets per setting
    # in the benchmark); here 200 sets of 300 rows and 50 resamples
    rng, prevalence, hits, old = np.random.default_rng(2024), 0.2, [], []
    for k in range(200):
        y, s = draw(rng, 300, prevalence)
        r = threshold_search(y, s, bootstrap=50, seed=k)
        truth, b = true_f1(r.value, prevalence), r.bootstrap
        hits.append(b.oob_f1_low <= truth <= b.oob_f1_high)
        old.append(b.f1_low <= truth <= b.f1_high)
    assert np.mean(hits) >= 0.88
    assert np.mean(old) < np.mean(hits) - 0.1  # the in-sample interval is not one for unseen data


def test_cv_f1_is_optimistic_at_small_n_and_the_optimism_says_by_about_how_much():
    rng, prevalence, reported, real = np.random.default_rng(7), 0.2, [], []
    for k in range(120):
        y, s = draw(rng, 100, prevalence)
        r = threshold_search(y, s, bootstrap=50, seed=k)
        reported.append(r.bootstrap.optimism)
        real.append(r.cv.f1 - true_f1(r.value, prevalence))
    assert np.mean(reported) > 0.02 and np.mean(real) > 0.02
    assert abs(np.mean(reported) - np.mean(real)) < 0.04


def test_no_positive_out_of_the_bag_gives_no_out_of_bag_figure():
    # one positive in 20 rows: every resample that can choose holds it, so none has it out of the bag
    y = np.zeros(20, np.int8)
    y[5] = 1
    s = np.linspace(0.01, 0.99, 20)
    r = threshold_search(y, s, bootstrap=50, seed=0)
    b = r.bootstrap
    assert b.failed < 50 and b.oob_reps == 0 and np.isnan(b.oob_f1) and np.isnan(b.optimism)
    d = b.to_dict()
    assert d["oob_f1"] is None and d["oob_f1_low"] is None and d["optimism"] is None
    assert "out-of-bag" not in r.to_text()


def test_heldout_interval_is_wilsons_with_f1_through_the_jaccard_index(rng):
    y, s = tied_data(rng, 400)
    t = 0.5
    b = heldout_interval(y, s, t)
    m = metrics_at(y, s, t)
    fp, fn = m.pp - m.tp, m.positives - m.tp
    assert (b.precision_low, b.precision_high) == pytest.approx(wilson_interval(m.precision, m.pp))
    assert (b.recall_low, b.recall_high) == pytest.approx(wilson_interval(m.recall, m.positives))
    jlo, jhi = wilson_interval(m.tp / (m.tp + fp + fn), m.tp + fp + fn)
    assert (b.f1_low, b.f1_high) == pytest.approx((2 * jlo / (1 + jlo), 2 * jhi / (1 + jhi)))
    assert b.f1_low < m.f1 < b.f1_high
    # weights: the weighted share with Kish's effective rows; a constant weight changes nothing
    assert heldout_interval(y, s, t, sample_weight=np.full(400, 3.0)) == b
    assert heldout_interval(y, s, float("nan")) is None and heldout_interval([], [], t) is None


def test_heldout_interval_covers_the_true_f1_of_a_fixed_threshold():
    rng, prevalence, t = np.random.default_rng(11), 0.1, 0.6
    truth, hits = true_f1(t, prevalence), []
    for _ in range(400):
        y, s = draw(rng, 300, prevalence)  # about 30 positives
        b = heldout_interval(y, s, t)
        hits.append(b.f1_low <= truth <= b.f1_high)
    assert np.mean(hits) >= 0.92


def test_heldout_interval_of_the_cost_is_a_normal_interval_of_the_per_row_cost(rng):
    y, s = tied_data(rng, 500)
    rule = "cost:fp=1,fn=4,tp=0.5"
    r = threshold_search(y, s, y_test=y, score_test=s, rule=rule, bootstrap=0)
    hit, pos = s >= r.value, y == 1
    cost = np.where(hit & pos, -0.5, np.where(hit, 1.0, np.where(pos, 4.0, 0.0)))
    half = 1.959963984540054 * cost.std(ddof=1) / np.sqrt(500)
    ti = r.test_interval
    assert cost.mean() == pytest.approx(r.cost.test)
    assert (ti.cost_low, ti.cost_high) == pytest.approx((cost.mean() - half, cost.mean() + half))
    # weights: around the weighted mean (its variance is the metrics package's); a constant weight changes nothing
    w = rng.uniform(0.5, 2.0, 500)
    weighted = threshold_search(y, s, y_test=y, score_test=s, weight_test=w, rule=rule, bootstrap=0)
    assert weighted.test_interval.cost_low < weighted.cost.test < weighted.test_interval.cost_high
    same = threshold_search(y, s, y_test=y, score_test=s, weight_test=np.full(500, 2.0), rule=rule, bootstrap=0)
    assert (same.test_interval.cost_low, same.test_interval.cost_high) == pytest.approx((ti.cost_low, ti.cost_high))


def test_json_keys_and_text_lead_with_the_honest_figures(rng):
    y, s = tied_data(rng, 400)
    yt, st = tied_data(rng, 400)
    r = threshold_search(y, s, y_test=yt, score_test=st, rule="precision>=0.5", bootstrap=40)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert set(d["bootstrap"]) == {
        "reps", "seed", "sampling", "value_low", "value_high", "f1_low", "f1_high", "failed", "note", "oob_reps",
        "oob_f1", "oob_f1_low", "oob_f1_high", "optimism", "oob_precision", "oob_precision_low", "oob_precision_high",
        "oob_recall", "oob_recall_low", "oob_recall_high"}
    assert set(d["test_interval"]) == {"f1_low", "f1_high", "precision_low", "precision_high", "recall_low",
                                       "recall_high"}
    b = r.bootstrap
    assert b.oob_f1_low <= b.oob_f1 <= b.oob_f1_high and b.oob_precision_low <= b.oob_precision_high
    text = r.to_text()
    unseen = f"F1 on unseen data (out-of-bag): {b.oob_f1:.4g} [{b.oob_f1_low:.4g}, {b.oob_f1_high:.4g}]; cv F1 "
    assert unseen in text
    assert "precision on unseen data (out-of-bag): " in text
    ti = r.test_interval
    assert f"F1 on test at this threshold: {r.test.f1:.4g} [{ti.f1_low:.4g}, {ti.f1_high:.4g}], precision " in text
    # the honest line comes before the in-sample interval, which is named as such
    assert text.index("out-of-bag") < text.index("in-sample bootstrap of the cv F1")
    # without test: no interval key; the in-sample keys keep their meaning
    alone = threshold_search(y, s, rule="precision>=0.5", bootstrap=40).to_dict()
    assert "test_interval" not in alone and alone["bootstrap"]["f1_low"] == d["bootstrap"]["f1_low"]


def test_a_failed_bootstrap_has_null_out_of_bag_keys():
    y = np.zeros(600, np.int8)  # no positive row: no replicate can choose
    b = bootstrap_threshold(y, np.linspace(0, 1, 600), rule="cost:fp=1,fn=2", reps=20)
    d = json.loads(json.dumps(b.to_dict(), allow_nan=False))
    assert d["reps"] == 20 and d["failed"] == 20 and d["oob_f1"] is None and d["oob_cost"] is None
    assert d["oob_reps"] == 0 and d["sampling"] == "poisson-cells-v1"


def test_multilabel_gives_each_label_its_out_of_bag_and_test_lines(sample_dir):
    cv = load_predictions(sample_dir / "multilabel" / "cv.csv", split="cv")
    test = load_predictions(sample_dir / "multilabel" / "test.csv", split="test")
    from diagnose.thresholds import choose_threshold

    r = choose_threshold(cv, test, bootstrap=20)
    text = r.to_markdown()
    for name, label in r.labels.items():
        assert label.test_interval is not None
        assert f"{name}: F1 on test at this threshold: {label.test.f1:.4g} [" in text
        if label.bootstrap.oob_reps:
            assert f"{name}: F1 on unseen data (out-of-bag): {label.bootstrap.oob_f1:.4g} [" in text
    assert "test_interval" not in r.to_dict()  # no interval of the micro averages
