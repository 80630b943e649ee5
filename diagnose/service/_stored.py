"""Workflows over stored runs: curves from a project's runs, the tally of stored tags, a
project's runs as one table, and a session on the configured database.

The stored tables go back through the same code as files do: curves get one validated
table per (run, split) carrying the run's training-set size or parameter, and the tally
reads the reviewers' tags from the store.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import store
from ..curves import (
    LearningCurve,
    ValidationCurve,
    curve_statistics_usable,
    learning_curve_from_statistics,
    validation_curve_from_statistics,
)
from ..error_analysis import ErrorSample, ErrorTally, tally_sample
from ..exceptions import UsageError
from ..ingest import Predictions, Runs, TaggedSample, runs_from_groups
from ..options import ReportOptions
from ..present import KEY_NUMBERS, key_numbers
from ..store import (
    CurveTables,
    curve_baselines,
    curve_reading,
    curve_rows,
    curve_tables,
    get_tags,
    load_run_splits,
    stored_reports,
    whole_number,
)
from ._curves import learning_curve, validation_curve

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

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
    chosen = curve_rows(session, project, by="train_size", runs=runs)
    found = _curve_statistics(session, project, chosen, ("train", "cv"), options)
    if found is not None:  # every run carries statistics: no row is read
        opts, rest = found
        if baselines is None:
            baselines = curve_baselines(chosen)
        return learning_curve_from_statistics(rest, by=curve_reading(chosen, "train_size")[0], baselines=baselines,
                                              options=opts, target=options.get("target"))
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
    chosen = curve_rows(session, project, by=param, runs=runs)
    found = _curve_statistics(session, project, chosen, ("train", "cv", "test"), options)
    if found is not None:  # every run carries statistics: no row is read
        opts, rest = found
        prefix = opts.column_names.param_prefix
        name = param[len(prefix):] if param.startswith(prefix) else param
        return validation_curve_from_statistics(rest, param=name, by=curve_reading(chosen, param)[0], options=opts,
                                                tie=options.get("tie", "smallest"))
    return validation_curve(curve_runs(session, project, by=param, runs=runs), param=param, **options)


def statistics_reader():
    """``diagnose.service.run_statistics`` (the statistics stored with a run), or ``None`` in
    an install without it."""
    import importlib

    try:
        return getattr(importlib.import_module(__package__), "run_statistics", None)
    except ImportError:  # declared but not installed
        return None


def _curve_statistics(session: Session, project: str, chosen: Mapping[Any, Any], splits: tuple[str, ...],
                      options: Mapping[str, Any]) -> tuple[ReportOptions, dict[Any, dict]] | None:
    """The options and, per run of the curve, its stored statistics of ``splits``, when every
    run has them in the curve's metric; else ``None`` (the rows are read instead)."""
    read = statistics_reader()
    if read is None:
        return None
    rest = {k: v for k, v in options.items() if k not in ("target", "tie", "options")}
    opts = ReportOptions.of(options.get("options"), **rest)
    found: dict[Any, dict] = {}
    for value, row in chosen.items():
        stats = read(session, project, row.name)
        if stats is None:
            return None
        found[value] = {split: f.stats for split, f in stats.items() if split in splits}
    return (opts, found) if curve_statistics_usable(found, opts.metric) else None


def tally_from_store(session: Session, project: str, run: str, *, split: str = "cv",
                     total_errors: int | None = None, predictions: Predictions | None = None,
                     cv_n: int | None = None) -> ErrorTally:
    """Tally the reviewers' tags stored for a run's split (the dashboard writes them).

    ``predictions`` may hold that split's validated :class:`~diagnose.ingest.Predictions`
    when the caller has them already (the dashboard caches them); else they are loaded,
    unless ``total_errors`` and ``cv_n`` are both given (then no row is read, and the tagged
    ids are not checked against the cv errors).

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
    sample = TaggedSample(ids=tags["sample_id"].astype(str).to_numpy(dtype=object),
                          tags=tags["tags"].to_numpy(dtype=object), source=f"{project}/{run} tags")
    if predictions is None and total_errors is not None and cv_n is not None:
        return tally_sample(sample, total_errors=total_errors, cv_n=cv_n)  # the counts given: no row read
    pred = predictions if predictions is not None else getattr(load_run_splits(session, project, run), split)
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


def error_sample_from_store(session: Session, project: str, run: str, *, n: int, seed: int = 0,
                            within: str | None = None, batch_rows: int = 1 << 18) -> ErrorSample:
    """The sample of :func:`diagnose.error_analysis.sample_errors` on a stored run's cv split,
    read in record batches of ``batch_rows`` instead of decoding the split whole.

    A first pass reads the columns that say which rows are errors (labels, predictions,
    scores, ids, and the slice columns ``within`` tests) and keeps the ``n`` errors of
    smallest sample key (scheme ``hash-v1``, a hash of seed and id: the rows do not depend on
    the batches); then only those rows are read whole and drawn from as the whole split is.
    The ids, checked unique at submission, are converted for the error rows alone; the weight
    column, which no sample shows, is not read. Memory: the stored bytes and one batch. A
    regression run's |error| cut, a quantile of every row's, takes one more pass (over the
    labels and predictions only).

    >>> import os, tempfile, numpy as np, pandas as pd
    >>> from diagnose.error_analysis import sample_errors
    >>> from diagnose.service import submit_files
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"id": np.arange(500), "y_true": rng.integers(0, 2, 500), "y_score": rng.random(500)})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     streamed = error_sample_from_store(s, "demo", "r1", n=20, seed=3, batch_rows=64)
    ...     whole = sample_errors(load_run_splits(s, "demo", "r1").cv, n=20, seed=3)
    >>> streamed.frame.equals(whole.frame), streamed.total_errors == whole.total_errors
    (True, True)
    """
    import numpy as np
    import pyarrow as pa

    from ..error_analysis import error_mask, ids_of, parse_slice, sample_errors, slice_mask
    from ..ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, RawTable, parse_chunk, sample_keys, task_type

    if n < 1:
        raise UsageError(f"the sample size must be at least 1, not {n}")
    split = store.stored_split(session, project, run, "cv")
    kind = task_type(split.task)
    classes = split.classes if kind.one_of_classes else ()
    # binary labels named by a positive label: the other class is named after the label every split shows
    named = _binary_classes(session, project, run) if split.task == "binary" and split.positive_label else None
    # weights take no part in a sample, and those of one batch (or of the rows drawn) may sum to
    # 0, which a whole table's validation refuses: never read
    names = [c for c in split.names if c != split.columns.weight]

    def parse(table: pa.Table, first: int) -> Predictions:
        rows = np.arange(first, first + table.num_rows)
        pred = parse_chunk(RawTable(table, split.name, "cv", rows), split.task, split.columns,
                           split.positive_label, classes)
        return pred if named is None else replace(pred, classes=named)

    conditions = parse_slice(within) if within is not None else None
    probe = parse(pa.Table.from_batches([next(split.batches(names, batch_rows=1))]), 1)
    tested = {c.column for c in conditions or ()}
    needed = [c for c in names if c not in probe.slice_columns or c in tested]
    id_column = split.columns.id if probe.ids is not None else None

    def predictions(columns: list[str]) -> Iterator[tuple[pa.Table, Predictions]]:
        first = 1
        for batch in split.batches(columns, batch_rows=batch_rows):
            table = pa.Table.from_batches([batch])
            yield table, parse(table.drop_columns([id_column]) if id_column in columns else table, first)
            first += batch.num_rows

    cut = None
    if not kind.classification:
        labels = [c for c in needed if c != id_column and c not in probe.slice_columns]
        cut = error_mask_cut(np.concatenate([np.abs(p.y_pred - p.y_true) for _, p in predictions(labels)]))
    # per batch, its errors of the n smallest keys (with their columns read so far) are the candidates
    keys, rows, tables = [], [], []
    errors = inside = 0
    for table, pred in predictions(needed):
        mask = error_mask(pred, cut=cut)[0]
        if conditions is not None:
            here = slice_mask(conditions, pred.slices(), source=pred.source)
            inside += int(here.sum())
            mask = mask & here
        idx = np.flatnonzero(mask)
        errors += len(idx)
        k = sample_keys(_ids_at(table, id_column, idx) if id_column else ids_of(pred)[0][idx], seed)
        if len(k) > n:
            keep = np.argpartition(k, n - 1)[:n]
            idx, k = idx[keep], k[keep]
        keys.append(k)
        rows.append(np.asarray(pred.row_numbers)[idx])
        tables.append(table.take(pa.array(idx)))
    # the n candidates of smallest key, with the columns the first pass left out read for them
    # alone, drawn from as the whole split is
    all_keys = np.concatenate(keys) if keys else np.empty(0, np.uint64)
    first = np.argpartition(all_keys, n - 1)[:n] if len(all_keys) > n else np.arange(len(all_keys))
    order = first[np.argsort(np.concatenate(rows)[first] if rows else first)]
    picked = np.concatenate(rows)[order] if rows else np.empty(0, np.int64)
    read = pa.concat_tables(tables).take(pa.array(order)) if tables else None
    rest = [c for c in names if c not in needed]
    more = split.take(picked - 1, rest) if rest and len(picked) else None
    small = None
    if read is not None:
        columns = {c: read.column(c) for c in needed}
        columns.update({c: more.column(c) for c in rest} if more is not None else {})
        small = replace(parse(pa.table({c: columns[c] for c in names if c in columns}), 1), row_numbers=picked)
    part = sample_errors(small, n=n, seed=seed, cut=cut, within=conditions) if small is not None and len(picked) \
        else None
    warnings = []
    if conditions is not None:
        warnings.append(f"sampling only the {errors} errors inside the slice {' & '.join(map(str, conditions))} "
                        f"({inside} cv rows)")
    if errors < n:
        warnings.append(f"only {errors} errors to sample from: taking all of them")
    warnings += ids_of(probe)[1]
    frame = (part or sample_errors(probe, n=n, seed=seed, cut=cut, within=conditions)).frame
    frame[TOTAL_ERRORS_COLUMN] = errors
    frame[CV_N_COLUMN] = split.n_rows
    return ErrorSample(frame=frame, total_errors=errors, cv_n=split.n_rows, seed=seed, cut=cut,
                       warnings=tuple(warnings))


def _ids_at(table: pa.Table, column: str, rows: np.ndarray) -> np.ndarray:
    """The ids of a batch's ``rows`` as validation gives them (text as ``str``): a stored split's
    ids were checked present and unique when it was submitted."""
    import pyarrow as pa

    from ..ingest import to_numpy

    ids = to_numpy(table.column(column).take(pa.array(rows)))
    return ids.astype(str) if ids.dtype == object else ids


def _binary_classes(session: Session, project: str, run: str) -> tuple[str, ...] | None:
    """A binary run read with a positive label: its classes as the whole run's validation named
    them (the stored statistics keep them; else the distinct labels of every stored split)."""
    read = statistics_reader()
    found = read(session, project, run) if read is not None else None
    if found is not None:
        return tuple(found["train"].stats.classes)
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..ingest import Checker, natural_key

    seen: set[str] = set()
    positive = None
    for name in ("train", "cv", "test"):
        try:
            split = store.stored_split(session, project, run, name)
        except UsageError:
            continue
        positive, column = split.positive_label, split.columns.y_true
        for batch in split.batches([column]):
            distinct = pa.table({column: pc.unique(batch.column(column))})
            seen.update(Checker(distinct, split.name).labels(column).tolist())
    others = sorted(seen - {positive}, key=natural_key)
    return (others[0], str(positive)) if len(others) == 1 else None


def error_mask_cut(abs_error) -> float:
    """The regression |error| cut :func:`diagnose.error_analysis.error_mask` takes by default."""
    import numpy as np

    from ..options import DEFAULT_TOP_SHARE

    return float(np.quantile(abs_error, 1.0 - DEFAULT_TOP_SHARE))
