"""Text, Markdown and JUnit XML of a gate's result (:class:`~diagnose.gate.GateResult`)."""
from __future__ import annotations

from ..gate import GateResult, show, status
from ..values import renders
from ._tables import table


@renders(GateResult, "text")
def gate_text(result: GateResult) -> str:
    return result.summary() + "\n"


@renders(GateResult, "markdown")
def gate_markdown(result: GateResult) -> str:
    icon = "✅" if result.passed else "❌"
    word = "passed" if result.passed else f"failed ({len(result.failures)} of {len(result.rules)} rules)"
    rows = [[status(r), f"`{r.rule}`", show(r.value), r.detail] for r in result.rules]
    return (f"### {icon} {result.name} {word}\n\n"
            + table(["status", "rule", "value", "detail"], rows, markdown=True) + "\n")


@renders(GateResult, "junit")
def gate_junit(result: GateResult) -> str:
    """JUnit XML: one testsuite, one testcase per rule, a ``failure`` element per failed rule."""
    import xml.etree.ElementTree as ET

    skipped = sum(r.skipped for r in result.rules)
    counts = {"tests": str(len(result.rules)), "failures": str(len(result.failures)), "errors": "0",
              "skipped": str(skipped), "time": "0"}
    root = ET.Element("testsuites", {"name": result.name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": result.name, **counts})
    for r in result.rules:
        case = ET.SubElement(suite, "testcase", classname="diagnose.gate", name=r.rule, time="0")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.detail, type="GateRuleFailed")
            failure.text = f"{r.rule}\nvalue: {show(r.value)}\n{r.detail}"
        elif r.skipped:
            ET.SubElement(case, "skipped", message=r.detail)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
