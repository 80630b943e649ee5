"""Curves and error tallies built from stored runs instead of files.

The stored tables go back through the same code paths as files do: learning and
validation curves get one table per (run, split) carrying the run's ``train_size`` or
parameter, and the tally reads reviewers' tags from the ``tag`` table.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exceptions import UsageError
from ..ingest import Columns
from .models import Blob, Run, Submission
from .repository import _project_id, decode_table, load_run_splits
from .tags import get_tags


def _runs(session: Session, project: str, names: Sequence[str] | None) -> list[Run]:
    project_id = _project_id(session, project, create=False)
    rows = list(session.scalars(select(Run).where(Run.project_id == project_id)
                                .order_by(Run.created_at, Run.id)))
    if names is not None:
        by_name = {r.name: r for r in rows}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise UsageError(f"no run(s) {', '.join(missing)} in project '{project}'")
        rows = [by_name[n] for n in names]
    return rows


def _curve_rows(session: Session, project: str, *, by: str, runs: Sequence[str] | None) -> dict[Any, Run]:
    """The runs that have ``by``, keyed by its value; one value per run, one task for all."""
    chosen: dict[Any, Run] = {}
    for row in _runs(session, project, runs):
        value = row.train_size if by == "train_size" else (row.params or {}).get(by)
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # as a run's column of whole numbers reads from a file
        if value in chosen:
            raise UsageError(f"runs '{chosen[value].name}' and '{row.name}' of project '{project}' both have "
                             f"{by} = {value}; choose the runs to use (--runs)")
        chosen[value] = row
    if not chosen:
        what = "a train_size (submit --train-size)" if by == "train_size" else f"a parameter '{by}' (submit --param)"
        raise UsageError(f"no run of project '{project}' has {what}")
    tasks = {row.task for row in chosen.values()}
    if len(tasks) > 1:
        kinds = ", ".join(f"{row.name} ({row.task})" for row in chosen.values())
        raise UsageError(f"the runs of project '{project}' with {by} are of different tasks: {kinds}; a curve "
                         "compares runs of one kind of model: choose the runs to use (--runs), or keep "
                         "each model's runs in a project of its own")
    return chosen


def curve_runs(session: Session, project: str, *, by: str, runs: Sequence[str] | None = None,
               splits: Sequence[str] = ("train", "cv", "test")):
    """The stored runs of ``project`` that have ``by`` (``"train_size"`` or a parameter
    name), validated into :class:`~diagnose.ingest.Runs` keyed by that value.

    Runs without the value are left out; two runs with the same value are an error (name
    the ones to use with ``runs``). Each stored table is already one (run, split), so it
    goes to validation as it is, with no regrouping of rows.
    """
    from ..ingest import RawTable, runs_from_groups

    chosen = _curve_rows(session, project, by=by, runs=runs)
    opts = next(iter(chosen.values())).ingest or {}
    cols = Columns.from_mapping(opts.get("columns"))
    column = cols.train_size if by == "train_size" else cols.param_prefix + by
    groups = {}
    for value, row in chosen.items():
        subs = session.execute(select(Submission.split, Blob.data)
                               .join(Blob, Blob.content_hash == Submission.content_hash)
                               .where(Submission.run_id == row.id, Submission.split.in_(list(splits)))).all()
        for split, data in subs:
            table = decode_table(data)
            table = table.drop_columns([c for c in (cols.split, column) if c in table.column_names])
            groups[value, split] = RawTable(table, f"{project}/{row.name}:{split}", split)
    return runs_from_groups(groups, by=column, columns=cols, positive_label=opts.get("positive_label"),
                            splits=splits)


def learning_curve_from_store(session: Session, project: str, *, runs: Sequence[str] | None = None,
                              baselines: Mapping[str, float] | None = None, **options):
    """The learning curve over the stored runs of ``project`` that have a train size.

    ``options`` as :func:`diagnose.service.learning_curve` (metric, tolerance, target).
    Baselines default to those stored with the runs (the lowest value per name).
    """
    from ..service import learning_curve

    validated = curve_runs(session, project, by="train_size", runs=runs, splits=("train", "cv"))
    if baselines is None:  # those of the runs on the curve, not of the project's other runs
        used = _curve_rows(session, project, by="train_size", runs=runs)
        baselines = _stored_baselines(session, project, [row.name for row in used.values()])
    return learning_curve(validated, baselines=baselines, **options)


def validation_curve_from_store(session: Session, project: str, *, param: str,
                                runs: Sequence[str] | None = None, **options):
    """The validation curve over the stored runs of ``project`` that have parameter ``param``."""
    from ..service import validation_curve

    return validation_curve(curve_runs(session, project, by=param, runs=runs), param=param, **options)


def tally_from_store(session: Session, project: str, run: str, *, split: str = "cv",
                     total_errors: int | None = None, predictions=None):
    """Tally the reviewers' tags stored for a run's split (the dashboard writes them).

    ``predictions`` may hold that split's validated :class:`~diagnose.ingest.Predictions`
    when the caller has them already (the dashboard caches them); else they are loaded.
    """
    from ..error_analysis import tally_sample
    from ..ingest import TaggedSample

    tags = get_tags(session, project=project, run=run, split=split)
    if tags.empty:
        raise UsageError(f"no reviewed samples stored for run '{run}' of project '{project}' ({split} split)")
    pred = predictions if predictions is not None else getattr(load_run_splits(session, project, run), split)
    sample = TaggedSample(ids=tags["sample_id"].astype(str).to_numpy(dtype=object),
                          tags=tags["tags"].to_numpy(dtype=object), source=f"{project}/{run} tags")
    return tally_sample(sample, cv=pred, total_errors=total_errors)


def _stored_baselines(session: Session, project: str, runs: Sequence[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in _runs(session, project, runs):
        for b in row.baselines:
            out[b.name] = min(out.get(b.name, b.value), b.value)
    return out


__all__ = ["curve_runs", "learning_curve_from_store", "validation_curve_from_store", "tally_from_store"]
