"""Label-noise suspects by confident learning.

Oracles: a plain loop implementation of the definitions (thresholds, confident joint,
calibration, off-diagonal count, suspects ranked by self-confidence), a bootstrap redone by
explicit resampling, and planted label flips that must be found (digits, a separable
binary problem, a multi-label problem).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from diagnose.error_analysis._suspects import (
    LabelSuspects,
    confident_joint,
    estimate_issues,
    find_suspects,
    thresholds,
)
from diagnose.exceptions import UsageError
from diagnose.ingest import Predictions, load_predictions

# ------------------------------------------------------------------- the definitions, as loops


def loop_confident_learning(y, probs):
    """Thresholds, suggested class per row (None: above no threshold), confident joint and
    calibrated off-diagonal count, straight from the definitions."""
    n, k = probs.shape
    t = []
    for j in range(k):
        own = [probs[r, j] for r in range(n) if y[r] == j]
        t.append(sum(own) / len(own) if own else None)
    joint = [[0] * k for _ in range(k)]
    suggested = []
    for r in range(n):
        best = None
        for j in range(k):
            if t[j] is not None and probs[r, j] >= t[j] and (best is None or probs[r, j] > probs[r, best]):
                best = j
        suggested.append(best)
        if best is not None:
            joint[y[r]][best] += 1
    counts = [sum(1 for r in range(n) if y[r] == i) for i in range(k)]
    calibrated = []
    for i in range(k):
        total = sum(joint[i])
        if total:
            calibrated.append([joint[i][j] / total * counts[i] for j in range(k)])
        else:  # nobody of class i confidently counted: all taken as correctly labelled
            calibrated.append([counts[i] if j == i else 0.0 for j in range(k)])
    whole = sum(map(sum, calibrated))
    off = sum(calibrated[i][j] / whole * n for i in range(k) for j in range(k) if i != j)
    return t, suggested, joint, off


def noisy_problem(seed, n=80, k=4, used=None):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(k, 0.6), size=n)
    y = probs.argmax(axis=1)
    flip = rng.random(n) < 0.2
    y[flip] = rng.integers(0, used or k, flip.sum())
    if used is not None:  # some classes nobody is labelled with
        y = np.minimum(y, used - 1)
    return y, probs


@pytest.mark.parametrize("seed, used", [(0, None), (1, None), (2, None), (3, 3), (4, 2)])
def test_matches_the_loop_definitions(seed, used):
    y, probs = noisy_problem(seed, used=used)
    t, suggested, joint, off = loop_confident_learning(y, probs)
    got = thresholds(y, probs)
    assert np.isnan(got).tolist() == [v is None for v in t]
    assert np.allclose(got[~np.isnan(got)], [v for v in t if v is not None], rtol=0, atol=1e-12)
    assert confident_joint(y, probs).tolist() == joint
    assert estimate_issues(y, probs) == pytest.approx(off, abs=1e-9)

    names = tuple("abcd")
    s = find_suspects(Predictions("multiclass", y, y_score=probs, classes=names, ids=np.arange(len(y)) + 100),
                      reps=0)
    rows = [r for r in range(len(y)) if suggested[r] is not None and suggested[r] != y[r]]
    rows.sort(key=lambda r: probs[r, y[r]])
    assert s.frame["id"].tolist() == [r + 100 for r in rows]
    assert s.frame["given_label"].tolist() == [names[y[r]] for r in rows]
    assert s.frame["suggested_label"].tolist() == [names[suggested[r]] for r in rows]
    assert np.allclose(s.frame["self_confidence"], [probs[r, y[r]] for r in rows])
    assert np.allclose(s.frame["suggested_probability"], [probs[r, suggested[r]] for r in rows])
    assert s.flagged == len(rows) == sum(joint[i][j] for i in range(4) for j in range(4) if i != j)
    assert s.estimated_issues == pytest.approx(off, abs=1e-9)
    assert np.isnan(s.ci_low) and s.to_dict()["ci_low"] is None
    absent = [names[j] for j in range(4) if t[j] is None]
    assert [w for w in s.warnings if "no row is labelled" in w] == [
        f"no row is labelled {c}: no row is suggested to be it" for c in absent]


def test_a_probability_equal_to_the_threshold_counts():
    # t = (0.6, 0.5): the last row (labelled 1) has p_0 = 0.6 = t_0 exactly, so it is counted as 0
    y = np.array([0, 0, 1, 1])
    probs = np.array([[.6, .4], [.6, .4], [.4, .6], [.6, .4]])
    assert loop_confident_learning(y, probs)[2] == [[2, 0], [1, 1]] == confident_joint(y, probs).tolist()
    s = find_suspects(Predictions("multiclass", y, y_score=probs, classes=("a", "b")), reps=0)
    assert s.frame["id"].tolist() == [4] and s.thresholds == (0.6, 0.5)


def test_bootstrap_is_explicit_resampling_and_seeded():
    y, probs = noisy_problem(7, n=60)
    p = Predictions("multiclass", y, y_score=probs, classes=tuple("abcd"))
    s = find_suspects(p, reps=40, seed=5)
    rng = np.random.default_rng(5)
    counts = []
    for _ in range(40):
        idx = rng.integers(0, len(y), size=len(y))
        counts.append(loop_confident_learning(y[idx], probs[idx])[3])
    low, high = np.percentile(counts, [2.5, 97.5])
    assert (s.ci_low, s.ci_high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    again, other = find_suspects(p, reps=40, seed=5), find_suspects(p, reps=40, seed=6)
    assert (again.ci_low, again.ci_high) == (s.ci_low, s.ci_high) != (other.ci_low, other.ci_high)
    assert s.ci_low <= s.estimated_issues <= s.ci_high


# ----------------------------------------------------------------------------- planted flips


def test_digits_flipped_labels_are_found():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    n = len(y)
    k = round(0.05 * n)
    flipped = rng.choice(n, size=k, replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, size=k)) % 10  # always another class
    # out-of-fold probabilities; k-NN's are sharp enough that the calibrated count is close to
    # the truth (logistic regression's out-of-fold errors on clean rows inflate it)
    probs = cross_val_predict(KNeighborsClassifier(n_neighbors=10), X, noisy, cv=5, method="predict_proba")
    ids = np.arange(n) + 1000
    frame = pd.DataFrame({"id": ids, "y_true": noisy, **{f"y_prob_{c}": probs[:, c] for c in range(10)}})
    pred = load_predictions(frame)
    assert pred.task == "multiclass" and pred.classes == tuple(str(c) for c in range(10))

    s = find_suspects(pred, top=k)
    assert len(s.frame) == min(k, s.flagged)
    hits = np.isin(s.frame["id"].to_numpy(), ids[flipped]).sum()
    assert hits / k >= 0.6  # precision at k = number flipped
    assert s.ci_low <= k <= s.ci_high
    # the suggestion of a truly flipped row is mostly its original class
    truth = dict(zip(ids[flipped], y[flipped].astype(str)))
    found = s.frame[s.frame["id"].isin(truth)]
    assert (found["suggested_label"] == found["id"].map(truth)).mean() >= 0.9
    assert (found["given_label"] != found["id"].map(truth)).all()


def separable_binary(seed, n=400, flips=10):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int8)
    x = np.where(y == 1, 3.0, -3.0) + rng.normal(size=n)
    score = 1 / (1 + np.exp(-2 * x))  # a well-separated, out-of-sample score
    flipped = rng.choice(n, size=flips, replace=False)
    y[flipped] = 1 - y[flipped]
    return y, score, flipped


@pytest.mark.parametrize("seed", [0, 3])
def test_binary_finds_planted_flips(seed):
    y, score, flipped = separable_binary(seed)
    p = Predictions("binary", y, y_score=score, classes=("0", "1"), ids=np.arange(len(y)), split="cv")
    s = find_suspects(p)
    # every suspect is a planted flip; a flip the score only half believes stays below the threshold
    assert set(s.frame["id"]) <= set(flipped) and s.flagged >= 7
    assert s.thresholds == pytest.approx((float(np.mean(1 - score[y == 0])), float(np.mean(score[y == 1]))))
    assert s.classes == ("0", "1") and list(s.frame.columns) == [
        "id", "given_label", "suggested_label", "self_confidence", "suggested_probability"]
    assert s.ci_low <= 10 <= s.ci_high
    given = s.frame["given_label"].astype(int).to_numpy()
    assert (given == y[s.frame["id"]]).all() and (s.frame["suggested_label"].astype(int) == 1 - given).all()


def test_multilabel_is_one_binary_problem_per_label():
    (y1, s1, f1), (y2, s2, f2) = separable_binary(4, flips=6), separable_binary(5, flips=4)
    ids = np.arange(len(y1)) + 1
    p = Predictions("multilabel", np.column_stack([y1, y2]), y_score=np.column_stack([s1, s2]),
                    classes=("spam", "urgent"), ids=ids)
    s = find_suspects(p, reps=50)
    assert "label" in s.frame.columns
    apart = [find_suspects(Predictions("binary", yy, y_score=ss, ids=ids), reps=0) for yy, ss in ((y1, s1), (y2, s2))]
    cells = set(zip(s.frame["label"], s.frame["id"]))
    assert cells == {("spam", i) for i in apart[0].frame["id"]} | {("urgent", i) for i in apart[1].frame["id"]}
    assert cells <= {("spam", i + 1) for i in f1} | {("urgent", i + 1) for i in f2} and len(cells) >= 6
    assert s.estimated_issues == pytest.approx(sum(a.estimated_issues for a in apart))
    assert s.classes == ("spam=0", "spam=1", "urgent=0", "urgent=1")
    assert s.thresholds == apart[0].thresholds + apart[1].thresholds
    assert list(s.frame["self_confidence"]) == sorted(s.frame["self_confidence"])


# ------------------------------------------------------------------------ refusals and output


def test_train_predictions_need_out_of_fold():
    y, score, _ = separable_binary(6)
    train = Predictions("binary", y, y_score=score, source="train.csv", split="train")
    with pytest.raises(UsageError, match=r"train predictions are in-sample: the model has fit their labels") as err:
        find_suspects(train)
    assert "out_of_fold (--out-of-fold)" in str(err.value)
    s = find_suspects(train, out_of_fold=True, reps=10)
    assert s.flagged > 0
    assert "train.csv: train predictions taken as out-of-fold, on your word (out_of_fold)" in s.warnings
    assert not any("out-of-fold" in w for w in find_suspects(Predictions("binary", y, y_score=score), reps=0).warnings)


def test_regression_and_missing_scores_are_refused():
    with pytest.raises(UsageError, match="need a classification task, not regression"):
        find_suspects(Predictions("regression", np.arange(5.0), y_pred=np.arange(5.0)))
    with pytest.raises(UsageError, match=r"suspects need predicted probabilities \(y_score columns"):
        find_suspects(Predictions("binary", np.array([0, 1], np.int8), y_pred=np.array([0, 1], np.int8)))
    y, score, _ = separable_binary(1)
    p = Predictions("binary", y, y_score=score)
    with pytest.raises(UsageError, match="top must be at least 1"):
        find_suspects(p, top=0)
    with pytest.raises(UsageError, match="replicates"):
        find_suspects(p, reps=-1)


def test_to_dict_is_plain_json():
    y, score, _ = separable_binary(2)
    s = find_suspects(Predictions("binary", y, y_score=score, classes=("ham", "spam"), source="cv.csv"),
                      top=3, reps=20)
    assert isinstance(s, LabelSuspects)
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert set(d) == {"task", "n", "flagged", "estimated_issues", "ci_low", "ci_high", "interval", "thresholds",
                      "method", "reps", "seed", "warnings", "rows"}
    assert d["n"] == 400 and d["flagged"] == s.flagged >= 3 and len(d["rows"]) == 3 and d["interval"] == 0.95
    assert list(d["thresholds"]) == ["ham", "spam"] and "confident learning" in d["method"]
    assert d["warnings"] == ["cv.csv has no id column: ids are row numbers (1 = first data row)"]
    row = s.to_dict()["rows"][0]
    assert [type(v) for v in row.values()] == [int, str, str, float, float]
    assert row["given_label"] in ("ham", "spam") and row["given_label"] != row["suggested_label"]
