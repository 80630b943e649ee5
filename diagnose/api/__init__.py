"""The HTTP API of the run store: ``diagnose serve`` (the server half) and
:class:`Client` (the client half, standard library only).

The server (:func:`create_app`, :func:`serve`) needs the ``[service]`` extra
(``pip install 'diagnose[service]'``: FastAPI, uvicorn, python-multipart); asking for it
without the extra is one clear :class:`~diagnose.exceptions.UsageError`. The client needs
nothing more than diagnose itself. See docs/service.md.

>>> Client("http://127.0.0.1:8765").url
'http://127.0.0.1:8765'
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_LAZY = {
    "Answer": "_client", "Client": "_client", "ServerError": "_client", "upload_parts": "_client",
    "MultipartBody": "_multipart",
    "create_app": "_app", "serve": "_app",
}
if TYPE_CHECKING:
    from ._app import create_app, serve
    from ._client import Answer, Client, ServerError, upload_parts
    from ._multipart import MultipartBody

__all__ = ["Answer", "Client", "MultipartBody", "ServerError", "create_app",
           "serve", "upload_parts"]

__getattr__, __dir__ = lazy_names(__name__, {name: f".{module}" for name, module in _LAZY.items()})
