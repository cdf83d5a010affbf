"""`autoinvoke check --format junit`: JUnit XML, the test report CI systems show.

One testsuite per template, one testcase per finding: a finding that fails
enforce mode is a failure, one that does not is a passing testcase (its text in
system-out). A clean template is one passing testcase; a template that cannot be
analyzed is one testcase with an error. The element and attribute names are the
common subset that Jenkins, GitLab, GitHub test reporters and Azure Pipelines read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ...api import CheckedTemplate, LocatedFinding
from .text import finding_line

SUITES_NAME = "autoinvoke check"


def junit_xml(checked: Sequence[CheckedTemplate]) -> str:
    suites = ET.Element("testsuites", name=SUITES_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for template in checked:
        suite = ET.SubElement(suites, "testsuite", name=template.path)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for problem, behind in template.failures:
            _failure_case(suite, template.path, problem, behind)
            counts["tests"] += 1
            counts["errors"] += 1
        for failure in template.gate_failures:
            case = ET.SubElement(suite, "testcase", classname=template.path, name="hook")
            ET.SubElement(case, "failure", message=failure, type="HookPolicy").text = failure
            counts["tests"] += 1
            counts["failures"] += 1
        for located in template.findings:
            finding = located.finding
            case = ET.SubElement(
                suite,
                "testcase",
                classname=template.path,
                name=f"{finding.code} {finding.path}",
                file=template.path,
                line=str(located.line),
            )
            text = finding_line(template.path, located)
            if finding.blocks_enforce:
                ET.SubElement(case, "failure", message=finding.message, type=finding.code).text = text
                counts["failures"] += 1
            else:
                ET.SubElement(case, "system-out").text = text
            counts["tests"] += 1
        if not template.problems and not template.findings and not template.gate_failures:
            ET.SubElement(suite, "testcase", classname=template.path, name="passes enforce mode")
            counts["tests"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _failure_case(suite: ET.Element, path: str, problem: str, behind: LocatedFinding | None) -> None:
    """A template that cannot be analyzed: one testcase with an error; when a finding is behind it
    (a limit such as AIP150), named by its code and path, at its line."""
    if behind is None:
        case = ET.SubElement(suite, "testcase", classname=path, name="template")
        ET.SubElement(case, "error", message=problem, type="TemplateNotAnalyzed").text = problem
        return
    finding = behind.finding
    name = f"{finding.code} {finding.path}"
    case = ET.SubElement(suite, "testcase", classname=path, name=name, file=path, line=str(behind.line))
    ET.SubElement(case, "error", message=problem, type=finding.code).text = problem
