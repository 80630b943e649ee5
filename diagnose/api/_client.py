"""``diagnose.Client``: the HTTP API of ``diagnose serve`` from Python, with the standard
library alone (no ``[service]`` extra needed). Files go up streamed from disk.

In a pytest gate::

    from diagnose import Client

    def test_model_is_good_enough():
        client = Client("https://diagnose.example.org", key=os.environ["DIAGNOSE_KEY"])
        client.submit("churn", run=os.environ["CI_COMMIT_SHA"], train="train.csv", cv="cv.csv")
        result = client.gate("churn", rules="gate.toml", run=os.environ["CI_COMMIT_SHA"])
        assert result.passed, result.text
"""
from __future__ import annotations

import http.client
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ..exceptions import DiagnoseError, UsageError
from ._multipart import MultipartBody


class ServerError(DiagnoseError):
    """The server refused or failed a request: ``status`` is its HTTP status (0: not reached)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A result as the server rendered it: ``data`` (its JSON), ``text``, ``markdown`` and, for a
    gate, ``junit`` and ``summary``."""

    data: Any
    text: str = ""
    markdown: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """For a gate: whether every rule held."""
        return bool(self.data.get("passed")) if isinstance(self.data, Mapping) else False

    def to_dict(self) -> Any:
        return self.data


def shown_server(url: str) -> str:
    """A server URL for people: a password in it is masked, and so are a query and a fragment
    (they may hold a token).

    >>> shown_server("https://ann:s3cret@ci.example/diag?token=abc")
    'https://ann:***@ci.example/diag'
    >>> shown_server("http://127.0.0.1:8765")
    'http://127.0.0.1:8765'
    """
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if parts.password is not None:
            netloc = f"{parts.username or ''}:***@" + netloc.rsplit("@", 1)[1]
    except ValueError:  # e.g. a port that is not a number: its text may hold a password
        return "(a server URL that cannot be read)"
    if not parts.scheme:
        return "(a server URL that cannot be read)"
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


class Client:
    """A client of one diagnose server, sending ``key`` as ``Authorization: Bearer``.

    >>> c = Client("http://127.0.0.1:8765/", key="dgk_x_y")
    >>> c.url, "dgk_x_y" in repr(c)
    ('http://127.0.0.1:8765', False)
    """

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 600.0) -> None:
        try:
            parts = urlsplit(url.strip())
            parts.port  # noqa: B018 -- a port that is not a number raises here
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"'{shown_server(url)}' is not a server URL; write e.g. http://127.0.0.1:8765 "
                             "or https://host/path")
        self.url = url.strip().rstrip("/")
        self.shown = shown_server(self.url)
        self._parts = parts
        self._key = key or None
        self.timeout = timeout

    def __repr__(self) -> str:  # never the key, nor a password in the URL
        return f"Client({self.shown!r})"

    # ------------------------------------------------------------------ plumbing
    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname or "", self._parts.port, timeout=self.timeout)

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
                fields: Sequence[tuple[str, str]] = (), files: Sequence[tuple[str, str]] = (),
                json_body: Any = None, accept: str = "application/json") -> tuple[int, dict[str, str], bytes]:
        """Send one request to ``/api`` + ``path``; returns (status, headers, body) of a success,
        raises :class:`ServerError` with the server's message otherwise."""
        target = self._parts.path.rstrip("/") + "/api" + path
        pairs = [(k, v) for k, v in (query or {}).items() if v is not None]
        flat = [(k, x) for k, v in pairs for x in (v if isinstance(v, (list, tuple)) else [v])]
        if flat:
            target += "?" + urlencode(flat)
        headers = {"Accept": accept, "User-Agent": "diagnose-client"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        body: MultipartBody | bytes | None = None
        if fields or files:
            body = MultipartBody(fields, files)
            headers["Content-Type"], headers["Content-Length"] = body.content_type, str(body.length)
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"], headers["Content-Length"] = "application/json", str(len(body))
        conn = self._connection()
        try:
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                for name, value in headers.items():
                    conn.putheader(name, value)
                conn.endheaders()
                if isinstance(body, MultipartBody):
                    for chunk in body.chunks():
                        conn.send(chunk)
                elif body is not None:
                    conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may have answered early (413, 401): read its answer below
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise ServerError(f"cannot reach the diagnose server at {self.shown}: {reason}") from None
        finally:
            conn.close()
        if response.status >= 400:
            raise ServerError(_message(response.status, data), status=response.status)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return json.loads(self.request(method, path, **kw)[2] or b"null")

    def _bundle(self, method: str, path: str, **kw: Any) -> Answer:
        query = {**kw.pop("query", {}), "format": "all"}
        found = self._json(method, path, query=query, **kw)
        extra = {k: v for k, v in found.items() if k not in ("json", "text", "markdown")}
        return Answer(data=found["json"], text=found["text"], markdown=found["markdown"], extra=extra)

    # ------------------------------------------------------------------ the API
    def health(self) -> dict:
        """The server's status, version and schema revision (needs no key)."""
        return self._json("GET", "/health")

    def projects(self) -> list[str]:
        """The projects this key may read."""
        return self._json("GET", "/v1/projects")

    def runs(self, project: str, *, verdict: str | None = None, task: str | None = None,
             limit: int | None = None, offset: int = 0) -> list[dict]:
        """The runs of ``project``, oldest first (their summaries)."""
        return self._json("GET", f"/v1/projects/{_seg(project)}/runs",
                          query={"verdict": verdict, "task": task, "limit": limit, "offset": offset or None})

    def run(self, project: str, run: str) -> dict:
        """The stored report of a run (its JSON)."""
        return self._json("GET", f"/v1/projects/{_seg(project)}/runs/{_seg(run)}")

    def delete_run(self, project: str, run: str) -> None:
        """Delete a stored run (write key)."""
        self.request("DELETE", f"/v1/projects/{_seg(project)}/runs/{_seg(run)}")

    def submit(self, project: str, run: str, **sources: Any) -> Answer:
        """Upload a run's files (``train``, ``cv``, ``test`` or ``data``; ``baselines``,
        ``baseline_files``, ``options`` (a ``ReportOptions`` or a mapping of its fields),
        ``params``, ``train_size``): the server validates, diagnoses and stores it, and answers
        with the report."""
        fields, files = upload_parts(**sources)
        return self._bundle("POST", f"/v1/projects/{_seg(project)}/runs", fields=[("run", run), *fields],
                            files=files)

    def gate(self, project: str, rules: str | os.PathLike | Sequence[str], *, run: str | None = None,
             interval: bool = False, **sources: Any) -> Answer:
        """Judge a stored ``run`` (or uploaded files) against ``rules``: a TOML rule file, or a
        list of rule texts. ``answer.passed`` says whether every rule held."""
        if isinstance(rules, (str, os.PathLike)):
            rule_fields = [("rules", Path(rules).read_text(encoding="utf-8")), ("rules_name", os.fspath(rules))]
        else:
            rule_fields = [("rules_json", json.dumps(list(rules)))]
        fields, files = upload_parts(**sources)
        extra = [("run", run)] if run else []
        if interval:
            extra.append(("interval", "true"))
        return self._bundle("POST", f"/v1/projects/{_seg(project)}/gate", fields=[*rule_fields, *extra, *fields],
                            files=files)

    def tags(self, project: str, run: str) -> list[dict]:
        """Reviewers' tags of a run's cv split."""
        return self._json("GET", f"/v1/projects/{_seg(project)}/runs/{_seg(run)}/tags")

    def set_tags(self, project: str, run: str, tags: Mapping[Any, str | Sequence[str]]) -> int:
        """Store tags (sample id -> ``"a;b"`` or a list); the reviewer is the key's name."""
        body = {"tags": {str(k): v if isinstance(v, str) else ";".join(v) for k, v in tags.items()}}
        return self._json("PUT", f"/v1/projects/{_seg(project)}/runs/{_seg(run)}/tags", json_body=body)["saved"]

    def save_tagged(self, project: str, run: str, tagged: str | os.PathLike, **fields: Any) -> Answer:
        """Upload a reviewed sample: checked against the run's cv split, tallied and stored."""
        sent = [(k, _text(v)) for k, v in fields.items() if v is not None]
        return self._bundle("PUT", f"/v1/projects/{_seg(project)}/runs/{_seg(run)}/tags",
                            fields=[*sent, ("sources", json.dumps({"tagged": os.fspath(tagged)}))],
                            files=[("tagged", os.fspath(tagged))])

    def learning_curve(self, project: str, **query: Any) -> Answer:
        """The learning curve over the project's stored runs (``runs``, ``baseline``, ``metric``, ...)."""
        return self._bundle("GET", f"/v1/projects/{_seg(project)}/curves/learning", query=query)

    def validation_curve(self, project: str, param: str, **query: Any) -> Answer:
        """The validation curve over the project's stored runs with parameter ``param``."""
        return self._bundle("GET", f"/v1/projects/{_seg(project)}/curves/validation",
                            query={"param": param, **query})


def upload_parts(*, train: Any = None, cv: Any = None, test: Any = None, data: Any = None,
                 baselines: Mapping[str, float] | None = None, baseline_files: Mapping[str, Any] | None = None,
                 options: Any = None, params: Mapping[str, Any] | None = None,
                 train_size: float | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The multipart fields and files of a run (paths are sent as given, named in messages as given).

    >>> import os, tempfile
    >>> cv = os.path.join(tempfile.mkdtemp(), "cv.csv"); _ = open(cv, "w").write("y_true,y_score\\n")
    >>> fields, files = upload_parts(train=cv, cv=cv, baselines={"human": 0.02}, options={"task": "binary"})
    >>> [name for name, _ in fields], [name for name, _ in files]
    (['sources', 'options', 'baselines'], ['train', 'cv'])
    """
    files = [(name, os.fspath(path)) for name, path in (("train", train), ("cv", cv), ("test", test),
                                                         ("data", data)) if path is not None]
    files += [(f"baseline_file:{name}", os.fspath(path)) for name, path in (baseline_files or {}).items()]
    from ..ingest import regular_file

    for _, path in files:  # refused before any upload, by the check (and in the words) of the direct mode
        regular_file(path, path, what="a CSV or Parquet file")
    opts = options.to_dict() if hasattr(options, "to_dict") else dict(options or {})
    fields = [("sources", json.dumps({name: path for name, path in files})), ("options", json.dumps(opts))]
    if baselines:
        fields.append(("baselines", json.dumps(dict(baselines))))
    if params:
        fields.append(("params", json.dumps(dict(params))))
    if train_size is not None:
        fields.append(("train_size", repr(float(train_size))))
    return fields, files


def _seg(name: str) -> str:
    return quote(name, safe="")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _message(status: int, body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # a framework's own validation answer
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    if not detail:
        detail = body.decode("utf-8", "replace").strip()[:200] or http.client.responses.get(status, "error")
    return f"{detail} (HTTP {status})" if status in (401, 403, 404, 408, 413, 429, 503) else str(detail)
