"""Whole-report invariants: row order, trivial baseline, weights, library entry points."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error

import diagnose
from tests.fixtures import binary_frame


def test_row_order_does_not_change_the_report(rng):
    train, cv, test = binary_frame(rng, 400), binary_frame(rng, 300, signal=0.3), binary_frame(rng, 300)
    a = diagnose.report(train=train, cv=cv, test=test, baselines={"human": 0.05}).to_dict()
    shuffle = lambda df: df.sample(frac=1.0, random_state=7).reset_index(drop=True)  # noqa: E731
    b = diagnose.report(train=shuffle(train), cv=shuffle(cv), test=shuffle(test),
                        baselines={"human": 0.05}).to_dict()
    assert same(a, b)


def same(a, b, path="report") -> bool:
    """Equal, floats up to rounding (sums over rows in another order differ in the last bits)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        return all(same(a[k], b[k], f"{path}.{k}") for k in a)
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        return all(same(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), path
        return True
    assert a == b, path
    return True


def test_trivial_baseline_matches_sklearn_dummy(rng):
    y_train = rng.choice(["a", "b", "c"], size=300, p=[0.5, 0.3, 0.2])
    y_cv = rng.choice(["a", "b", "c"], size=200, p=[0.3, 0.3, 0.4])
    probs = lambda n: np.full((n, 3), 1 / 3)  # noqa: E731
    frame = lambda y: pd.DataFrame({"y_true": y, **{f"y_prob_{c}": probs(len(y))[:, i]  # noqa: E731
                                                    for i, c in enumerate("abc")}})
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((300, 1)), y_train)
    r = diagnose.report(train=frame(y_train), cv=frame(y_cv))
    assert r.baselines["trivial"] == pytest.approx(1 - accuracy_score(y_cv, dummy.predict(np.zeros((200, 1)))))
    r = diagnose.report(train=frame(y_train), cv=frame(y_cv), metric="log_loss")
    assert r.baselines["trivial"] == pytest.approx(
        log_loss(y_cv, dummy.predict_proba(np.zeros((200, 1))), labels=["a", "b", "c"]))


def test_trivial_regression_baseline_is_the_train_mean(rng):
    train = pd.DataFrame({"y_true": rng.normal(5, 2, 300), "y_pred": rng.normal(5, 2, 300)})
    cv = pd.DataFrame({"y_true": rng.normal(6, 2, 100), "y_pred": rng.normal(6, 2, 100)})
    dummy = DummyRegressor().fit(np.zeros((300, 1)), train["y_true"])
    r = diagnose.report(train=train, cv=cv, metric="mse")
    assert r.baselines["trivial"] == pytest.approx(
        mean_squared_error(cv["y_true"], dummy.predict(np.zeros((100, 1)))))


def test_weights_are_honoured(rng):
    df = binary_frame(rng, 200, signal=0.3)
    wrong = (df["y_score"] >= 0.5).astype(int) != df["y_true"]
    weighted = df.assign(weight=np.where(wrong, 3.0, 1.0))
    r = diagnose.report(train=weighted, cv=weighted)
    assert r.splits["cv"].error == pytest.approx(
        1 - accuracy_score(df["y_true"], df["y_score"] >= 0.5, sample_weight=weighted["weight"]))


def test_report_value_is_frozen_and_serialisable(rng):
    import dataclasses
    import json

    r = diagnose.report(train=binary_frame(rng, 100), cv=binary_frame(rng, 100), baselines={"human": 0.1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.task = "regression"
    assert json.loads(json.dumps(r.to_dict()))["verdict"] == r.verdict.verdict
    assert r.to_markdown().startswith("## diagnose report")


def test_arrow_tables_are_accepted(rng):
    import pyarrow as pa

    train, cv = binary_frame(rng, 100), binary_frame(rng, 100)
    a = diagnose.report(train=pa.Table.from_pandas(train), cv=pa.Table.from_pandas(cv)).to_dict()
    b = diagnose.report(train=train, cv=cv).to_dict()
    assert a == b
