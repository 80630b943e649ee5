"""Text, Markdown and JUnit XML of a gate's result (:class:`~diagnose.gate.GateResult`)."""
from __future__ import annotations

from ..gate import GateResult, show, status
from ..values import renders
from ._escape import code_span, markdown_text, xml_text
from ._tables import Markdown, table


@renders(GateResult, "text")
def gate_text(result: GateResult) -> str:
    return result.summary() + "\n"


@renders(GateResult, "markdown")
def gate_markdown(result: GateResult) -> str:
    icon = "✅" if result.passed else "❌"
    word = "passed" if result.passed else f"failed ({len(result.failures)} of {len(result.rules)} rules)"
    # the rule is the user's text: a code span fenced so that no backtick in it can end it
    rows = [[status(r), Markdown(code_span(r.rule)), show(r.value), r.detail] for r in result.rules]
    return (f"### {icon} {markdown_text(result.name, inline=True)} {word}\n\n"
            + table(["status", "rule", "value", "detail"], rows, markdown=True) + "\n")


@renders(GateResult, "junit")
def gate_junit(result: GateResult) -> str:
    """JUnit XML: one testsuite, one testcase per rule, a ``failure`` element per failed rule.
    Names and messages are the user's text: characters XML 1.0 forbids (control characters,
    lone surrogates) are written out as escapes (``\\x1b``), so the file always parses."""
    import xml.etree.ElementTree as ET

    skipped = sum(r.skipped for r in result.rules)
    counts = {"tests": str(len(result.rules)), "failures": str(len(result.failures)), "errors": "0",
              "skipped": str(skipped), "time": "0"}
    name = xml_text(result.name)
    root = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts})
    for r in result.rules:
        case = ET.SubElement(suite, "testcase", classname="diagnose.gate", name=xml_text(r.rule), time="0")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=xml_text(r.detail), type="GateRuleFailed")
            failure.text = xml_text(f"{r.rule}\nvalue: {show(r.value)}\n{r.detail}")
        elif r.skipped:
            ET.SubElement(case, "skipped", message=xml_text(r.detail))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
