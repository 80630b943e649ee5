"""One streamlit AppTest per dashboard page, on temporary databases.

Numbers on the pages are checked against scikit-learn on the sample CSV files; the
tagging and upload round trips are checked in the database.
"""
from __future__ import annotations

import html
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from diagnose import service, store
from diagnose.cli import main
from tests.fixtures import ROOT

SAMPLE = ROOT / "sample_data"
BREAST = SAMPLE / "breast_cancer"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    """A database holding what the README's main command stores (diagnose demo)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    result = CliRunner().invoke(main, ["demo"], env={"DIAGNOSE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def demo(demo_url, monkeypatch) -> str:
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", demo_url)
    return demo_url


def _page(name: str) -> None:
    import streamlit as st

    from dashboard.navigation import main

    main(only=st.session_state.get("_test_page", name))


def switch(at: AppTest, page: str) -> AppTest:
    """Go to another page in the same session (as a click in the navigation would)."""
    at.session_state["_test_page"] = page
    return at.run()


def open_page(page: str, *, project: str | None = None, run: str | None = None) -> AppTest:
    """One page with the sidebar, as the app shows it (the browser test covers navigation)."""
    at = AppTest.from_function(_page, args=(page,), default_timeout=120)
    if project:
        at.session_state["project"] = project
    if run:
        at.session_state["run"] = run
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert [e.value for e in at.exception] == []
    assert [e.value for e in at.error] == []


def texts(at: AppTest) -> str:
    """The page's text as a reader sees it: Markdown's backslash escapes (ui.literal) removed."""
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning",
                                  "error", "code")
             for e in getattr(at, kind)]
    return "\n".join([shown("\n".join(str(p) for p in parts)), *blocks(at)])


PRE = re.compile(r'<div class="diagnose-text" style="[^"<>]*">(?P<text>[^<>]*)</div>')


def blocks(at: AppTest) -> list[str]:
    """The text of each ui.preformatted block, as the browser shows it (HTML's escapes undone);
    the block must be one <div> holding nothing but escaped text."""
    out = []
    for h in at.html:
        match = PRE.fullmatch(h.value)
        assert match, f"not a text block: {h.value[:200]!r}"
        out.append(html.unescape(match["text"]))
    return out


# CommonMark: a backslash before ASCII punctuation shows the punctuation itself
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """Escaped Markdown as a reader sees it (the backslash escapes of ui.literal removed)."""
    return MARKDOWN_ESCAPE.sub(r"\1", markdown)


def tables(at: AppTest) -> list[pd.DataFrame]:
    """The read-only tables of the page (st.data_editor is listed with them, editable)."""
    return [d.value for d in at.dataframe if d.editing_mode == "read_only"]


def markdown_tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's Markdown tables (ui.markdown_table) read back as a reader sees them: the first
    column as the index, each cell's escapes removed."""
    out = []
    for m in at.markdown:
        lines = m.value.splitlines()
        if len(lines) < 2 or not lines[1].startswith("|---"):
            continue
        rows = [[shown(c.strip()) for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])] for line in lines]
        out.append(pd.DataFrame([r[1:] for r in rows[2:]], index=[r[0] for r in rows[2:]], columns=rows[0][1:]))
    return out


def _markdown_table(frame) -> None:
    from dashboard import ui

    ui.markdown_table(frame)


def test_a_markdown_table_shows_each_cell_as_its_text():
    """ui.markdown_table: Markdown characters, a '|' and a line break in a cell stay text."""
    frame = pd.DataFrame({"**n**": [86, 2.5], "name": ["a|b <i>x</i>", "two\nlines `c`"]}, index=["r_1", "[l](h)"])
    at = AppTest.from_function(_markdown_table, args=(frame,)).run()
    assert_clean(at)
    [back] = markdown_tables(at)
    assert back.columns.tolist() == ["**n**", "name"] and back.index.tolist() == ["r_1", "[l](h)"]
    assert back.to_numpy().tolist() == [["86.0", "a|b <i>x</i>"], ["2.5", "two\\nlines `c`"]]
    source = at.markdown[0].value  # every character Markdown or HTML acts on is escaped
    assert all(part in source for part in (r"\*\*n\*\*", r"a\|b \<i\>x\<\/i\>", r"\[l\]\(h\)", r"\`c\`"))


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def cv_errors(path: Path, threshold: float = 0.5) -> pd.DataFrame:
    """Independent oracle: the misclassified rows of a binary CSV at score >= threshold."""
    frame = pd.read_csv(path)
    return frame[(frame["y_score"] >= threshold).astype(int) != frame["y_true"]]


def store_breast_cancer(url: str, **options) -> None:
    engine = store.make_engine(url)
    with Session(engine) as s, s.begin():
        service.submit_files(s, project="p", run="bc", baselines={"human": 0.02},
                           **{split: str(BREAST / f"{split}.csv") for split in ("train", "cv", "test")}, **options)
    engine.dispose()


# ------------------------------------------------------------------------------------ Runs


def test_runs_page_lists_the_project_and_compares_two_runs(demo):
    at = open_page("runs", project="samples")
    assert_clean(at)
    table = at.dataframe[0].value.set_index("run")
    assert sorted(table.index) == sorted(["breast_cancer", "digits", "multilabel", "diabetes_poly",
                                          "high_bias", "high_variance", "skewed"])
    # verdicts as sample_data/README.md expects; errors as scikit-learn counts them
    assert table.loc["high_bias", "verdict"] == "high_bias"
    assert table.loc["high_variance", "verdict"] == "high_variance"
    assert table.loc["breast_cancer", "J_cv"] == pytest.approx(len(cv_errors(BREAST / "cv.csv")) / 114)
    assert table.loc["breast_cancer", "variance gap"] == pytest.approx(
        table.loc["breast_cancer", "J_cv"] - table.loc["breast_cancer", "J_train"])
    for column in ("verdict", "J_train", "J_cv", "J_test", "bias gap", "variance gap", "created_at"):
        assert column in table.columns

    at.selectbox(key="compare_a").set_value("high_bias")
    at.selectbox(key="compare_b").set_value("high_variance")
    at.run()
    assert_clean(at)
    compared = at.dataframe[1].value.set_index("measure")
    assert compared.loc["verdict"].tolist() == ["high_bias", "high_variance", "changed"]
    assert "High bias" in texts(at) and "High variance" in texts(at)


# ------------------------------------------------------------------------------------ Diagnosis


def test_diagnosis_page_shows_the_verdict_chart_and_remedies(demo):
    at = open_page("diagnosis", project="samples", run="high_variance")
    assert_clean(at)
    shown = texts(at)
    assert "High variance" in shown
    assert "Get more training examples" in shown  # a variance remedy
    assert charts(at) == 2  # the levels chart and the reliability diagram
    metrics = {m.label: m.value for m in at.metric}
    cv = pd.read_csv(SAMPLE / "high_variance" / "cv.csv")
    probs = cv.filter(like="y_prob_").to_numpy()
    error = np.mean(probs.argmax(axis=1) != cv["y_true"].to_numpy())
    assert float(metrics["J_cv"]) == pytest.approx(error, abs=5e-5)
    assert metrics["baseline (human)"] == "0.01"
    [gaps] = [d.value.set_index("gap") for d in at.dataframe if "gap" in d.value.columns]
    assert gaps.loc["variance", "status"] == "counts"


def test_diagnosis_page_draws_the_full_report_text_once_its_expander_is_opened(demo):
    """The report as text is the page's costliest element for the browser (a long code block):
    it is sent only once the reader opens its expander (a rerun), then exactly as stored."""
    at = open_page("diagnosis", project="samples", run="high_variance")
    assert_clean(at)
    assert "The full report as text" in [e.label for e in at.expander]
    assert not at.code
    at.session_state["report_text"] = True  # what opening it does (Streamlit keeps its state under the key)
    at.run()
    assert_clean(at)
    with service.session(demo) as s:
        text = store.get_run(s, "samples", "high_variance").text
    assert [c.value.strip() for c in at.code] == [text.strip()] and "error_rate" in text


# ------------------------------------------------------------------------------------ Thresholds


def test_thresholds_page_metrics_at_the_slider_match_sklearn(demo):
    """The run stores its score histograms: the slider moves on their bucket edges and the
    counts are those at the edge shown, exact there (sklearn at that edge is the oracle)."""
    from dashboard.scoregrid import edges

    at = open_page("thresholds", project="samples", run="breast_cancer")
    assert_clean(at)
    assert charts(at) == 3  # the precision/recall curve, F1 by threshold, the decision curve
    report = at.dataframe[1].value.set_index("split")
    chosen = report.loc["cv", "threshold"]  # the stored report's, exact
    assert at.slider[0].value == round(chosen * 65536) / 65536  # the slider starts at the edge nearest it

    at.slider[0].set_value(0.3).run()
    assert_clean(at)
    rows = at.dataframe[0].value.set_index("split")
    edge = float(edges()[round(0.3 * 65536)])
    assert edge != 0.3 and abs(edge - 0.3) < 1e-5  # the edge nearest the slider, said on the page
    assert f"the counts are those at threshold {edge!r}" in texts(at)
    assert rows["threshold"].tolist() == [edge, edge]
    for split in ("cv", "test"):
        frame = pd.read_csv(BREAST / f"{split}.csv")
        predicted = (frame["y_score"] >= edge).astype(int)
        assert rows.loc[split, "precision"] == pytest.approx(precision_score(frame["y_true"], predicted))
        assert rows.loc[split, "recall"] == pytest.approx(recall_score(frame["y_true"], predicted))
        assert rows.loc[split, "F1"] == pytest.approx(f1_score(frame["y_true"], predicted))
        matrix = markdown_tables(at)[0 if split == "cv" else 1]
        assert matrix.index.tolist() == ["actual negative", "actual positive"]
        assert matrix.columns.tolist() == ["predicted negative", "predicted positive"]
        shown = matrix.to_numpy().astype(int)
        assert shown.tolist() == confusion_matrix(frame["y_true"], predicted).tolist()


@pytest.mark.parametrize("run, words", [
    ("digits", "the predicted class is the argmax"),
    ("diabetes_poly", "decision thresholds apply to binary and multi-label scores"),
])
def test_thresholds_page_explains_runs_without_a_threshold(demo, run, words):
    at = open_page("thresholds", project="samples", run=run)
    assert_clean(at)
    assert words in texts(at)
    assert len(at.slider) == 0


def test_thresholds_page_tunes_each_label_of_a_multilabel_run(demo):
    at = open_page("thresholds", project="samples", run="multilabel")
    assert_clean(at)
    at.selectbox(key="threshold_label").set_value("prime").run()
    assert_clean(at)
    at.slider[0].set_value(0.5).run()
    cv = pd.read_csv(SAMPLE / "multilabel" / "cv.csv")
    predicted = (cv["y_score_prime"] >= 0.5).astype(int)
    row = at.dataframe[0].value.set_index("split").loc["cv"]
    assert row["F1"] == pytest.approx(f1_score(cv["y_true_prime"], predicted))


# ------------------------------------------------------------------------------------ Curves


def test_curves_page_draws_the_learning_curve(demo):
    at = open_page("curves", project="digits-learning", run="m=1078")
    assert_clean(at)
    shown = texts(at)
    assert "Verdict: high_variance" in shown  # sample_data/README.md: still falling, more data helps
    assert "Reference level: 0.01 (human)" in shown
    assert "Extrapolation" in shown
    assert charts(at) == 1
    assert "No run of project digits-learning has a parameter" in shown


def test_curves_page_draws_the_validation_curve(demo):
    at = open_page("curves", project="diabetes-lambda", run="lambda=1")
    assert_clean(at)
    shown = texts(at)
    assert "Chosen: lambda = 1000" in shown  # sample_data/README.md: the lowest J_cv is at 1000
    assert charts(at) == 1
    assert "has a training-set size" in shown


def _text_block(text: str) -> None:
    from dashboard import ui

    ui.preformatted(text)


def test_a_text_block_shows_its_text_as_text_with_every_space():
    """ui.preformatted (the curves' text): HTML and Markdown characters escaped, not acted on;
    control characters and a bidirectional override shown as escapes; spaces and lines kept."""
    text = "a  <b>b0ld</b> & **x** `c` $y$ [l](http://h) <img src=x onerror=alert(1)>\x1b[31m\u202eev1l\n  two\n\nlast "
    at = AppTest.from_function(_text_block, args=(text,)).run()
    assert_clean(at)
    assert blocks(at) == [text.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e")]
    assert at.html[0].value.count("<") == 2  # the <div> and its </div>: no tag from the text


@pytest.mark.parametrize("text", ["a\n   \nb", "a\n\t\nb", "\nlead", "\n\ntwo", "  indented\n  all\n"])
def test_a_text_block_keeps_blank_lines_of_spaces_and_a_leading_newline(text):
    """st.html dedents its body (a line of only spaces or tabs came out empty) and a browser drops
    a newline right after <pre> (found by a review): the block keeps both."""
    at = AppTest.from_function(_text_block, args=(text,)).run()
    assert_clean(at)
    assert blocks(at) == [text]


# every character Unicode gives a category to, and the ones that act or hide instead of showing:
# control characters (tab and newline aside), line and paragraph separators, format characters;
# and lone surrogates, which UTF-8 cannot encode (a page given one stops), and U+FFFE, U+FFFF
EVERYTHING = "".join(map(chr, range(sys.maxunicode + 1)))
UNSEEN = "".join(c for c in EVERYTHING if (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
                                          or c in "\ufffe\uffff") and c not in "\t\n")
UNSEEN_SET = frozenset(UNSEEN)


def test_the_dashboard_writes_out_what_the_command_line_does():
    """ui.visible is the one definition (diagnose._text, checked against Unicode's categories over
    every code point in tests/present/test_escape.py) as the terminal has it: tab and newline
    kept. Every code point is tried, so the dashboard and the command line cannot drift apart."""
    from dashboard import ui
    from diagnose.present import terminal_text

    assert ui.visible(EVERYTHING) == terminal_text(EVERYTHING)
    assert not set(ui.visible(UNSEEN)) & UNSEEN_SET
    assert ui.visible("\u061c\u200b\ufeff\U000e0041") == "\\u061c\\u200b\\ufeff\\U000e0041"
    assert ui.visible("a\x1b[31m\u202e\x9b\u2028\r\t\n") == "a\\x1b[31m\\u202e\\x9b\\u2028\\x0d\t\n"  # as before
    assert ui.visible("run\udcff") == "run\\udcff"  # a lone surrogate no longer stops the page


def test_every_format_character_shows_as_its_escape_in_markdown_and_in_a_text_block():
    """ui.literal (Markdown) and ui.preformatted (a text block) show each unseen character as
    :func:`ui.visible` writes it: none reaches the page as itself."""
    from dashboard import ui

    text = "name" + "x".join(UNSEEN) + "end"
    markdown = ui.literal(text)
    assert not set(markdown) & UNSEEN_SET and shown(markdown) == ui.visible(text)
    at = AppTest.from_function(_text_block, args=(text,)).run()
    assert_clean(at)
    assert blocks(at) == [ui.visible(text)] and not set(at.html[0].value) & UNSEEN_SET


# ------------------------------------------------------------------------------------ Error analysis


def stored_tags(url: str) -> pd.DataFrame:
    """The tags stored for run p/bc, by sample id, read straight from the database."""
    engine = store.make_engine(url)
    with Session(engine) as s:
        tags = store.get_tags(s, project="p", run="bc").set_index("sample_id")
    engine.dispose()
    return tags


def test_error_analysis_tagging_round_trip_stores_the_tags(db_url, monkeypatch):
    url = db_url  # SQLite and PostgreSQL
    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", url)
    store_breast_cancer(url)
    at = open_page("error_analysis", project="p", run="bc")
    assert_clean(at)
    sample = at.data_editor[0].value
    wrong = cv_errors(BREAST / "cv.csv")
    assert len(sample) == len(wrong)  # fewer errors than the default sample of 50: all of them
    assert set(sample["id"].astype(int)) == set(wrong["id"])

    first, second = sample["id"].iloc[0], sample["id"].iloc[1]
    at.session_state["tag_editor"] = {"edited_rows": {0: {"tags": "small tumour"}, 1: {"tags": "blurry; small tumour"}},
                                      "added_rows": [], "deleted_rows": []}
    at.text_input(key="reviewer").set_value("ana")
    at.button[0].click().run()
    assert_clean(at)
    assert "Saved tags for 2 samples" in texts(at)

    stored = stored_tags(url)
    assert stored.loc[str(first), "tags"] == "small tumour"
    assert stored.loc[str(second), "tags"] == "blurry; small tumour"
    assert set(stored["reviewer"]) == {"ana"}

    tally = tables(at)[0].set_index("category")
    assert tally.loc["small tumour", "count"] == 2 and tally.loc["blurry", "count"] == 1
    # a new visit shows the stored tags in the table
    again = open_page("error_analysis", project="p", run="bc")
    tags = again.data_editor[0].value.set_index("id")["tags"]
    assert tags.loc[str(first)] == "small tumour"

    # a colleague tags a third row and clears the first: only those two rows are written,
    # so the second keeps its reviewer
    third = sample["id"].iloc[2]
    again.session_state["tag_editor"] = {"edited_rows": {0: {"tags": ""}, 2: {"tags": "dark"}},
                                         "added_rows": [], "deleted_rows": []}
    again.text_input(key="reviewer").set_value("ben")
    again.button[0].click().run()
    assert_clean(again)
    assert "Saved tags for 1 sample; cleared the tags of 1 sample." in texts(again)
    stored = stored_tags(url)
    assert str(first) not in stored.index
    assert stored.loc[str(second), "reviewer"] == "ana"
    assert (stored.loc[str(third), "tags"], stored.loc[str(third), "reviewer"]) == ("dark", "ben")
    # saving again with nothing changed writes nothing
    again.button[0].click().run()
    assert "Nothing to save" in texts(again)


def test_error_analysis_shows_cohort_tables(demo):
    at = open_page("error_analysis", project="samples", run="diabetes_poly")
    assert_clean(at)
    cohorts = tables(at)[-1]
    assert {"sex", "age_group"} <= set(cohorts["slice"])
    assert "Cohorts" in texts(at)


# ------------------------------------------------------------------------------------ Upload


def _fill_upload(at: AppTest, *, run: str, files: dict, baselines: str = "", train_size: str = "",
                 params: str = "") -> None:
    at.text_input(key="upload_project").set_value("up")
    at.text_input(key="upload_run").set_value(run)
    for split, (name, data) in files.items():
        at.file_uploader(key=f"upload_{split}").set_value((name, data, "text/csv"))
    at.text_input(key="upload_baselines").set_value(baselines)
    at.text_input(key="upload_train_size").set_value(train_size)
    at.text_input(key="upload_params").set_value(params)
    at.button[0].click().run()


def _breast_files() -> dict:
    return {split: (f"{split}.csv", (BREAST / f"{split}.csv").read_bytes()) for split in ("train", "cv", "test")}


def _stored_runs(url: str) -> list:
    engine = store.make_engine(url)
    with Session(engine) as s:
        runs = [r for p in store.list_projects(s) for r in store.list_runs(s, p)]
    engine.dispose()
    return runs


def test_upload_stores_a_run_the_other_pages_then_show(db_url, monkeypatch):
    import os

    monkeypatch.setenv("DIAGNOSE_DATABASE_URL", db_url)  # SQLite and PostgreSQL
    at = open_page("upload")
    assert_clean(at)
    _fill_upload(at, run="first", files=_breast_files(), baselines="human=0.02", train_size="341", params="C=1")
    assert_clean(at)
    assert "Stored run first in project up" in texts(at)
    [run] = _stored_runs(os.environ["DIAGNOSE_DATABASE_URL"])
    assert (run.project, run.run, run.train_size, dict(run.params)) == ("up", "first", 341, {"C": 1})
    assert run.cv_error == pytest.approx(len(cv_errors(BREAST / "cv.csv")) / 114)
    # the new run is selected: the Diagnosis page shows it
    switch(at, "diagnosis")
    assert_clean(at)
    assert "run first" in texts(at)


@pytest.mark.parametrize("change, words", [
    ("score", ["cv.csv: column 'y_score' must lie in [0, 1]; row 5 holds 1.3"]),
    ("no cv", ["upload the cv file"]),
    ("baselines", ["baselines: 'human' is not name=value"]),
    ("train size", ["train size 'lots' is not a positive number"]),
])
def test_a_bad_upload_says_why_and_stores_nothing(change, words):
    import os

    files = _breast_files()
    options = {"baselines": "human=0.02"}
    if change == "score":  # data row 5 (line 6 of the file) gets a score of 1.3
        lines = files["cv"][1].decode().splitlines()
        fields = lines[5].split(",")
        fields[2] = "1.3"  # columns: id, y_true, y_score, ...
        lines[5] = ",".join(fields)
        files["cv"] = ("cv.csv", ("\n".join(lines) + "\n").encode())
    elif change == "no cv":
        del files["cv"]
    elif change == "baselines":
        options["baselines"] = "human"
    else:
        options["train_size"] = "lots"
    at = open_page("upload")
    _fill_upload(at, run="bad", files=files, **options)
    assert [e.value for e in at.exception] == []
    [message] = [shown(e.value) for e in at.error]
    for w in words:
        assert w in message
    assert "Traceback" not in message
    assert _stored_runs(os.environ["DIAGNOSE_DATABASE_URL"]) == []


def test_uploads_with_the_same_file_name_are_told_apart():
    import os

    files = {split: ("preds.csv", data) for split, (_, data) in _breast_files().items()}
    lines = files["test"][1].decode().splitlines()
    lines[3] = lines[3].split(",", 1)[0] + ",,0.5"  # an empty y_true in data row 3
    files["test"] = ("preds.csv", ("\n".join(lines) + "\n").encode())
    at = open_page("upload")
    _fill_upload(at, run="same", files=files)
    [message] = [shown(e.value) for e in at.error]
    assert message.startswith("preds.csv (test file): ") and "row 3" in message
    assert _stored_runs(os.environ["DIAGNOSE_DATABASE_URL"]) == []


def test_an_upload_above_the_size_limit_is_refused(monkeypatch):
    import os

    monkeypatch.setenv("DIAGNOSE_UPLOAD_MAX_MB", "0.005")  # train.csv is 9 kB, cv.csv 3 kB
    at = open_page("upload")
    _fill_upload(at, run="big", files=_breast_files())
    [message] = [shown(e.value) for e in at.error]
    assert "train.csv (train file)" in message and "above the upload limit of 0.005 MB" in message
    assert "DIAGNOSE_UPLOAD_MAX_MB" in message and "diagnose submit" in message
    assert _stored_runs(os.environ["DIAGNOSE_DATABASE_URL"]) == []


# ------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("page", ["runs", "diagnosis", "thresholds", "curves", "error_analysis"])
def test_an_empty_database_says_what_to_do(page):
    at = open_page(page)
    assert_clean(at)
    assert "Upload page" in texts(at)


def test_an_unexpected_error_shows_a_plain_message_and_no_traceback(demo, monkeypatch):
    from dashboard import data

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(data, "stored_run", broken)
    at = open_page("diagnosis", project="samples", run="digits")
    assert [e.value for e in at.exception] == []
    [message] = [shown(e.value) for e in at.error]
    assert message.startswith("Something went wrong (RuntimeError: disk on fire)")


def test_a_link_to_a_missing_run_says_so(demo):
    at = AppTest.from_function(_page, args=("diagnosis",), default_timeout=120)
    at.query_params["project"] = "samples"
    at.query_params["run"] = "nope"
    at.run()
    assert [e.value for e in at.exception] == []
    assert any("There is no run 'nope' in project samples; showing its latest run" in w.value for w in at.warning)
    # picking another run ends the note
    at.selectbox(key="run").set_value("digits").run()
    assert not any("There is no run" in w.value for w in at.warning)
