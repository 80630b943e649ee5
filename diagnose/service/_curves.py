"""Learning and validation curves from files (or validated runs), and learning curves made
by refitting a scikit-learn estimator at several training-set sizes.

Refitting: each size m fits a fresh clone on the first m training rows (after an optional
seeded shuffle) and predicts those m rows (J_train) and the fixed cv rows (J_cv).
Classifiers give ``predict_proba`` where they have it, aligned to the classes of ``y`` and
``y_cv`` together, so a small training set that misses a class still lines up. The
predictions go through :mod:`diagnose.ingest` like any file, so the result is the same
:class:`~diagnose.curves.LearningCurve` a table of the same runs would give.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import InputError, UsageError
from ..ingest import (
    CodedRows,
    Runs,
    coded_rows,
    is_curve_summary,
    label_columns,
    load_curve_summary,
    load_runs,
    read_table,
    task_type,
)
from ..options import Columns, ReportOptions

if TYPE_CHECKING:  # diagnose.curves (and scipy behind it) loads while the files are read
    from ..curves import LearningCurve, ValidationCurve

# what a curve needs after its files are read, imported on a thread during the read (the
# power-law fit of a learning curve is numpy's: no scipy.optimize)
_COMPUTE_MODULES = ("diagnose.curves", "diagnose.present", "scipy.special")


def learning_curve(*sources: Any, baselines: Mapping[str, float] | None = None, target: float | None = None,
                   options: ReportOptions | None = None, **overrides: Any) -> LearningCurve:
    """A learning curve from prediction tables with ``split`` and ``train_size`` columns
    (one file or many), or from one summary table (``train_size, train_error, cv_error``
    and optional ``n_train, n_cv``), or from validated :class:`~diagnose.ingest.Runs`.
    Test rows are ignored. ``options`` or keyword arguments: ``metric``, ``tolerance``,
    ``tolerance_abs`` and the reading options (``task``, ``columns``, ...).

    >>> lc = learning_curve("sample_data/curves/learning_summary.csv", baselines={"human": 0.01})
    >>> lc.verdict, [p.value for p in lc.points][:3]
    ('high_variance', [50, 100, 200])
    """
    opts = ReportOptions.of(options, **overrides)
    if not sources:
        raise UsageError("give at least one table of learning-curve runs")
    if len(sources) == 1 and isinstance(sources[0], Runs):
        from ..curves import learning_curve_from_runs

        return learning_curve_from_runs(sources[0], baselines=baselines, options=opts, target=target)
    cols = opts.column_names
    tables = _read_tables(sources, opts, cols.train_size, _COMPUTE_MODULES)
    from ..curves import learning_curve_from_coded, learning_curve_from_runs, learning_curve_from_summary

    if is_curve_summary(tables[0][0]):
        if len(tables) > 1:
            raise UsageError(f"{tables[0][1]} is a summary table (train_error, cv_error); give it alone")
        summary = load_curve_summary(tables[0], columns=cols)
        return learning_curve_from_summary(summary, baselines=baselines, options=opts, target=target)
    coded = _coded(tables, cols.train_size, opts, ("train", "cv"))
    if coded is not None:
        return learning_curve_from_coded(coded, by=cols.train_size, baselines=baselines, options=opts, target=target)
    runs = load_runs(tables, by=cols.train_size, task=opts.task, columns=cols, positive_label=opts.positive_label,
                     splits=("train", "cv"))
    return learning_curve_from_runs(runs, baselines=baselines, options=opts, target=target)


def validation_curve(*sources: Any, param: str, tie: str = "smallest", options: ReportOptions | None = None,
                     **overrides: Any) -> ValidationCurve:
    """A validation curve from prediction tables with ``split`` and ``param_<param>``
    columns (or validated :class:`~diagnose.ingest.Runs`); test rows, if any, give J_test
    of the chosen value.

    >>> vc = validation_curve("sample_data/curves/validation_lambda.csv", param="lambda")
    >>> float(vc.chosen), round(vc.test.error)
    (1000.0, 1414)
    """
    opts = ReportOptions.of(options, **overrides)
    if not sources:
        raise UsageError("give at least one table of validation-curve runs")
    cols = opts.column_names
    name = param[len(cols.param_prefix):] if param.startswith(cols.param_prefix) else param
    if len(sources) == 1 and isinstance(sources[0], Runs):
        runs = sources[0]  # validated already (the store's runs)
    else:
        by = cols.param_prefix + name
        tables = _read_tables(sources, opts, by, _COMPUTE_MODULES)
        from ..curves import validation_curve_from_coded

        coded = _coded(tables, by, opts, ("train", "cv", "test"))
        if coded is not None:
            return validation_curve_from_coded(coded, param=name, by=by, options=opts, tie=tie)
        runs = load_runs(tables, by=by, task=opts.task, columns=cols, positive_label=opts.positive_label)
    from ..curves import validation_curve_from_runs

    return validation_curve_from_runs(runs, param=name, options=opts, tie=tie)


def _read_tables(sources: Sequence[Any], opts: ReportOptions, by: str,
                 modules: Sequence[str] = _COMPUTE_MODULES) -> list[tuple[Any, str]]:
    """Read every source (the split column dictionary-encoded where it can be) while a thread
    imports ``modules``, what the curve computes with: Arrow's readers release the GIL, so
    those imports take little wall time of their own on a big file.

    >>> tables = _read_tables(["sample_data/curves/validation_lambda.csv"], ReportOptions(), "param_lambda")
    >>> [(name, table.num_rows) for table, name in tables]
    [('sample_data/curves/validation_lambda.csv', 3536)]
    """
    cols = opts.column_names
    warm = _import_in_background(modules)
    try:
        return [read_table(s, encoding=opts.encoding, text_columns=label_columns(cols),
                           dictionary_columns=_split_codes_only(cols, by)) for s in sources]
    finally:
        warm.join()  # no import runs on when the caller goes on (or the read failed)


def _import_in_background(modules: Sequence[str]) -> threading.Thread:
    """A started thread that imports ``modules`` (any failure is left to the caller's own
    import, which then raises it where it is used).

    >>> import sys
    >>> _import_in_background(["json"]).join(); "json" in sys.modules
    True
    """
    import pyarrow.csv  # noqa: F401  (the readers' modules load here first, never on both threads)
    import pyarrow.parquet  # noqa: F401

    def run() -> None:
        from importlib import import_module

        for module in modules:
            try:
                import_module(module)
            except Exception:  # noqa: BLE001  (raised again, with its message, where it is used)
                return

    thread = threading.Thread(target=run, name="diagnose-curve-imports", daemon=True)
    thread.start()
    return thread


def _split_codes_only(cols: Columns, by: str) -> tuple[str, ...]:
    """The split column, which a Parquet file gives dictionary-encoded (only its few names are
    coded; ``diagnose.ingest`` reads it as the text it is), unless it has another role too."""
    roles = {v for k, v in vars(cols).items() if not k.endswith("_prefix") and k != "split"}
    prefixes = (cols.prob_prefix, cols.true_prefix, cols.score_prefix, cols.param_prefix)
    taken = cols.split in roles | {by, "train_error", "cv_error", "n_train", "n_cv"} or cols.split.startswith(prefixes)
    return () if taken else (cols.split,)


def _coded(tables: list, by: str, opts: ReportOptions, splits: tuple[str, ...]) -> CodedRows | None:
    """One table's rows validated at once with their run codes (the fast path), or ``None``:
    several files, a table :func:`~diagnose.ingest.coded_rows` leaves to the group-by-group
    path, or bad input, whose message (naming the rows) :func:`load_runs` gives as always."""
    if len(tables) != 1:
        return None
    if opts.task is not None:
        task_type(opts.task)  # an unknown task is bad usage, as load_runs says
    table, name = tables[0]
    try:
        return coded_rows(table, name, by=by, columns=opts.column_names, task=opts.task,
                          positive_label=opts.positive_label, splits=splits)
    except InputError:
        return None


def learning_curve_from_estimator(
    estimator,
    X,
    y,
    *,
    X_cv,
    y_cv,
    train_sizes: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 1.0),
    baselines: Mapping[str, float] | None = None,
    metric: str | None = None,
    tolerance=None,
    target: float | None = None,
    shuffle: bool = False,
    random_state: int | None = None,
):
    """Clone and refit ``estimator`` on the first m rows of ``X, y`` for each m in
    ``train_sizes`` (whole numbers, or fractions of ``len(X)`` when all are <= 1), and
    return the :class:`~diagnose.curves.LearningCurve`.

    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> lc = learning_curve_from_estimator(DecisionTreeClassifier(random_state=0), X[:400], y[:400],
    ...                                    X_cv=X[400:], y_cv=y[400:], train_sizes=[50, 100, 200, 400],
    ...                                    baselines={"human": 0.02})
    >>> [p.value for p in lc.points], lc.points[-1].train.error, lc.verdict
    ([50, 100, 200, 400], 0.0, 'high_variance')
    """
    import pandas as pd
    from sklearn.base import clone, is_classifier

    n = _n_rows(X)
    y = np.asarray(y)
    y_cv = np.asarray(y_cv)
    if len(y) != n or len(y_cv) != _n_rows(X_cv):
        raise UsageError("X and y (and X_cv and y_cv) must have the same number of rows")
    sizes = _sizes(train_sizes, n)
    order = np.random.default_rng(random_state).permutation(n) if shuffle else np.arange(n)
    classifier = is_classifier(estimator) or hasattr(estimator, "predict_proba")
    classes = np.unique(np.concatenate([y, y_cv])) if classifier else None
    frames = []
    for m in sizes:
        rows = order[:m]
        X_m, y_m = _take(X, rows), y[rows]
        model = clone(estimator).fit(X_m, y_m)
        for split, X_s, y_s in (("train", X_m, y_m), ("cv", X_cv, y_cv)):
            frame = _predictions(model, X_s, y_s, classes)
            frame.insert(0, "train_size", m)
            frame.insert(0, "split", split)
            frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    task = None if classifier else "regression"
    positive = str(classes[1]) if classes is not None and len(classes) == 2 else None
    return learning_curve(table, baselines=baselines, metric=metric, task=task, tolerance=tolerance,
                          target=target, positive_label=positive)


def _n_rows(X) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _sizes(train_sizes, n: int) -> list[int]:
    sizes = np.asarray(train_sizes, dtype=np.float64)
    if sizes.ndim != 1 or not len(sizes) or np.any(sizes <= 0):
        raise UsageError("train_sizes must be positive numbers (counts, or fractions of the rows)")
    if np.all(sizes <= 1) and not np.all(sizes == 1):
        sizes = np.ceil(sizes * n)
    out = sorted(set(int(s) for s in sizes))
    if len(out) < 2:
        raise UsageError(f"train_sizes must give 2 or more distinct sizes (a curve needs them); got {out}")
    if out[-1] > n:
        raise UsageError(f"train size {out[-1]} is larger than the {n} training rows")
    return out


def _predictions(model, X, y, classes):
    """One split's predictions in the input format (y_true as text for classifiers)."""
    import pandas as pd

    if classes is None:
        return pd.DataFrame({"y_true": y.astype(np.float64), "y_pred": np.asarray(model.predict(X), np.float64)})
    labels = classes.astype(str)
    if hasattr(model, "predict_proba"):
        proba = np.zeros((len(y), len(classes)))
        # classes_ of a model fit on few rows may be a subset of all classes
        proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(X)
        if len(classes) == 2:
            return pd.DataFrame({"y_true": y.astype(str), "y_score": proba[:, 1]})
        frame = pd.DataFrame(proba, columns=[f"y_prob_{c}" for c in labels])
        frame.insert(0, "y_true", y.astype(str))
        return frame
    return pd.DataFrame({"y_true": y.astype(str), "y_pred": np.asarray(model.predict(X)).astype(str)})
