"""User text in outputs others open: the terminal, Markdown, JUnit XML, the review spreadsheet.

Oracles: a real Markdown renderer (markdown-it, GitHub-like tables), Python's XML parser,
the CSV module, Unicode's categories (unicodedata) and the characters themselves.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from diagnose import _text
from diagnose.gate import check, parse_rules
from diagnose.ingest import _progress
from diagnose.present import code_span, markdown_text, render, sheet_frame, terminal_text, visible, xml_text
from tests.fixtures import run_cli

# every code point; the ones that act or hide instead of showing (Unicode's categories: control,
# format, line and paragraph separator), and the ones that are no text (lone surrogates, which
# UTF-8 cannot encode, and the noncharacters U+FFFE, U+FFFF that XML forbids)
EVERYTHING = "".join(map(chr, range(sys.maxunicode + 1)))
ACTING = "".join(c for c in EVERYTHING if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp"))
NOT_TEXT = "".join(c for c in EVERYTHING if unicodedata.category(c) == "Cs") + "\ufffe\uffff"
UNSEEN = frozenset(ACTING + NOT_TEXT)
# a "Trojan Source" name: a right-to-left override makes "report_txt.exe" read "report_exe.txt",
# a zero-width space hides in it
TROJAN = "report_\u202etxt.exe\u200b"

HOSTILE = [
    "\x1b[31mred\x1b[0m", "a\rb", "back\bspace", "bell\x07", "osc\x1b]0;title\x07", "c1\x9bcsi", "del\x7f",
    "nul\x00", "nl\nnext",
    "**bold** _em_ `code` ~~gone~~ $x$", "<b>html</b> <img src=x onerror=alert(1)> &amp;",
    "![img](http://e.vil/a.png)", "[link](http://e.vil)", "a|b|c", "# heading", "- item", "1. item",
    "</script><!--",
    TROJAN, "iso\u2066late\u2069", "alm\u061cx", "bom\ufeff", "ls\u2028ps\u2029", "shy\xad", "tag\U000e0041",
]
# what a terminal obeys: C0 controls other than newline and tab, DEL, C1 controls; and what
# reorders or hides text on it: every format character, line and paragraph separator
TERMINAL_CONTROL = re.compile("[" + "".join(sorted(re.escape(c) for c in UNSEEN - set("\n\t"))) + "]")
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
    unescaped = re.sub(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8}))",
                       lambda m: chr(int(m.group(1) or m.group(2) or m.group(3), 16)), shown)
    assert unescaped == name


def test_lone_surrogates_are_shown_not_crashing():
    shown = terminal_text("run\udcff")
    assert shown == "run\\udcff" and shown.encode("utf-8")


# ------------------------------------------------------------------ the one definition (diagnose._text)


def as_python_writes_it(char: str) -> str:
    """The escape Python's unicode_escape codec writes for ``char`` (\\x1b, \\u202e, \\U000e0041,
    \\udcff); tab, newline and carriage return as \\x09, \\x0a, \\x0d (the codec names them)."""
    return f"\\x{ord(char):02x}" if char in "\t\n\r" else char.encode("unicode_escape").decode("ascii")


def test_the_unseen_characters_include_every_bidirectional_control():
    """The oracle's own check: the categories cover the bidirectional embeddings, overrides and
    isolates (by their bidi class), the three marks (LRM, RLM, ALM), zero-width spaces, the BOM,
    the line and paragraph separators, the C0 and C1 controls."""
    explicit = {c for c in EVERYTHING if unicodedata.bidirectional(c) in
                ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI")}
    assert len(explicit) == 9 and explicit <= UNSEEN
    assert set("\u200e\u200f\u061c\u200b\u2060\ufeff\u00ad\U000e0001\u2028\u2029\x1b\x9b\x7f\udcff") <= UNSEEN
    assert not set("a é✓日 \u00a0\u3000") & UNSEEN  # letters and (visible) spaces show as themselves


def test_every_control_format_and_lone_surrogate_is_written_out_and_nothing_else():
    """diagnose._text, the one definition, against Unicode's categories over every code point
    (found by a review: U+202E, U+200B, U+FEFF reached the terminal): each unseen character
    becomes the escape Python writes for it, every other character is left as it is."""
    wrong = {f"U+{ord(c):04X}": _text.written_out(c) for c in sorted(UNSEEN)
             if _text.written_out(c) != as_python_writes_it(c)}
    # a newer Python's Unicode adds format characters (15.0: U+13439..U+1343F): the list is 14.0's
    version = f"(Python's Unicode is {unicodedata.unidata_version}; diagnose._text.ACTING lists 14.0.0's)"
    assert not wrong, f"not shown as their escapes: {wrong} {version}"
    seen = "".join(c for c in EVERYTHING if c not in UNSEEN)
    kept = _text.written_out(seen)
    assert kept == seen, f"changed: {[f'U+{ord(a):04X}' for a, b in zip(seen, kept) if a != b][:20]} {version}"
    # keep: those characters stay, every other unseen one is still written out
    unseen = "".join(sorted(UNSEEN))
    assert _text.written_out(unseen, "\n\t") == "".join(c if c in "\n\t" else as_python_writes_it(c) for c in unseen)


def test_every_user_of_the_definition_writes_out_the_same_characters():
    """The terminal, Markdown, JUnit XML and the progress bar all write out exactly what
    diagnose._text does (tested above): they cannot drift apart. The escapes they wrote
    before the format characters were added stay the same."""
    text = "".join(sorted(UNSEEN)) + "plain é ✓"
    by_python = "".join(as_python_writes_it(c) if c in UNSEEN else c for c in text)
    assert visible(text) == by_python == _progress.terminal_safe(text)
    assert terminal_text(text) == "".join(c if c in "\n\t" else as_python_writes_it(c) if c in UNSEEN else c
                                          for c in text)
    assert xml_text(text) == "".join(c if c in "\t\n\r" else as_python_writes_it(c) if c in UNSEEN else c
                                     for c in text)
    assert not set(markdown_text(text)) & UNSEEN and not set(code_span(text)) & UNSEEN
    # as before (the spellings the golden files, logs and users know)
    assert visible("a\x1b[31m\r\x9b\udcff\x7f\n\t") == "a\\x1b[31m\\x0d\\x9b\\udcff\\x7f\\x0a\\x09"
    assert visible("\u202e\u200b\ufeff\U000e0041") == "\\u202e\\u200b\\ufeff\\U000e0041"


def test_a_trojan_source_name_shows_in_its_stored_order():
    shown = terminal_text(TROJAN)
    assert shown == "report_\\u202etxt.exe\\u200b" and not set(shown) & UNSEEN
    html = MD.render(f"Run {markdown_text(TROJAN)} done\n")
    assert "\u202e" not in html and "\u200b" not in html and _visible_text(html).strip() == f"Run {shown} done"


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


def test_a_trojan_source_run_name_is_shown_escaped_in_every_output(tmp_path, case):
    """A project and run named with a right-to-left override and a zero-width space: every output
    that shows the names (text and Markdown of runs, show and projects, the gate's Markdown and
    JUnit XML, the error of a missing run) writes them out as escapes; JSON keeps them."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    project, run = "p\u202e\u200b", TROJAN
    stored = run_cli(["submit", "--project", project, "--run", run, "--train", case["train"], "--cv", case["cv"]], url)
    assert stored.exit_code == 0, stored.output
    junit = tmp_path / "gate.xml"
    for args in (["runs", "--project", project], ["runs", "--project", project, "--format", "markdown"],
                 ["show", project, run], ["show", project, run, "--format", "markdown"], ["projects"],
                 ["projects", "--format", "markdown"],
                 ["gate", "tests/golden/rules.toml", "--project", project, "--run", run, "--format", "markdown",
                  "--junit", str(junit)]):
        out = run_cli(args, url)
        assert out.exit_code in ((0, 1) if args[0] == "gate" else (0,)), out.output
        assert not TERMINAL_CONTROL.search(out.output), (args, ascii(out.output))
        assert "\\u202e" in out.output, (args, out.output)
        if args[0] in ("runs", "show", "gate"):
            assert "report_\\u202etxt.exe\\u200b" in out.output.replace("\\_", "_").replace("\\\\", "\\")
    suite = ET.fromstring(junit.read_bytes()).find("testsuite")
    assert suite is not None and suite.get("name") == "diagnose gate p\\u202e\\u200b/report_\\u202etxt.exe\\u200b"
    assert not set(junit.read_text(encoding="utf-8")) & UNSEEN - set("\n")
    data = json.loads(run_cli(["runs", "--project", project, "--format", "json"], url).stdout)
    assert data[0]["run"] == run  # JSON stays faithful
    missing = run_cli(["show", project, run + "x"], url)
    assert missing.exit_code == 2 and not TERMINAL_CONTROL.search(missing.output), ascii(missing.output)
    assert "\\u202e" in missing.output and "\\u200b" in missing.output


def test_a_piped_errors_sample_reads_back_and_a_terminal_sees_escapes(tmp_path, rng, monkeypatch):
    """Piped (not a terminal), ``errors sample`` writes the CSV a file gets, so ids holding
    control or format characters read back in ``errors tally``; on a terminal they show as
    escapes. Oracle: the ids of the cv file itself."""
    n = 200
    y = rng.integers(0, 2, n)
    odd = ["a\u200bb", "c\u202ed", "e\x1bf", "g\ufeffh", "\u2028x", "q\x1b[31m"]  # a whole ANSI sequence too
    cv = pd.DataFrame({"id": [odd[i % len(odd)] + str(i) for i in range(n)], "y_true": y,
                       "y_score": np.where(rng.random(n) < 0.4, 1 - y, y) * 0.8 + 0.1})
    cv.to_csv(tmp_path / "cv.csv", index=False)
    args = ["errors", "sample", "--cv", str(tmp_path / "cv.csv"), "--n", "30"]
    piped = run_cli(args, f"sqlite:///{tmp_path / 'db.db'}")
    assert piped.exit_code == 0, piped.output
    sheet = pd.read_csv(io.StringIO(piped.stdout), dtype=str, keep_default_na=False)
    assert len(sheet) == 30 and set(sheet["id"]) <= set(cv["id"]) and any("\x1b[31m" in i for i in sheet["id"])
    tagged = sheet.assign(tags="blurry")
    tagged.to_csv(tmp_path / "tagged.csv", index=False)
    tally = run_cli(["errors", "tally", str(tmp_path / "tagged.csv"), "--cv", str(tmp_path / "cv.csv")],
                    f"sqlite:///{tmp_path / 'db.db'}")
    assert tally.exit_code == 0, tally.output

    from diagnose.cli import error_analysis

    monkeypatch.setattr(error_analysis, "stdout_is_terminal", lambda: True)
    shown = run_cli(args, f"sqlite:///{tmp_path / 'db.db'}")
    assert shown.exit_code == 0 and not any(c in shown.stdout for c in "\u200b\u202e\x1b\ufeff\u2028")
    assert "\\u202e" in shown.stdout and "\\x1b" in shown.stdout
