"""Text and Markdown of the HTTP API's keys (``diagnose keys list``): never a secret, only
the public prefix that the access log names too."""
from __future__ import annotations

from ..store import KeyList
from ..values import renders
from ._tables import table

KEY_HEADERS = ["id", "name", "project", "scope", "prefix", "created (UTC)", "revoked (UTC)"]


def _rows(keys: KeyList) -> list[list]:
    return [[k.id, k.name, k.project or "(all)", k.scope, k.prefix, f"{k.created_at:%Y-%m-%d %H:%M:%S}",
             f"{k.revoked_at:%Y-%m-%d %H:%M:%S}" if k.revoked_at else ""] for k in keys.keys]


@renders(KeyList, "text")
def keys_text(keys: KeyList) -> str:
    if not keys.keys:
        return "no keys yet: diagnose keys create --project P\n"
    return table(KEY_HEADERS, _rows(keys)) + "\n"


@renders(KeyList, "markdown")
def keys_markdown(keys: KeyList) -> str:
    if not keys.keys:
        return "No keys yet.\n"
    return table(KEY_HEADERS, _rows(keys), markdown=True) + "\n"
