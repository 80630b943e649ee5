"""Each run's statistics, stored: the per-split :class:`~._partials.Found` the streaming engines
compute (the report's sums and, for binary cv and test, the score histogram), kept beside the
run so that the dashboard and the curves render without decoding its rows.

:func:`statistics_of` computes them from validated in-memory splits with the engines' own
kernel and order (:func:`~._engines.collect_statistics`: train, then cv and test with the
trivial model fitted on train); :func:`encode_statistics` turns them into bytes for
:func:`diagnose.store.submit_run`; :func:`run_statistics` reads a stored run's back.
"""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..exceptions import DiagnoseError
from ..ingest import Splits
from ..metrics import Moments, WeightStrata, metric_for
from ..options import ReportOptions
from ..stats import Agreement, Confusion, Plan, SplitStats
from ..store import Registry, StatisticsTooLarge, decode_value, encode_value
from ..thresholds import SCORE_GRID, ScoreGrid, ScoreHistogram, ScoreStats
from ._inputs import BATCH_ROWS, Input
from ._partials import Found, found_in, scored_plan

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# the classes a stored blob may hold: these, and every dataclass that Found's field
# annotations reach (a field added to Found is stored without a change here). Both sets are
# fixed by the code, never by a blob.
CLASSES: tuple[type, ...] = (Found, SplitStats, Moments, WeightStrata, Confusion, Agreement, ScoreStats,
                             ScoreHistogram, ScoreGrid)


def reachable(cls: type, seen: dict[str, type] | None = None) -> dict[str, type]:
    """The dataclasses that ``cls``'s field annotations name, recursively (``cls`` included).

    >>> sorted(reachable(ScoreStats))
    ['ScoreGrid', 'ScoreHistogram', 'ScoreStats']
    """
    seen = {} if seen is None else seen
    seen[cls.__name__] = cls

    def visit(hint: Any) -> None:
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if hint.__name__ not in seen:
                reachable(hint, seen)
        for arg in typing.get_args(hint):
            visit(arg)

    for hint in typing.get_type_hints(cls).values():
        visit(hint)
    return seen


REGISTRY = Registry({**{c.__name__: c for c in CLASSES}, **reachable(Found)}.values())


@dataclass(frozen=True)
class _Table(Input):
    """One in-memory split as the engines' runner sees it (a name for messages, the table)."""

    table: pa.Table | None = None


def _table_runner(source: Input, plan: Plan, split: str | None) -> dict[str, Found]:
    """The arrow engine's merge of per-batch statistics, over an in-memory table's batches."""
    assert isinstance(source, _Table) and source.table is not None
    table = source.table
    if split is not None and plan.columns.split in table.column_names:
        table = table.drop_columns([plan.columns.split])
    merged: dict[str, Found] = {}
    first = 1
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        for name, found in found_in(batch, plan, source=source.name, split=split, first_row=first).items():
            merged[name] = found if name not in merged else merged[name].merge(found)
        first += batch.num_rows
    if not merged and split is not None:  # no rows: the statistics of an empty chunk
        merged = found_in(table.slice(0, 0), plan, source=source.name, split=split)
    return merged


def plan_of(splits: Splits, options: ReportOptions | None = None, **overrides: Any) -> Plan:
    """The engines' plan for validated splits read with ``options`` (the metric as the
    memory report picks it; the calibration sums counted as the streamed report counts them).

    >>> import pandas as pd
    >>> from diagnose.ingest import load_splits
    >>> t = pd.DataFrame({"y_true": [0, 1] * 5, "y_score": [0.2, 0.7] * 5})
    >>> plan_of(load_splits(t, t)).metric
    'error_rate'
    """
    opts = ReportOptions.of(options, **overrides)
    return scored_plan(Plan(splits.task, metric_for(opts.metric, splits.train).name, opts.column_names,
                            opts.positive_label, tuple(splits.train.classes)), opts)


def statistics_of(splits: Splits, options: ReportOptions | Plan | None = None, **overrides: Any) -> dict[str, Found]:
    """Each split's statistics (train, cv, test) from validated in-memory splits, by the
    streaming engines' kernel and merge over the split's table in record batches: what a
    streamed submit of the same files stores. ``options`` as for the report, or a ``Plan``.

    >>> import pandas as pd
    >>> from diagnose.ingest import load_splits
    >>> t = pd.DataFrame({"y_true": [0, 1] * 5, "y_score": [0.2, 0.7] * 5})
    >>> found = statistics_of(load_splits(t, t))
    >>> sorted(found), found["cv"].stats.loss.rows, found["cv"].scores.rows, found["train"].scores
    (['cv', 'train'], 10, 10, None)
    """
    from ._engines import collect_statistics

    plan = options if isinstance(options, Plan) else plan_of(splits, options, **overrides)
    inputs = {name: _Table(pred.source, (), "table", table=pred.table) for name, pred in splits.items()}
    missing = [name for name, source in inputs.items() if source.table is None]
    if missing:
        raise ValueError(f"the {', '.join(missing)} split holds no table to compute statistics from")
    return collect_statistics(inputs, plan, _table_runner)


def encode_statistics(found: Mapping[str, Found]) -> dict[str, bytes]:
    """Each split's statistics as the bytes the store keeps (no pickle: see ``store._statistics``).

    >>> import pandas as pd
    >>> from diagnose.ingest import load_splits
    >>> t = pd.DataFrame({"y_true": [0, 1] * 5, "y_score": [0.2, 0.7] * 5})
    >>> blobs = encode_statistics(statistics_of(load_splits(t, t)))
    >>> decode_statistics(blobs, what="demo/r1")["cv"].scores.rows
    10
    """
    try:
        return {split: encode_value(value, REGISTRY) for split, value in found.items()}
    except StatisticsTooLarge:  # (thousands of classes) stored without: the pages read the rows instead
        return {}


def decode_statistics(blobs: Mapping[str, bytes], *, what: str) -> dict[str, Found]:
    """The statistics of :func:`encode_statistics`; a damaged or foreign blob is a DiagnoseError."""
    out = {}
    for split, data in blobs.items():
        name = f"{what}:{split}"
        value = decode_value(data, REGISTRY, what=name)
        if not isinstance(value, Found):
            raise DiagnoseError(f"the stored statistics of {name} cannot be read (they hold a "
                                f"{type(value).__name__}, not a split's statistics); delete the run and "
                                "submit it again")
        _check_scores(value.scores, name)
        out[split] = value
    return out


def _check_scores(scores: ScoreStats | None, what: str) -> None:
    """The histogram's arrays have the lengths its grid and the fixed cuts give (a blob could
    hold arrays of any length that the threshold search would then index out of bounds)."""
    if scores is None:
        return
    empty = ScoreStats.of(np.zeros(0, np.int8), np.zeros(0))  # the lengths of every histogram
    n, m = SCORE_GRID.buckets, empty.cut_total.shape[0]
    lengths = (scores.hist.total.shape, scores.hist.positive.shape, scores.bucket_rows.shape,
               scores.cut_total.shape, scores.cut_positive.shape)
    if scores.hist.grid != SCORE_GRID or lengths != ((n,), (n,), (n,), (m,), (m,)):
        raise DiagnoseError(f"the stored statistics of {what} cannot be read (their score histogram has "
                            f"arrays of lengths {[s[0] if s else 0 for s in lengths]}, not {n} and {m}); "
                            "delete the run and submit it again")


def run_statistics(session: Session, project: str, run: str) -> dict[str, Found] | None:
    """The statistics stored with run ``run`` of ``project``, by split; ``None`` for a run
    stored before diagnose kept them (its tables still give everything).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session, submit_files
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = submit_files(s, project="demo", run="r1", train=t, cv=t)
    ...     found = run_statistics(s, "demo", "r1")
    >>> found["cv"].stats.error("cv").error, found["cv"].scores.rows
    (0.0, 40)
    """
    from ..store import stored_statistics

    blobs = stored_statistics(session, project, run)
    return None if blobs is None else decode_statistics(blobs, what=f"{project}/{run}")
