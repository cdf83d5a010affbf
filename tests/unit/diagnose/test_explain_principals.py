"""`explain` for every principal a denial may name, with the fix valid for it and for the resource type.

Callers that are not Lambda functions (a state machine's role, an API's, a rule's), IAM users, roles
of other accounts; SAM's `Policies` only on a SAM function; a Deny located at the Deny statement;
names built with Fn::Join / Fn::If resolved as the macro resolves them. conftest.py checks each case
against the macro's own reading (explain_agreement.check).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose.denial import parse_denial
from auto_invoke_permission.diagnose.explain import CaseKind, Diagnosis, analyze_template, diagnose

ACCOUNT = "123456789012"
OTHER = "444455556666"
ARN = {"Fn::GetAtt": ["Processor", "Arn"]}
CALLEE = {
    "Type": "AWS::Lambda::Function",
    "Properties": {"FunctionName": "processor", "Role": "arn:aws:iam::1:role/r"},
}


def message(
    principal: str, reason: str = "because no identity-based policy allows", account: str = ACCOUNT
) -> str:
    return (
        f"User: {principal} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"arn:aws:lambda:us-east-1:{account}:function:processor {reason} the lambda:InvokeFunction action"
    )


def session(role: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/session"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": list(statements)}


def invoke(resource: Any = ARN, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": "lambda:InvokeFunction", "Resource": resource}


def role(*documents: dict[str, Any], **props: Any) -> dict[str, Any]:
    policies = [{"PolicyName": f"P{i}", "PolicyDocument": d} for i, d in enumerate(documents)]
    return {"Type": "AWS::IAM::Role", "Properties": {"Policies": policies, **props}}


def explain(tmp_path: Path, text: str, resources: dict[str, Any], **sections: Any) -> Diagnosis:
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"Resources": resources, **sections}))
    denial = parse_denial(text)
    return diagnose(denial, [analyze_template(read_template(str(path)), denial, {})])


def kinds(diagnosis: Diagnosis) -> list[CaseKind]:
    return [c.kind for c in diagnosis.cases]


MACHINE = {
    "Type": "AWS::StepFunctions::StateMachine",
    "Properties": {"RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]}},
}


def test_a_state_machines_role_that_the_template_grants(tmp_path: Path) -> None:
    resources = {"Machine": MACHINE, "MachineRole": role(policy(invoke())), "Processor": CALLEE}
    diagnosis = explain(tmp_path, message(session("app-MachineRole-1X2Y")), resources)
    assert diagnosis.caller is not None and diagnosis.caller.logical_id == "MachineRole"
    assert diagnosis.caller_functions == ("Machine",)
    assert diagnosis.grants == ["MachineRole.Properties.Policies[0].PolicyDocument.Statement[0]"]
    assert kinds(diagnosis) == [CaseKind.GRANT_MATCHES]


def test_an_api_role_without_a_grant_gets_a_role_policy_not_sam_policies(tmp_path: Path) -> None:
    method = {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {"Integration": {"Credentials": {"Fn::GetAtt": ["ApiRole", "Arn"]}}},
    }
    resources = {"Method": method, "ApiRole": role(), "Processor": CALLEE}
    diagnosis = explain(tmp_path, message(session("app-ApiRole-1X2Y")), resources)
    assert kinds(diagnosis) == [CaseKind.NO_GRANT]
    fix = diagnosis.cases[0].fix
    assert "to ApiRole.Properties.Policies, or an AWS::IAM::Policy with `Roles: [!Ref ApiRole]`" in fix
    assert "LambdaInvokePolicy" not in fix
    assert fix.endswith(
        "in one account the identity grant alone allows the call (the macro mirrors the grants of "
        "functions' roles only)."
    )
    assert diagnosis.cases[0].path == "ApiRole.Properties.Policies"


def test_an_explicit_deny_on_a_rules_role_is_located_at_the_deny(tmp_path: Path) -> None:
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {"Targets": [{"Id": "t", "Arn": ARN, "RoleArn": {"Fn::GetAtt": ["RuleRole", "Arn"]}}]},
    }
    resources = {
        "Rule": rule,
        "RuleRole": role(policy(invoke()), policy(invoke("*", "Deny"))),
        "Processor": CALLEE,
    }
    text = message(session("app-RuleRole-1X2Y"), "with an explicit deny in an identity-based policy allows")
    diagnosis = explain(tmp_path, text, resources)
    assert kinds(diagnosis)[0] is CaseKind.DENY
    deny = "RuleRole.Properties.Policies[1].PolicyDocument.Statement[0]"
    assert diagnosis.cases[0].path == deny
    assert f"Remove the statement at {deny}, or narrow its Action or Resource" in diagnosis.cases[0].fix


def test_a_lambda_function_role_gets_no_sam_policies(tmp_path: Path) -> None:
    resources = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]}},
        },
        "WorkerRole": role(),
        "Processor": CALLEE,
    }
    diagnosis = explain(tmp_path, message(session("app-WorkerRole-1X2Y")), resources)
    assert diagnosis.caller_functions == ("Worker",)
    assert kinds(diagnosis) == [CaseKind.NO_GRANT]
    assert "LambdaInvokePolicy" not in diagnosis.cases[0].fix
    assert "WorkerRole.Properties.Policies" in diagnosis.cases[0].fix
    assert diagnosis.cases[0].fix.endswith(
        "with the macro in the Transform, the callee's permission follows."
    )


def test_an_iam_user_of_the_template(tmp_path: Path) -> None:
    user = {"Type": "AWS::IAM::User", "Properties": {"UserName": "deployer"}}
    attached = {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyName": "p", "Users": [{"Ref": "Deployer"}], "PolicyDocument": policy(invoke())},
    }
    resources = {"Deployer": user, "Grant": attached, "Processor": CALLEE}
    diagnosis = explain(tmp_path, message(f"arn:aws:iam::{ACCOUNT}:user/deployer"), resources)
    assert diagnosis.caller is not None and (diagnosis.caller.logical_id, diagnosis.caller.how) == (
        "Deployer",
        "UserName",
    )
    assert diagnosis.grants == ["Grant.Properties.PolicyDocument.Statement[0]"]
    assert kinds(diagnosis) == [CaseKind.GRANT_MATCHES]


def test_an_iam_user_without_a_grant_gets_a_user_grant(tmp_path: Path) -> None:
    resources = {"Deployer": {"Type": "AWS::IAM::User"}, "Processor": CALLEE}
    diagnosis = explain(tmp_path, message(f"arn:aws:iam::{ACCOUNT}:user/ci/app-Deployer-9Q"), resources)
    assert diagnosis.caller is not None and diagnosis.caller.logical_id == "Deployer"
    fix = diagnosis.cases[0].fix
    assert "to Deployer.Properties.Policies, or an AWS::IAM::Policy with `Users: [!Ref Deployer]`" in fix
    assert "None" not in fix


def test_an_iam_user_outside_the_templates_is_never_none(tmp_path: Path) -> None:
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/ci/someone"
    diagnosis = explain(tmp_path, message(user_arn), {"Processor": CALLEE})
    assert kinds(diagnosis) == [CaseKind.CALLER_NOT_IN_TEMPLATES, CaseKind.NO_GRANT]
    assert diagnosis.cases[0].summary.startswith("The caller someone is not a principal of the templates")
    fix = diagnosis.cases[1].fix
    assert f"AllowCallers: [{user_arn}]" in fix and f"--principal {user_arn}" in fix
    assert "None" not in fix


def test_a_role_of_another_account_across_accounts(tmp_path: Path) -> None:
    resource = f"arn:aws:lambda:us-east-1:{OTHER}:function:processor"
    resources = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]}},
        },
        "WorkerRole": role(policy(invoke(resource)), RoleName="worker"),
    }
    text = message(session("worker"), "because no resource-based policy allows", OTHER)
    diagnosis = explain(tmp_path, text, resources)
    assert kinds(diagnosis) == [CaseKind.CROSS_ACCOUNT]
    assert f"AllowCallers: [arn:aws:iam::{ACCOUNT}:role/worker]" in diagnosis.cases[0].fix


def test_names_built_with_join_and_if_as_amplify_and_cdk_write_them(tmp_path: Path) -> None:
    env = {"Fn::If": ["HasEnv", {"Ref": "env"}, "NONE"]}
    resources = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["LambdaExecutionRole", "Arn"]}},
        },
        "LambdaExecutionRole": role(
            policy(invoke()),
            RoleName={
                "Fn::If": [
                    "HasEnv",
                    {"Fn::Join": ["", ["appLambdaRole", "-", {"Ref": "env"}]]},
                    "appLambdaRole",
                ]
            },
        ),
        "Processor": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": {"Fn::Join": ["-", ["processor", env]]},
                "Role": "arn:aws:iam::1:role/r",
            },
        },
    }
    sections = {
        "Parameters": {"env": {"Type": "String"}},
        "Conditions": {"HasEnv": {"Fn::Not": [{"Fn::Equals": [{"Ref": "env"}, "NONE"]}]}},
    }
    text = message(session("appLambdaRole-dev")).replace("function:processor", "function:processor-dev")
    diagnosis = explain(tmp_path, text, resources, **sections)
    assert diagnosis.caller is not None and (diagnosis.caller.logical_id, diagnosis.caller.how) == (
        "LambdaExecutionRole",
        "RoleName",
    )
    assert diagnosis.callee is not None and (diagnosis.callee.logical_id, diagnosis.callee.how) == (
        "Processor",
        "FunctionName",
    )


def test_federated_and_root_principals_get_their_own_fix(tmp_path: Path) -> None:
    federated = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    diagnosis = explain(tmp_path, message(federated), {"Processor": CALLEE})
    assert "GetFederationToken" in diagnosis.cases[0].fix
    assert f"AllowCallers: [{federated}]" in diagnosis.cases[1].fix
    root = f"arn:aws:iam::{OTHER}:root"
    diagnosis = explain(tmp_path, message(root), {"Processor": CALLEE})
    assert "The account root needs no identity grant in its own account" in diagnosis.cases[0].fix
    assert f"AllowCallers: [{root}]" in diagnosis.cases[1].fix
