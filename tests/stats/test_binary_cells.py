"""The unweighted binary kernel (four cells, three counts) against the per-row statistics
it replaces: Confusion.of, Agreement.of, the moments of the per-row losses."""
from __future__ import annotations

import numpy as np
import pytest

from diagnose.ingest import Predictions
from diagnose.metrics import Moments, per_sample_loss
from diagnose.stats import SplitStats, trivial_fit
from diagnose.stats._agreement import Agreement, majority
from diagnose.stats._confusion import Confusion


def _chunk(rng, n, share, scored=True):
    y = (rng.random(n) < share).astype(np.int8)
    if scored:
        score = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
        score[: n // 10] = 0.5  # exactly on the default decision
        return Predictions("binary", y, y_score=score)
    return Predictions("binary", y, y_pred=(rng.random(n) < 0.5).astype(np.int8))


@pytest.mark.parametrize("metric", ["error_rate", "log_loss", "brier"])
@pytest.mark.parametrize("train_share", [0.2, 0.5, 0.8])
def test_binary_cells_match_per_row_statistics(metric, train_share):
    rng = np.random.default_rng(15)
    train = _chunk(rng, 1000, train_share)
    fit = trivial_fit(SplitStats.of(train, metric))
    cv = _chunk(rng, 997, 0.4)
    got = SplitStats.of(cv, metric, fit)
    assert got.confusion == Confusion.of(cv)
    assert got.agreement == Agreement.of(cv, majority(fit))
    losses = per_sample_loss(cv, metric)
    want = Moments.of_counts(int(np.count_nonzero(losses)), cv.n) if metric == "error_rate" else Moments.of(losses)
    assert got.loss == want
    trivial_losses = per_sample_loss(cv.kind.trivial(fit, cv), metric)
    want_trivial = (Moments.of_counts(int(np.count_nonzero(trivial_losses)), cv.n) if metric == "error_rate"
                    else Moments.of(trivial_losses))
    assert got.trivial == want_trivial
    assert got.label_rows == (int((cv.y_true == 0).sum()), int(cv.y_true.sum()))
    assert got.labels == tuple(float(c) for c in got.label_rows)
    # a tie in train's labels: the trivial model and the majority class pick the same side as per row
    tie = Predictions("binary", np.array([0, 1] * 50, np.int8), y_score=np.full(100, 0.3))
    tied = SplitStats.of(cv, "error_rate", trivial_fit(SplitStats.of(tie, "error_rate")))
    assert tied.trivial.mean == float(np.mean(cv.kind.trivial(trivial_fit(SplitStats.of(tie, "error_rate")), cv)
                                              .decision != cv.y_true))


def test_binary_cells_of_hard_predictions_and_bool_labels():
    rng = np.random.default_rng(3)
    cv = _chunk(rng, 500, 0.3, scored=False)
    as_bool = Predictions("binary", cv.y_true.astype(bool), y_pred=cv.y_pred.astype(np.int64))
    for pred in (cv, as_bool):
        stats = SplitStats.of(pred, "error_rate")
        assert stats.confusion == Confusion.of(cv)
        assert stats.loss.mean == float(np.mean(cv.y_pred != cv.y_true))
