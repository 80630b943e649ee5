"""What every request meets before and around its endpoint: the size cap, the time limit,
the per-key rate limit and one structured access-log line (which holds no secret: the
Authorization header and query strings are never written).
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from typing import Any

ACCESS_LOG = "diagnose.api.access"


class ApiError(Exception):
    """An answer other than success: an HTTP status and a message for people."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def too_large(limit_mb: float) -> ApiError:
    return ApiError(413, f"the request is larger than the server's cap of {limit_mb:g} MB "
                         "(DIAGNOSE_MAX_REQUEST_MB on the server)")


def access_logger() -> logging.Logger:
    """The access log: one JSON object per line on stderr."""
    log = logging.getLogger(ACCESS_LOG)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


class Limits:
    """ASGI middleware: refuses bodies over ``max_bytes`` (413), ends uploads that outlast
    ``timeout`` (408), hands the deadline to the endpoints and writes the access log."""

    def __init__(self, app: Any, *, max_mb: float, timeout: float) -> None:
        self.app = app
        self.max_mb = max_mb
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.timeout = timeout
        self.log = access_logger()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        state = scope.setdefault("state", {})
        state["deadline"] = start + self.timeout
        seen = {"status": 500, "bytes_in": 0}
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0

        async def send_seen(message: dict) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        async def receive_limited() -> dict:
            remaining = state["deadline"] - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), max(remaining, 0.001))
            except asyncio.TimeoutError:
                raise ApiError(408, f"the request took longer than the server's {self.timeout:g} s "
                                    "(DIAGNOSE_REQUEST_TIMEOUT on the server)") from None
            if message["type"] == "http.request":
                seen["bytes_in"] += len(message.get("body", b""))
                if seen["bytes_in"] > self.max_bytes:
                    raise too_large(self.max_mb)
            return message

        try:
            if declared > self.max_bytes:  # refused before a byte of the body is read
                await _send_json(send_seen, 413, {"detail": too_large(self.max_mb).message})
            else:
                await self.app(scope, receive_limited, send_seen)
        finally:
            self.log.info(json.dumps({
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "method": scope.get("method"),
                "path": scope.get("path"), "status": seen["status"],
                "ms": round((time.monotonic() - start) * 1000, 1), "bytes_in": seen["bytes_in"],
                "key": state.get("key_prefix"), "client": (scope.get("client") or [None])[0]}))


async def _send_json(send: Any, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


class RateLimit:
    """A token bucket per key: ``per_minute`` requests a minute, in bursts of as many."""

    def __init__(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket, or refuse with 429 and when to retry."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self.lock:
            tokens, then = self.buckets.get(key, (self.per_minute, now))
            tokens = min(self.per_minute, tokens + (now - then) * rate)
            if tokens < 1:
                wait = (1 - tokens) / rate
                self.buckets[key] = (tokens, now)
                raise ApiError(429, f"more than {self.per_minute:g} requests a minute with this key "
                                    "(DIAGNOSE_RATE_LIMIT on the server); try again shortly",
                               {"Retry-After": str(max(1, round(wait)))})
            self.buckets[key] = (tokens - 1, now)
