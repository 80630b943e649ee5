"""The server's limits on a real ``diagnose serve``: a per-key rate limit (429 with Retry-After)
and a request time limit that ends a stalled upload (408) and stores nothing."""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.api.conftest import make_keys, start_server, stop_server
from tests.fixtures import row_counts


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limited")
    db_url = f"sqlite:///{folder / 'store.db'}"
    keys = make_keys(db_url)
    process, url, _ = start_server(db_url, folder, DIAGNOSE_RATE_LIMIT="3", DIAGNOSE_REQUEST_TIMEOUT="1.5")
    try:
        yield url, keys, db_url
    finally:
        stop_server(process)


def _get(url: str, key: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers  # case-insensitive lookups


def test_a_key_over_its_rate_gets_429_and_another_key_does_not(limited):
    url, keys, _ = limited
    statuses = [_get(url + "/api/v1/projects/A/runs", keys["a_read"])[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, headers = _get(url + "/api/v1/projects/A/runs", keys["a_read"])
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert _get(url + "/api/v1/projects/A/runs", keys["a_write"])[0] == 200


def test_a_stalled_upload_ends_with_408_and_stores_nothing(limited):
    url, keys, db_url = limited
    before = row_counts(db_url)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        head = (f"POST /api/v1/projects/B/runs HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {keys['b_write']}\r\n"
                "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n")
        conn.sendall(head.encode() + b'--XX\r\nContent-Disposition: form-data; name="run"\r\n\r\nslow\r\n')
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    waited = time.monotonic() - started
    status = int(answer.split(b" ", 2)[1])
    assert status == 408 and 1.0 < waited < 20
    assert "DIAGNOSE_REQUEST_TIMEOUT" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    assert row_counts(db_url) == before
