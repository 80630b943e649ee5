"""A multipart/form-data body that streams its files from disk: its length is known before a
byte is sent, and no file is ever held whole in memory.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "cv.csv")
>>> _ = open(path, "w").write("y_true,y_score\\n1,0.9\\n")
>>> body = MultipartBody([("run", "r1")], [("cv", path)], boundary="XX")
>>> data = b"".join(body.chunks())
>>> len(data) == body.length, data.splitlines()[:3]
(True, [b'--XX', b'Content-Disposition: form-data; name="run"', b''])
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from urllib.parse import quote

CHUNK = 1 << 20


def _header(name: str, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{quote(name, safe=":_-.")}"'
    if filename is not None:
        disposition += f'; filename="{quote(filename, safe="_-. ")}"'
        return f"Content-Disposition: {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
    return f"Content-Disposition: {disposition}\r\n\r\n".encode()


class MultipartBody:
    """Text ``fields`` and ``files`` (field name, path) as one multipart body."""

    def __init__(self, fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, str]], *,
                 boundary: str | None = None) -> None:
        self.boundary = boundary or "diagnose-" + secrets.token_hex(16)
        self.fields = [(name, value.encode("utf-8")) for name, value in fields]
        self.files = [(name, os.fspath(path)) for name, path in files]
        self.sizes = [os.path.getsize(path) for _, path in self.files]

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _opening(self, name: str, filename: str | None = None) -> bytes:
        return f"--{self.boundary}\r\n".encode() + _header(name, filename)

    @property
    def length(self) -> int:
        total = sum(len(self._opening(n)) + len(v) + 2 for n, v in self.fields)
        total += sum(len(self._opening(n, os.path.basename(p))) + size + 2
                     for (n, p), size in zip(self.files, self.sizes))
        return total + len(f"--{self.boundary}--\r\n")

    def chunks(self) -> Iterator[bytes]:
        """The body, a field or a megabyte of a file at a time."""
        for name, value in self.fields:
            yield self._opening(name) + value + b"\r\n"
        for name, path in self.files:
            yield self._opening(name, os.path.basename(path))
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk
            yield b"\r\n"
        yield f"--{self.boundary}--\r\n".encode()
