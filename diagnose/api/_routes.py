"""The endpoints under ``/api/v1``: projects, runs, the gate, reviewers' tags, curves, keys.

Reads and writes go through :mod:`diagnose.store` and :mod:`diagnose.service`, and results
are rendered by :mod:`diagnose.present`: what the command line prints, the server answers.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .. import store
from ..exceptions import UsageError
from ..options import ReportOptions
from ..store import KeyInfo, KeyList, RunList
from . import _work
from ._auth import FORMATS, admin_only, allow, caller, engine_of, respond
from ._limits import ApiError
from ._uploads import discard, receive

router = APIRouter(prefix="/api/v1")
Fmt = Annotated[str, Query(alias="format", pattern="^(" + "|".join(FORMATS) + ")$",
                           description="json, text, markdown (as the command line prints them), "
                                       "or all of them in one JSON object")]
Caller = Annotated[KeyInfo, Depends(caller)]
Names = Annotated[Optional[list[str]], Query()]
MULTIPART = {"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
    "run": {"type": "string"}, "train": {"type": "string", "format": "binary"},
    "cv": {"type": "string", "format": "binary"}, "test": {"type": "string", "format": "binary"},
    "data": {"type": "string", "format": "binary"},
    "baselines": {"type": "string", "description": "JSON object: name -> error"},
    "options": {"type": "string", "description": "JSON object of report options (ReportOptions fields)"},
    "params": {"type": "string", "description": "JSON object of hyper-parameters"},
    "train_size": {"type": "number"},
    "sources": {"type": "string", "description": "JSON object: file field -> the name to use in messages"},
}}}}}}


def _session(request: Request) -> Session:
    return Session(engine_of(request))


def _not_found(exc: UsageError) -> ApiError:
    return ApiError(404, str(exc))


@router.get("/projects")
def projects(request: Request, key: Caller) -> list[str]:
    """The projects this key may read (an admin key: all)."""
    if key.scope != "admin":
        return [key.project] if key.project else []
    with store.database_errors(), _session(request) as s:
        return store.list_projects(s)


@router.post("/projects", status_code=201)
def create_project(request: Request, key: Caller, name: Annotated[str, Body(embed=True)]) -> dict:
    """Create a project (admin key)."""
    admin_only(key)
    with store.database_errors(), _session(request) as s, s.begin():
        store.find_project(s, name.strip(), create=True)
    return {"name": name.strip()}


@router.get("/projects/{project}/runs")
def runs(request: Request, key: Caller, project: str, fmt: Fmt = "json", verdict: Optional[str] = None,
         task: Optional[str] = None, created_after: Optional[datetime] = None,
         created_before: Optional[datetime] = None,
         limit: Annotated[Optional[int], Query(ge=1)] = None, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The runs of a project, oldest first, filtered and paged; the header X-Total-Count counts
    the filtered runs."""
    allow(key, project)
    with store.database_errors(), _session(request) as s:
        try:
            found = store.list_runs(s, project)
        except UsageError as exc:
            raise _not_found(exc) from None
    kept = [r for r in found if (verdict is None or r.verdict == verdict) and (task is None or r.task == task)
            and (created_after is None or r.created_at >= _utc(created_after))
            and (created_before is None or r.created_at < _utc(created_before))]
    page = kept[offset:offset + limit if limit else None]
    return respond(RunList(project=project, runs=tuple(page)), fmt, headers={"X-Total-Count": str(len(kept))})


def _utc(when: datetime) -> datetime:
    from datetime import timezone

    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


@router.get("/projects/{project}/runs/{run}")
def show(request: Request, key: Caller, project: str, run: str, fmt: Fmt = "json") -> Response:
    """The stored report of a run, as computed when it was submitted."""
    allow(key, project)
    with store.database_errors(), _session(request) as s:
        try:
            stored = store.get_run(s, project, run)
        except UsageError as exc:
            raise _not_found(exc) from None
    return respond(stored, fmt)


@router.delete("/projects/{project}/runs/{run}", status_code=204)
def delete(request: Request, key: Caller, project: str, run: str) -> Response:
    """Delete a run with its files, report and tags (write key)."""
    allow(key, project, write=True)
    with store.database_errors(), _session(request) as s, s.begin():
        try:
            store.delete_run(s, project, run)
        except UsageError as exc:
            raise _not_found(exc) from None
    return Response(status_code=204)


@router.post("/projects/{project}/runs", status_code=201, openapi_extra=MULTIPART)
async def submit(request: Request, key: Caller, project: str, fmt: Fmt = "json") -> Response:
    """Validate, diagnose and store a run from uploaded files (CSV or Parquet): 201 with the
    report; 409 for a run name taken; 422 for bad input; nothing is stored unless all is valid."""
    allow(key, project, write=True)
    upload = await receive(request)
    try:
        report = await run_in_threadpool(_work.submit, engine_of(request), upload, project,
                                         request.state.deadline)
    finally:
        discard(upload)
    return respond(report, fmt, status=201)


@router.post("/projects/{project}/gate", openapi_extra=MULTIPART)
async def gate(request: Request, key: Caller, project: str, fmt: Fmt = "json") -> Response:
    """Judge a stored run (field ``run``) or uploaded files against rules (field ``rules``:
    TOML text, or ``rules_json``): pass or fail per rule; JUnit XML with Accept: application/xml."""
    allow(key, project)
    upload = await receive(request)
    try:
        result = await run_in_threadpool(_work.gate, engine_of(request), upload, project)
    finally:
        discard(upload)
    if "application/xml" in request.headers.get("accept", "") and fmt == "json":
        return respond(result, "junit")
    extra = {"junit": _junit(result), "summary": result.summary()}
    return respond(result, fmt, extra=extra)


def _junit(result: Any) -> str:
    from ..present import render

    return render(result, "junit")


@router.get("/projects/{project}/runs/{run}/tags")
def get_tags(request: Request, key: Caller, project: str, run: str, split: str = "cv") -> list:
    """The reviewers' tags of a run's split: sample_id, tags, reviewer, updated_at."""
    allow(key, project)
    with store.database_errors(), _session(request) as s:
        try:
            frame = store.get_tags(s, project=project, run=run, split=split)
        except UsageError as exc:
            raise _not_found(exc) from None
    return [{"sample_id": r.sample_id, "tags": r.tags, "reviewer": r.reviewer,
             "updated_at": _utc(r.updated_at).isoformat() if r.updated_at is not None else None}
            for r in frame.itertuples(index=False)]


@router.put("/projects/{project}/runs/{run}/tags")
async def put_tags(request: Request, key: Caller, project: str, run: str, fmt: Fmt = "json") -> Response:
    """Store reviewers' tags, the reviewer being the key's name: JSON ``{"tags": {id: "a;b"}}``,
    or a reviewed sample as multipart file ``tagged``, checked against the stored cv split and
    answered with its tally (header X-Diagnose-Saved: rows saved)."""
    allow(key, project, write=True)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        tags = body.get("tags") if isinstance(body, dict) else None
        if not isinstance(tags, dict):
            raise ApiError(422, 'send {"tags": {"sample id": "category;category", ...}}')
        return await run_in_threadpool(_save_mapping, request, project, run, tags, key.name)
    upload = await receive(request)
    try:
        result, saved = await run_in_threadpool(_work.save_tagged, engine_of(request), upload, project, run,
                                                key.name)
    finally:
        discard(upload)
    return respond(result, fmt, headers={"X-Diagnose-Saved": str(saved)}, extra={"saved": saved})


def _save_mapping(request: Request, project: str, run: str, tags: dict, reviewer: str) -> Response:
    with store.database_errors(), _session(request) as s, s.begin():
        try:
            saved = store.save_tags(s, project=project, run=run, tags=tags, reviewer=reviewer)
        except UsageError as exc:
            if "no run" in str(exc) or "no project" in str(exc):
                raise _not_found(exc) from None
            raise
    return JSONResponse({"saved": saved})


@router.get("/projects/{project}/curves/learning")
def learning(request: Request, key: Caller, project: str, fmt: Fmt = "json", runs: Names = None,
             baseline: Names = None, metric: Optional[str] = None,
             tolerance: Optional[float] = None, tolerance_abs: Optional[float] = None,
             target: Optional[float] = None) -> Response:
    """The learning curve over the project's stored runs that have a train size."""
    from ..service import learning_curve_from_store

    allow(key, project)
    opts = ReportOptions.of(metric=metric, tolerance=tolerance, tolerance_abs=tolerance_abs)
    baselines = _pairs(baseline or [])
    with store.database_errors(), _session(request) as s:
        result = learning_curve_from_store(s, project, runs=runs or None, baselines=baselines or None,
                                           options=opts, target=target)
    return respond(result, fmt)


@router.get("/projects/{project}/curves/validation")
def validation(request: Request, key: Caller, project: str, param: str, fmt: Fmt = "json", runs: Names = None,
               tie: Annotated[str, Query(pattern="^(smallest|largest)$")] = "smallest",
               metric: Optional[str] = None) -> Response:
    """The validation curve over the project's stored runs that have parameter ``param``."""
    from ..service import validation_curve_from_store

    allow(key, project)
    with store.database_errors(), _session(request) as s:
        result = validation_curve_from_store(s, project, param=param, runs=runs or None,
                                             options=ReportOptions.of(metric=metric), tie=tie)
    return respond(result, fmt)


def _pairs(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ApiError(422, f"baseline '{item}' is not NAME=NUMBER") from None
        if not sep or not name.strip():
            raise ApiError(422, f"baseline '{item}' is not NAME=NUMBER")
    return out


@router.get("/keys")
def keys(request: Request, key: Caller, fmt: Fmt = "json") -> Response:
    """Every key, revoked ones too, never a secret (admin key)."""
    admin_only(key)
    with store.database_errors(), _session(request) as s:
        return respond(KeyList(keys=tuple(store.list_keys(s))), fmt)


@router.post("/keys", status_code=201)
def create_key(request: Request, key: Caller, project: Annotated[Optional[str], Body()] = None,
               write: Annotated[bool, Body()] = False, admin: Annotated[bool, Body()] = False,
               name: Annotated[Optional[str], Body()] = None) -> dict:
    """Make a key (admin key); the answer holds the key itself, shown this once."""
    admin_only(key)
    scope = "admin" if admin else "write" if write else "read"
    with store.database_errors(), _session(request) as s, s.begin():
        info, secret = store.create_key(s, project=project, scope=scope, name=name)
    return {**info.to_dict(), "key": secret}


@router.delete("/keys/{key_id}")
def revoke(request: Request, key: Caller, key_id: int) -> dict:
    """Revoke a key (admin key)."""
    admin_only(key)
    with store.database_errors(), _session(request) as s, s.begin():
        try:
            return store.revoke_key(s, key_id).to_dict()
        except UsageError as exc:
            raise _not_found(exc) from None

