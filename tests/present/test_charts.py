"""diagnose.present charts and tables: the data behind the charts, from real reports."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score

import diagnose
from diagnose import present as charts
from diagnose.thresholds import sweep


@pytest.fixture
def report(sample_dir) -> dict:
    folder = sample_dir / "breast_cancer"
    return diagnose.report(*(str(folder / f"{s}.csv") for s in ("train", "cv", "test")),
                           baselines={"human": 0.02}).to_dict()


def test_levels_are_the_baseline_and_the_split_errors(report, sample_dir):
    levels = charts.levels_frame(report).set_index("level")
    assert levels.index.tolist() == ["baseline", "J_train", "J_cv", "J_test"]
    for split in ("train", "cv", "test"):
        frame = pd.read_csv(sample_dir / "breast_cancer" / f"{split}.csv")
        error = 1 - accuracy_score(frame["y_true"], (frame["y_score"] >= 0.5).astype(int))
        assert levels.loc[f"J_{split}", "error"] == pytest.approx(error)
        assert levels.loc[f"J_{split}", "ci_low"] <= error <= levels.loc[f"J_{split}", "ci_high"]


def test_each_gap_spans_the_two_levels_it_separates(report):
    gaps = charts.gaps_frame(report).set_index("gap")
    levels = charts.levels_frame(report).set_index("level")["error"]
    assert gaps.loc["bias", "start"] == levels["baseline"] and gaps.loc["bias", "end"] == levels["J_train"]
    assert gaps.loc["variance", "value"] == pytest.approx(levels["J_cv"] - levels["J_train"])
    assert gaps.loc["test", "end"] == levels["J_test"]
    # the report's own judgement: the variance gap is material but within noise, so undecided
    assert gaps.loc["variance", "status"] == "inconclusive"
    assert all(gaps.loc[g, "status"] == report["gap_details"][g]["status"] for g in ("bias", "variance", "test"))


def test_levels_chart_keeps_the_levels_in_order(report, sample_dir):
    spec = charts.levels_chart(report).to_dict()
    domains = [layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"]]
    assert all(d == ["baseline", "J_train", "J_cv", "J_test"] for d in domains)
    # the trivial classifier (train's majority class; J_cv about 0.38) would squash the chart:
    # left out of it and named below. Oracle: scikit-learn's most-frequent dummy, fit on train
    train, cv = (pd.read_csv(sample_dir / "breast_cancer" / f"{s}.csv") for s in ("train", "cv"))
    dummy = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(train), 1)), train["y_true"])
    trivial = 1 - accuracy_score(cv["y_true"], dummy.predict(np.zeros((len(cv), 1))))
    assert charts.other_baselines(report, shown=False) == {"trivial": pytest.approx(trivial)}


def test_confusion_frame_counts(rng):
    y = rng.integers(0, 2, 500)
    score = rng.random(500)
    frame = charts.confusion_frame(sweep(y, score).at(0.4))
    predicted = score >= 0.4
    assert frame.loc["actual positive", "predicted positive"] == int(((y == 1) & predicted).sum())
    assert frame.loc["actual negative", "predicted positive"] == int(((y == 0) & predicted).sum())
    assert frame.to_numpy().sum() == 500


def test_threshold_charts_mark_the_chosen_and_the_slider(report):
    curve = pd.DataFrame(report["threshold"]["curve"])
    spec = charts.threshold_chart(curve, chosen=report["threshold"]["value"], current=0.3).to_dict()
    marks = [v["mark"] for v in spec["datasets"].values() for v in v if "mark" in v]
    assert marks == [f"chosen on cv {report['threshold']['value']:.4g}", "slider 0.3"]
    # without a chosen point the precision/recall chart marks only the slider's point
    current = {"threshold": 0.3, "precision": 1.0, "recall": 0.5}
    pr = charts.pr_chart(curve, chosen=None, current=current).to_dict()
    dots = [v for v in pr["datasets"].values() for v in v if "mark" in v]
    assert dots == [{**current, "mark": "slider 0.3"}]


def test_tally_frame_keeps_the_ranking(sample_dir):
    tally = diagnose.tally(str(sample_dir / "error_analysis" / "cv_reviewed.csv"))
    frame = charts.tally_frame(tally)
    assert frame["category"].tolist() == [c.name for c in tally.categories]
    assert frame["count"].is_monotonic_decreasing
