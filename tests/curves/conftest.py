"""Fixtures of the curve tests: real data sets split for refitting models."""
from __future__ import annotations

import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)
