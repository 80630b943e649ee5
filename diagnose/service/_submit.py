"""Submitting a run: files -> validated splits + report (prepared), then one stored run.

Everything that can fail on bad input happens in :func:`prepare_run`, before the
database is touched, so a bad file stores nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..bias_variance import Report, build_report
from ..ingest import Splits, load_predictions, load_splits
from ..options import ReadOptions, ReportOptions
from ..present import render
from ..store import Encoded, RunSummary, encode_table
from ._statistics import encode_statistics, statistics_of

if TYPE_CHECKING:  # SQLAlchemy loads only when something is stored
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PreparedRun:
    """A validated run ready to store: its splits, report and the options it was read with."""

    splits: Splits
    report: Report
    baselines: Mapping[str, float]
    columns: Mapping[str, str] = field(default_factory=dict)
    positive_label: str | None = None
    encoded: Mapping[str, Encoded] | None = field(default=None, repr=False)
    # each split's statistics as stored (``encode_statistics``), with ``encode``
    statistics: Mapping[str, bytes] | None = field(default=None, repr=False)


def prepare_run(train=None, cv=None, test=None, *, data=None, baselines: Mapping[str, float] | None = None,
                baseline_files: Mapping[str, Any] | None = None, options: ReportOptions | None = None,
                encode: bool = True, **overrides: Any) -> PreparedRun:
    """Read and validate the files and compute the report (same options as ``diagnose.report``).

    With ``encode``, each split is also encoded for storage (Parquet + sha256) in
    background threads while the report is computed.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> prepare_run(t, t, baselines={"human": 0.0}).report.verdict.verdict
    'inconclusive'
    """
    opts = ReportOptions.of(options, **overrides)
    splits = load_splits(train, cv, test, data=data, options=opts)
    competitors = {name: load_predictions(src, options=ReadOptions.of(opts.reading(), task=splits.task))
                   for name, src in (baseline_files or {}).items()}
    from .. import store

    early = {}
    # tables kept inside the database have its size limit; an artifact store has none
    limited = encode and store.table_size_limit() is not None
    if limited:  # a split that may be too large to store is encoded first, to refuse it before computing
        for name, pred in splits.items():
            if pred.table is not None and pred.table.nbytes > store.MAX_BLOB_BYTES:
                early[name] = encode_table(pred.table)
                store.check_blob_size(len(early[name].data), source=pred.source, split=name)
    with ThreadPoolExecutor(max_workers=4) as pool:
        # pyarrow's Parquet writer and hashlib release the GIL: encoding overlaps the report
        futures = {name: pool.submit(encode_table, pred.table) for name, pred in splits.items()
                   if name not in early} if encode else {}
        stats = pool.submit(lambda: encode_statistics(statistics_of(splits, opts))) if encode else None
        report = build_report(splits, baselines=baselines, competitors=competitors, options=opts)
        encoded = {**early, **{name: f.result() for name, f in futures.items()}} or None
        statistics = None if stats is None else stats.result()
    for name, enc in (encoded or {}).items() if limited else ():
        store.check_blob_size(len(enc.data), source=getattr(splits, name).source, split=name)
    # the user's baselines and the competitors' cv errors; the trivial one lives in the report
    given = {name: value for name, value in report.baselines.items()
             if name in (baselines or {}) or name in competitors}
    return PreparedRun(splits=splits, report=report, baselines=given, columns=opts.column_map,
                       positive_label=opts.positive_label, encoded=encoded, statistics=statistics)


def submit_prepared(session: Session, prepared: PreparedRun, *, project: str, run: str,
                    params: Mapping[str, Any] | None = None, train_size: float | None = None) -> RunSummary:
    """Store a :class:`PreparedRun` (call inside ``with Session(engine) as s, s.begin():``).

    >>> import os, tempfile, pandas as pd
    >>> from diagnose.service import session
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> prepared = prepare_run(t, t, baselines={"human": 0.01})  # validated and computed, nothing stored yet
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     submit_prepared(s, prepared, project="demo", run="r1", train_size=40).train_size
    40
    """
    from ..store import submit_run  # the database layer loads only when something is stored

    # rendered here, before the store's transaction takes the write lock
    rendered = (render(prepared.report, "text"), render(prepared.report, "markdown"))
    return submit_run(session, project=project, run=run, splits=prepared.splits, report=prepared.report,
                      baselines=prepared.baselines, params=params, train_size=train_size,
                      columns=prepared.columns, positive_label=prepared.positive_label,
                      encoded=prepared.encoded, rendered=rendered, statistics=prepared.statistics)


def submit_files(session: Session, *, project: str, run: str, params: Mapping[str, Any] | None = None,
                 train_size: float | None = None, **sources: Any) -> RunSummary:
    """Validate files, compute the report and store the run; ``sources`` as :func:`prepare_run`.

    >>> import os, tempfile, pandas as pd
    >>> from sqlalchemy.orm import Session
    >>> from diagnose.store import make_engine
    >>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
    >>> t = pd.DataFrame({"y_true": [0, 1] * 20, "y_score": [0.2, 0.7] * 20})
    >>> with Session(engine) as s, s.begin():
    ...     submit_files(s, project="demo", run="r1", train=t, cv=t).verdict
    'inconclusive'
    """
    prepared = prepare_run(**sources)
    return submit_prepared(session, prepared, project=project, run=run, params=params, train_size=train_size)
