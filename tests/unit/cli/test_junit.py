"""`autoinvoke check --format junit`: the JUnit XML structure CI test reporters read.

The structure checked is the common one (Jenkins' junit-10 XSD, GitLab, Azure Pipelines):
testsuites > testsuite (name, tests, failures, errors, skipped) > testcase (classname, name)
with at most one failure or error child, whose message attribute is set.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from auto_invoke_permission.cli.main import main
from cli_support import Capture
from snippets import CLEAN, PLACE, WILDCARD, function_chain

SUITE_ATTRIBUTES = {"name", "tests", "failures", "errors", "skipped"}
CASE_ATTRIBUTES = {"classname", "name", "file", "line"}
CASE_CHILDREN = {"failure", "error", "system-out"}


def junit(tmp_path: Path, capsys: Capture, *texts: str) -> tuple[int, list[str], ET.Element]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"t{index}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    code = main(["check", *paths, "--format", "junit", *PLACE])
    out = capsys.readouterr().out
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    assert_structure(root)
    return code, paths, root


def assert_structure(root: ET.Element) -> None:
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        assert set(suite.attrib) == SUITE_ATTRIBUTES
        cases = list(suite)
        assert cases and all(case.tag == "testcase" for case in cases)
        assert int(suite.get("tests", "")) == len(cases)
        for kind, plural in (("failure", "failures"), ("error", "errors")):
            assert int(suite.get(plural, "")) == sum(1 for c in cases if c.find(kind) is not None)
        for case in cases:
            assert {"classname", "name"} <= set(case.attrib) <= CASE_ATTRIBUTES
            children = [child.tag for child in case]
            assert set(children) <= CASE_CHILDREN
            assert sum(1 for tag in children if tag in ("failure", "error")) <= 1
            for outcome in case:
                if outcome.tag != "system-out":
                    assert outcome.get("message")
        for key in totals:
            totals[key] += int(suite.get(key, ""))
    assert {key: int(root.get(key, "")) for key in totals} == totals


def test_one_suite_per_template_and_blocking_findings_fail(tmp_path: Path, capsys: Capture) -> None:
    broken = "Resources:\n  A: 5\n"
    code, paths, root = junit(tmp_path, capsys, CLEAN, WILDCARD, broken)
    assert code == 1
    clean, wildcard, bad = list(root)
    assert [s.get("name") for s in root] == paths
    # a clean template: one passing testcase
    ((case,),) = [list(clean)]
    assert case.get("name") == "passes enforce mode" and list(case) == []
    # the wildcard grant blocks enforce mode: a failure naming the code, at the finding's line
    (case,) = list(wildcard)
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "AIP110"
    assert case.get("line") == "23"
    assert case.get("name") == "AIP110 RequestFunction.Properties.Policies[0].Statement[1].Resource"
    # a template that cannot be analyzed: an error
    (case,) = list(bad)
    error = case.find("error")
    assert error is not None and "Resources.A must be a mapping, not an integer" in (error.text or "")
    assert root.get("failures") == "1" and root.get("errors") == "1" and root.get("tests") == "3"


def test_a_finding_that_does_not_block_passes(tmp_path: Path, capsys: Capture) -> None:
    # AIP130: the Environment names a function the caller has no grant for (does not block)
    text = CLEAN.replace(
        "TARGET: !Ref ProcessorFunction", "TARGET: !Ref ProcessorFunction\n          OTHER: !Ref Other"
    )
    text += "  Other:\n    Type: AWS::Serverless::Function\n"
    code, _, root = junit(tmp_path, capsys, text)
    assert code == 0
    ((case,),) = [list(suite) for suite in root]
    assert case.get("name", "").startswith("AIP130 ")
    assert case.find("failure") is None
    system_out = case.find("system-out")
    assert system_out is not None and "AIP130" in (system_out.text or "")


def test_a_limit_failure_is_a_testcase_of_its_code(tmp_path: Path, capsys: Capture) -> None:
    # the macro refuses the template on a finding (AIP150): the error names the finding, at its line
    code, paths, root = junit(tmp_path, capsys, json.dumps(function_chain(300), indent=1))
    assert code == 1
    (case,) = root.iter("testcase")
    assert case.attrib == {"classname": paths[0], "name": "AIP150 Resources", "file": paths[0], "line": "2"}
    (error,) = case
    assert error.tag == "error" and error.get("type") == "AIP150"
    assert error.get("message", "").startswith("AIP150 ")
