"""The cfn-lint rules driven in-process through `cfnlint.api.lint`.

test_cfnlint_rules.py runs the cfn-lint command as a user would; these run the same rules in this
process, so that the rule module's own code (the analysis, its cache, E9000) is measured too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cfnlint import FAILED_RULE_ID, _Analysis, rule_id
from auto_invoke_permission.cli.main import main
from cfnlint.api import ManualArgs, lint
from repository import REPO

ROOT = REPO
SAMPLES = sorted(ROOT.glob("samples/*/template.yaml"))
RULES = "auto_invoke_permission.cfnlint"


def our_matches(text: str) -> list[tuple[str, int, int, str]]:
    matches: list[Any] = lint(
        text, config=ManualArgs(append_rules=[RULES], regions=["us-east-1"], include_checks=["I"])
    )
    return sorted(
        (m.rule.id, m.linenumber, m.columnnumber, m.message) for m in matches if m.rule.id[1:2] == "9"
    )


@pytest.mark.parametrize("path", SAMPLES, ids=[p.parent.name for p in SAMPLES])
def test_in_process_matches_are_the_check_findings(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCOUNT_ID", raising=False)
    found = [(rule, line) for rule, line, _, _ in our_matches(path.read_text(encoding="utf-8"))]
    main(["check", str(path), "--format", "json", "--region", "us-east-1", "--account-id", "123456789012"])
    (template,) = json.loads(capsys.readouterr().out)["templates"]
    assert found == sorted((rule_id(f["code"]), f["line"]) for f in template["findings"])


def test_match_message_is_code_path_and_finding() -> None:
    text = (ROOT / "samples" / "cloudformation-roles" / "template.yaml").read_text(encoding="utf-8")
    (first, second) = our_matches(text)
    assert first[:3] == ("W9110", 38, 17)
    assert first[3].startswith("AIP110 InvokeReporter.Properties.PolicyDocument.Statement[0].Resource[1]: ")
    assert second[:3] == ("W9111", 39, 17)
    assert second[3].startswith("AIP111 InvokeReporter.Properties.PolicyDocument.Statement[0].Resource[2]: ")


def test_an_invalid_option_is_one_template_match() -> None:
    text = (
        "Transform: AutoInvokePermission\n"
        "Metadata:\n  AutoInvokePermission:\n    Mode: loud\n"
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\n"
    )
    assert our_matches(text) == [
        (
            FAILED_RULE_ID,
            1,
            1,
            "AutoInvokePermission: Metadata.AutoInvokePermission: option Mode has value 'loud'; "
            "allowed values: audit, inject, enforce",
        )
    ]


class _Template:
    """What the rules read of cfn-lint's Template: its file name, nodes and regions."""

    def __init__(self, template: dict[str, Any], regions: list[str]) -> None:
        self.filename = "t.yaml"
        self.template = template
        self.regions = regions


def test_one_analysis_per_template() -> None:
    cfn = _Template({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}, ["eu-west-1"])
    first = _Analysis.of(cfn)
    assert _Analysis.of(cfn) is first  # every rule asks; the analysis runs once
    assert (first.problems, first.findings) == ((), ())
    other = _Template({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}, [])
    assert _Analysis.of(other) is not first
