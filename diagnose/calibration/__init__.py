"""Calibration of classification scores: how far the scores are from the rates they claim
(ECE, MCE, reliability bins, the Brier decomposition, a tested verdict), and recalibration
fitted on cv and judged on test (Platt, isotonic, temperature), with a JSON-able mapping.

Binary on the positive-class score; multiclass top-label plus one-vs-rest per class;
multi-label per label. Compute only: it takes validated :class:`~diagnose.ingest.Predictions`,
or a split's mergeable :class:`CalibrationSums` (what the streaming engines count per chunk
and merge), which :func:`calibration_from_sums` finalizes: the in-memory path goes through
the same sums and the same finalizer.

>>> import numpy as np
>>> from diagnose.ingest import Predictions
>>> p = Predictions("binary", np.array([0, 1, 1, 0, 1], np.int8), np.array([0.1, 0.8, 0.6, 0.3, 0.9]))
>>> c = calibration(p, bins=5, reps=0)
>>> round(c.ece, 3), c.verdict
(0.22, 'calibrated')
"""
from __future__ import annotations

from ._bins import STRATEGIES, CalibrationBin
from ._calibration import ALPHA, VERDICTS, Calibration, calibration, calibration_from_sums
from ._mapping import METHODS, Mapping, fit_mapping
from ._recalibrate import MethodResult, Recalibration, recalibrate
from ._splits import SplitCalibration, calibration_by_split
from ._sums import CalibrationSums

__all__ = ["ALPHA", "METHODS", "STRATEGIES", "VERDICTS", "Calibration", "CalibrationBin", "CalibrationSums", "Mapping",
           "MethodResult", "Recalibration", "SplitCalibration", "calibration", "calibration_by_split",
           "calibration_from_sums", "fit_mapping", "recalibrate"]
