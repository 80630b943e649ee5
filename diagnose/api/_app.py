"""The ASGI app of ``diagnose serve`` (FastAPI) and the function that runs it on uvicorn.

The app holds one engine on the configured store (``DIAGNOSE_DATABASE_URL``), migrated
when the app is made. Errors become answers: bad input 422 with the command line's
message, an unknown project or run 404, a database in trouble 503; a traceback never
leaves the server.
"""
from __future__ import annotations

from typing import Any

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
except ImportError:  # pragma: no cover - the slim install
    from ..exceptions import UsageError

    raise UsageError("diagnose serve needs the service extra: pip install 'diagnose[service]'") from None

from .. import settings, store
from ..exceptions import DiagnoseError, InputError, UsageError
from ._limits import ApiError, Limits, RateLimit


def create_app(url: str | None = None) -> Any:
    """The app over the store at ``url`` (default: the ``DIAGNOSE_DATABASE_URL`` setting); the
    limits come from the settings ``max_request_mb``, ``request_timeout`` and ``rate_limit``.

    >>> import os, tempfile
    >>> app = create_app("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
    >>> [p for p in app.openapi()["paths"] if p.startswith("/api/v1/projects/{project}/runs")][:2]
    ['/api/v1/projects/{project}/runs', '/api/v1/projects/{project}/runs/{run}']
    """
    from importlib.metadata import version

    from ..service import prepare_run  # noqa: F401  (the report's code loads now, not on the first upload)
    from ._routes import router

    with store.database_errors():
        engine = store.make_engine(url)
    app = FastAPI(title="diagnose", version=version("diagnose"), openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None,
                  description="Model diagnostics over a shared run store; see docs/service.md.")
    app.state.engine = engine
    app.state.rate_limit = RateLimit(float(settings.get("rate_limit")))
    app.include_router(router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DiagnoseError, _diagnose_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(Limits, max_mb=float(settings.get("max_request_mb")),
                       timeout=float(settings.get("request_timeout")))

    @app.get("/api/health")
    def health() -> dict:
        """Answers while the server runs and reaches its database."""
        with store.database_errors():
            revision = store.current_revision(engine)
        return {"status": "ok", "version": app.version, "schema": revision}

    return app


def _answer(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _answer(exc.status, exc.message, exc.headers)


async def _diagnose_error(request: Request, exc: Exception) -> JSONResponse:
    # bad input and bad usage: the command line's message; anything else is the database's trouble
    status = 422 if isinstance(exc, (InputError, UsageError)) else 503
    return _answer(status, str(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return _answer(422, "; ".join(parts) or "the request is not valid")


def serve(*, host: str = "127.0.0.1", port: int = 8765, workers: int = 1) -> None:
    """Run the app on uvicorn until stopped (SIGINT or SIGTERM); the schema is migrated first,
    so that several workers do not race to do it. The defaults keep it on this machine:

    >>> import inspect
    >>> {k: v.default for k, v in inspect.signature(serve).parameters.items()}
    {'host': '127.0.0.1', 'port': 8765, 'workers': 1}
    """
    import uvicorn

    with store.database_errors():
        store.make_engine().dispose()
    uvicorn.run("diagnose.api:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="info", timeout_graceful_shutdown=10)
