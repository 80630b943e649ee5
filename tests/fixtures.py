"""What the tests share: paths to the repository's data and small prediction tables.

Pytest fixtures built on these live in ``conftest.py``; test modules import the plain
helpers from here (``from tests.fixtures import binary_frame``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


def binary_frame(rng: np.random.Generator, n: int, *, signal: float = 0.5) -> pd.DataFrame:
    """A binary predictions table whose scores carry some signal about the labels."""
    y = rng.integers(0, 2, n)
    score = np.clip(y * signal + rng.random(n) * (1 - signal), 0, 1)
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score})


def misclassified_share(path) -> float:
    """Independent oracle: the share of rows misclassified at score >= 0.5, straight from a binary CSV."""
    frame = pd.read_csv(path)
    return float(np.mean((frame["y_score"] >= 0.5).astype(int) != frame["y_true"]))


def run_cli(args, url: str):
    """The command line, in process, on the database at ``url``."""
    from click.testing import CliRunner

    from diagnose.cli import main

    return CliRunner().invoke(main, args, env={"DIAGNOSE_DATABASE_URL": url}, catch_exceptions=False)


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of the database at ``url``."""
    from sqlalchemy.orm import Session

    from diagnose import store

    engine = store.make_engine(url)
    try:
        with Session(engine) as s:
            return store.count_rows(s)
    finally:
        engine.dispose()
