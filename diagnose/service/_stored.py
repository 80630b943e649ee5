"""Workflows over stored runs: curves from a project's runs, the tally of stored tags, a
project's runs as one table, and a session on the configured database.

The stored tables go back through the same code as files do: curves get one validated
table per (run, split) carrying the run's training-set size or parameter, and the tally
reads the reviewers' tags from the store.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import store
from ..curves import LearningCurve, ValidationCurve
from ..error_analysis import ErrorTally, tally_sample
from ..exceptions import UsageError
from ..ingest import Predictions, Runs, TaggedSample, runs_from_groups
from ..present import KEY_NUMBERS, key_numbers
from ..store import CurveTables, curve_tables, get_tags, load_run_splits, stored_reports, whole_number
from ._curves import learning_curve, validation_curve

if TYPE_CHECKING:
    import pandas as pd

OVERVIEW_COLUMNS = ("run", "created_at", "task", *(name for name, _ in KEY_NUMBERS), "train_size", "params")


@contextmanager
def session(url: str | None = None, *, create: bool = True) -> Iterator[Session]:
    """A session on the configured database (or ``url``), closed and disposed afterwards;
    database trouble becomes a :class:`~diagnose.exceptions.DiagnoseError`. Readers pass
    ``create=False``: a store that does not exist is then an error, and nothing is created.

    >>> import os, tempfile
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s:
    ...     s.get_bind().dialect.name
    'sqlite'
    """
    with store.database_errors():
        engine = store.make_engine(url, create=create)
        try:
            with Session(engine) as s:
                yield s
        finally:
            engine.dispose()


def curve_runs(session: Session, project: str, *, by: str, runs: Sequence[str] | None = None,
               splits: Sequence[str] = ("train", "cv", "test")) -> Runs:
    """The stored runs of ``project`` that have ``by`` (``"train_size"`` or a parameter
    name), validated into :class:`~diagnose.ingest.Runs` keyed by that value.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"m={m}", train=t, cv=t, train_size=m) for m in (20, 40)]
    ...     runs = curve_runs(s, "demo", by="train_size")
    >>> runs.keys, runs.runs[40]["cv"].n
    ((20, 40), 40)
    """
    return _validated(curve_tables(session, project, by=by, runs=runs, splits=splits), splits)


def _validated(tables: CurveTables, splits: Sequence[str]) -> Runs:
    return runs_from_groups(tables.groups, by=tables.column, columns=tables.columns,
                            positive_label=tables.positive_label, splits=splits)


def learning_curve_from_store(session: Session, project: str, *, runs: Sequence[str] | None = None,
                              baselines: Mapping[str, float] | None = None, **options: Any) -> LearningCurve:
    """The learning curve over the stored runs of ``project`` that have a train size.

    ``options`` as :func:`diagnose.service.learning_curve` (metric, tolerance, target).
    Baselines default to those stored with the runs on the curve (the lowest per name).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"m={m}", train=t, cv=t, train_size=m) for m in (20, 40)]
    ...     curve = learning_curve_from_store(s, "demo")
    >>> [p.value for p in curve.points], curve.verdict
    ([20, 40], 'inconclusive')
    """
    tables = curve_tables(session, project, by="train_size", runs=runs, splits=("train", "cv"))
    if baselines is None:  # those of the runs on the curve, not of the project's other runs
        baselines = tables.baselines
    return learning_curve(_validated(tables, ("train", "cv")), baselines=baselines, **options)


def validation_curve_from_store(session: Session, project: str, *, param: str,
                                runs: Sequence[str] | None = None, **options: Any) -> ValidationCurve:
    """The validation curve over the stored runs of ``project`` that have parameter ``param``.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = [submit_files(s, project="demo", run=f"C={c}", train=t, cv=t, params={"C": c}) for c in (0.1, 0.5)]
    ...     curve = validation_curve_from_store(s, "demo", param="C")
    >>> [p.value for p in curve.points], curve.chosen  # a tie: the smallest value
    ([0.1, 0.5], 0.1)
    """
    return validation_curve(curve_runs(session, project, by=param, runs=runs), param=param, **options)


def tally_from_store(session: Session, project: str, run: str, *, split: str = "cv",
                     total_errors: int | None = None, predictions: Predictions | None = None) -> ErrorTally:
    """Tally the reviewers' tags stored for a run's split (the dashboard writes them).

    ``predictions`` may hold that split's validated :class:`~diagnose.ingest.Predictions`
    when the caller has them already (the dashboard caches them); else they are loaded.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose import service, store
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.6, 0.7] * 20})  # rows 1, 3, 5, ... are errors
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = service.submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     _ = store.save_tags(s, project="demo", run="r1", tags={1: "glare", 3: "glare", 5: "blurry"})
    ...     [(c.name, c.count, round(c.estimated_count, 1)) for c in tally_from_store(s, "demo", "r1").categories]
    [('glare', 2, 13.3), ('blurry', 1, 6.7)]
    """
    tags = get_tags(session, project=project, run=run, split=split)
    if tags.empty:
        raise UsageError(f"no reviewed samples stored for run '{run}' of project '{project}' ({split} split)")
    pred = predictions if predictions is not None else getattr(load_run_splits(session, project, run), split)
    sample = TaggedSample(ids=tags["sample_id"].astype(str).to_numpy(dtype=object),
                          tags=tags["tags"].to_numpy(dtype=object), source=f"{project}/{run} tags")
    return tally_sample(sample, cv=pred, total_errors=total_errors)


def run_overview(session: Session, project: str) -> pd.DataFrame:
    """One row per run of ``project``, oldest first, with the key numbers of its stored report.

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t, baselines={"human": 0.0})
    ...     run_overview(s, "demo")[["run", "verdict", "J_cv", "bias gap"]].values.tolist()
    [['r1', 'inconclusive', 0.0, 0.0]]
    """
    import pandas as pd

    records = []
    for summary, report in stored_reports(session, project):
        numbers = key_numbers(report)
        numbers["verdict"] = numbers["verdict"] or summary.verdict
        records.append({"run": summary.run, "created_at": summary.created_at, "task": summary.task, **numbers,
                        "train_size": whole_number(summary.train_size), "params": dict(summary.params)})
    return pd.DataFrame(records, columns=list(OVERVIEW_COLUMNS))
