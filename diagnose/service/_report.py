"""Diagnose one run from its files: read and validate them, then build the report."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._threads import one_blas_thread
from ..bias_variance import Report
from ..exceptions import UsageError
from ..ingest import Source
from ..options import ReportOptions


def report(
    train: Source | None = None,
    cv: Source | None = None,
    test: Source | None = None,
    *,
    data: Source | None = None,
    baselines: Mapping[str, float] | None = None,
    baseline_files: Mapping[str, Source] | None = None,
    options: ReportOptions | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
    **overrides: Any,
) -> Report:
    """Diagnose one run from its predictions (paths, DataFrames or Arrow tables).

    ``options`` (or keyword arguments naming its fields, such as ``task``, ``metric``,
    ``tolerance``, ``threshold_rule``) say how to read and judge them. ``baseline_files``
    are competing models' predictions on the same cv rows; their cv errors are baselines.
    ``engine`` (``auto``, ``memory``, ``arrow``, ``dask``; default ``DIAGNOSE_ENGINE``) says how
    to compute, ``scheduler`` which Dask cluster (see docs/scale.md).

    >>> import pandas as pd
    >>> train = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.1, 0.9] * 50})
    >>> cv = pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.6, 0.9] * 50})
    >>> r = report(train=train, cv=cv, baselines={"human": 0.01})
    >>> r.verdict.verdict, r.splits["cv"].error
    ('high_variance', 0.5)
    """
    with one_blas_thread():  # sums over rows: a second BLAS thread only waits for a core
        from ._inputs import pick_engine

        sources = {"train": train, "cv": cv, "test": test, "data": data}
        chosen = pick_engine(engine, {k: v for k, v in sources.items() if v is not None},
                             ReportOptions.of(options, **overrides).encoding)
        if chosen != "memory":
            if baseline_files:
                raise UsageError(f"--baseline-file needs the rows themselves (its ids are joined to cv's): use "
                                 f"--engine memory, or give its cv error as --baseline (engine {chosen})")
            from ._engines import streamed_report

            return streamed_report(sources, engine=chosen, baselines=baselines,
                                   options=ReportOptions.of(options, **overrides), scheduler=scheduler)
        from ._submit import prepare_run  # the memory engine's reading (not the streamed report's)

        return prepare_run(train, cv, test, data=data, baselines=baselines, baseline_files=baseline_files,
                           options=options, encode=False, **overrides).report
