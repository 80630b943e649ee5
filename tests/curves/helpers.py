"""Helpers of the curve tests: the sample curve files and independent error counts."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tests.fixtures import SAMPLE

CURVES = SAMPLE / "curves"
HUMAN = {"human": 0.01}


def prob_columns(frame):
    return [c for c in frame.columns if c.startswith("y_prob_")]


def argmax_error_table(frame: pd.DataFrame) -> pd.DataFrame:
    """J per (train_size, split) recomputed independently: share of rows whose argmax != y_true."""
    cols = prob_columns(frame)
    classes = np.array([int(c[len("y_prob_"):]) for c in cols])
    wrong = classes[frame[cols].to_numpy().argmax(axis=1)] != frame["y_true"].to_numpy()
    return (frame.assign(wrong=wrong).groupby(["train_size", "split"])["wrong"].agg(["mean", "size"])
            .unstack("split"))


def readme_curve_verdicts() -> dict[str, str]:
    """`file` -> verdict word, from the curves section of sample_data/README.md."""
    text = (SAMPLE / "README.md").read_text()
    section = text[text.index("### `curves/`"):text.index("<!-- summary:start -->")]
    found = dict(re.findall(r"`(learning_\w+\.csv)`[^\n]*?verdict[^\n]*?\*\*`(\w+)`\*\*", section))
    found.update(re.findall(r"`(validation_\w+\.csv)`[^\n]*?chosen[^\n]*?\*\*(\w+ = [\d.]+)\*\*", section))
    return found
