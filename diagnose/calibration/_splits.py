"""The calibration of every split of a run: the report's ``calibration`` section."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..ingest import Predictions
from ..values import Rendered
from ._calibration import Calibration, calibration


@dataclass(frozen=True)
class SplitCalibration(Rendered):
    """The :class:`Calibration` of each split with scores, in split order; its JSON is one
    object per split (``calibration.<split>.ece`` in the report)."""

    splits: Mapping[str, Calibration]

    def to_dict(self) -> dict:
        return {name: c.to_dict() for name, c in self.splits.items()}

    @property
    def verdicts(self) -> dict[str, str]:
        return {name: c.verdict for name, c in self.splits.items()}


def calibration_by_split(splits: Mapping[str, Predictions | None], *, bins: int = 15, strategy: str = "uniform",
                         reps: int = 200, seed: int = 0) -> SplitCalibration | None:
    """The calibration of each split that has scores (``None`` when none has).

    >>> import numpy as np
    >>> s = np.linspace(0.05, 0.95, 200)
    >>> p = Predictions("binary", (np.arange(200) % 10 < 10 * s).astype(np.int8), s)
    >>> c = calibration_by_split({"train": p, "cv": p, "test": None}, reps=0)
    >>> list(c.splits), c.verdicts["cv"]
    (['train', 'cv'], 'calibrated')
    """
    out = {name: calibration(pred, bins=bins, strategy=strategy, reps=reps, seed=seed)
           for name, pred in splits.items() if pred is not None and pred.y_score is not None}
    return SplitCalibration(out) if out else None
