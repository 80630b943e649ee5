"""``diagnose demo``: diagnose every sample case shipped in sample_data/."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from ._options import note


@dataclass(frozen=True)
class SampleCase:
    """One folder of sample_data/ with train/cv/test files and the baseline to judge it by."""

    name: str
    title: str
    baselines: dict = field(default_factory=dict)
    baseline_files: dict = field(default_factory=dict)


SAMPLE_PROJECT = "samples"

# baselines as stated in sample_data/README.md
SAMPLE_CASES = (
    SampleCase("breast_cancer", "binary: breast cancer, logistic regression", {"human": 0.02}),
    SampleCase("digits", "10-class softmax: digits, logistic regression", {"human": 0.01}),
    SampleCase("multilabel", "multi-label: digit properties, one-vs-rest", {"human": 0.01}),
    SampleCase("diabetes_poly", "regression: diabetes, degree-3 polynomial ridge",
               baseline_files={"competitor": "diabetes_linear/cv.csv"}),
    SampleCase("high_bias", "10-class: digits from 2 PCA components", {"human": 0.01}),
    SampleCase("high_variance", "10-class: digits, unpruned decision tree", {"human": 0.01}),
    SampleCase("skewed", "binary, 3% positives: is it an 8?", {"human": 0.01}),
)


@dataclass(frozen=True)
class CurveCase:
    """A curve file of sample_data/curves/, stored as one run per training-set size or
    parameter value in a project of its own (the dashboard's Curves page reads them)."""

    project: str
    file: str
    column: str
    run_prefix: str
    baselines: dict = field(default_factory=dict)


CURVE_CASES = (
    CurveCase("digits-learning", "curves/learning_high_variance.csv", "train_size", "m=", {"human": 0.01}),
    CurveCase("diabetes-lambda", "curves/validation_lambda.csv", "param_lambda", "lambda="),
)


def curve_runs(root: Path, case: CurveCase) -> dict:
    """run name -> PreparedRun, one per distinct value of the case's column."""
    import pyarrow.compute as pc

    from ..ingest import read_table
    from ..service import prepare_run

    table, _ = read_table(str(root / case.file))
    out = {}
    for value in pc.unique(table[case.column]).to_pylist():
        rows = table.filter(pc.equal(table[case.column], value))
        out[f"{case.run_prefix}{value:g}"] = prepare_run(data=rows, baselines=dict(case.baselines))
    return out


def default_sample_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "sample_data"
    return here if here.is_dir() else Path.cwd() / "sample_data"


def case_sources(root: Path, case: SampleCase) -> dict:
    folder = root / case.name
    return {
        "train": str(folder / "train.csv"),
        "cv": str(folder / "cv.csv"),
        "test": str(folder / "test.csv"),
        "baselines": dict(case.baselines),
        "baseline_files": {k: str(root / v) for k, v in case.baseline_files.items()},
    }


@click.command()
@click.option("--sample-dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder holding the sample cases (default: the repo's sample_data/).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True)
@click.option("--store/--no-store", default=True, show_default=True,
              help="Also store the sample runs (project 'samples') in the configured database.")
def demo(sample_dir, fmt, store):
    """Diagnose every sample case in sample_data/, print the diagnoses and store the runs."""
    from ..present import table
    from ..service import prepare_run

    root = Path(sample_dir) if sample_dir else default_sample_dir()
    summary, prepared = [], {}
    for case in SAMPLE_CASES:
        prepared[case.name] = prepare_run(**case_sources(root, case), encode=store)
        result = prepared[case.name].report
        heading = f"=== {case.name} — {case.title}"
        click.echo(f"## {heading[4:]}\n" if fmt == "markdown" else heading)
        click.echo(result.to_markdown() if fmt == "markdown" else result.to_text())
        s = result.splits
        summary.append([case.name, result.task, s["train"].error, s["cv"].error,
                        s["test"].error if "test" in s else None, result.verdict.verdict])
    click.echo(table(["case", "task", "J_train", "J_cv", "J_test", "verdict"], summary,
                     markdown=fmt == "markdown"))
    note(f"diagnosed {len(summary)} sample cases from {root}")
    if store:
        projects = {SAMPLE_PROJECT: prepared}
        projects.update({case.project: curve_runs(root, case) for case in CURVE_CASES})
        _store_samples(projects)


def _store_samples(projects: dict) -> None:
    """Replace the sample runs of each project, all in one transaction."""
    from sqlalchemy.orm import Session

    from .. import settings
    from ..service import submit_prepared
    from ..store import delete_run, make_engine

    engine = make_engine()
    with Session(engine) as session, session.begin():
        for project, runs in projects.items():
            for name, run in runs.items():
                delete_run(session, project, name, missing_ok=True)
                submit_prepared(session, run, project=project, run=name)
    engine.dispose()
    counts = ", ".join(f"{len(runs)} in '{project}'" for project, runs in projects.items())
    me = _invoked_as()
    import importlib.util

    browse = f"{me} dashboard"
    if importlib.util.find_spec("streamlit") is None:  # the slim install: name the extra first
        browse = f"pip install 'diagnose[dashboard]' (in a clone: pip install -e '.[dashboard]'), then {browse}"
    note(f"stored the sample runs ({counts}) at {settings.shown_url()}\n"
         f"list them: {me} runs --project {SAMPLE_PROJECT}; browse them: {browse}")


def _invoked_as() -> str:
    """How to type this command again: as run (.venv/bin/diagnose) when that is not on PATH."""
    import os
    import shutil
    import sys

    typed = sys.argv[0] if sys.argv else ""
    if os.path.basename(typed) != "diagnose" or os.path.dirname(typed) == "":
        return "diagnose"
    on_path = shutil.which("diagnose")
    if on_path and os.path.realpath(on_path) == os.path.realpath(typed):
        return "diagnose"
    return typed
