"""Engines: how ``diagnose report`` reads and computes.

* ``memory``: read whole tables, validate them, compute from arrays (the default on small data);
* ``arrow``: stream record batches of a file, a folder or a glob of CSV/Parquet parts with
  ``pyarrow.dataset``, turn each into statistics (:func:`diagnose.stats.batch_statistics`) and
  merge them: memory stays bounded by one batch, whatever the size of the input;
* ``dask``: the same kernel per partition on a Dask cluster (:mod:`._dask`), merged by a tree reduce;
* ``auto``: ``arrow`` when the input files are larger than ``DIAGNOSE_STREAM_ABOVE_MB``, else ``memory``.

The streamed report is built from statistics only (:func:`diagnose.bias_variance.report_from_statistics`);
the sections statistics do not cover yet are named in a warning of the report.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..bias_variance import Report, report_from_statistics
from ..exceptions import InputError, UsageError
from ..ingest import Checker, Columns, RawTable, infer_task, parse_splits, tracked_batches
from ..metrics import metric_for
from ..options import ReportOptions
from ..stats import Plan, SplitStats, chunk_predictions, trivial_fit
from ..thresholds import ThresholdResult, choose_threshold, streamed_threshold
from ._inputs import Input, batches, first_rows, needed_columns
from ._partials import Found, found_in, job_in, scored_plan


def _distinct(source: Input, column: str, cols: Columns) -> pa.Array | None:
    seen = None
    for _, _, batch in tracked_batches(batches(source, [column], cols), source.files, f"labels of {source.name}"):
        if column not in batch.schema.names:
            return None
        found = pc.unique(batch.column(column))
        seen = found if seen is None else pc.unique(pa.concat_arrays([seen, found.cast(seen.type)]))
    return seen


def make_plan(inputs: Mapping[str, Input], opts: ReportOptions) -> Plan:
    """The task, classes and metric for the whole input, from the column names and, when the
    labels decide them, one pass over the label columns only (their distinct values)."""
    cols = opts.column_names
    first_split = "data" if "data" in inputs else "train"
    first = inputs[first_split]
    names = first.names(cols)
    task = opts.task or infer_task(names, cols)
    _check_names(inputs, task, cols)
    classes: tuple[str, ...] = ()
    labels_only = not any(c == cols.y_score or c.startswith((cols.prob_prefix, cols.score_prefix)) for c in names)
    if task is None or (labels_only and task == "multiclass") or (opts.positive_label is not None
                                                                   and task in (None, "binary")):
        raws = {}
        for split, source in inputs.items():
            table = {}
            for column in (cols.y_true, cols.y_pred) if labels_only else (cols.y_true,):
                values = _distinct(source, column, cols)
                if values is not None:
                    table[column] = values
            width = max(len(v) for v in table.values())
            padded = {c: pa.concat_arrays([v, pa.repeat(v[0], width - len(v))]) if len(v) < width else v
                      for c, v in table.items()}
            if not labels_only:
                padded[cols.y_score] = pa.array(np.full(width, 0.5))
            raws[split] = RawTable(pa.table(padded), source.name, split)
        parsed, _ = parse_splits(raws, task=task, columns=cols, positive_label=opts.positive_label)
        sample = next(iter(parsed.values()))
        task, classes = sample.task, sample.classes
    elif task == "multiclass":
        classes = tuple(c[len(cols.prob_prefix):] for c in names if c.startswith(cols.prob_prefix))
        for source in inputs.values():
            other = tuple(c[len(cols.prob_prefix):] for c in source.names(cols)
                          if c.startswith(cols.prob_prefix))
            if other != classes:
                raise InputError(f"has probability columns for classes {', '.join(other)} but {first.name} "
                                 f"has {', '.join(classes)}", file=source.name,
                                 fix="Give every split the same y_prob_<class> columns in the same order")
    plan = Plan(task, "", cols, opts.positive_label, classes)
    wanted = needed_columns(names, cols, split_column=False)
    head = first_rows(first, wanted, cols)
    pred = chunk_predictions(head, plan, source=first.name, split="train", rows=np.arange(1, head.num_rows + 1))
    return Plan(task, metric_for(opts.metric, pred).name, cols, opts.positive_label, classes)


def _check_names(inputs: Mapping[str, Input], task: str | None, cols: Columns) -> None:
    """The checks of column names that the memory engine makes on whole tables: the label
    column is there (with the hint for a file separated by ';'), and every split of a
    multi-label run scores the same labels (the same messages as the memory engine)."""
    labels: dict[str, tuple[str, ...]] = {}
    for split, source in inputs.items():
        names = source.names(cols)
        if task == "multilabel":
            labels[split] = tuple(c[len(cols.true_prefix):] for c in names if c.startswith(cols.true_prefix))
        elif cols.y_true not in names:  # refused with the memory engine's message and hints
            Checker(pa.schema([(n, pa.null()) for n in names]).empty_table(), source.name).require(
                cols.y_true, "the label", cols)
    if not labels:
        return
    (first_split, first), *others = labels.items()
    for split, have in others:
        missing = [label for label in first if label not in have]
        extra = [label for label in have if label not in first]
        if missing or extra:
            what = (f"lacks label(s) {', '.join(missing)} that {inputs[first_split].name} has" if missing else
                    f"has label(s) {', '.join(extra)} that {inputs[first_split].name} lacks")
            raise InputError(f"{what} (the {split} split)", file=inputs[split].name,
                             column=cols.true_prefix + (missing or extra)[0],
                             fix=f"Give every split the same {cols.true_prefix}<label> and "
                             f"{cols.score_prefix}<label> columns")


Runner = Callable[[Input, Plan, "str | None"], dict[str, Found]]
# a pass of a threshold job over one split's rows: (input, plan, split, job) -> the job's results
Scanner = Callable[[Input, Plan, str, Callable[..., Any]], list]


def keep_heap() -> None:
    """Ask glibc to keep freed batch-sized arrays for reuse instead of returning them to the
    system: every batch allocates the same few arrays, and fresh pages cost page faults
    (a third of the kernel's time in a profile). A no-op where there is no glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: batch arrays come from the heap
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: and stay there between batches
    except (OSError, AttributeError):
        pass


def arrow_statistics(source: Input, plan: Plan, split: str | None) -> dict[str, Found]:
    """The arrow engine: the merged statistics of every batch of ``source``, by split."""
    keep_heap()
    names = source.names(plan.columns)
    columns = needed_columns(names, plan.columns, split_column=split is None or plan.columns.split in names)
    merged: dict[str, Found] = {}
    read = batches(source, columns, plan.columns)
    for path, first, batch in tracked_batches(read, source.files, f"statistics of {source.name}"):
        has_split = plan.columns.split in batch.schema.names
        found = found_in(batch, plan, source=path, split=None if has_split else split, first_row=first)
        if split is not None and has_split:
            _own_split_only(found, split, path, plan.columns)
        for name, stats in found.items():
            merged[name] = stats if name not in merged else merged[name].merge(stats)
    return merged


def arrow_scan(source: Input, plan: Plan, split: str, job: Callable[..., Any]) -> list:
    """A later pass of the arrow engine: ``job`` on the rows of ``split`` in every batch."""
    names = source.names(plan.columns)
    columns = needed_columns(names, plan.columns, split_column=plan.columns.split in names)
    out = []
    read = tracked_batches(batches(source, columns, plan.columns), source.files,
                           f"threshold pass over {source.name} ({split})")
    for path, first, batch in read:
        found = job_in(batch, plan, job, source=path, split=split, first_row=first,
                       split_column=plan.columns.split in batch.schema.names)
        if found is not None:
            out.append(found)
    return out


def _own_split_only(found: Mapping[str, Any], split: str, path: str, cols: Columns) -> None:
    others = sorted(s for s in found if s != split)
    if others:
        raise InputError(f"is given as the {split} split but its '{cols.split}' column holds other splits too "
                         f"({', '.join(others)})", file=path, column=cols.split,
                         fix="Give a file with train, cv and test rows as --data, or only this split's rows")


def collect_statistics(inputs: Mapping[str, Input], plan: Plan, run: Runner) -> dict[str, Found]:
    """Each split's statistics: train first (its label sums fit the trivial model), then cv
    with the trivial model's loss counted, then test. A ``--data`` file is read twice."""
    if "data" in inputs:
        stats = run(inputs["data"], plan, None)
        _require_train_and_cv(stats, inputs["data"].name)
        _check_weights(stats["train"].stats, inputs["data"], plan.columns)  # before the trivial fit divides by them
        again = run(inputs["data"], plan.with_trivial(trivial_fit(stats["train"].stats)), None)
        stats["cv"] = again["cv"]
    else:
        found = run(inputs["train"], plan, "train")
        _require_train_and_cv({"cv": None, **found}, inputs["train"].name)
        stats = {"train": found["train"]}
        _check_weights(stats["train"].stats, inputs["train"], plan.columns)  # before the trivial fit divides by them
        fit = trivial_fit(stats["train"].stats)
        for split in ("cv", "test"):
            if split in inputs:
                found = run(inputs[split], plan.with_trivial(fit), split)
                if split not in found:  # a header and no rows: the memory engine's message
                    raise InputError("has a header but no rows", file=inputs[split].name,
                                     fix="Add at least one row of predictions")
                stats[split] = found[split]
    for split, s in stats.items():
        _check_weights(s.stats, inputs.get(split, inputs.get("data")), plan.columns)
    return {split: stats[split] for split in ("train", "cv", "test") if split in stats}


def _require_train_and_cv(stats: Mapping[str, Any], name: str) -> None:
    missing = [s for s in ("train", "cv") if s not in stats]
    if missing:
        raise InputError(f"its split column has no {' and no '.join(missing)} rows", file=name,
                         fix="Give train and cv rows (and test) in the split column")


def _check_weights(stats: SplitStats, source: Input | None, cols: Columns) -> None:
    """Whether the weights sum to more than 0 is a question about the whole split."""
    total = stats.loss.weight[0]
    if stats.weighted and not (total > 0 and np.isfinite(total)):
        name = source.name if source else "<data>"
        if total <= 0:
            raise InputError(f"column '{cols.weight}' sums to 0", file=name, column=cols.weight,
                             fix="Give positive weights")
        raise InputError(f"column '{cols.weight}' holds weights too large to compute with", file=name,
                         column=cols.weight, fix="Scale the weights down, e.g. divide them by their mean")


def streamed_report(sources: Mapping[str, Any], *, engine: str, baselines: Mapping[str, float] | None = None,
                    options: ReportOptions | None = None, scheduler: str | None = None) -> Report:
    """The report of a run by the ``arrow`` or ``dask`` engine (``sources``: split -> path).

    >>> import os, tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> for split, shift in (("train", 0.1), ("cv", 0.3)):
    ...     pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [shift, 0.9] * 50}).to_parquet(f"{folder}/{split}.parquet")
    >>> r = streamed_report({"train": f"{folder}/train.parquet", "cv": f"{folder}/cv.parquet"}, engine="arrow",
    ...                     baselines={"human": 0.0})
    >>> r.splits["cv"].error, r.sections["threshold"].value, r.sections["calibration"].verdicts["cv"]
    (0.0, 0.9, 'miscalibrated')
    """
    return streamed_run(sources, engine=engine, baselines=baselines, options=options, scheduler=scheduler)[0]


def streamed_run(sources: Mapping[str, Any], *, engine: str, baselines: Mapping[str, float] | None = None,
                 options: ReportOptions | None = None,
                 scheduler: str | None = None) -> tuple[Report, dict[str, Found], Plan]:
    """:func:`streamed_report` with what it was computed from: each split's statistics and
    the plan (the streamed submit stores them).

    >>> import os, tempfile, pandas as pd
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pd.DataFrame({"y_true": [0, 1] * 50, "y_score": [0.2, 0.9] * 50}).to_parquet(path)
    >>> report, found, plan = streamed_run({"train": path, "cv": path}, engine="arrow")
    >>> report.splits["cv"].error, found["cv"].stats.loss.rows, plan.task
    (0.0, 100, 'binary')
    """
    opts = ReportOptions.of(options)
    inputs = {split: Input.of(src) for split, src in sources.items() if src is not None}
    if "data" not in inputs and ("train" not in inputs or "cv" not in inputs):
        missing = [s for s in ("train", "cv") if s not in inputs]
        raise UsageError(f"the {' and '.join(missing)} split is needed (give --{missing[0]})")
    plan = scored_plan(make_plan(inputs, opts), opts)  # with the calibration sums to count
    if engine == "dask":
        from ._dask import dask_runner

        with dask_runner(scheduler) as (run, scan):
            found = collect_statistics(inputs, plan, run)
            threshold = streamed_threshold_section(found, inputs, plan, opts, scan)
    else:
        found = collect_statistics(inputs, plan, arrow_statistics)
        threshold = streamed_threshold_section(found, inputs, plan, opts, arrow_scan)
    stats = {split: f.stats for split, f in found.items()}
    names = {split: inputs[split].name if split in inputs else inputs["data"].name for split in stats}
    calibration = {split: f.calibration for split, f in found.items() if f.calibration is not None}
    report = report_from_statistics(stats, engine=engine, baselines=baselines, options=opts, sources=names,
                                    threshold=threshold, calibration=calibration)
    return report, found, plan


def streamed_threshold_section(found: Mapping[str, Found], inputs: Mapping[str, Input], plan: Plan,
                               opts: ReportOptions, scan: Scanner) -> tuple[ThresholdResult, list[str]] | None:
    """The threshold section (and the keys it leaves out) of a binary run with cv scores,
    by :func:`diagnose.thresholds.streamed_threshold` over passes ``scan`` of the inputs;
    the multiclass and hard-prediction answers, which read no rows; ``None`` otherwise."""
    cv, test = found["cv"], found.get("test")
    if cv.scores is None:
        decisions = cv.stats.decisions("cv")
        if decisions is None:
            return None
        return choose_threshold(decisions, rule=opts.threshold_rule), []

    def over(split: str):
        given = inputs.get(split, inputs.get("data"))
        if given is None:
            return None
        source: Input = given
        return lambda job: scan(source, plan, split, job)

    def keyed(job) -> list:
        """The bootstrap's pass over cv with the rows' ids (or their positions among all cv
        rows, in file order), read here with pyarrow whatever the engine (the dask engine's
        partitions carry neither ids nor positions from the input's start): chunk results
        merged as they come."""
        source = inputs.get("cv", inputs.get("data"))
        assert source is not None
        names = source.names(plan.columns)
        columns = needed_columns(names, plan.columns, split_column=plan.columns.split in names)
        columns += [plan.columns.id] if plan.columns.id in names else []
        merged, seen = None, 0

        def counted(y, s, w, ids):  # the job, counting the cv rows it was given
            nonlocal seen
            seen += len(s)
            return job(y, s, w, ids)

        counted.keyed = True  # type: ignore[attr-defined]
        read = tracked_batches(batches(source, columns, plan.columns), source.files, f"bootstrap over {source.name}")
        for path, first, batch in read:
            part = job_in(batch, plan, counted, source=path, split="cv", first_row=first,
                          split_column=plan.columns.split in batch.schema.names, row_offset=seen)
            merged = part if merged is None else merged if part is None else merged.merge(part)
        return [] if merged is None else [merged]

    scan_cv = over("cv")
    assert scan_cv is not None  # cv is always given
    return streamed_threshold(opts.threshold_rule, cv.scores, scan_cv, None if test is None else test.scores,
                              over("test"), bootstrap=opts.bootstrap, seed=opts.seed,
                              test_hard=test is not None and test.scores is None, scan_keyed=keyed)
