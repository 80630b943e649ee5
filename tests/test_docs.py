"""The documentation stays true: the CLI reference is the commands' own help, the JSON
schema table names every key a report has, the README's tour shows the real output of its
commands, every Python example in the docs runs, and every relative link resolves."""
from __future__ import annotations

import json
import os
import re
import shlex

import pytest
from click.testing import CliRunner

from tests.fixtures import GOLDEN, ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))


def test_the_cli_reference_is_the_commands_help():
    from diagnose.cli.reference import reference

    assert (DOCS / "cli.md").read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: python -m diagnose.cli.reference > docs/cli.md")


def test_the_readme_is_a_front_door_not_a_manual():
    assert len(README.read_bytes()) <= 16_000


# ----------------------------------------------------------------------------- JSON schema

SPLITS = {"train", "cv", "test"}


def key_paths(obj, path: str = "") -> set[str]:
    """Every leaf path of a report, with splits, gaps, names and list items generalised."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if path in ("splits", "per_class", "calibration", "threshold.decision_curve"):
                key = "<split>"
            elif path == "threshold.decision_curve.<split>.labels":
                key = "<label>"
            elif path == "calibration.<split>.classes":
                key = "<class>"
            elif path == "calibration.<split>.labels":
                key = "<label>"
            elif path == "gap_details":
                key = "<gap>"
            elif path == "baselines":
                key = "<name>"
            elif path.endswith(("class_shares", "label_prevalence")):
                key = "<class>"
            elif path == "threshold.labels":
                key = "<label>"
            out |= key_paths(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict):
        for item in obj:
            out |= key_paths(item, f"{path}[]")
    else:
        out.add(path)
    return out


def documented_keys() -> set[str]:
    text = (DOCS / "report-schema.md").read_text(encoding="utf-8")
    keys = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return keys


def test_every_key_of_the_sample_reports_is_documented():
    documented = documented_keys()
    seen = set().union(*(key_paths(json.loads(p.read_text())) for p in GOLDEN.glob("report_*.json")))
    assert len(seen) > 100
    # a label's threshold has the keys of the threshold itself; a class's or label's calibration
    # those of its split
    def general(k: str) -> str:
        k = k.replace("threshold.labels.<label>.", "threshold.")
        k = k.replace("threshold.decision_curve.<split>.labels.<label>.", "threshold.decision_curve.<split>.")
        return re.sub(r"^calibration\.<split>\.(classes\.<class>|labels\.<label>)\.", "calibration.<split>.", k)

    missing = sorted(k for k in seen if k not in documented and general(k) not in documented)
    assert missing == []


def test_the_schema_documents_no_key_that_reports_do_not_have():
    seen = set().union(*(key_paths(json.loads(p.read_text())) for p in GOLDEN.glob("report_*.json")))
    prefixes = {k.rsplit(".", 1)[0] for k in seen} | {k.split("[]")[0] for k in seen}
    stale = sorted(k for k in documented_keys() if "." in k or k in ("skew", "threshold", "per_class")
                   if k not in seen and k not in prefixes and not k.startswith("threshold.labels"))
    assert stale == []


# ----------------------------------------------------------------------------- the README tour


def tour() -> list[tuple[list[str], str, bool]]:
    """(arguments, shown output, whether the output is cut short with '...') per console block."""
    blocks = re.findall(r"```console\n\$ diagnose (.*?)\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    out = []
    for command, shown in blocks:
        cut = shown.endswith("...\n")
        out.append((shlex.split(command), shown[:-4] if cut else shown, cut))
    return out


def test_the_tour_has_its_commands():
    assert [args[0] for args, _, _ in tour()] == ["report", "curve", "threshold", "errors", "gate"]


@pytest.mark.parametrize("args, shown, cut", tour(), ids=lambda v: v[0] if isinstance(v, list) else "")
def test_the_tour_shows_the_real_output(args, shown, cut, monkeypatch):
    from diagnose.cli import main

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert result.stdout.startswith(shown) if cut else result.stdout == shown


# ----------------------------------------------------------------------------- examples and links


def python_blocks() -> list[tuple[str, int, str]]:
    found = []
    for page in [README, *PAGES]:
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)):
            found.append((page.name, i, code))
    return found


@pytest.mark.parametrize("page, index, code", python_blocks(), ids=lambda v: str(v) if not isinstance(v, str) or
                         v.endswith(".md") else "")
def test_every_python_example_runs(page, index, code, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", f"sqlite:///{tmp_path / 'docs.db'}")
    exec(compile(code, f"{page} example {index}", "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_docs_are_listed_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    unlisted = [p.name for p in PAGES if p.name != "README.md" and f"docs/{p.name}" not in readme]
    assert unlisted == []


def test_the_docs_name_no_environment_variable_the_code_does_not_read():
    from diagnose import settings

    known = {s.env for s in settings.SETTINGS} | {"DIAGNOSE_TEST_POSTGRES_URL", "DIAGNOSE_REQUIRE_POSTGRES",
                                                  "DIAGNOSE_REQUIRE_BROWSER", "DIAGNOSE_UPDATE_GOLDEN"}
    named = set()
    for page in [README, *PAGES]:
        named |= set(re.findall(r"\bDIAGNOSE_[A-Z_]+", page.read_text(encoding="utf-8")))
    assert named - known == set(), os.linesep.join(sorted(named - known))
