"""``diagnose serve``: the HTTP API over the run store (needs the ``[service]`` extra)."""
from __future__ import annotations

import os

import click

from ..settings import shown_url
from ._options import note


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 behind a reverse proxy that adds TLS.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each with its own rate-limit counts).")
def serve(host, port, workers):
    """Serve the HTTP API (OpenAPI at /api/openapi.json) over DIAGNOSE_DATABASE_URL.

    Clients send a key made with `diagnose keys create`; see docs/service.md."""
    from ..api import serve as run

    note(f"diagnose serve: http://{host}:{port}/api/ over {shown_url()} ({workers} worker(s))")
    os.environ["DIAGNOSE_PROGRESS"] = "0"  # requests run side by side: no progress bar on the server's terminal
    run(host=host, port=port, workers=workers)
