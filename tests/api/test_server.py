"""A real ``diagnose serve`` driven over HTTP (on SQLite and on PostgreSQL): keys and projects,
bad input, duplicates, the size cap, the gate's JUnit, tags, curves, and the command line
as its client giving the direct mode's output.

Requests here are built with urllib by hand, not with :class:`diagnose.Client`, so the
server is checked against HTTP itself.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from diagnose.cli import main
from tests.api.conftest import CAP_MB
from tests.fixtures import row_counts

CASE = "breast_cancer"


def call(server, method, path, *, key=None, fields=(), files=(), body=None, accept=None):
    """(status, headers, body bytes) of one request; files are (field, path) pairs sent as multipart."""
    headers = {}
    data = None
    if key is not None:
        headers["Authorization"] = f"Bearer {server.keys.get(key, key)}"
    if fields or files:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, file in files:
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{Path(file).name}"'
                    "\r\nContent-Type: text/csv\r\n\r\n")
            parts.append(head.encode() + Path(file).read_bytes() + b"\r\n")
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(server.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def run_files(sample_dir, case=CASE):
    return [(split, str(sample_dir / case / f"{split}.csv")) for split in ("train", "cv", "test")]


def submit(server, sample_dir, project, run, key, **kw):
    return call(server, "POST", f"/api/v1/projects/{project}/runs", key=key,
                fields=[("run", run), *kw.pop("fields", [])], files=kw.pop("files", run_files(sample_dir)))


def stored_run(server, sample_dir, run, project="A"):
    """Make sure ``run`` is stored (each test may run alone)."""
    assert submit(server, sample_dir, project, run, "a_write" if project == "A" else "b_write")[0] in (201, 409)
    return run


def detail(body: bytes) -> str:
    return json.loads(body)["detail"]


def test_health_and_openapi(server):
    status, _, body = call(server, "GET", "/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, _, body = call(server, "GET", "/api/openapi.json")
    paths = json.loads(body)["paths"]
    for path in ("/api/v1/projects", "/api/v1/projects/{project}/runs", "/api/v1/projects/{project}/runs/{run}",
                 "/api/v1/projects/{project}/gate", "/api/v1/projects/{project}/runs/{run}/tags",
                 "/api/v1/projects/{project}/curves/learning", "/api/v1/projects/{project}/curves/validation"):
        assert path in paths, path


def test_no_key_or_an_unknown_key_gets_401(server):
    assert call(server, "GET", "/api/v1/projects")[0] == 401
    assert call(server, "GET", "/api/v1/projects/A/runs", key="dgk_000000000000_wrong")[0] == 401
    forged = server.keys["a_read"][:-3] + "xyz"  # right prefix, wrong secret
    assert call(server, "GET", "/api/v1/projects/A/runs", key=forged)[0] == 401


def test_a_key_of_project_a_cannot_read_or_write_project_b(server, sample_dir):
    status, _, body = submit(server, sample_dir, "B", "b1", "b_write")
    assert status == 201, body
    before = row_counts(server.db_url)
    for method, path in (("GET", "/api/v1/projects/B/runs"), ("GET", "/api/v1/projects/B/runs/b1"),
                         ("DELETE", "/api/v1/projects/B/runs/b1"), ("GET", "/api/v1/projects/B/runs/b1/tags")):
        status, _, body = call(server, method, path, key="a_write")
        assert status == 403, (method, path, body)
    assert submit(server, sample_dir, "B", "from-a", "a_write")[0] == 403
    status, _, body = call(server, "PUT", "/api/v1/projects/B/runs/b1/tags", key="a_write", body={"tags": {"1": "x"}})
    assert status == 403
    assert row_counts(server.db_url) == before
    assert json.loads(call(server, "GET", "/api/v1/projects", key="a_read")[2]) == ["A"]
    assert {"A", "B"} <= set(json.loads(call(server, "GET", "/api/v1/projects", key="admin")[2]))


def test_a_read_key_cannot_write(server, sample_dir):
    before = row_counts(server.db_url)
    status, _, body = submit(server, sample_dir, "A", "by-reader", "a_read")
    assert status == 403 and "only read" in detail(body)
    assert call(server, "PUT", "/api/v1/projects/A/runs/x/tags", key="a_read", body={"tags": {}})[0] == 403
    assert call(server, "DELETE", "/api/v1/projects/A/runs/x", key="a_read")[0] == 403
    assert call(server, "POST", "/api/v1/keys", key="a_write", body={"project": "A"})[0] == 403
    assert row_counts(server.db_url) == before


def test_bad_input_gets_422_with_the_cli_message_and_stores_nothing(server, sample_dir, tmp_path):
    cv = pd.read_csv(sample_dir / CASE / "cv.csv")
    cv.loc[2, "y_score"] = 1.7
    bad = tmp_path / "cv.csv"
    cv.to_csv(bad, index=False)
    local = CliRunner().invoke(main, ["report", "--train", str(sample_dir / CASE / "train.csv"), "--cv", str(bad)])
    assert local.exit_code == 2
    before = row_counts(server.db_url)
    files = [("train", str(sample_dir / CASE / "train.csv")), ("cv", str(bad))]
    status, _, body = call(server, "POST", "/api/v1/projects/A/runs", key="a_write",
                           fields=[("run", "bad"), ("sources", json.dumps({"train": "train.csv", "cv": str(bad)}))],
                           files=files)
    assert status == 422
    assert f"error: {detail(body)}" == local.output.strip().splitlines()[-1]
    # bad options and a missing run name are bad input too
    assert call(server, "POST", "/api/v1/projects/A/runs", key="a_write", files=files,
                fields=[("run", "bad2"), ("options", '{"tolerance": -1}')])[0] == 422
    assert call(server, "POST", "/api/v1/projects/A/runs", key="a_write", files=files)[0] == 422
    assert row_counts(server.db_url) == before


def test_a_duplicate_run_name_gets_409(server, sample_dir):
    assert submit(server, sample_dir, "A", "dup", "a_write")[0] == 201
    before = row_counts(server.db_url)
    status, _, body = submit(server, sample_dir, "A", "dup", "a_write")
    assert status == 409 and "already exists" in detail(body)
    assert row_counts(server.db_url) == before


def test_a_body_over_the_cap_gets_413_and_stores_nothing(server, sample_dir, tmp_path):
    big = tmp_path / "train.csv"
    frame = pd.read_csv(sample_dir / CASE / "train.csv")
    repeats = int(CAP_MB * 1024 * 1024 / big.write_text(frame.to_csv(index=False)) ) + 2
    pd.concat([frame] * repeats).to_csv(big, index=False)
    assert big.stat().st_size > CAP_MB * 1024 * 1024
    from diagnose.api import Client, ServerError

    before = row_counts(server.db_url)
    # the server answers before reading the body and closes; the client reads that answer
    with pytest.raises(ServerError, match="DIAGNOSE_MAX_REQUEST_MB") as refused:
        Client(server.url, server.keys["a_write"]).submit("A", "big", train=big, cv=sample_dir / CASE / "cv.csv")
    assert refused.value.status == 413
    assert row_counts(server.db_url) == before


def test_the_gate_answers_per_rule_and_its_junit_is_well_formed(server, sample_dir):
    assert submit(server, sample_dir, "A", "gated", "a_write")[0] == 201
    rules = (sample_dir / "gate_rules.toml").read_text()
    fields = [("rules", rules), ("run", "gated")]
    status, _, body = call(server, "POST", "/api/v1/projects/A/gate", key="a_read", fields=fields)
    result = json.loads(body)
    assert status == 200 and result["n_rules"] == len(result["rules"]) == 4
    status, headers, xml = call(server, "POST", "/api/v1/projects/A/gate", key="a_read", fields=fields,
                                accept="application/xml")
    assert status == 200 and headers["content-type"].startswith("application/xml")
    root = ET.fromstring(xml)  # well-formed, or this raises
    cases = root.findall(".//testcase")
    assert len(cases) == 4
    assert len([c for c in cases if c.find("failure") is not None]) == result["n_failed"]
    status, _, body = call(server, "POST", "/api/v1/projects/A/gate", key="a_read",
                           fields=[("rules", "rules = ['nonsense >> 1']"), ("run", "gated")])
    assert status == 422


def test_cli_submit_through_the_server_matches_a_local_report_byte_for_byte(server, sample_dir):
    files = ["--train", str(sample_dir / CASE / "train.csv"), "--cv", str(sample_dir / CASE / "cv.csv"),
             "--test", str(sample_dir / CASE / "test.csv"), "--baseline", "human=0.02", "--tolerance", "0.2"]
    local = CliRunner().invoke(main, ["report", *files, "--format", "json"])
    remote = CliRunner().invoke(main, ["submit", "--server", server.url, "--key", server.keys["a_write"],
                                       "--project", "A", "--run", "via-cli", *files, "--format", "json"])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout
    # and the stored run reads back the same through `show`
    show = CliRunner().invoke(main, ["show", "A", "via-cli", "--format", "json", "--server", server.url,
                                     "--key", server.keys["a_read"]])
    assert show.stdout == local.stdout
    again = CliRunner().invoke(main, ["submit", "--server", server.url, "--key", server.keys["a_write"],
                                      "--project", "A", "--run", "via-cli", *files])
    assert again.exit_code == 2 and "already exists" in again.output


def test_cli_runs_show_and_gate_through_the_server_match_the_direct_mode(server, sample_dir, tmp_path):
    remote = ["--server", server.url, "--key", server.keys["a_write"]]
    env = {"DIAGNOSE_DATABASE_URL": server.db_url}
    runner = CliRunner()
    stored_run(server, sample_dir, "dup")
    # a name holding a terminal escape: both modes show it, neither lets the terminal obey it
    assert submit(server, sample_dir, "A", "red\x1b[31m", "a_write")[0] == 201
    for args in (["runs", "--project", "A"], ["runs", "--project", "A", "--format", "json"],
                 ["show", "A", "dup"], ["show", "A", "dup", "--format", "markdown"]):
        direct, through = runner.invoke(main, args, env=env), runner.invoke(main, [*args, *remote])
        assert (through.exit_code, through.stdout) == (direct.exit_code, direct.stdout), args
        assert "\x1b" not in through.stdout
    rules = str(sample_dir / "gate_rules.toml")
    junit = tmp_path / "reports" / "gate.xml"
    direct = runner.invoke(main, ["gate", rules, "--project", "A", "--run", "dup"], env=env)
    through = runner.invoke(main, ["gate", rules, "--project", "A", "--run", "dup", "--junit", str(junit), *remote])
    assert (through.exit_code, through.stdout) == (direct.exit_code, direct.stdout)
    assert direct.exit_code == 1  # the sample's interval rule fails: exit 1 either way
    assert len(ET.parse(junit).getroot().findall(".//testcase")) == 4
    # uploaded files judged by the server, JSON on stdout: as the direct mode does it
    files = [f"--{split}={path}" for split, path in run_files(sample_dir)]
    args = ["gate", rules, "--project", "A", *files, "--format", "json"]
    direct, through = runner.invoke(main, args, env=env), runner.invoke(main, [*args, *remote])
    assert (through.exit_code, through.stdout) == (direct.exit_code, direct.stdout)


def test_the_library_client_gates_with_rules_as_a_list(server, sample_dir):
    from diagnose import Client

    stored_run(server, sample_dir, "dup")
    client = Client(server.url, server.keys["a_read"])
    answer = client.gate("A", ["cv.error <= 0.5", "cv.error <= 0.0001"], run="dup")
    assert not answer.passed and [r["passed"] for r in answer.data["rules"]] == [True, False]
    assert answer.text.startswith("diagnose gate A/dup failed")
    assert {r["run"] for r in client.runs("A")} >= {"dup"}


def test_runs_are_listed_filtered_and_paged(server, sample_dir):
    stored_run(server, sample_dir, "dup"), stored_run(server, sample_dir, "gated")
    status, headers, body = call(server, "GET", "/api/v1/projects/A/runs?limit=1&offset=1", key="a_read")
    total = int(headers["x-total-count"])
    everything = json.loads(call(server, "GET", "/api/v1/projects/A/runs", key="a_read")[2])
    assert status == 200 and total == len(everything) >= 2
    assert [r["run"] for r in json.loads(body)] == [everything[1]["run"]]
    kept = json.loads(call(server, "GET", "/api/v1/projects/A/runs?verdict=nothing-like-it", key="a_read")[2])
    assert kept == []
    assert call(server, "GET", "/api/v1/projects/A/runs/nope", key="a_read")[0] == 404


def test_tags_carry_the_key_name_as_reviewer_and_delete_needs_write(server, sample_dir):
    assert submit(server, sample_dir, "A", "tagged", "a_write")[0] == 201
    status, _, body = call(server, "PUT", "/api/v1/projects/A/runs/tagged/tags", key="a_write",
                           body={"tags": {"558": "blurry;dark", "364": "glare"}})
    assert status == 200 and json.loads(body) == {"saved": 2}
    tags = json.loads(call(server, "GET", "/api/v1/projects/A/runs/tagged/tags", key="a_read")[2])
    assert {(t["sample_id"], t["tags"], t["reviewer"]) for t in tags} == {("558", "blurry;dark", "ci-a"),
                                                                          ("364", "glare", "ci-a")}
    assert call(server, "DELETE", "/api/v1/projects/A/runs/tagged", key="a_write")[0] == 204
    assert call(server, "GET", "/api/v1/projects/A/runs/tagged", key="a_read")[0] == 404


def test_curves_are_those_of_the_same_code_on_the_same_store(server, sample_dir):
    from diagnose.present import to_json
    from diagnose.service import learning_curve_from_store, session, validation_curve_from_store

    frame = pd.read_csv(sample_dir / "curves" / "learning_high_bias.csv")
    sizes = sorted(frame["train_size"].unique())[:3]
    for m in sizes:
        part = frame[frame["train_size"] == m]
        for split in ("train", "cv"):
            path = Path(server.log.parent) / f"{split}-{m}.csv"
            part[part["split"] == split].to_csv(path, index=False)
        files = [(split, str(Path(server.log.parent) / f"{split}-{m}.csv")) for split in ("train", "cv")]
        assert submit(server, sample_dir, "curves", f"m={m}", "admin", files=files,
                      fields=[("train_size", str(m)), ("params", json.dumps({"C": float(m) / 100}))])[0] == 201
    status, _, body = call(server, "GET", "/api/v1/projects/curves/curves/learning", key="admin")
    assert status == 200, body
    with session(server.db_url) as s:
        expected = to_json(learning_curve_from_store(s, "curves"))
        expected_validation = to_json(validation_curve_from_store(s, "curves", param="C"))
    assert body.decode() == expected
    body = call(server, "GET", "/api/v1/projects/curves/curves/validation?param=C", key="admin")[2]
    assert body.decode() == expected_validation


def test_keys_over_http_are_for_the_admin_and_a_revoked_key_stops_at_once(server):
    status, _, body = call(server, "POST", "/api/v1/keys", key="admin", body={"project": "A", "name": "temp"})
    made = json.loads(body)
    assert status == 201 and made["scope"] == "read" and made["key"].startswith("dgk_")
    assert call(server, "GET", "/api/v1/projects/A/runs", key=made["key"])[0] == 200
    listed = json.loads(call(server, "GET", "/api/v1/keys", key="admin")[2])
    assert made["key"] not in json.dumps(listed)  # secrets never leave the server again
    assert call(server, "DELETE", f"/api/v1/keys/{made['id']}", key="admin")[0] == 200
    assert call(server, "GET", "/api/v1/projects/A/runs", key=made["key"])[0] == 401


def test_the_access_log_is_structured_and_holds_no_key(server):
    call(server, "GET", "/api/v1/projects", key="a_read")
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert lines and {"method", "path", "status", "ms", "key"} <= set(lines[-1])
    text = server.log.read_text()
    for secret in server.keys.values():
        assert secret not in text
        assert re.sub(r"^dgk_[0-9a-f]+_", "", secret) not in text


def test_cli_errors_tally_save_through_the_server_matches_the_direct_mode(server, sample_dir):
    assert submit(server, sample_dir, "A", "digits", "a_write", files=run_files(sample_dir, "digits"))[0] == 201
    tagged = str(sample_dir / "error_analysis" / "cv_reviewed.csv")
    args = ["errors", "tally", tagged, "--project", "A", "--run", "digits", "--save"]
    runner = CliRunner()
    for fmt in ("text", "json"):
        direct = runner.invoke(main, [*args, "--format", fmt], env={"DIAGNOSE_DATABASE_URL": server.db_url})
        through = runner.invoke(main, [*args, "--format", fmt, "--server", server.url,
                                       "--key", server.keys["a_write"]])
        assert direct.exit_code == through.exit_code == 0, through.output
        assert through.stdout == direct.stdout
    stored = json.loads(call(server, "GET", "/api/v1/projects/A/runs/digits/tags", key="a_read")[2])
    assert len(stored) == pd.read_csv(tagged)["tags"].notna().sum() and {t["reviewer"] for t in stored} == {"ci-a"}
