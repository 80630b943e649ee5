"""Gates: rule parsing, each operator, interval mode, no-regression, exit codes, JUnit XML."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from diagnose.cli import main
from diagnose.exceptions import UsageError
from diagnose.gate import check, parse_rules
from diagnose.service import load_rules

# a hand-made report (numbers chosen so each rule's outcome is known by hand)
REPORT = {
    "task": "binary",
    "splits": {
        "train": {"n": 400, "error": 0.05, "ci_low": 0.03, "ci_high": 0.08},
        "cv": {"n": 200, "error": 0.10, "ci_low": 0.065, "ci_high": 0.15, "f1": 0.84},
        "test": None,
    },
    "gaps": {"bias": 0.01, "variance": 0.05, "test": None},
    "gap_details": {"variance": {"value": 0.05, "ci_low": 0.01, "ci_high": 0.09}},
    "verdict": "high_variance",
    "threshold": {"value": 0.42, "test": {"f1": 0.81}},
    "skew": {"skewed": False},
    "warnings": [],
}


@pytest.mark.parametrize(("rule", "passed"), [
    ("cv.error < 0.11", True), ("cv.error < 0.10", False),
    ("cv.error <= 0.10", True), ("cv.error <= 0.09", False),
    ("cv.error > 0.09", True), ("cv.error > 0.10", False),
    ("cv.error >= 0.10", True), ("cv.error >= 0.11", False),
    ("cv.error == 0.1", True), ("cv.error == 0.2", False),
    ("cv.error != 0.2", True), ("cv.error != 0.1", False),
    ("splits.cv.n == 200", True), ("splits.train.error <= 0.05", True),
    ("gaps.variance <= 0.02", False), ("threshold.test.f1 >= 0.8", True),
    ("verdict != 'high_variance'", False), ('verdict == "high_variance"', True),
    ("verdict != good_fit", True), ("skew.skewed == false", True), ("skew.skewed != true", True),
])
def test_each_operator(rule, passed):
    result = check(REPORT, [rule])
    assert result.passed is passed
    assert result.rules[0].rule == rule and result.rules[0].passed is passed


def test_interval_suffix_judges_the_pessimistic_end():
    # cv.error 0.10 with interval [0.065, 0.15]
    below = check(REPORT, ["cv.error <= 0.12 [interval]", "cv.error < 0.16 [interval]"])
    assert [r.passed for r in below.rules] == [False, True]
    assert below.rules[0].value == 0.15  # ci_high judged for <=
    above = check(REPORT, ["cv.error >= 0.07 [interval]", "cv.error > 0.06 [interval]"])
    assert [r.passed for r in above.rules] == [False, True]
    assert above.rules[0].value == 0.065  # ci_low judged for >=
    # the gap's interval lives in gap_details: [0.01, 0.09]
    gap = check(REPORT, ["gaps.variance <= 0.08 [interval]", "gaps.variance >= 0.005 [interval]"])
    assert [r.passed for r in gap.rules] == [False, True]


def test_top_level_interval_switch():
    rules = {"interval": True, "rules": ["cv.error <= 0.12", "verdict == high_variance", "cv.f1 >= 0.8"]}
    result = check(REPORT, rules)
    assert [r.passed for r in result.rules] == [False, True, True]
    assert "no interval" in result.rules[2].detail  # f1 has none: its point estimate is judged
    assert check(REPORT, ["cv.error <= 0.12"]).passed  # without the switch the estimate passes
    assert not check(REPORT, ["cv.error <= 0.12"], interval=True).passed


def test_interval_on_a_value_without_one_is_bad_usage():
    with pytest.raises(UsageError, match="no 95% interval"):
        check(REPORT, ["cv.f1 >= 0.5 [interval]"])
    with pytest.raises(UsageError, match="needs <, <=, > or >="):
        parse_rules(["verdict == good_fit [interval]"])


def test_unknown_paths_and_bad_rules_are_usage_errors_that_name_them():
    with pytest.raises(UsageError, match="unknown path 'cv.eror'.*has no 'eror'"):
        check(REPORT, ["cv.eror <= 0.1"])
    with pytest.raises(UsageError, match="unknown path 'gapz.variance'"):
        check(REPORT, ["gapz.variance <= 0.1"])
    with pytest.raises(UsageError, match="cannot read rule 'cv.error ~ 0.1'"):
        check(REPORT, ["cv.error ~ 0.1"])
    with pytest.raises(UsageError, match="compares numbers"):
        check(REPORT, ["verdict <= 0.1"])
    with pytest.raises(UsageError, match="not a verdict"):
        check(REPORT, ["verdict != high_varience"])
    with pytest.raises(UsageError, match="a section, not a value"):
        check(REPORT, ["splits.cv <= 0.1"])
    with pytest.raises(UsageError, match="unknown key"):
        parse_rules({"rules": ["cv.error < 1"], "rulez": []})


def test_a_missing_value_fails_rather_than_passes():
    result = check(REPORT, ["gaps.test <= 0.02", "test.error <= 0.2"])
    assert [r.passed for r in result.rules] == [False, False]
    assert "no value" in result.rules[0].detail


def test_no_regression_against_the_previous_report():
    previous = {**REPORT, "splits": {**REPORT["splits"], "cv": {**REPORT["splits"]["cv"], "error": 0.094}}}
    rules = {"rules": [], "no_regression": {"metric": "cv.error", "tolerance": 0.005}}
    worse = check(REPORT, rules, previous=previous)  # 0.10 > 0.094 + 0.005
    assert not worse.passed and worse.rules[0].expected == pytest.approx(0.099)
    assert check(REPORT, {"no_regression": {"metric": "cv.error", "tolerance": 0.007}}, previous=previous).passed
    # higher is better for f1: 0.84 vs 0.86 - 0.01 fails, vs 0.845 - 0.01 passes
    f1 = {"no_regression": [{"metric": "cv.f1", "tolerance": 0.01}]}
    prev_f1 = {**REPORT, "splits": {**REPORT["splits"], "cv": {**REPORT["splits"]["cv"], "f1": 0.86}}}
    assert not check(REPORT, f1, previous=prev_f1).passed
    prev_f1["splits"]["cv"]["f1"] = 0.845
    assert check(REPORT, f1, previous=prev_f1).passed
    skipped = check(REPORT, rules)
    assert skipped.passed and skipped.rules[0].skipped
    with pytest.raises(UsageError, match="direction"):
        parse_rules({"no_regression": {"metric": "threshold.value"}})


def test_no_regression_skips_with_a_note_when_the_previous_run_lacks_the_metric():
    rules = {"no_regression": {"metric": "cv.f1", "tolerance": 0.0}}
    # the previous run's value is null (e.g. it had no test split), or its report lacks the key
    null_before = {**REPORT, "splits": {**REPORT["splits"], "cv": {**REPORT["splits"]["cv"], "f1": None}}}
    no_key = {**REPORT, "splits": {**REPORT["splits"], "cv": {"n": 200, "error": 0.1}}}
    for previous in (null_before, no_key):
        result = check(REPORT, rules, previous=previous)
        assert result.passed and result.rules[0].skipped
        assert "previous run has no cv.f1" in result.rules[0].detail
        assert "skip" in result.summary()
    # a metric that this run lacks still fails, as any rule does
    tests = {"no_regression": {"metric": "test.error"}}
    result = check(REPORT, tests, previous=REPORT)
    assert not result.passed and "no value in this report" in result.rules[0].detail
    with pytest.raises(UsageError, match="no_regression compares numbers"):
        check(REPORT, {"no_regression": {"metric": "verdict", "direction": "lower"}}, previous=REPORT)
    with pytest.raises(UsageError, match="unknown path 'cv.eror'"):
        check(REPORT, {"no_regression": {"metric": "cv.eror", "direction": "lower"}}, previous=REPORT)


def test_result_in_pytest_style_and_dict_shape():
    result = check(REPORT, ["cv.error <= 0.12", "gaps.variance <= 0.02"])
    with pytest.raises(AssertionError) as info:
        assert result.passed, result.summary()
    message = str(info.value)
    assert "failed: 1 of 2" in message and "gaps.variance <= 0.02" in message and "needs <= 0.02" in message
    data = result.to_dict()
    assert data["passed"] is False and data["n_failed"] == 1
    assert [(r["rule"], r["value"], r["passed"]) for r in data["rules"]] == [
        ("cv.error <= 0.12", 0.10, True), ("gaps.variance <= 0.02", 0.05, False)]
    json.dumps(data, allow_nan=False)


def test_junit_xml_has_the_structure_junit_parsers_read():
    result = check(REPORT, ["cv.error <= 0.12", "gaps.variance <= 0.02", "verdict != 'high_variance'"],
                   previous=None)
    root = ET.fromstring(result.to_junit_xml())
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == 1
    suite = suites[0]
    assert suite.get("tests") == "3" and suite.get("failures") == "2" and suite.get("errors") == "0"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["cv.error <= 0.12", "gaps.variance <= 0.02",
                                              "verdict != 'high_variance'"]
    assert all(c.get("classname") for c in cases)
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["gaps.variance <= 0.02", "verdict != 'high_variance'"]
    assert cases[1].find("failure").get("message")


# ------------------------------------------------------------------ the command line


@pytest.fixture
def files(sample_dir):
    folder = sample_dir / "breast_cancer"
    return ["--train", str(folder / "train.csv"), "--cv", str(folder / "cv.csv"), "--test", str(folder / "test.csv")]


@pytest.fixture
def cv_error(sample_dir):
    frame = pd.read_csv(sample_dir / "breast_cancer" / "cv.csv")
    return float(np.mean((frame["y_score"] >= 0.5).astype(int) != frame["y_true"]))


def _write(tmp_path, text, name="rules.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_exit_codes(tmp_path, files, cv_error):
    runner = CliRunner()
    ok = _write(tmp_path, f'rules = ["cv.error <= {cv_error + 0.001}", "verdict != high_variance"]\n', "ok.toml")
    result = runner.invoke(main, ["gate", ok, *files])
    assert result.exit_code == 0, result.output
    assert "passed" in result.output
    fail = _write(tmp_path, f'rules = ["cv.error <= {cv_error - 0.001}"]\n', "fail.toml")
    result = runner.invoke(main, ["gate", fail, *files])
    assert result.exit_code == 1 and "FAIL" in result.output
    unknown = _write(tmp_path, 'rules = ["cv.eror <= 0.1"]\n', "unknown.toml")
    result = runner.invoke(main, ["gate", unknown, *files])
    assert result.exit_code == 2 and "cv.eror" in result.output
    broken = _write(tmp_path, 'rules = ["cv.error <= 0.1"\n', "broken.toml")
    result = runner.invoke(main, ["gate", broken, *files])
    assert result.exit_code == 2 and "not valid TOML" in result.output
    result = runner.invoke(main, ["gate", str(tmp_path / "missing.toml"), *files])
    assert result.exit_code == 2 and "not found" in result.output
    result = runner.invoke(main, ["gate", ok])
    assert result.exit_code == 2  # no run to gate
    bad_cv = tmp_path / "bad.csv"
    bad_cv.write_text("id,y_true,y_score\n1,1,\n")
    result = runner.invoke(main, ["gate", ok, "--train", files[1], "--cv", str(bad_cv)])
    assert result.exit_code == 2 and "y_score" in result.output


def test_cli_formats_and_junit(tmp_path, files, cv_error):
    rules = _write(tmp_path, f'rules = ["cv.error <= {cv_error + 0.001}", "gaps.variance < -1"]\n')
    junit = str(tmp_path / "out.xml")
    result = CliRunner().invoke(main, ["gate", rules, *files, "--format", "json", "--junit", junit])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["rules"][0]["value"] == pytest.approx(cv_error, abs=1e-12) and data["rules"][0]["passed"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    nested = tmp_path / "reports" / "gate" / "out.xml"  # folders a CI job has not made yet
    assert CliRunner().invoke(main, ["gate", rules, *files, "--junit", str(nested)]).exit_code == 1
    assert len(list(ET.parse(nested).getroot().iter("testcase"))) == 2
    md = CliRunner().invoke(main, ["gate", rules, *files, "--format", "markdown"])
    assert md.exit_code == 1 and "| status | rule |" in md.stdout and "FAIL" in md.stdout


def test_cli_gates_stored_runs_with_no_regression(tmp_path, files, sample_dir, rng):
    runner = CliRunner()
    good = sample_dir / "breast_cancer"
    # a worse model: the same cv rows with 20 labels' scores flipped
    worse = pd.read_csv(good / "cv.csv")
    worse.loc[:19, "y_score"] = 1 - worse.loc[:19, "y_score"]
    worse_path = tmp_path / "worse_cv.csv"
    worse.to_csv(worse_path, index=False)
    assert runner.invoke(main, ["submit", "--project", "bc", "--run", "good", *files]).exit_code == 0
    assert runner.invoke(main, ["submit", "--project", "bc", "--run", "worse", "--train", str(good / "train.csv"),
                                "--cv", str(worse_path)]).exit_code == 0
    rules = _write(tmp_path, 'rules = ["cv.error <= 0.5"]\nno_regression = {metric = "cv.error", tolerance = 0.005}\n')
    first = runner.invoke(main, ["gate", rules, "--project", "bc", "--run", "good", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["rules"][1]["skipped"] is True  # nothing before the first run
    second = runner.invoke(main, ["gate", rules, "--project", "bc", "--run", "worse"])
    assert second.exit_code == 1 and "previous run" in second.output
    # files gated against the latest stored run ("worse"): the good files pass
    third = runner.invoke(main, ["gate", rules, "--project", "bc", *files])
    assert third.exit_code == 0, third.output
    no_project = runner.invoke(main, ["gate", rules, *files])
    assert no_project.exit_code == 2 and "--project" in no_project.output


def test_cli_no_regression_when_the_previous_stored_run_has_no_test_split(tmp_path, files):
    runner = CliRunner()
    train, cv = files[1], files[3]
    v1 = ["submit", "--project", "bc", "--run", "v1", "--train", train, "--cv", cv]
    assert runner.invoke(main, v1).exit_code == 0
    assert runner.invoke(main, ["submit", "--project", "bc", "--run", "v2", *files]).exit_code == 0
    rules = _write(tmp_path, 'rules = ["cv.error <= 0.5"]\nno_regression = {metric = "test.error"}\n')
    junit = tmp_path / "out.xml"
    result = runner.invoke(main, ["gate", rules, "--project", "bc", "--run", "v2", "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    assert "skip" in result.output and "previous run 'v1' has no test.error" in result.output
    case = ET.parse(junit).getroot().find("testsuite").findall("testcase")[1]
    assert case.find("skipped") is not None and case.find("failure") is None
    # gating v1 itself, which has no test split, is bad input, as for any rule on test.*
    own = runner.invoke(main, ["gate", rules, "--project", "bc", "--run", "v1"])
    assert own.exit_code == 2 and "splits has no 'test'" in own.output


def test_load_rules_from_a_file(tmp_path):
    path = _write(tmp_path, 'interval = true\nrules = ["cv.error <= 0.2"]\n'
                  'no_regression = [{metric = "cv.error", tolerance = 0.01}]\n')
    ruleset = load_rules(path)
    assert ruleset.rules[0].interval and ruleset.no_regression[0].direction == "lower"
    assert len(ruleset) == 2


def test_cli_interval_flag_judges_the_interval(tmp_path, files, cv_error, sample_dir):
    # Wilson upper end of the cv error by the textbook formula (z = 1.959964)
    n = len(pd.read_csv(sample_dir / "breast_cancer" / "cv.csv"))
    z, p = 1.959963984540054, cv_error
    high = (p + z * z / (2 * n) + z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    rules = _write(tmp_path, f'rules = ["cv.error <= {(cv_error + high) / 2}"]\n')
    runner = CliRunner()
    assert runner.invoke(main, ["gate", rules, *files]).exit_code == 0
    judged = runner.invoke(main, ["gate", rules, *files, "--interval", "--format", "json"])
    assert judged.exit_code == 1
    assert json.loads(judged.stdout)["rules"][0]["value"] == pytest.approx(high, rel=1e-9)


@pytest.mark.parametrize("value", ["5", '"cv.error"', "true"])
def test_no_regression_that_is_not_a_table_is_bad_usage(tmp_path, files, value):
    rules = _write(tmp_path, f'rules = ["cv.error <= 1"]\nno_regression = {value}\n')
    with pytest.raises(UsageError, match="no_regression must be a table"):
        load_rules(rules)
    result = CliRunner().invoke(main, ["gate", rules, "--project", "p", *files])
    assert result.exit_code == 2 and "no_regression must be a table" in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "Infinity"])
def test_a_non_finite_threshold_is_named_as_the_problem(value):
    with pytest.raises(UsageError, match=f"{value} is no threshold; give a finite number"):
        parse_rules([f"cv.error <= {value}"])
