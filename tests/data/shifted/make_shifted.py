"""Write the small synthetic run behind the golden report with a ``shift`` section.

A binary model whose errors are 8% everywhere except region=north (30%); train and cv hold
a quarter of north rows, test more than half, with the same error rates within each region
(a mix shift), so the test gap counts and the report explains it. Seeded; run from any
directory to rewrite the three CSV files next to this script::

    python tests/data/shifted/make_shifted.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def split(rng: np.random.Generator, n: int, north: float, start: int) -> pd.DataFrame:
    others = (1 - north) / 3
    region = rng.choice(["north", "south", "east", "west"], n, p=[north, others, others, others])
    y = (rng.random(n) < 0.4).astype(int)
    wrong = rng.random(n) < np.where(region == "north", 0.30, 0.08)
    score = np.where(y ^ wrong, 0.55 + 0.44 * rng.random(n), 0.45 * rng.random(n))
    return pd.DataFrame({"id": np.arange(start, start + n), "y_true": y, "y_score": np.round(score, 4),
                         "region": region, "device": rng.choice(["mobile", "desktop"], n, p=[0.6, 0.4])})


def main() -> None:
    rng = np.random.default_rng(2026)
    for i, (name, north) in enumerate((("train", 0.25), ("cv", 0.25), ("test", 0.6))):
        split(rng, 2000, north, start=10_000 * (i + 1)).to_csv(HERE / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
