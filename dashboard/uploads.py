"""The Upload page's work, without Streamlit: read the form's text fields, check the file
sizes, validate the files and compute the report, then store the run in one transaction.

Everything that can fail on bad input fails before the database is touched, so a bad
upload stores nothing.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnose.exceptions import InputError, UsageError
from diagnose.options import TASK_NAMES, ReportOptions

SPLIT_FILES = ("train", "cv", "test")
TASK_CHOICES = ("infer from the columns", *TASK_NAMES)


@dataclass(frozen=True)
class Upload:
    """The Upload form as the user filled it in; ``files`` maps split -> file object
    (anything with ``name``, ``size`` and ``getvalue()``, such as Streamlit's UploadedFile)."""

    project: str
    run: str
    files: Mapping[str, Any]
    baselines: str = ""
    train_size: str = ""
    params: str = ""
    task: str = TASK_CHOICES[0]
    positive_label: str = ""


def parse_pairs(text: str, *, what: str, numbers: bool) -> dict[str, Any]:
    """``"human=0.02, guess=0.1"`` -> ``{"human": 0.02, "guess": 0.1}``.

    >>> parse_pairs("human=0.02; guess = 0.1", what="baselines", numbers=True)
    {'human': 0.02, 'guess': 0.1}
    >>> parse_pairs("kernel=rbf, C=10", what="parameters", numbers=False)
    {'kernel': 'rbf', 'C': 10}
    >>> parse_pairs("human", what="baselines", numbers=True)
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: baselines: 'human' is not name=value; write them as human=0.02, guess=0.1
    """
    out: dict[str, Any] = {}
    example = "human=0.02, guess=0.1" if numbers else "lambda=0.1, degree=3"
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        name, sep, raw = (x.strip() for x in part.partition("="))
        if not sep or not name or not raw:
            raise UsageError(f"{what}: '{part.strip()}' is not name=value; write them as {example}")
        if name in out:
            raise UsageError(f"{what}: '{name}' is given twice")
        value = _number(raw)
        if numbers:
            if value is None or isinstance(value, str) or not math.isfinite(value):
                raise UsageError(f"{what}: {name} = '{raw}' is not a number; write them as {example}")
            value = float(value)
        out[name] = raw if value is None else value
    return out


def _number(raw: str):
    """An int or float when ``raw`` reads as one, else None."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return None


def named(files: Mapping[str, Any]) -> dict[str, Any]:
    """The uploads as in-memory files named for messages: by their own name, with the split
    added where two share a name (three files called preds.csv).

    >>> import io
    >>> a, b = io.BytesIO(b"x"), io.BytesIO(b"y")
    >>> a.name = b.name = "preds.csv"
    >>> {k: v.name for k, v in named({"train": a, "cv": b}).items()}
    {'train': 'preds.csv (train file)', 'cv': 'preds.csv (cv file)'}
    """
    import io

    names = [f.name for f in files.values()]
    out = {}
    for split, f in files.items():
        copy = io.BytesIO(f.getvalue())
        copy.name = f.name if names.count(f.name) == 1 else f"{f.name} ({split} file)"
        out[split] = copy
    return out


def megabytes(size: int) -> str:
    """A file size for people.

    >>> megabytes(9123), megabytes(1_013_628), megabytes(250_000_000)
    ('9.12 kB', '1.01 MB', '250 MB')
    """
    return f"{size / 1e3:.3g} kB" if size < 1e6 else f"{size / 1e6:.3g} MB"


def check_sizes(files: Mapping[str, Any], max_mb: float) -> None:
    """Refuse a file above the upload limit, naming it, its size, the limit and the way round.

    >>> import io
    >>> f = io.BytesIO(b"x" * 2_500_000); f.name = "train.csv"
    >>> check_sizes({"train": f}, max_mb=5)  # within the limit: nothing to say
    >>> check_sizes({"train": f}, max_mb=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: train.csv (train file): is 2.5 MB, above the upload limit of 1 MB...
    """
    limit = max_mb * 1_000_000
    for split, f in files.items():
        size = getattr(f, "size", None)
        if size is None:
            size = len(f.getvalue())
        if size > limit:
            raise InputError(
                f"is {megabytes(size)}, above the upload limit of {max_mb:g} MB",
                file=f"{f.name} ({split} file)",
                fix="Raise the limit (DIAGNOSE_UPLOAD_MAX_MB, then restart the dashboard) or store "
                    "the run from the command line: diagnose submit --train F --cv F --test F")


def prepare(upload: Upload, *, max_mb: float):
    """Check the form and the files and compute the report: a :class:`~diagnose.store.PreparedRun`
    and the run parameters, or an error that says what to fix. Touches no database.

    >>> import io
    >>> f = io.BytesIO(b"y_true,y_score\\n" + b"0,0.2\\n1,0.7\\n" * 20); f.name = "preds.csv"
    >>> prepared, where = prepare(Upload("demo", " r1 ", {"train": f, "cv": f}, train_size="40"), max_mb=1)
    >>> prepared.report.verdict.verdict, where
    ('inconclusive', {'project': 'demo', 'run': 'r1', 'params': {}, 'train_size': 40})
    """
    from diagnose.service import prepare_run

    project, run = upload.project.strip(), upload.run.strip()
    if not project or not run:
        raise UsageError("give the run a project and a name")
    missing = [s for s in ("train", "cv") if upload.files.get(s) is None]
    if missing:
        raise UsageError(f"upload the {' and '.join(missing)} file{'s' if len(missing) > 1 else ''} "
                         f"(train and cv are needed; test is optional). A file above the upload limit "
                         f"({max_mb:g} MB) is refused as it is chosen: store such a run from the command "
                         "line (diagnose submit --train F --cv F --test F)")
    files = {s: f for s, f in upload.files.items() if f is not None}
    check_sizes(files, max_mb)
    baselines = parse_pairs(upload.baselines, what="baselines", numbers=True)
    params = parse_pairs(upload.params, what="parameters", numbers=False)
    train_size = None
    if upload.train_size.strip():
        train_size = _number(upload.train_size.strip())
        if not isinstance(train_size, (int, float)) or not train_size > 0 or not math.isfinite(train_size):
            raise UsageError(f"train size '{upload.train_size.strip()}' is not a positive number")
    options = ReportOptions.of(task=None if upload.task == TASK_CHOICES[0] else upload.task,
                               positive_label=upload.positive_label.strip() or None)
    prepared = prepare_run(**named(files), baselines=baselines, options=options)
    return prepared, {"project": project, "run": run, "params": params, "train_size": train_size}


def store(engine, upload: Upload, *, max_mb: float):
    """Validate, compute and store an upload in one transaction; returns the stored
    :class:`~diagnose.store.RunSummary` and the report.

    >>> import io, os, tempfile
    >>> from diagnose.store import make_engine
    >>> f = io.BytesIO(b"y_true,y_score\\n" + b"0,0.2\\n1,0.7\\n" * 20); f.name = "preds.csv"
    >>> engine = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
    >>> summary, report = store(engine, Upload("demo", "r1", {"train": f, "cv": f}, params="C=10"), max_mb=1)
    >>> summary.run, summary.params, report.verdict.verdict
    ('r1', {'C': 10}, 'inconclusive')
    """
    from sqlalchemy.orm import Session

    from diagnose.service import submit_prepared
    from diagnose.store import database_errors

    prepared, where = prepare(upload, max_mb=max_mb)
    with database_errors(), Session(engine) as session, session.begin():
        summary = submit_prepared(session, prepared, **where)
    return summary, prepared.report
