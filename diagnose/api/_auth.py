"""Who is asking, and may they: the bearer key checked against the store (its hash, in
constant time), the rate limit, and the rule that a key reads (or writes) its own project
only while an admin key may do anything. Also the one way every endpoint answers in the
format asked for.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from .. import store
from ..store import KeyInfo
from ._limits import ApiError

FORMATS = ("json", "text", "markdown", "all")
MEDIA = {"json": "application/json", "text": "text/plain; charset=utf-8",
         "markdown": "text/markdown; charset=utf-8", "junit": "application/xml"}


def engine_of(request: Request) -> Any:
    return request.app.state.engine


def caller(request: Request) -> KeyInfo:
    """The key of the request (``Authorization: Bearer KEY``): 401 without a live one, 429 over the rate."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send an API key: Authorization: Bearer KEY (diagnose keys create)",
                       {"WWW-Authenticate": "Bearer"})
    with store.database_errors(), Session(engine_of(request)) as s:
        key = store.verify_key(s, token.strip())
    if key is None:
        raise ApiError(401, "this API key is unknown or revoked", {"WWW-Authenticate": "Bearer"})
    request.state.key_prefix = key.prefix  # the key's public part, for the access log
    request.app.state.rate_limit.take(key.prefix)
    return key


def allow(key: KeyInfo, project: str, *, write: bool = False) -> None:
    """Refuse (403) a key of another project, or a read key that asks to write."""
    if key.scope == "admin":
        return
    if key.project != project:
        raise ApiError(403, f"this key belongs to project '{key.project}', not '{project}'")
    if write and key.scope != "write":
        raise ApiError(403, "this key can only read; writing needs a write key (diagnose keys create --write)")


def admin_only(key: KeyInfo) -> None:
    if key.scope != "admin":
        raise ApiError(403, "only an admin key (or the command line on the database) creates projects and keys")


def respond(result: Any, fmt: str, *, status: int = 200, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    """``result`` as JSON (its ``to_dict()``), its text or Markdown, JUnit XML (a gate), or
    ``all``: one JSON object holding every one of those (what the command line asks for)."""
    from ..present import render, to_json

    if fmt == "all":
        import json

        bundle: dict[str, Any] = {"json": result.to_dict(), "text": render(result, "text"),
                                  "markdown": render(result, "markdown"), **(extra or {})}
        body = json.dumps(bundle, allow_nan=False)
        return Response(body, status_code=status, media_type=MEDIA["json"], headers=headers)
    body = to_json(result) if fmt == "json" else render(result, fmt)
    return Response(body, status_code=status, media_type=MEDIA[fmt], headers=headers)
