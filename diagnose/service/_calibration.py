"""Calibration from files: the figures of cv and test, recalibration fitted on cv and judged
on test, and the recalibrated test scores to ship."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..calibration import Mapping, Recalibration, SplitCalibration, calibration_by_split, recalibrate
from ..exceptions import UsageError
from ..ingest import Predictions
from ..options import DEFAULT_CALIBRATION_BINS, ReadOptions
from ..values import Rendered
from ._error_analysis import cv_and_test

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CalibrationAdvice(Rendered):
    """What ``diagnose calibrate`` gives: the calibration of cv and test, each method fitted on
    cv and judged on test, and the mapping chosen (the named method, else the recommended one)."""

    calibration: SplitCalibration
    recalibration: Recalibration
    chosen: Mapping | None
    test: Predictions

    def to_dict(self) -> dict:
        return {"calibration": self.calibration.to_dict(), "recalibration": self.recalibration.to_dict(),
                "chosen": None if self.chosen is None else self.chosen.method}

    def recalibrated(self) -> pd.DataFrame:
        """The test rows with the chosen mapping's scores, in the input format's columns."""
        import pandas as pd

        from ..error_analysis import ids_of

        if self.chosen is None:
            raise UsageError("no recalibration was chosen: none improved the test log loss significantly; "
                             "name one with --method to write its scores anyway")
        pred = self.test
        scores = self.chosen.apply(pred.y_score)
        ids, _ = ids_of(pred)
        frame = pd.DataFrame({"id": ids, **_truth(pred)})
        if pred.task == "binary":
            frame["y_score"] = scores.reshape(-1)
        else:
            prefix = "y_prob_" if pred.task == "multiclass" else "y_score_"
            for k, name in enumerate(pred.classes):
                frame[f"{prefix}{name}"] = scores[:, k]
        return frame

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()


def _truth(pred: Predictions) -> dict[str, Any]:
    if pred.task == "multilabel":
        return {f"y_true_{name}": pred.y_true[:, k] for k, name in enumerate(pred.classes)}
    return {"y_true": pred.kind.names(pred, pred.y_true)}


def calibrate(cv: Any, test: Any = None, *, method: str = "all", bins: int = DEFAULT_CALIBRATION_BINS,
              strategy: str = "uniform", reps: int = 200, seed: int = 0, options: ReadOptions | None = None,
              **reading: Any) -> CalibrationAdvice:
    """Calibration of cv and test and recalibration fitted on cv, judged on test
    (:mod:`diagnose.calibration`). ``method``: platt, isotonic, temperature, or all (the
    recommended one is chosen, if any).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> def split(n):
    ...     p = rng.uniform(0.05, 0.95, n)
    ...     return pd.DataFrame({"y_true": (rng.random(n) < p).astype(int), "y_score": 1 / (1 + ((1 - p) / p) ** 3)})
    >>> advice = calibrate(split(4000), split(4000), reps=0)
    >>> advice.calibration.verdicts["test"], advice.chosen is not None
    ('overconfident', True)
    """
    cv_pred, test_pred = cv_and_test(cv, test, ReadOptions.of(options, **reading))
    if test_pred is None:
        raise UsageError(f"{cv_pred.source} has no test rows: recalibration is fitted on cv and judged on test; "
                         "give --test")
    found = calibration_by_split({"cv": cv_pred, "test": test_pred}, bins=bins, strategy=strategy, reps=reps,
                                 seed=seed)
    if found is None:
        raise UsageError(f"{cv_pred.source}: calibration needs predicted probabilities (y_score columns), "
                         "not only y_pred")
    judged = recalibrate(cv_pred, test_pred, method=method, bins=bins, strategy=strategy)
    chosen = judged.mapping(None if method == "all" else method)
    advice = CalibrationAdvice(found, judged, chosen, test_pred)
    if chosen is not None:
        shipped = replace(test_pred, y_score=chosen.apply(test_pred.y_score))
        after = calibration_by_split({"test (recalibrated)": shipped}, bins=bins, strategy=strategy, reps=0)
        assert after is not None
        advice = replace(advice, calibration=SplitCalibration({**found.splits, **after.splits}))
    return advice
