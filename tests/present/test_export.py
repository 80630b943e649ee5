"""Charts written by --plot: self-contained HTML with the data escaped for <script>, real PNG
and SVG, refused extensions and paths (exit 2, no file left behind)."""
from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from diagnose.cli import main
from diagnose.present import chart_format, script_json, write_chart

CURVES = Path(__file__).resolve().parents[2] / "sample_data" / "curves"
HOSTILE = "</script><script>alert(1)</script><!--"


class _Scripts(HTMLParser):
    """The HTML as a browser's parser splits it: every script element's text, and external sources."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.sources: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        for key in ("src", "href"):
            if found.get(key):
                self.sources.append(found[key])
        if tag == "script":
            self._open = []

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append("".join(self._open))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)


def _hostile_validation_csv(folder: Path, rng) -> Path:
    """A validation sweep whose parameter values are text meant to break out of a script."""
    rows = []
    for value, noise in ((f"a{HOSTILE}", 1.0), ("b&amp;<b>", 2.0), ("c\u2028d", 3.0)):
        for split, n in (("train", 60), ("cv", 40)):
            y = rng.normal(size=n)
            rows.append(pd.DataFrame({"split": split, "param_lambda": value, "y_true": y,
                                      "y_pred": y + rng.normal(scale=noise, size=n)}))
    path = folder / "hostile.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_html_plot_is_self_contained_and_data_cannot_leave_its_script(tmp_path, rng):
    plot = tmp_path / "vc.html"
    result = CliRunner().invoke(main, ["curve", "validation", str(_hostile_validation_csv(tmp_path, rng)),
                                       "--param", "lambda", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    parser = _Scripts()
    parser.feed(plot.read_text(encoding="utf-8"))
    assert parser.sources == []  # nothing loaded from elsewhere: no CDN, works offline
    assert len(parser.scripts) == 2  # the inlined chart library, then the chart
    library, chart = parser.scripts
    assert "vegaEmbed" in library and len(library) > 100_000
    assert "alert(1)" not in library and "alert(1)" in chart  # the value stayed inside its script
    for raw in ("</script", "<!--", "<b>", "&amp;"):
        assert raw not in chart
    # the escaped JSON reads back to the very values
    spec = json.loads(chart[chart.index("{"):chart.rindex("}, {\"mode\"") + 1])
    values = {row.get("value") for data in spec["datasets"].values() for row in data}
    assert {f"a{HOSTILE}", "b&amp;<b>", "c\u2028d"} <= values


@pytest.mark.parametrize("command", [
    ["curve", "learning", str(CURVES / "learning_summary.csv")],
    ["curve", "validation", str(CURVES / "validation_lambda.csv"), "--param", "lambda"],
])
def test_png_and_svg_plots_are_what_they_say(tmp_path, command):
    for name in ("c.png", "c.svg", "c.HTML"):
        result = CliRunner().invoke(main, [*command, "--plot", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import xml.etree.ElementTree as ET

    assert ET.fromstring((tmp_path / "c.svg").read_bytes()).tag == "{http://www.w3.org/2000/svg}svg"
    assert (tmp_path / "c.HTML").read_text().startswith("<!DOCTYPE html>")
    assert sorted(os.listdir(tmp_path)) == ["c.HTML", "c.png", "c.svg"]  # no temporary file left


@pytest.mark.parametrize("name, message", [
    ("lc.txt", "'.txt' is not one of .html, .png, .svg"),
    ("lc", "no extension"),
    ("missing/lc.html", "does not exist"),
    ("a_file.csv/lc.html", "is not a folder"),
    ("folder.html", "it is a folder"),
])
def test_a_plot_path_that_cannot_be_written_is_exit_2_before_any_work(tmp_path, name, message):
    (tmp_path / "a_file.csv").write_text("x\n")
    (tmp_path / "folder.html").mkdir()
    before = sorted(os.listdir(tmp_path))
    result = CliRunner().invoke(main, ["curve", "learning", str(CURVES / "learning_summary.csv"),
                                       "--plot", str(tmp_path / name)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert sorted(os.listdir(tmp_path)) == before


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import altair as alt

    chart = alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_bar().encode(x="x", y="y")
    target = tmp_path / "c.html"
    target.write_text("the previous chart")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    from diagnose.exceptions import UsageError

    with pytest.raises(UsageError, match="Permission denied"):
        write_chart(chart, target)
    assert os.listdir(tmp_path) == ["c.html"] and target.read_text() == "the previous chart"


def test_script_json_escapes_exactly_what_can_end_a_script(rng):
    text = "".join(rng.choice(list("<>&/!-\u2028\u2029ab\"'\\"), size=400))
    encoded = script_json({"v": text})
    assert json.loads(encoded)["v"] == text
    assert not any(c in encoded for c in "<>&\u2028\u2029")


def test_chart_format_reads_the_extension():
    assert [chart_format(p) for p in ("a.html", "b.htm", "c.PNG", "d.svg")] == ["html", "html", "png", "svg"]


def test_calibrate_plot_path_is_checked_too(tmp_path):
    result = CliRunner().invoke(main, ["calibrate", "--cv", str(tmp_path / "absent.csv"),
                                       "--plot", str(tmp_path / "rel.pdf")])
    assert result.exit_code == 2 and "'.pdf' is not one of .html, .png, .svg" in result.output
