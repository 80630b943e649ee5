"""User text in outputs others open: the terminal, Markdown, JUnit XML, the review spreadsheet.

Oracles: a real Markdown renderer (markdown-it, GitHub-like tables), Python's XML parser,
the CSV module, and the characters themselves.
"""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from diagnose.gate import check, parse_rules
from diagnose.present import markdown_text, render, sheet_frame, terminal_text, xml_text
from tests.fixtures import run_cli

HOSTILE = [
    "\x1b[31mred\x1b[0m", "a\rb", "back\bspace", "bell\x07", "osc\x1b]0;title\x07", "c1\x9bcsi", "del\x7f",
    "nul\x00", "nl\nnext",
    "**bold** _em_ `code` ~~gone~~ $x$", "<b>html</b> <img src=x onerror=alert(1)> &amp;",
    "![img](http://e.vil/a.png)", "[link](http://e.vil)", "a|b|c", "# heading", "- item", "1. item",
    "</script><!--",
]
# what a terminal obeys: C0 controls other than newline and tab, DEL, C1 controls
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MD = MarkdownIt("gfm-like", {"linkify": False})


def _visible_text(html: str) -> str:
    """The text a reader sees in rendered HTML (tags dropped, entities decoded)."""
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("name", HOSTILE)
def test_terminal_text_shows_controls_and_keeps_the_rest(name):
    shown = terminal_text(name)
    assert not TERMINAL_CONTROL.search(shown)
    # reading the escapes back gives the name: nothing was lost, only made visible
    unescaped = re.sub(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4}))", lambda m: chr(int(m.group(1) or m.group(2), 16)), shown)
    assert unescaped == name


def test_lone_surrogates_are_shown_not_crashing():
    shown = terminal_text("run\udcff")
    assert shown == "run\\udcff" and shown.encode("utf-8")


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_renders_the_name_as_its_own_text(name):
    html = MD.render(f"Run {markdown_text(name)} done\n")
    for tag in ("<a ", "<img", "<b>", "<strong>", "<em>", "<code>", "<s>", "<del>", "<h1", "<li", "<ol", "<script"):
        assert tag not in html, (name, html)
    # a control character is shown escaped (as the terminal does); every other character as it is
    assert _visible_text(html).strip() == f"Run {terminal_text(name).replace(chr(10), chr(92) + 'x0a')} done"


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_table_cells_hold_the_name_whole(name):
    from diagnose.present._tables import table

    html = MD.render(table(["run", "n"], [[name, 3]], markdown=True) + "\n")
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
    assert len(cells) == 2 and _visible_text(cells[1]) == "3", html  # '|' did not split the row
    assert _visible_text(cells[0]) == terminal_text(name).replace("\n", "\\x0a")
    assert "<a " not in html and "<img" not in html


def test_markdown_keeps_ordinary_names_readable():
    # names of the sample data come out unchanged (the golden files hold them)
    for name in ("human", "y_score", "label_noise", "region=north & device=mobile", "C=0.3", "[0.1, 0.2]"):
        assert markdown_text(name, inline=True) == name


def _gate_result(name: str, rule_text: str):
    rules = parse_rules({"rules": [rule_text]})
    return check({"verdict": "good_fit", "metric": "error_rate", "cv": {"error": 0.1}}, rules, name=name)


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x1f", "\x7f", "\ud800", "\udcff",
                                 "\ufffe"])
def test_junit_is_well_formed_whatever_the_names_hold(bad):
    result = _gate_result(f"gate run{bad}x", f"metric != 'x{bad}y'")
    xml = render(result, "junit")
    root = ET.fromstring(xml.encode("utf-8"))  # parses: no forbidden character left
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == f"metric != 'x{xml_text(bad)}y'"  # shown escaped, the rest as it is
    assert root.get("name") == f"gate run{xml_text(bad)}x"


def test_junit_failure_text_is_escaped_too():
    result = _gate_result("g\x1b", "cv.error <= 0.05")  # fails: 0.1 > 0.05
    root = ET.fromstring(render(result, "junit").encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "needs <= 0.05" in failure.get("message", "")


def test_gate_markdown_rule_with_backticks_and_pipes_stays_one_cell():
    result = _gate_result("gate <b>x</b>", "metric != 'a`b|c'")
    html = MD.render(render(result, "markdown"))
    assert "<b>" not in html.split("</h3>")[0].split("<h3>")[1]
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
    assert len(cells) == 4
    assert _visible_text(cells[1]) == "metric != 'a`b|c'"


# ------------------------------------------------------------------ the review spreadsheet


def test_sheet_frame_neutralises_formulas_in_text_columns_only(rng):
    frame = pd.DataFrame({
        "id": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\ry", "plain", "'=already"],
        "y_score": rng.random(8) - 0.5,            # negative numbers stay numbers
        "region": ["north", "=HYPERLINK(\"http://e.vil\")", None, "south", "-", "east", "@", "west"],
        "n": np.arange(-4, 4),
    })
    out = sheet_frame(frame)
    assert out["id"].tolist() == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\ry", "plain", "'=already"]
    assert out["region"].tolist()[:2] == ["north", "'=HYPERLINK(\"http://e.vil\")"]
    assert pd.isna(out["region"][2]) and out["region"].tolist()[3:] == ["south", "'-", "east", "'@", "west"]
    assert out["y_score"].equals(frame["y_score"]) and out["n"].equals(frame["n"])
    assert frame["id"][0] == "=1+1"  # the caller's frame is untouched


def test_errors_sample_sheet_has_no_formula_cell(tmp_path, rng):
    n = 400
    y = rng.integers(0, 2, n)
    cv = pd.DataFrame({"id": [f"=cmd|' /C calc'!A{i}" if i % 2 else f"-{i}+1" for i in range(n)], "y_true": y,
                       "y_score": np.where(rng.random(n) < 0.3, 1 - y, y) * 0.8 + 0.1,
                       "region": np.where(rng.random(n) < 0.5, "@north", "+south")})
    cv.to_csv(tmp_path / "cv.csv", index=False)
    sheet = tmp_path / "sheet.csv"
    result = run_cli(["errors", "sample", "--cv", str(tmp_path / "cv.csv"), "--n", "20", "-o", str(sheet)],
                     f"sqlite:///{tmp_path / 'db.db'}")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(sheet.read_text())))
    assert len(rows) == 20
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(value), (column, value)
    assert all(row["id"].startswith("'") and row["region"].startswith("'") for row in rows)
    # the tally reads the ids back as they were in the cv file
    tagged = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    tagged["tags"] = "blurry"
    tagged.to_csv(tmp_path / "tagged.csv", index=False)
    tally = run_cli(["errors", "tally", str(tmp_path / "tagged.csv"), "--cv", str(tmp_path / "cv.csv"),
                     "--format", "json"], f"sqlite:///{tmp_path / 'db.db'}")
    assert tally.exit_code == 0, tally.output
    assert json.loads(tally.stdout)["categories"][0]["count"] == 20


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ names on the terminal


def test_runs_and_show_print_no_escape_code(tmp_path, case):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    project, run = "p\x1b]0;owned\x07", "r\x1b[31m\r\x9bred"
    stored = run_cli(["submit", "--project", project, "--run", run, "--train", case["train"], "--cv", case["cv"]], url)
    assert stored.exit_code == 0, stored.output
    for args in (["runs", "--project", project], ["runs", "--project", project, "--format", "markdown"],
                 ["show", project, run], ["show", project, run, "--format", "markdown"], ["projects"]):
        out = run_cli(args, url)
        assert out.exit_code == 0, out.output
        assert not TERMINAL_CONTROL.search(out.output), (args, out.output)
        assert "\\x1b" in out.output
    data = json.loads(run_cli(["runs", "--project", project, "--format", "json"], url).stdout)
    assert data[0]["run"] == run  # JSON stays faithful
    missing = run_cli(["show", project, "nope\x1b[2J"], url)
    assert missing.exit_code == 2 and not TERMINAL_CONTROL.search(missing.output)


def test_markdown_outputs_of_a_hostile_run_render_as_text(tmp_path, case):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    run = "![x](http://e.vil/p.png) <img src=x> | **b**"
    assert run_cli(["submit", "--project", "p", "--run", run, "--train", case["train"], "--cv", case["cv"]],
                   url).exit_code == 0
    for args in (["runs", "--project", "p", "--format", "markdown"], ["show", "p", run, "--format", "markdown"]):
        html = MD.render(run_cli(args, url).stdout)
        assert "<img" not in html and "<a " not in html and "<strong>b</strong>" not in html, html
        assert run in _visible_text(html)
