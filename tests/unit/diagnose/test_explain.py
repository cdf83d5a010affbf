"""`autoinvoke explain` offline: each diagnosis case on a small template of its own."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli import main as cli
from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose.denial import parse_denial, parse_url_denial
from auto_invoke_permission.diagnose.explain import (
    ONLY_TARGET_GUESS,
    Analyzed,
    CaseKind,
    Diagnosis,
    analyze_template,
    diagnose,
)
from repository import REPO, SAMPLES

SEED_TEMPLATE = str(SAMPLES / "seed" / "template.yaml")
ACCOUNT = "123456789012"
OTHER = "444455556666"


def message(
    role: str = "RequestFunctionRole-AbC",
    session: str = "RequestFunction",
    function: str = "processor",
    reason: str = "because no identity-based policy allows the lambda:InvokeFunction action",
    action: str = "lambda:InvokeFunction",
    caller_account: str = ACCOUNT,
    function_account: str = ACCOUNT,
) -> str:
    return (
        f"User: arn:aws:sts::{caller_account}:assumed-role/{role}/{session} is not authorized to perform: "
        f"{action} on resource: arn:aws:lambda:us-east-1:{function_account}:function:{function} {reason}"
    )


SEED_MESSAGE = message()
GLOBALS = {"Function": {"Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://bucket/code.zip"}}


def sam(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Transform": "AWS::Serverless-2016-10-31", "Globals": GLOBALS, "Resources": resources, **sections}


def invoke(resource: Any, effect: str = "Allow", action: Any = "lambda:InvokeFunction") -> dict[str, Any]:
    return {"Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}


def caller(*policies: Any, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {"Policies": list(policies), **props}}


CALLEE = {"Type": "AWS::Serverless::Function", "Properties": {"FunctionName": "processor"}}
ARN = {"Fn::GetAtt": ["Processor", "Arn"]}


def explain(
    tmp_path: Path, text: str, *templates: dict[str, Any], parameters: dict[str, str] | None = None
) -> Diagnosis:
    analyzed: list[Analyzed] = []
    denial = parse_denial(text)
    for index, data in enumerate(templates):
        path = tmp_path / f"t{index}.json"
        path.write_text(json.dumps(data))
        analyzed.append(analyze_template(read_template(str(path)), denial, parameters or {}))
    return diagnose(denial, analyzed)


def kinds(diagnosis: Diagnosis) -> list[CaseKind]:
    return [c.kind for c in diagnosis.cases]


# ------------------------------------------------------------------ the "done when"
def test_seed_identity_side_and_grant() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = _run(["explain", SEED_MESSAGE, SEED_TEMPLATE], out, err)
    text = out.getvalue()
    assert code == 0, err.getvalue()
    assert "The identity side failed" in text
    assert "caller: RequestFunctionRole (used by RequestFunction)" in text
    assert "grant: RequestFunction.Properties.Policies[0].Statement[0]" in text
    first = text.split("Likely causes, most likely first\n", 1)[1].splitlines()[0]
    assert first == (
        f"  1. grant exists and matches [{SEED_TEMPLATE}: "
        "RequestFunction.Properties.Policies[0].Statement[0]]"
    )
    assert "run `autoinvoke explain --live`" in text


def test_seed_qualified_call_names_the_mismatch() -> None:
    out = io.StringIO()
    _run(
        ["explain", SEED_MESSAGE.replace("function:processor", "function:processor:live"), SEED_TEMPLATE], out
    )
    causes = out.getvalue().split("Likely causes, most likely first\n", 1)[1]
    assert causes.splitlines()[0].startswith("  1. qualified call, unqualified grant")
    assert "covers only the unqualified ARN of ProcessorFunction" in causes
    assert "Add `!Sub ${ProcessorFunction.Arn}:live`" in causes


def _run(argv: list[str], out: io.StringIO, err: io.StringIO | None = None, stdin: str = "") -> int:
    import sys

    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err or io.StringIO(), io.StringIO(stdin)
    try:
        return cli.main(argv)
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved


# ------------------------------------------------------------------ one case each
def test_guessed_callee_also_names_the_name_mismatch(tmp_path: Path) -> None:
    diagnosis = explain(tmp_path, SEED_MESSAGE, read_template(SEED_TEMPLATE).data)
    assert diagnosis.callee is not None and not diagnosis.callee.certain
    assert kinds(diagnosis) == [CaseKind.GRANT_MATCHES, CaseKind.NAME_MISMATCH]
    assert "PROCESSOR_FUNCTION variable" in diagnosis.cases[1].fix


def test_exact_function_name_matches_certainly(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": CALLEE})
    diagnosis = explain(tmp_path, SEED_MESSAGE, template)
    assert (
        diagnosis.callee is not None and diagnosis.callee.how == "FunctionName" and diagnosis.callee.certain
    )
    assert kinds(diagnosis) == [CaseKind.GRANT_MATCHES]


def test_unqualified_call_alias_grant(tmp_path: Path) -> None:
    callee = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"FunctionName": "processor", "AutoPublishAlias": "live"},
    }
    template = sam({"RequestFunction": caller(invoke({"Ref": "ProcessorAliaslive"})), "Processor": callee})
    diagnosis = explain(tmp_path, SEED_MESSAGE, template)
    assert kinds(diagnosis) == [CaseKind.UNQUALIFIED_CALL]
    assert "Call `processor:live`" in diagnosis.cases[0].fix
    assert diagnosis.cases[0].path == "RequestFunction.Properties.Policies[0].Statement[0]"


def test_qualified_call_with_alias_in_template(tmp_path: Path) -> None:
    callee = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"FunctionName": "processor", "AutoPublishAlias": "live"},
    }
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": callee})
    diagnosis = explain(tmp_path, message(function="processor:live"), template)
    assert diagnosis.alias == "ProcessorAliaslive"
    assert kinds(diagnosis) == [CaseKind.QUALIFIED_CALL]
    assert diagnosis.cases[0].fix.startswith("Add `!Ref ProcessorAliaslive`")


def test_qualified_call_with_matching_alias_grant_matches(tmp_path: Path) -> None:
    callee = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"FunctionName": "processor", "AutoPublishAlias": "live"},
    }
    template = sam({"RequestFunction": caller(invoke({"Ref": "ProcessorAliaslive"})), "Processor": callee})
    assert kinds(explain(tmp_path, message(function="processor:live"), template)) == [CaseKind.GRANT_MATCHES]


def test_version_call(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": CALLEE})
    assert kinds(explain(tmp_path, message(function="processor:3"), template))[0] is CaseKind.VERSION_CALL


def test_ref_name_instead_of_arn(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(invoke({"Ref": "Processor"})), "Processor": CALLEE})
    diagnosis = explain(tmp_path, SEED_MESSAGE, template)
    assert kinds(diagnosis)[0] is CaseKind.REF_NAME
    assert diagnosis.cases[0].fix.startswith("Write `Resource: !GetAtt Processor.Arn`")
    assert diagnosis.cases[0].path == "RequestFunction.Properties.Policies[0].Statement[0].Resource"


def test_no_grant_at_all(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(), "Processor": CALLEE})
    diagnosis = explain(tmp_path, SEED_MESSAGE, template)
    assert kinds(diagnosis) == [CaseKind.NO_GRANT]
    assert "LambdaInvokePolicy: {FunctionName: !Ref Processor}" in diagnosis.cases[0].fix
    assert diagnosis.cases[0].path == "RequestFunction.Properties.Policies"


CONDITIONAL = sam(
    {
        "RequestFunction": caller({"Fn::If": ["IsProd", invoke(ARN), {"Ref": "AWS::NoValue"}]}),
        "Processor": CALLEE,
    },
    Parameters={"Stage": {"Type": "String", "Default": "dev"}},
    Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
)


def test_grant_under_a_false_condition(tmp_path: Path) -> None:
    diagnosis = explain(tmp_path, SEED_MESSAGE, CONDITIONAL)
    assert kinds(diagnosis) == [CaseKind.CONDITION_FALSE]
    assert "condition IsProd, which is false" in diagnosis.cases[0].summary


def test_grant_under_a_true_condition(tmp_path: Path) -> None:
    diagnosis = explain(tmp_path, SEED_MESSAGE, CONDITIONAL, parameters={"Stage": "prod"})
    assert kinds(diagnosis) == [CaseKind.CONDITIONAL, CaseKind.GRANT_MATCHES]


def test_deny(tmp_path: Path) -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": ARN},
            {"Effect": "Deny", "Action": "lambda:*", "Resource": "*"},
        ]
    }
    template = sam({"RequestFunction": caller(policy), "Processor": CALLEE})
    diagnosis = explain(
        tmp_path, message(reason="with an explicit deny in an identity-based policy"), template
    )
    assert kinds(diagnosis)[0] is CaseKind.DENY
    assert CaseKind.GRANT_MATCHES not in kinds(diagnosis)


def test_deny_in_the_resource_policy(tmp_path: Path) -> None:
    policy = {
        "Type": "AWS::Lambda::ResourcePolicy",
        "Properties": {
            "ResourceArn": ARN,
            "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "lambda:*"}]},
        },
    }
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": CALLEE, "Policy": policy})
    diagnosis = explain(
        tmp_path, message(reason="with an explicit deny in a resource-based policy"), template
    )
    assert (diagnosis.cases[0].kind, diagnosis.cases[0].path) == (
        CaseKind.DENY,
        "Policy.Properties.PolicyDocument",
    )
    assert CaseKind.GRANT_MATCHES not in kinds(diagnosis)


def test_permissions_boundary(tmp_path: Path) -> None:
    boundary = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        },
    }
    template = sam(
        {
            "RequestFunction": caller(invoke(ARN), PermissionsBoundary={"Ref": "Boundary"}),
            "Processor": CALLEE,
            "Boundary": boundary,
        }
    )
    diagnosis = explain(
        tmp_path,
        message(reason="because no permissions boundary allows the lambda:InvokeFunction action"),
        template,
    )
    assert kinds(diagnosis) == [CaseKind.BOUNDARY]
    assert "the permissions boundary Boundary of RequestFunctionRole" in diagnosis.cases[0].summary


def test_cross_account_needs_both_sides(tmp_path: Path) -> None:
    resource = f"arn:aws:lambda:us-east-1:{OTHER}:function:processor"
    template = sam({"RequestFunction": caller(invoke(resource))})
    text = message(
        function_account=OTHER,
        reason="because no resource-based policy allows the lambda:InvokeFunction action",
    )
    diagnosis = explain(tmp_path, text, template)
    assert kinds(diagnosis) == [CaseKind.CROSS_ACCOUNT]
    case = diagnosis.cases[0]
    assert "the resource side is what failed" in case.summary
    assert f"AllowCallers: [arn:aws:iam::{ACCOUNT}:role/RequestFunctionRole-AbC]" in case.fix
    assert (
        f"aws lambda add-permission --function-name {resource} --statement-id InvokeRequestFunctionRoleAbC "
        f"--action lambda:InvokeFunction --principal arn:aws:iam::{ACCOUNT}:role/RequestFunctionRole-AbC"
    ) in case.fix
    assert "both sides are needed" in " ".join(diagnosis.meaning)
    assert f"Identity side: the caller's template grants it at {case.path}." in case.fix
    assert case.path == "RequestFunction.Properties.Policies[0].Statement[0].Resource"


def test_cross_account_with_the_callee_template(tmp_path: Path) -> None:
    resource = f"arn:aws:lambda:us-east-1:{OTHER}:function:processor"
    caller_template = sam({"RequestFunction": caller(invoke(resource))})
    callee_template = sam({"Processor": CALLEE})
    text = message(function_account=OTHER)
    diagnosis = explain(tmp_path, text, caller_template, callee_template)
    assert diagnosis.callee is not None and diagnosis.callee.logical_id == "Processor"
    assert "under `Metadata.AutoInvokePermission` of Processor" in diagnosis.cases[0].fix
    assert "the identity side is what failed" in diagnosis.cases[0].summary


def test_function_url_without_invoke_function(tmp_path: Path) -> None:
    url_callee = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"FunctionName": "processor", "FunctionUrlConfig": {"AuthType": "AWS_IAM"}},
    }
    template = sam(
        {"RequestFunction": caller(invoke(ARN, action="lambda:InvokeFunctionUrl")), "Processor": url_callee}
    )
    diagnosis = explain(tmp_path, message(action="lambda:InvokeFunction"), template)
    assert kinds(diagnosis)[0] is CaseKind.NO_GRANT  # an ordinary invoke: no InvokeFunction grant
    url = explain(tmp_path, message(action="lambda:InvokeFunctionUrl", reason=""), template)
    assert kinds(url) == [CaseKind.URL_INVOKE_FUNCTION, CaseKind.NO_GRANT]
    assert (
        "Add `lambda:InvokeFunction` to the Action at RequestFunction.Properties.Policies[0].Statement[0]"
        in (url.cases[0].fix)
    )


def test_url_forbidden_lists_the_callers_missing_an_action(tmp_path: Path) -> None:
    url_callee = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"FunctionUrlConfig": {"AuthType": "AWS_IAM"}},
    }
    template = sam(
        {
            "UrlCaller": caller(invoke({"Fn::GetAtt": ["Web", "Arn"]}, action="lambda:InvokeFunctionUrl")),
            "PlainCaller": caller(invoke({"Fn::GetAtt": ["Web", "Arn"]})),
            "Web": url_callee,
        }
    )
    path = tmp_path / "url.json"
    path.write_text(json.dumps(template))
    denial = parse_url_denial("https://abc123.lambda-url.us-east-1.on.aws/", '{"Message":"Forbidden"}')
    diagnosis = diagnose(denial, [analyze_template(read_template(str(path)), denial, {})])
    assert [(c.kind, c.path) for c in diagnosis.cases] == [
        (CaseKind.URL_INVOKE_FUNCTION_URL, "PlainCaller.Properties.Policies[0].Statement[0]"),
        (CaseKind.URL_INVOKE_FUNCTION, "UrlCaller.Properties.Policies[0].Statement[0]"),
    ]


# ------------------------------------------------------------------ finding the caller
def test_role_by_role_name(tmp_path: Path) -> None:
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": {"Fn::Sub": "${AWS::StackName}-caller"},
            "AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "p", "PolicyDocument": invoke(ARN)}],
        },
    }
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["CallerRole", "Arn"]}}}
    template = {
        "Resources": {
            "CallerRole": role,
            "Caller": fn,
            "Processor": {**CALLEE, "Type": "AWS::Lambda::Function"},
        }
    }
    diagnosis = explain(tmp_path, message(role="app-prod-caller", session="Caller"), template)
    assert diagnosis.caller is not None and (diagnosis.caller.logical_id, diagnosis.caller.how) == (
        "CallerRole",
        "RoleName",
    )
    assert diagnosis.caller_functions == ("Caller",)
    assert kinds(diagnosis) == [CaseKind.GRANT_MATCHES]


def test_role_by_generated_name(tmp_path: Path) -> None:
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "p", "PolicyDocument": invoke(ARN)}],
        },
    }
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["CallerRole", "Arn"]}}}
    template = {
        "Resources": {
            "CallerRole": role,
            "Caller": fn,
            "Processor": {**CALLEE, "Type": "AWS::Lambda::Function"},
        }
    }
    diagnosis = explain(tmp_path, message(role="mystack-CallerRole-1A2B3C4D5E6F"), template)
    assert diagnosis.caller is not None and diagnosis.caller.how == "CloudFormation's generated role name"


def test_caller_not_in_the_templates(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": CALLEE})
    diagnosis = explain(tmp_path, message(role="SomeoneElse"), template)
    assert kinds(diagnosis) == [CaseKind.CALLER_NOT_IN_TEMPLATES, CaseKind.NO_GRANT]
    assert "RequestFunctionRole" in diagnosis.cases[0].summary


def test_service_caller_needs_the_resource_side(tmp_path: Path) -> None:
    text = (
        "User: sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: "
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor because no resource-based policy allows the "
        "lambda:InvokeFunction action"
    )
    diagnosis = explain(tmp_path, text, sam({"Processor": CALLEE}))
    assert kinds(diagnosis) == [CaseKind.NO_GRANT]
    assert "Principal: sns.amazonaws.com, SourceArn: <the source's ARN>}" in diagnosis.cases[0].fix
    assert "only the callee's resource policy can allow it" in " ".join(diagnosis.meaning)


def test_callee_not_in_the_templates(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(), "Processor": CALLEE})
    diagnosis = explain(tmp_path, message(function="billing"), template)
    assert diagnosis.callee is None
    assert kinds(diagnosis) == [CaseKind.NAME_MISMATCH]


def test_callee_guessed_as_the_callers_only_target(tmp_path: Path) -> None:
    template = sam({"RequestFunction": caller(invoke(ARN)), "Processor": CALLEE})
    diagnosis = explain(tmp_path, message(function="billing"), template)
    assert diagnosis.callee is not None and diagnosis.callee.how == ONLY_TARGET_GUESS
    assert kinds(diagnosis) == [CaseKind.NAME_MISMATCH, CaseKind.GRANT_MATCHES]


# ------------------------------------------------------------------ the command
def test_without_templates_explains_and_lists_checks() -> None:
    out = io.StringIO()
    assert _run(["explain", SEED_MESSAGE], out) == 0
    text = out.getvalue()
    assert "Likely causes" not in text
    assert (
        "aws iam simulate-principal-policy --policy-source-arn "
        "arn:aws:iam::123456789012:role/RequestFunctionRole-AbC" in text
    )


def test_json_output_from_stdin() -> None:
    out = io.StringIO()
    assert (
        _run(["explain", "-", SEED_TEMPLATE, "--format", "json"], out, stdin=f"[ERROR] {SEED_MESSAGE}\n") == 0
    )
    data = json.loads(out.getvalue())
    assert data["denial"]["function"] == "processor"
    assert data["caller"]["logicalId"] == "RequestFunctionRole"
    assert data["cases"][0]["case"] == "grant exists and matches"
    assert data["grants"] == ["RequestFunction.Properties.Policies[0].Statement[0]"]


def test_message_from_file(tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    path.write_text(
        f"botocore.exceptions.ClientError: An error occurred (AccessDeniedException) {SEED_MESSAGE}"
    )
    out = io.StringIO()
    assert _run(["explain", "--file", str(path), SEED_TEMPLATE], out) == 0
    assert "caller: RequestFunctionRole" in out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "nothing to see"],
        ["explain", "--file", "/nonexistent/log"],
        ["explain", "--url", "https://x.example/", "Forbidden"],
    ],
)
def test_unreadable_message_exits_2_with_one_line(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert _run(argv, out, err) == 2
    assert err.getvalue().count("\n") == 1 and err.getvalue().startswith(
        "autoinvoke explain: cannot read the message:"
    )
    assert out.getvalue() == ""


def test_unreadable_template_exits_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert _run(["explain", SEED_MESSAGE, str(tmp_path / "missing.yaml")], io.StringIO(), err) == 2
    assert "cannot read the template" in err.getvalue()


def test_readme_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    root = REPO
    readme = (root / "docs" / "guide" / "explain.md").read_text(encoding="utf-8")
    block = readme.split("```console\n$ autoinvoke explain ", 1)[1].split("```", 1)[0]
    command, *shown = block.splitlines()
    text, template = command.rsplit(" ", 1)
    monkeypatch.chdir(root)
    out = io.StringIO()
    assert _run(["explain", json.loads(text), template], out) == 0
    remaining = iter(out.getvalue().splitlines())
    missing = [line for line in shown if line.strip() != "..." and line not in remaining]  # in order
    assert missing == []
