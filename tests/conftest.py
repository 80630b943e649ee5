"""Shared fixtures: sample-data paths and small prediction tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def binary_frame(rng: np.random.Generator, n: int, *, signal: float = 0.5) -> pd.DataFrame:
    """A binary predictions table whose scores carry some signal about the labels."""
    y = rng.integers(0, 2, n)
    score = np.clip(y * signal + rng.random(n) * (1 - signal), 0, 1)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score})
