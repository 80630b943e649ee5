"""The server's workflows over an upload, run in a worker thread: submit a run, gate a run,
save reviewers' tags with their tally. They call the same service functions as the command
line (``prepare_run``, ``submit_prepared``, ``load_rules``, ``check``, ``tally``), so the
server's reports are the command line's.

Everything that can fail on bad input happens before the write transaction; a
submission that outlasts the request's time stores nothing.
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import store
from ..exceptions import UsageError
from ..options import ReportOptions
from ._limits import ApiError
from ._uploads import Upload, form_flag, named_errors, renamed


def report_options(upload: Upload) -> ReportOptions:
    """The report options of field ``options`` (names as in ``ReportOptions``)."""
    raw = upload.json_field("options")
    if "columns" in raw and isinstance(raw["columns"], Mapping):
        raw["columns"] = dict(raw["columns"])
    return ReportOptions.of(**raw)


def _baselines(upload: Upload) -> dict[str, float]:
    out = {}
    for name, value in upload.json_field("baselines").items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(422, f"baseline '{name}' is {value!r}; give a number")
        out[str(name)] = float(value)
    return out


def _prepare(upload: Upload, *, encode: bool) -> Any:
    from ..service import prepare_run

    sources = upload.splits_sources()
    if not any(sources[k] for k in ("train", "cv", "data")):
        raise ApiError(422, "send files train and cv (and test), or data with a split column")
    with named_errors(upload):
        prepared = prepare_run(**sources, baselines=_baselines(upload), baseline_files=upload.baseline_files(),
                               options=report_options(upload), encode=encode)
    return prepared


def _run_exists(session: Session, project: str, run: str) -> bool:
    try:
        store.get_run(session, project, run)
    except UsageError:
        return False
    return True


def submit(engine: Engine, upload: Upload, project: str, deadline: float) -> Any:
    """Validate, compute and store one run from an upload; returns its report."""
    from dataclasses import replace

    from ..service import submit_prepared

    run = upload.fields.get("run", "").strip()
    if not run:
        raise ApiError(422, "field 'run' (the run's name) is missing")
    params = upload.json_field("params")
    train_size = _number(upload.fields.get("train_size"), "train_size")
    with Session(engine) as s:
        if _run_exists(s, project, run):  # before the work of reading and computing
            raise _conflict(project, run)
    prepared = _prepare(upload, encode=True)
    prepared = replace(prepared, splits=renamed(upload, prepared.splits))
    if time.monotonic() > deadline:
        raise ApiError(503, "the report took longer than the server's DIAGNOSE_REQUEST_TIMEOUT; nothing was stored")
    try:
        with store.database_errors(), Session(engine) as s, s.begin():
            submit_prepared(s, prepared, project=project, run=run, params=params, train_size=train_size)
    except UsageError:
        with Session(engine) as s:
            if _run_exists(s, project, run):  # another request stored the same name meanwhile
                raise _conflict(project, run) from None
        raise
    return prepared.report


def _conflict(project: str, run: str) -> ApiError:
    return ApiError(409, f"run '{run}' already exists in project '{project}'; give the run another name (--run)")


def _number(raw: str | None, name: str) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ApiError(422, f"field '{name}' is {raw!r}; give a number") from None


def _rules(upload: Upload) -> Any:
    from ..gate import parse_rules
    from ..service import load_rules

    text, given = upload.fields.get("rules"), upload.fields.get("rules_json")
    if (text is None) == (given is None):
        raise ApiError(422, "send the gate's rules: field 'rules' (TOML text) or 'rules_json' (JSON)")
    if given is not None:
        data = upload.json_field("rules_json", object)
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, dict):
            raise ApiError(422, "field 'rules_json' must be a list of rules or an object with 'rules'")
        return parse_rules(data)
    shown = upload.fields.get("rules_name") or "rules.toml"
    path = os.path.join(upload.folder, "rules.toml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(text or "")
    upload.names[path] = shown
    with named_errors(upload):
        return load_rules(path)


def gate(engine: Engine, upload: Upload, project: str) -> Any:
    """Judge a stored run (field ``run``) or uploaded files against the rules, as ``diagnose gate``."""
    from ..gate import check
    from ..service import paired_judge

    rules = _rules(upload)  # bad rules are bad usage: said before any data is read
    run = upload.fields.get("run", "").strip() or None
    has_files = any(upload.splits_sources().values())
    if run and has_files:
        raise ApiError(422, "send either files or a run name, not both")
    if not run and not has_files:
        raise ApiError(422, "send files train and cv (and test), or data, or the name of a stored run")
    current = previous = None
    with store.database_errors(), Session(engine) as s:
        if run:
            stored = _stored_run(s, project, run)
            report: Any = stored.report
            name = f"diagnose gate {project}/{run}"
            if rules.no_regression:
                previous = store.previous_run(s, project, run)
        else:
            prepared = _prepare(upload, encode=False)
            report, current, name = prepared.report, prepared.splits, "diagnose gate"
            if rules.no_regression:
                try:
                    previous = store.previous_run(s, project)
                except UsageError:  # no runs yet: nothing to regress from
                    previous = None
        paired = None
        if previous is not None and any(r.confidence == "paired" for r in rules.no_regression):
            if current is None:
                current = store.load_run_splits(s, project, run or "")
            before = store.load_run_splits(s, project, previous.summary.run)
            metric = report.get("metric") if isinstance(report, Mapping) else report.metric
            paired = paired_judge(current, before, metric)
    with named_errors(upload):
        return check(report, rules, previous=previous, interval=form_flag(upload.fields, "interval"),
                     name=name, paired=paired)


def _stored_run(session: Session, project: str, run: str) -> Any:
    try:
        return store.get_run(session, project, run)
    except UsageError as exc:
        raise ApiError(404, str(exc)) from None


def save_tagged(engine: Engine, upload: Upload, project: str, run: str, reviewer: str) -> tuple[Any, int]:
    """Check a reviewed sample against the stored cv split, tally it, then store its tags
    (as ``diagnose errors tally TAGGED --project P --run R --save``). Returns (tally, rows saved)."""
    import numpy as np

    from ..ingest import load_tagged
    from ..options import DEFAULT_TOP_SHARE
    from ..service import tally

    path = upload.files.get("tagged")
    if path is None:
        raise ApiError(422, "send the reviewed sample as file 'tagged'")
    opts = report_options(upload).reading()
    numbers = {name: _number(upload.fields.get(name), name) for name in ("total_errors", "cv_n", "cut", "top_share")}
    whole = {name: None if numbers[name] is None else int(numbers[name] or 0) for name in ("total_errors", "cv_n")}
    with store.database_errors(), Session(engine) as s:
        try:
            cv = store.load_run_splits(s, project, run).cv
        except UsageError as exc:
            raise ApiError(404, str(exc)) from None
    with named_errors(upload):
        tagged = load_tagged(path, cv=cv, columns=opts.column_map, encoding=opts.encoding)
        result = tally(tagged, cv=cv, total_errors=whole["total_errors"], cv_n=whole["cv_n"], cut=numbers["cut"],
                       top_share=DEFAULT_TOP_SHARE if numbers["top_share"] is None else numbers["top_share"],
                       options=opts)
    reviewed = np.array([t is not None for t in tagged.tags], dtype=bool)
    with store.database_errors(), Session(engine) as s, s.begin():
        saved = store.save_tags(s, project=project, run=run,
                                tags=dict(zip(tagged.ids[reviewed], tagged.tags[reviewed])), reviewer=reviewer)
    return result, saved
