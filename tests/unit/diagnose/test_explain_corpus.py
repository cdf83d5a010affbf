"""`explain` on the real-text corpus: as posted, with the templates of their situations, and the
cause each reason wording leads to.

tests/data/denials/corpus.yaml holds the texts; an entry's `diagnosis` names the templates (under
tests/data/denials/templates/) and the expected caller, callee, first cause and a piece of its fix.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose.denial import Reason, parse_denial, parse_url_denial
from auto_invoke_permission.diagnose.explain import (
    CaseKind,
    Diagnosis,
    analyze_template,
    diagnose,
    render_text,
)
from auto_invoke_permission.diagnose.locate import find_caller
from repository import DATA

DENIALS = DATA / "denials"
CORPUS: list[dict[str, Any]] = yaml.safe_load((DENIALS / "corpus.yaml").read_text(encoding="utf-8"))
WITH_TEMPLATES = [e for e in CORPUS if "diagnosis" in e]


def run(text: str, *templates: str) -> Diagnosis:
    denial = parse_denial(text)
    paths = [str(DENIALS / "templates" / t) for t in templates]
    analyzed = [analyze_template(read_template(path), denial, {}) for path in paths]
    return diagnose(denial, analyzed)


def case(entry: dict[str, Any]) -> Any:
    marks = []
    if "known_failure" in entry["diagnosis"]:
        marks.append(pytest.mark.xfail(reason=entry["diagnosis"]["known_failure"], strict=True))
    return pytest.param(entry, id=entry["id"], marks=marks)


@pytest.mark.parametrize("entry", [case(e) for e in WITH_TEMPLATES])
def test_real_texts_with_the_templates_of_their_situation(entry: dict[str, Any]) -> None:
    expect = entry["diagnosis"]
    diagnosis = run(entry["text"], *expect["templates"])
    caller = diagnosis.caller.logical_id if diagnosis.caller else None
    callee = diagnosis.callee.logical_id if diagnosis.callee else None
    assert (caller, callee) == (expect["caller"], expect["callee"])
    first = diagnosis.cases[0]
    assert first.kind.value == expect["case"]
    assert expect["fix"] in first.fix


def readable(kind: str) -> list[Any]:
    return [pytest.param(e, id=e["id"]) for e in CORPUS if e["kind"] == kind]


@pytest.mark.parametrize("entry", readable("invoke"))
def test_every_invoke_text_is_explained_without_a_missing_value(entry: dict[str, Any]) -> None:
    diagnosis = run(entry["text"])
    text = render_text(diagnosis)
    assert not re.search(r"\bNone\b", text)
    assert ("Masked in the message:" in text) is bool(entry["expect"].get("masked"))


@pytest.mark.parametrize("entry", readable("other") + readable("url"))
def test_texts_that_are_not_permission_problems_get_no_policy_cause(entry: dict[str, Any]) -> None:
    denial = (
        parse_url_denial(entry["url"], entry["text"])
        if entry["kind"] == "url"
        else parse_denial(entry["text"])
    )
    diagnosis = diagnose(denial, [])
    text = render_text(diagnosis)
    assert not re.search(r"\bNone\b", text)
    if not denial.reason.permission:
        assert "This is not a permission problem" in text or "not about invoke permissions" in text
        assert diagnosis.cases == []


# ------------------------------------------------------------------ one cause per reason
GLOBALS = {"Function": {"Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://bucket/code.zip"}}
GRANTED = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Globals": GLOBALS,
    "Resources": {
        "RequestFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Policies": [
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": {"Fn::GetAtt": ["Processor", "Arn"]},
                            }
                        ]
                    }
                ]
            },
        },
        "Processor": {"Type": "AWS::Serverless::Function", "Properties": {"FunctionName": "processor"}},
    },
}
MESSAGE = (
    "User: arn:aws:sts::123456789012:assumed-role/stack-RequestFunctionRole-AbCdEfGhIjKl/RequestFunction "
    "is not authorized to perform: lambda:InvokeFunction on resource: "
    "arn:aws:lambda:us-east-1:123456789012:function:processor {tail}"
)


@pytest.mark.parametrize(
    ("tail", "first", "propagation"),
    [
        (
            "because no identity-based policy allows the lambda:InvokeFunction action",
            CaseKind.GRANT_MATCHES,
            True,
        ),
        ("with an explicit deny in a permissions boundary", CaseKind.BOUNDARY, False),
        ("because no permissions boundary allows the lambda:InvokeFunction action", CaseKind.BOUNDARY, False),
        ("due to an explicit deny in a Service Control Policy", CaseKind.ORGANIZATION_DENY, False),
        (
            "because no service control policy allows the lambda:InvokeFunction action",
            CaseKind.ORGANIZATION_DENY,
            False,
        ),
        (
            "with an explicit deny in a VPC endpoint policy transitively through a service control policy",
            CaseKind.ORGANIZATION_DENY,
            False,
        ),
        ("with an explicit deny in a VPC endpoint policy", CaseKind.ENDPOINT_POLICY, False),
        (
            "because no VPC endpoint policy allows the lambda:InvokeFunction action",
            CaseKind.ENDPOINT_POLICY,
            False,
        ),
        ("with an explicit deny in a sessions policy", CaseKind.SESSION_POLICY, False),
        ("with an explicit deny in a resource control policy", CaseKind.ORGANIZATION_DENY, False),
    ],
)
def test_each_reason_has_its_own_cause(tmp_path: Path, tail: str, first: CaseKind, propagation: bool) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(GRANTED))
    denial = parse_denial(MESSAGE.format(tail=tail))
    diagnosis = diagnose(denial, [analyze_template(read_template(str(path)), denial, {})])
    assert diagnosis.caller is not None and diagnosis.caller.logical_id == "RequestFunctionRole"
    assert diagnosis.cases[0].kind is first
    assert (CaseKind.GRANT_MATCHES in [c.kind for c in diagnosis.cases]) is propagation
    if not propagation:
        assert "waiting does not help" in " ".join(c.fix for c in diagnosis.cases)


def test_the_denying_policy_and_the_authorization_id_are_shown() -> None:
    text = MESSAGE.format(
        tail="with an explicit deny in an identity-based policy: "
        "arn:aws:iam::123456789012:policy/DenyInvoke.\n"
        "Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/"
        "EXAMPLE1a2b3c4d5e6f7g8h9i0j for complete details,\nor call the GetRequestAuthorizationDetails API "
        "with the following authorization id: EXAMPLE1a2b3c4d5e6f7g8h9i0j"
    )
    rendered = render_text(run(text))
    assert "The denying policy: arn:aws:iam::123456789012:policy/DenyInvoke." in rendered
    assert "Authorization ID EXAMPLE1a2b3c4d5e6f7g8h9i0j" in rendered


def test_an_unknown_wording_is_said_and_caller_and_callee_still_located(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(GRANTED))
    denial = parse_denial(MESSAGE.format(tail="because the moon is full"))
    diagnosis = diagnose(denial, [analyze_template(read_template(str(path)), denial, {})])
    assert denial.reason is Reason.UNKNOWN
    assert "a reason this tool does not know" in " ".join(diagnosis.meaning)
    assert "'because the moon is full'" in " ".join(diagnosis.meaning)
    assert (
        diagnosis.caller and diagnosis.caller.logical_id,
        diagnosis.callee and diagnosis.callee.logical_id,
    ) == (
        "RequestFunctionRole",
        "Processor",
    )


def test_a_partly_masked_role_is_found_by_what_is_left(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "CallerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"RoleName": "appLambdaRole1a2b3c4d-dev", "AssumeRolePolicyDocument": {}},
            },
            "OtherRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "other-dev"}},
        }
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    denial = parse_denial(
        "User: arn:aws:sts::*****:assumed-role/***LambdaRole****-dev/x is not authorized to perform: "
        "lambda:InvokeFunction on resource: arn:aws:lambda:****:****:function:***"
    )
    assert (denial.role, denial.role_glob, denial.session) == (None, "*LambdaRole*-dev", "x")
    analyzed = analyze_template(read_template(str(path)), denial, {})
    found = find_caller(analyzed.template.path, analyzed.index, replace(denial, session=None))
    assert found is not None and (found.logical_id, found.certain) == ("CallerRole", False)
