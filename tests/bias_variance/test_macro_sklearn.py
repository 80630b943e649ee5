"""Macro (and weighted) averages equal scikit-learn's, zero-weight classes included: scikit-learn
averages over the classes present in y_true or y_pred on any row, weight 0 or not (multi-label:
over every label), a class seen only on rows of weight 0 counting with precision, recall and F1 0."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from diagnose.bias_variance import class_table, split_classification
from diagnose.ingest import Predictions


def sklearn_average(y, d, w, average):
    p, r, f, _ = precision_recall_fscore_support(y, d, average=average, sample_weight=w, zero_division=0)
    return {"precision": p, "recall": r, "f1": f}


def test_the_textbook_case_of_a_zero_weight_class():
    # classes a and b have F1 2/3 each; c is only on a row of weight 0: scikit-learn counts it as 0
    y = np.array([0, 0, 0, 1, 1, 1, 2])
    d = np.array([0, 0, 1, 1, 1, 0, 2])
    w = np.array([1, 1, 1, 1, 1, 1, 0.0])
    p = Predictions("multiclass", y, y_pred=d, classes=("a", "b", "c"), weight=w)
    m = split_classification(p)
    assert m.f1 == pytest.approx(4 / 9) and round(m.f1, 3) == 0.444
    assert m.f1 == pytest.approx(sklearn_average(y, d, w, "macro")["f1"])
    assert class_table(p).to_dict()["macro"]["f1"] == pytest.approx(4 / 9)
    # without the weights c is a perfect class
    assert split_classification(Predictions("multiclass", y, y_pred=d, classes=("a", "b", "c"))).f1 == \
        pytest.approx(sklearn_average(y, d, None, "macro")["f1"]) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def _check(p, y, d, w):
    t = class_table(p)
    for average in ("macro", "weighted"):
        ours, theirs = t.average(average), sklearn_average(y, d, w, average)
        for key in ("precision", "recall", "f1"):
            assert ours[key] == pytest.approx(theirs[key], abs=1e-12), (average, key)
    m = split_classification(p)
    macro = sklearn_average(y, d, w, "macro")
    assert (m.precision, m.recall, m.f1) == pytest.approx((macro["precision"], macro["recall"], macro["f1"]))


@pytest.mark.parametrize("seed", range(20))
def test_random_multiclass_with_zero_weight_only_classes_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    k, n = 6, int(rng.integers(20, 200))
    y = rng.integers(0, 4, n)  # classes 4 and 5 appear only where placed below
    d = np.where(rng.random(n) < 0.6, y, rng.integers(0, 4, n))
    w = rng.random(n) * 3
    w[rng.random(n) < 0.2] = 0.0
    rows = rng.choice(n, 3, replace=False)
    y[rows[0]] = 4  # class 4: true only on a row of weight 0
    d[rows[1]] = 5  # class 5: predicted only on a row of weight 0
    w[rows[:2]] = 0.0
    if seed % 2:
        y[y == 3], d[d == 3] = 0, 0  # a class in neither: left out, as scikit-learn does
    names = tuple("abcdef")[:k]
    for weight in (w, None):
        _check(Predictions("multiclass", y, y_pred=d, classes=names, weight=weight), y, d, weight)


@pytest.mark.parametrize("seed", range(10))
def test_random_multilabel_with_zero_weight_only_labels_matches_sklearn(seed):
    rng = np.random.default_rng(100 + seed)
    n, k = int(rng.integers(20, 200)), 5
    y = (rng.random((n, k)) < 0.3).astype(np.int8)
    d = np.where(rng.random((n, k)) < 0.7, y, 1 - y).astype(np.int8)
    w = rng.random(n) * 2
    w[rng.random(n) < 0.2] = 0.0
    y[:, 3] = 0
    d[:, 3] = 0
    y[0, 3], w[0] = 1, 0.0  # label 3: positive only on a row of weight 0
    y[:, 4] = d[:, 4] = 0  # label 4: never positive nor predicted
    names = tuple("vwxyz")
    for weight in (w, None):
        p = Predictions("multilabel", y, y_score=d.astype(np.float64), classes=names, weight=weight)
        t = class_table(p)
        for average in ("macro", "micro"):
            ours, theirs = t.average(average), sklearn_average(y, d, weight, average)
            assert ours == pytest.approx(theirs, abs=1e-12)
        m = split_classification(p)
        assert m.f1 == pytest.approx(sklearn_average(y, d, weight, "macro")["f1"])


@pytest.mark.parametrize("seed", range(5))
def test_binary_with_zero_weight_rows_matches_sklearn(seed):
    rng = np.random.default_rng(200 + seed)
    n = 150
    y = (rng.random(n) < 0.3).astype(np.int8)
    d = np.where(rng.random(n) < 0.8, y, 1 - y).astype(np.int8)
    w = rng.random(n)
    w[rng.random(n) < 0.3] = 0.0
    m = split_classification(Predictions("binary", y, y_pred=d, weight=w))
    ours = (m.precision, m.recall, m.f1)
    assert ours == pytest.approx(tuple(sklearn_average(y, d, w, "binary").values()))
