"""The check that explain reads templates as the macro does (explain_agreement.check) can fail.

conftest.py runs it on every template of every explain case; here it is pinned on its own: it passes
for explain's reading, and fails when a reading differs in roles, grants or callees.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission import core
from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose.denial import parse_denial
from auto_invoke_permission.diagnose.explain import Analyzed, analyze_template, diagnose
from explain_agreement import check

ACCOUNT = "123456789012"
DENIAL = parse_denial(
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app-WorkerRole-1A/s is not authorized to perform: "
    f"lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor because no "
    "identity-based policy allows the lambda:InvokeFunction action"
)


def _template(grant: bool = True, machine: bool = True) -> dict[str, Any]:
    statements = [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::GetAtt": ["Processor", "Arn"]},
        }
    ]
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements if grant else []}}]
        },
    }
    resources: dict[str, Any] = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]}},
        },
        "WorkerRole": role,
        "MachineRole": role,
        "Processor": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"FunctionName": "processor", "Role": "arn:aws:iam::1:role/r"},
        },
    }
    if machine:
        resources["Machine"] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]}},
        }
    return {"Resources": resources}


def _analyzed(tmp_path: Path, data: dict[str, Any], name: str = "t.json") -> Analyzed:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return analyze_template(read_template(str(path)), DENIAL, {})


def test_explains_reading_agrees_and_sees_more_principals(tmp_path: Path) -> None:
    analyzed = _analyzed(tmp_path, _template())
    diagnosis = diagnose(DENIAL, [analyzed])
    check(analyzed, diagnosis)
    # the state machine's role is explain's alone: the macro mirrors functions' roles only
    principals = {p.principal.role for p in analyzed.result.permissions}
    macro = core.analyze(
        analyzed.template.fragment, analyzed.result.options, analyzed.context._replace(every_principal=False)
    )
    assert principals == {"WorkerRole", "MachineRole"}
    assert {p.principal.role for p in macro.permissions} == {"WorkerRole"}


def test_a_reading_with_other_grants_fails(tmp_path: Path) -> None:
    analyzed = _analyzed(tmp_path, _template())
    other = _analyzed(tmp_path, _template(grant=False), "other.json")
    with pytest.raises(AssertionError, match="grants differ"):
        check(dataclasses.replace(analyzed, result=other.result))


def test_a_reading_with_other_roles_fails(tmp_path: Path) -> None:
    analyzed = _analyzed(tmp_path, _template())
    data = _template()
    data["Resources"]["Worker"]["Properties"]["Role"] = {"Fn::GetAtt": ["MachineRole", "Arn"]}
    other = _analyzed(tmp_path, data, "other.json")
    with pytest.raises(AssertionError, match="execution roles differ"):
        check(dataclasses.replace(analyzed, index=other.index))


def test_a_reading_with_other_callees_fails(tmp_path: Path) -> None:
    analyzed = _analyzed(tmp_path, _template())
    data = _template()
    data["Resources"]["Extra"] = {"Type": "AWS::Lambda::Function"}  # no role: a callee only
    other = _analyzed(tmp_path, data, "other.json")
    with pytest.raises(AssertionError, match="callees differ"):
        check(dataclasses.replace(analyzed, index=other.index))
