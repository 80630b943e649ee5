"""Multipart uploads: the files land in a temporary folder under their own names, the JSON
fields are parsed, and the folder goes away with the request.

Messages about a file name it as the client gave it (``names``), never the server's path.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import DiagnoseError, InputError, UsageError
from ._limits import ApiError

SPLIT_FIELDS = ("train", "cv", "test", "data")
TAGGED_FIELD = "tagged"
BASELINE_FILE = "baseline_file:"  # a competitor's predictions: field "baseline_file:NAME"
MAX_FILES = 16
MAX_FIELDS = 64
MAX_FIELD_BYTES = 1024 * 1024


@dataclass
class Upload:
    """One request's files (saved paths) and fields, and how to name the files in messages."""

    folder: str
    files: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # saved path -> the client's name

    def json_field(self, name: str, kind: type = dict) -> Any:
        """A field holding JSON (an object unless ``kind`` says otherwise); absent: empty."""
        raw = self.fields.get(name)
        if raw is None or raw == "":
            return kind()
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(422, f"field '{name}' is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
                from None
        if not isinstance(value, kind):
            raise ApiError(422, f"field '{name}' must be a JSON {'object' if kind is dict else kind.__name__}")
        return value

    def shown(self, text: str) -> str:
        """``text`` with every saved path replaced by the client's name for that file."""
        for path, name in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(path, name)
        return text

    def splits_sources(self) -> dict[str, str | None]:
        return {name: self.files.get(name) for name in SPLIT_FIELDS}

    def baseline_files(self) -> dict[str, str]:
        return {key[len(BASELINE_FILE):]: path for key, path in self.files.items() if key.startswith(BASELINE_FILE)}


def _safe_name(filename: str | None, fallback: str) -> str:
    """The file's own name (its extension tells CSV from Parquet), with nothing that climbs folders."""
    base = os.path.basename((filename or "").replace("\\", "/"))
    base = re.sub(r"[^\w.\-]", "_", base).lstrip(".")
    return base or fallback


async def receive(request: Any) -> Upload:
    """Read a multipart request into an :class:`Upload` (files written under a new temporary folder)."""
    from starlette.concurrency import run_in_threadpool

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "send the files as multipart/form-data")
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    upload = Upload(folder=tempfile.mkdtemp(prefix="diagnose-upload-"))
    try:
        shown = _sources_field(form.get("sources"))
        for index, (key, value) in enumerate(form.multi_items()):
            if isinstance(value, str):
                upload.fields[key] = value
                continue
            sub = os.path.join(upload.folder, str(index))
            os.mkdir(sub)
            path = os.path.join(sub, _safe_name(value.filename, f"{key.replace(':', '_')}.csv"))
            await run_in_threadpool(_copy, value.file, path)
            upload.files[key] = path
            upload.names[path] = shown.get(key) or value.filename or key
    except BaseException:
        discard(upload)
        raise
    finally:
        await form.close()
    return upload


def _sources_field(raw: Any) -> dict[str, str]:
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(422, "field 'sources' must be a JSON object of field -> file name") from None
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _copy(source: Any, path: str) -> None:
    source.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


@contextmanager
def named_errors(upload: Upload) -> Iterator[None]:
    """Errors that name a saved file name it as the client did."""
    try:
        yield
    except InputError as exc:
        raise InputError(upload.shown(exc.problem), file=upload.shown(exc.file) if exc.file else None,
                         column=exc.column, rows=exc.rows, values=exc.values, n_bad=exc.n_bad,
                         fix=upload.shown(exc.fix) if exc.fix else None) from None
    except UsageError as exc:
        raise UsageError(upload.shown(str(exc))) from None
    except DiagnoseError as exc:
        raise type(exc)(upload.shown(str(exc))) from None


def renamed(upload: Upload, splits: Any) -> Any:
    """``splits`` whose predictions carry the client's file names (kept with the stored run)."""
    changes = {name: replace(pred, source=upload.shown(pred.source)) for name, pred in splits.items()}
    return replace(splits, warnings=tuple(upload.shown(w) for w in splits.warnings), **changes)


def form_flag(fields: Mapping[str, str], name: str) -> bool:
    return fields.get(name, "").strip().lower() in ("1", "true", "yes", "on")
