"""Label-noise suspects and the cv/test shift as users meet them: the report's ``shift``
section when the test gap counts, the commands, and the review sample with suspects first."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

import diagnose
from diagnose.cli import main
from diagnose.error_analysis import find_suspects, sample_errors
from diagnose.ingest import load_predictions


def frame(rng, n, *, north_share=0.25, rate=0.1, north_rate=0.3):
    """Binary predictions; errors at ``rate`` except region=north at ``north_rate``."""
    region = rng.choice(["north", "south", "east", "west"], n,
                        p=[north_share] + [(1 - north_share) / 3] * 3)
    y = (rng.random(n) < 0.4).astype(int)
    wrong = rng.random(n) < np.where(region == "north", north_rate, rate)
    score = np.where(y ^ wrong, 0.55 + 0.4 * rng.random(n), 0.45 * rng.random(n))
    return pd.DataFrame({"id": np.arange(n), "y_true": y, "y_score": score, "region": region,
                         "device": rng.choice(["mobile", "desktop"], n)})


def test_report_explains_a_test_gap_that_counts_and_only_then(tmp_path):
    rng = np.random.default_rng(5)
    train, cv = frame(rng, 20_000), frame(rng, 20_000)
    test = frame(rng, 20_000, north_share=0.7)  # a mix shift: more of the region with more errors
    paths = {}
    for name, df in (("train", train), ("cv", cv), ("test", test)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    out = CliRunner().invoke(main, ["report", "--train", str(paths["train"]), "--cv", str(paths["cv"]),
                                    "--test", str(paths["test"]), "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["gap_details"]["test"]["counted"]
    shift = report["shift"]
    assert [s["name"] for s in shift["slices"] if s["flagged"]] == ["region"]
    assert shift["conclusion"].startswith("test has more region=north")
    assert "errors within slices are unchanged" in shift["conclusion"]
    assert any(w.startswith("why test differs from cv: test has more region=north") for w in report["warnings"])
    text = diagnose.report(train=paths["train"], cv=paths["cv"], test=paths["test"]).to_text()
    assert "Why test differs from cv" in text and "Cochran-Mantel-Haenszel" in text
    # no test gap: no section
    same = diagnose.report(train=paths["train"], cv=paths["cv"], test=paths["cv"])
    assert same.sections["shift"] is None and same.to_dict()["shift"] is None


def test_errors_shift_command(tmp_path):
    rng = np.random.default_rng(6)
    cv, test = tmp_path / "cv.csv", tmp_path / "test.csv"
    frame(rng, 10_000).to_csv(cv, index=False)
    frame(rng, 10_000, rate=0.2, north_rate=0.4).to_csv(test, index=False)  # worse everywhere, same mix
    out = CliRunner().invoke(main, ["errors", "shift", "--cv", str(cv), "--test", str(test), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["within"]["flagged"] and not any(s["flagged"] for s in data["slices"])
    assert "errors within slices rose" in data["conclusion"]
    out = CliRunner().invoke(main, ["errors", "shift", "--cv", str(cv)])
    assert out.exit_code == 2 and "no test rows" in out.output


def noisy_cv(rng, n=3000, flips=60):
    """A three-class cv with confident, mostly right probabilities; ``flips`` labels changed."""
    truth = rng.integers(0, 3, n)
    probs = rng.dirichlet([1, 1, 1], n) * 0.3
    probs[np.arange(n), truth] += 0.7
    given = truth.copy()
    flipped = rng.choice(n, flips, replace=False)
    given[flipped] = (truth[flipped] + rng.integers(1, 3, flips)) % 3
    names = np.array(["cat", "dog", "eel"])
    df = pd.DataFrame({"id": np.arange(n) + 100, "y_true": names[given],
                       **{f"y_prob_{c}": probs[:, i] for i, c in enumerate(names)}})
    return df, set((flipped + 100).tolist())


def test_errors_suspects_command_ranks_the_flipped_labels(tmp_path):
    df, flipped = noisy_cv(np.random.default_rng(1))
    path = tmp_path / "cv.csv"
    df.to_csv(path, index=False)
    out = CliRunner().invoke(main, ["errors", "suspects", "--cv", str(path), "--top", "60", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    listed = [r["id"] for r in data["rows"]]
    # confident learning is cautious: what it lists is nearly all flipped, and most flips are listed
    assert len(set(listed) & flipped) >= 0.95 * len(listed) and len(listed) >= 30
    assert data["ci_low"] <= 60 <= data["ci_high"], (data["estimated_issues"], data["ci_low"], data["ci_high"])
    text = CliRunner().invoke(main, ["errors", "suspects", "--cv", str(path), "--top", "5"]).output
    assert "Label-noise suspects: about" in text and "suggested label" in text
    out = CliRunner().invoke(main, ["errors", "suspects", "--train", str(path)])
    assert out.exit_code == 2 and "in-sample" in out.output
    out = CliRunner().invoke(main, ["errors", "suspects", "--train", str(path), "--out-of-fold", "--reps", "0"])
    assert out.exit_code == 0 and "taken as out-of-fold" in out.output


def test_review_sample_puts_suspects_first_and_stays_the_same_sample():
    df, flipped = noisy_cv(np.random.default_rng(2))
    cv = load_predictions(df)
    plain = sample_errors(cv, n=80, seed=3)
    preferred = sample_errors(cv, n=80, seed=3, prefer="suspects")
    assert set(plain.frame["id"]) == set(preferred.frame["id"])  # the same uniform sample, reordered
    marked = preferred.frame["label_suspect"] == "yes"
    k = int(marked.sum())
    assert k > 0 and marked.iloc[:k].all() and not marked.iloc[k:].any()
    ranked = find_suspects(cv, reps=0).frame["id"].tolist()
    assert preferred.frame["id"].iloc[:k].tolist() == [i for i in ranked if i in set(plain.frame["id"])]
    assert set(preferred.frame["id"].iloc[:k]) <= flipped | set(ranked)
    assert any("come first" in w for w in preferred.warnings)
