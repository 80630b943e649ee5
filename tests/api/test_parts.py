"""The parts of the service that need no running server: keys in the store and on the command
line, the streamed multipart body, the rate limit, and the slim install's clear error."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from click.testing import CliRunner

from diagnose.cli import main
from tests.fixtures import ROOT


def test_keys_are_stored_as_hashes_only_and_checked_in_constant_time(sqlite_url, monkeypatch):
    import hmac

    from sqlalchemy import text

    from diagnose import store
    from diagnose.service import session

    with session(sqlite_url) as s, s.begin():
        info, secret = store.create_key(s, project="A", scope="write", name="ci")
    with session(sqlite_url) as s:
        rows = s.execute(text("SELECT * FROM api_key")).mappings().all()
    assert len(rows) == 1
    assert secret not in " ".join(str(v) for v in rows[0].values())
    assert rows[0]["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    with session(sqlite_url) as s:
        assert store.verify_key(s, secret).name == "ci"
        assert store.verify_key(s, "dgk_ffffffffffff_no-such-prefix") is None  # compared all the same
    assert len(compared) == 2


def test_keys_commands_print_the_key_once_and_list_no_secret(sqlite_url):
    env = {"DIAGNOSE_DATABASE_URL": sqlite_url}
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "create", "--project", "A", "--write", "--name", "ci"], env=env)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("dgk_") and len(made.stdout.splitlines()) == 1
    listed = runner.invoke(main, ["keys", "list", "--format", "json"], env=env)
    assert secret not in listed.output
    import json

    [key] = json.loads(listed.stdout)
    assert (key["name"], key["project"], key["scope"], key["revoked_at"]) == ("ci", "A", "write", None)
    assert runner.invoke(main, ["keys", "revoke", str(key["id"])], env=env).exit_code == 0
    assert "revoked" in runner.invoke(main, ["keys", "list"], env=env).stdout
    bad = runner.invoke(main, ["keys", "create", "--admin", "--project", "A"], env=env)
    assert bad.exit_code == 2
    assert runner.invoke(main, ["keys", "revoke", "99"], env=env).exit_code == 2


def test_the_multipart_body_streams_and_parses_back(tmp_path):
    from diagnose.api import MultipartBody
    from diagnose.api._multipart import CHUNK

    big = tmp_path / "train.csv"
    big.write_bytes(b"y_true,y_score\n" + b"1,0.5\n" * 500_000)  # 3 MB: more than one chunk
    body = MultipartBody([("run", "r 1"), ("options", '{"task": "binary"}')], [("train", str(big))])
    chunks = list(body.chunks())
    assert max(len(c) for c in chunks) <= CHUNK + 200  # never the whole file at once
    data = b"".join(chunks)
    assert len(data) == body.length
    # an independent parser (the standard library's email package) reads the same fields back
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {body.content_type}\r\n\r\n".encode() + data)
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["run"].get_content() == "r 1"
    assert parts["train"].get_filename() == "train.csv"
    assert parts["train"].get_payload(decode=True) == big.read_bytes()


def test_the_rate_limit_refuses_past_the_budget_with_retry_after():
    from diagnose.api._limits import ApiError, RateLimit

    limit = RateLimit(3)
    for _ in range(3):
        limit.take("k1")
    with pytest.raises(ApiError) as refused:
        limit.take("k1")
    assert refused.value.status == 429 and int(refused.value.headers["Retry-After"]) >= 1
    limit.take("k2")  # another key has its own budget
    RateLimit(0).take("k1")  # 0: no limit


def test_the_client_never_shows_its_key_and_an_unreachable_server_is_one_error():
    from diagnose.api import Client, ServerError
    from diagnose.exceptions import UsageError

    client = Client("http://127.0.0.1:9", key="dgk_abc_secret")
    assert "secret" not in repr(client)
    with pytest.raises(ServerError, match="cannot reach the diagnose server at http://127.0.0.1:9") as err:
        client.projects()
    assert "secret" not in str(err.value)
    with pytest.raises(UsageError, match="not a server URL"):
        Client("127.0.0.1:8765")


def test_without_the_service_extra_the_server_says_how_to_install_it():
    # fastapi made unimportable: the server half refuses clearly, the client half still works
    code = ("import sys; sys.modules['fastapi'] = None\n"
            "from diagnose.api import Client\n"
            "Client('http://127.0.0.1:1')\n"
            "from diagnose.api import create_app\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0
    assert "pip install 'diagnose[service]'" in out.stderr.splitlines()[-1]


def test_remote_options_are_on_the_commands_that_take_them():
    runner = CliRunner()
    for args in (["submit"], ["runs"], ["show"], ["gate"], ["errors", "tally"]):
        assert "--server" in runner.invoke(main, [*args, "--help"]).output, args
    assert "--server" not in runner.invoke(main, ["report", "--help"]).output


@pytest.mark.parametrize("bad", ["nothere.csv", "folder"])
def test_a_missing_file_is_refused_before_any_upload_as_the_direct_mode_says_it(tmp_path, bad):
    # the server's address is never contacted: nothing listens on port 9
    cv = tmp_path / "cv.csv"
    cv.write_text("y_true,y_score\n1,0.9\n0,0.2\n")
    (tmp_path / "folder").mkdir()
    args = ["--project", "A", "--run", "r", "--train", str(tmp_path / bad), "--cv", str(cv)]
    env = {"DIAGNOSE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    direct = CliRunner().invoke(main, ["submit", *args], env=env)
    through = CliRunner().invoke(main, ["submit", *args, "--server", "http://127.0.0.1:9", "--key", "k"])
    assert direct.exit_code == through.exit_code == 2
    if bad == "folder":  # direct mode streams a folder of parts (this one is empty); --server uploads files
        assert "folder: is a folder holding no file" in direct.output
        assert "folder: is a folder, not a file" in through.output and "Traceback" not in through.output
    else:
        assert through.output == direct.output


def test_a_password_in_the_server_url_is_never_shown():
    import pytest as _pytest

    from diagnose.api._client import Client
    from diagnose.exceptions import DiagnoseError

    client = Client("http://ann:s3cret@127.0.0.1:9/diag", key="dgk_a_b")
    assert "s3cret" not in repr(client) and "s3cret" not in client.shown
    with _pytest.raises(DiagnoseError) as err:  # nothing listens on port 9
        client.projects()
    assert "s3cret" not in str(err.value) and "127.0.0.1" in str(err.value)
    with _pytest.raises(DiagnoseError) as bad:
        Client("http://ann:s3cret@host:notaport/")
    assert "s3cret" not in str(bad.value)
