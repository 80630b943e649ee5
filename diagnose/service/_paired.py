"""Paired comparison of two models from files or from two stored runs of a project."""
from __future__ import annotations

from typing import Any

from ..exceptions import UsageError
from ..ingest import Predictions, load_cv_test
from ..options import ReadOptions
from ..paired import PairedComparison, compare_splits


def _splits(cv: Any, test: Any, options: ReadOptions) -> dict[str, Predictions]:
    if isinstance(cv, Predictions):
        return {"cv": cv, **({"test": test} if test is not None else {})}
    cv_pred, test_pred = load_cv_test(cv, test, options=options)
    return {"cv": cv_pred, **({"test": test_pred} if test_pred is not None else {})}


def compare(a_cv: Any, b_cv: Any, *, a_test: Any = None, b_test: Any = None, metric: str | None = None,
            margin: float | None = None, reps: int = 1000, seed: int = 0, alpha: float = 0.05,
            options: ReadOptions | None = None, **reading: Any) -> PairedComparison:
    """Compare model b with model a on the same cv (and test) rows, joined by id
    (:func:`diagnose.paired.compare_splits`). Sources: validated predictions, paths,
    DataFrames or Arrow tables; a cv file with a ``split`` column gives its test rows too.

    >>> import pandas as pd
    >>> a = pd.DataFrame({"id": range(200), "y_true": [0, 1] * 100, "y_score": [0.4, 0.6] * 90 + [0.6, 0.4] * 10})
    >>> b = a.assign(y_score=[0.4, 0.6] * 100)
    >>> compare(a, b, reps=50).verdict
    'b_better'
    """
    opts = ReadOptions.of(options, **reading)
    if (a_test is None) != (b_test is None):
        raise UsageError("give the test predictions of both models (--a-test and --b-test), or of neither")
    return compare_splits(_splits(a_cv, a_test, opts), _splits(b_cv, b_test, opts), metric=metric, margin=margin,
                          reps=reps, seed=seed, alpha=alpha)


def compare_stored(session: Any, project: str, run: str, against: str, *, metric: str | None = None,
                   margin: float | None = None, reps: int = 1000, seed: int = 0,
                   alpha: float = 0.05) -> PairedComparison:
    """Compare two stored runs of a project on their cv (and test) rows: model a is ``run``,
    model b is ``against``. The metric defaults to ``run``'s report metric.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"id": range(40), "y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="p", run="r1", train=t, cv=t)
    ...     _ = submit_files(s, project="p", run="r2", train=t, cv=t)
    ...     compare_stored(s, "p", "r1", "r2", reps=20).verdict
    'no_difference_shown'
    """
    from ..store import get_run, load_run_splits

    a, b = load_run_splits(session, project, run), load_run_splits(session, project, against)
    metric = metric or get_run(session, project, run).report.get("metric")
    pick = {name: pred for name, pred in (("cv", a.cv), ("test", a.test)) if pred is not None}
    other = {name: pred for name, pred in (("cv", b.cv), ("test", b.test)) if pred is not None}
    return compare_splits(pick, other, metric=metric, margin=margin, reps=reps, seed=seed, alpha=alpha)
