"""Every bundled sample, expanded offline (SAM, then the macro), is CloudFormation cfn-lint accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auto_invoke_permission.cli.main import main
from cfnlint.api import ManualArgs, lint
from cli_support import clear_aws_settings
from repository import SAMPLES

SAMPLE_TEMPLATES = sorted(SAMPLES.glob("*/template.yaml"))

# cfn-lint rules a sample is allowed to trip because its generator writes it that way: the CDK
# repeats a GetAtt dependency in DependsOn, which cfn-lint reports as W3005 on every CDK stack.
ACCEPTED_RULES = {"cdk": ["W3005"]}


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_aws_settings(monkeypatch)


def test_there_are_samples() -> None:
    assert len(SAMPLE_TEMPLATES) >= 3


@pytest.mark.parametrize("template", SAMPLE_TEMPLATES, ids=lambda p: p.parent.name)
def test_expanded_sample_passes_cfn_lint(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["expand", str(template), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    expanded = json.loads(out)
    assert "Transform" not in expanded
    types = {r["Type"] for r in expanded["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert "AWS::Lambda::Permission" in types
    accepted = ACCEPTED_RULES.get(template.parent.name, [])
    matches = lint(json.dumps(expanded), config=ManualArgs(regions=["us-east-1"], ignore_checks=accepted))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
