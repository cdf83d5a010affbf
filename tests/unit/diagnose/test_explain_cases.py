"""`autoinvoke explain`'s pieces, one table per helper.

test_explain.py diagnoses whole templates; these pin the pieces it is built from: how a deployed name
matches a template's RoleName/FunctionName/UserName (through the core's resolver), which principal a
denial names (function roles, roles of other resources, users), aliases, conditions evaluated
offline, where a principal's Deny and URL grants are, and the commands suggested when no template
says more.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from auto_invoke_permission import core
from auto_invoke_permission.diagnose.denial import Denial, Reason, parse_denial
from auto_invoke_permission.diagnose.explain import add_permission_command, checks, meaning
from auto_invoke_permission.diagnose.locate import (
    caller_resources,
    deny_paths,
    find_alias,
    find_callee,
    find_caller,
    generated_name_ids,
    names_match,
    url_grant_path,
)
from auto_invoke_permission.model import RoleKey, TransformContext
from auto_invoke_permission.template import TemplateIndex

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor"
DENIAL = parse_denial(
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/CallerRole/Caller is not authorized to perform: "
    f"lambda:InvokeFunction on resource: {FUNCTION_ARN} "
    "because no identity-based policy allows the lambda:InvokeFunction action"
)
PARAMS = {"Stage": "prod", "Count": "3"}


def index_of(resources: dict[str, Any], **sections: Any) -> TemplateIndex:
    """The index the macro builds, with every principal (as explain reads it)."""
    parameters = {"Stage": {"Type": "String"}, "Count": {"Type": "Number"}, "Env": {"Type": "String"}}
    fragment = {"Parameters": parameters, "Resources": resources, **sections}
    context = TransformContext("eu-west-1", ACCOUNT, PARAMS, decide_conditions=False, every_principal=True)
    return core.read_fragment(fragment, context).template_index


def denial_of(principal: str, function: str = "processor") -> Denial:
    return parse_denial(
        f"User: {principal} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function} because no identity-based policy allows "
        "the lambda:InvokeFunction action"
    )


@pytest.mark.parametrize(
    ("spec", "name", "matches"),
    [
        ("orders", "orders", True),
        ("orders", "Orders", False),
        ({"Ref": "Stage"}, "prod", True),
        ({"Ref": "Stage"}, "dev", False),
        ({"Ref": "Env"}, "anything", True),  # a parameter without a value: any one name part
        ({"Fn::Sub": "orders-${Stage}"}, "orders-prod", True),
        ({"Fn::Sub": "orders-${Stage}"}, "orders-dev", False),
        ({"Fn::Sub": "${AWS::StackName}-orders"}, "app-orders", True),  # unknown: any name part
        ({"Fn::Sub": "${AWS::StackName}-orders"}, "a/b-orders", False),
        ({"Fn::Sub": "${AWS::Region}-orders"}, "eu-west-1-orders", True),
        ({"Fn::Sub": ["x-${Name}", {"Name": {"Ref": "Stage"}}]}, "x-prod", True),
        ({"Fn::Join": ["-", ["a", "b"]]}, "a-b", True),  # Amplify's and CDK's names
        ({"Fn::Join": ["-", ["api", {"Ref": "Stage"}]]}, "api-prod", True),
        (
            {"Fn::If": ["IsProd", "live-orders", {"Fn::Join": ["-", ["orders", {"Ref": "Stage"}]]}]},
            "orders-prod",
            True,
        ),
        ({"Fn::If": ["IsProd", "live-orders", "dev-orders"]}, "live-orders", True),
        ({"Fn::If": ["IsProd", "live-orders", "dev-orders"]}, "test-orders", False),
        (3, "3", False),  # not a name
    ],
)
def test_names_match_through_the_resolver(spec: Any, name: str, matches: bool) -> None:
    index = index_of({}, Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}})
    assert names_match(index, spec, name) is matches


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("app-Worker-1A2B3C", ["Worker"]),
        ("Worker-1A2B3C", ["Worker"]),
        ("Worker", ["Worker"]),
        ("app-WorkerRole-1A2B", ["WorkerRole"]),
        ("app-Other-1A2B", []),
    ],
)
def test_generated_name_ids(name: str, ids: list[str]) -> None:
    assert generated_name_ids(name, ["Worker", "WorkerRole"]) == ids


RESOURCES: dict[str, Any] = {
    "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"AutoPublishAlias": "live-v_1"}},
    "Plain": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["PlainRole", "Arn"]}}},
    "PlainRole": {"Type": "AWS::IAM::Role"},
    "Literal": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "arn:aws:iam::1:role/x"}},
    "Bare": {"Type": "AWS::Lambda::Function"},
    "Stable": {
        "Type": "AWS::Lambda::Alias",
        "Properties": {"Name": "stable", "FunctionName": {"Ref": "Plain"}},
    },
}


@pytest.mark.parametrize(
    ("function", "qualifier", "alias"),
    [
        ("Plain", "stable", "Stable"),
        ("Fn", "stable", None),
        ("Fn", "live-v_1", "FnAliasliveDvU1"),  # SAM's alias logical ID: - as D, _ as U
        ("Plain", "live", None),
        ("Missing", "live", None),
    ],
)
def test_find_alias(function: str, qualifier: str, alias: str | None) -> None:
    assert find_alias(index_of(RESOURCES), function, qualifier) == alias


def _role(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": props}


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


PRINCIPALS: dict[str, Any] = {
    **RESOURCES,
    "Named": _role(RoleName={"Fn::Sub": "${Stage}-named"}),
    "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"RoleArn": _arn("MachineRole")}},
    "MachineRole": _role(),
    "Method": {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {"Integration": {"Credentials": _arn("ApiRole")}},
    },
    "ApiRole": _role(),
    "Rule": {
        "Type": "AWS::Events::Rule",
        "Properties": {"Targets": [{"Id": "a", "RoleArn": _arn("RuleRole")}]},
    },
    "RuleRole": _role(),
    "Pool": {
        "Type": "AWS::Cognito::IdentityPoolRoleAttachment",
        "Properties": {"Roles": {"authenticated": _arn("AuthRole"), "unauthenticated": _arn("GuestRole")}},
    },
    "AuthRole": _role(),
    "GuestRole": _role(),
    "Lonely": _role(),
    "Deployer": {"Type": "AWS::IAM::User", "Properties": {"UserName": "deployer"}},
    "Robot": {"Type": "AWS::IAM::User"},
}


@pytest.mark.parametrize(
    ("principal", "logical_id", "how", "acting"),
    [
        ("assumed-role/prod-named/s", "Named", "RoleName", ()),
        ("assumed-role/app-FnRole-1AB/s", "FnRole", "SAM's generated role of Fn", ("Fn",)),
        ("assumed-role/app-PlainRole-1AB/s", "PlainRole", "CloudFormation's generated role name", ("Plain",)),
        ("assumed-role/x/s", "Literal", "Literal's literal Role ARN", ("Literal",)),
        (
            "assumed-role/app-MachineRole-9Z/s",
            "MachineRole",
            "CloudFormation's generated role name",
            ("Machine",),
        ),
        ("assumed-role/app-ApiRole-9Z/s", "ApiRole", "CloudFormation's generated role name", ("Method",)),
        ("assumed-role/app-RuleRole-9Z/s", "RuleRole", "CloudFormation's generated role name", ("Rule",)),
        ("assumed-role/app-GuestRole-9Z/s", "GuestRole", "CloudFormation's generated role name", ("Pool",)),
        ("assumed-role/app-Lonely-9Z/s", "Lonely", "CloudFormation's generated role name", ()),
        ("user/deployer", "Deployer", "UserName", ()),
        ("user/ci/app-Robot-X1", "Robot", "CloudFormation's generated user name", ()),
    ],
)
def test_find_caller_names_every_principal(
    principal: str, logical_id: str, how: str, acting: tuple[str, ...]
) -> None:
    index = index_of(PRINCIPALS)
    kind = "sts" if principal.startswith("assumed-role") else "iam"
    caller = find_caller("t", index, denial_of(f"arn:aws:{kind}::{ACCOUNT}:{principal}"))
    assert caller is not None
    assert (caller.logical_id, caller.how) == (logical_id, how)
    assert caller_resources(index, caller) == acting


def test_the_macros_index_keeps_to_function_roles() -> None:
    fragment = {"Resources": PRINCIPALS}
    macro = core.read_fragment(fragment, TransformContext("eu-west-1", ACCOUNT)).template_index
    assert sorted(key.name for key in macro.roles) == ["FnRole", "PlainRole", "arn:aws:iam::1:role/x"]


def test_find_callee_by_a_function_name_built_with_join() -> None:
    resources = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"FunctionName": {"Fn::Join": ["-", ["processor", {"Ref": "Env"}]]}},
        }
    }
    callee = find_callee("t", index_of(resources), denial_of("arn:aws:iam::1:user/u", "processor-dev"), [])
    assert callee is not None and (callee.logical_id, callee.how) == ("Worker", "FunctionName")


CONDITIONS: dict[str, Any] = {
    "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
    "IsHere": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
    "Unknown": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "app"]},
    "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    "NotUnknown": {"Fn::Not": [{"Condition": "Unknown"}]},
    "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsHere"}]},
    "AndFalse": {"Fn::And": [{"Condition": "Unknown"}, {"Condition": "NotProd"}]},
    "AndUnknown": {"Fn::And": [{"Condition": "Unknown"}, {"Condition": "IsProd"}]},
    "Either": {"Fn::Or": [{"Condition": "Unknown"}, {"Condition": "IsProd"}]},
    "OrUnknown": {"Fn::Or": [{"Condition": "Unknown"}, {"Condition": "NotProd"}]},
    "Odd": {"Fn::If": ["IsProd", True, False]},
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IsProd", True),
        ("IsHere", True),
        ("Unknown", None),
        ("NotProd", False),
        ("NotUnknown", None),
        ("Both", True),
        ("AndFalse", False),
        ("AndUnknown", None),
        ("Either", True),
        ("OrUnknown", None),
        ("Odd", None),
        ("Missing", None),
    ],
)
def test_condition_values_asked_of_the_core(name: str, value: bool | None) -> None:
    index = index_of({}, Conditions=CONDITIONS)
    assert index.resolver.decided(CONDITIONS).get(name) is value


def _statement(
    resource: Any = "*", effect: str = "Allow", action: Any = "lambda:InvokeFunction"
) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def test_deny_and_url_grants_of_a_principal_from_every_kind_of_policy() -> None:
    resources: dict[str, Any] = {
        "Callee": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "arn:aws:iam::1:role/r"}},
        "Caller": {"Type": "AWS::Lambda::Function", "Properties": {"Role": _arn("Role")}},
        "Role": _role(
            Policies=[{"PolicyName": "p", "PolicyDocument": {"Statement": [_statement(), "junk"]}}],
            ManagedPolicyArns=[{"Ref": "Managed"}],
        ),
        "Attached": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "Roles": [{"Ref": "Role"}],
                "PolicyDocument": {"Statement": [_statement(_arn("Callee"), "Deny")]},
            },
        },
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "PolicyDocument": {"Statement": _statement(_arn("Callee"), action="lambda:InvokeFunctionUrl")}
            },
        },
        "ForUser": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "Users": [{"Ref": "Person"}],
                "PolicyDocument": {"Statement": [_statement("*", "Deny")]},
            },
        },
        "Person": {"Type": "AWS::IAM::User"},
        "Elsewhere": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "Roles": [{"Ref": "Other"}],
                "PolicyDocument": {"Statement": [_statement("*", "Deny")]},
            },
        },
    }
    index = index_of(resources)
    role, person = RoleKey.template("Role"), RoleKey.template("Person")
    assert deny_paths(index, role, "Callee") == ["Attached.Properties.PolicyDocument.Statement[0]"]
    assert deny_paths(index, role, "Caller") == []
    assert deny_paths(index, person, "Callee") == ["ForUser.Properties.PolicyDocument.Statement[0]"]
    assert url_grant_path(index, role, "Callee") == "Managed.Properties.PolicyDocument.Statement"
    assert url_grant_path(index, role, "Caller") is None


def test_checks_for_an_organization_deny_and_without_a_function_arn() -> None:
    scp: Denial = dataclasses.replace(DENIAL, reason=Reason.DENY_SCP)
    assert checks(scp)[-2] == (
        "aws organizations list-policies-for-target --target-id <account> --filter SERVICE_CONTROL_POLICY"
    )
    rcp: Denial = dataclasses.replace(DENIAL, reason=Reason.DENY_RCP, region=None)
    lines = checks(rcp)
    assert lines[-2].endswith("--filter RESOURCE_CONTROL_POLICY")
    assert not any("simulate-principal-policy" in line for line in lines)  # no ARN to simulate against
    nobody: Denial = dataclasses.replace(DENIAL, role=None, function=None, reason=Reason.DENY_IDENTITY)
    assert checks(nobody) == [
        "autoinvoke explain --live ... reads these policies and asks IAM's policy simulator"
    ]


def test_meaning_of_the_deprecated_async_action() -> None:
    denial: Denial = dataclasses.replace(DENIAL, action="lambda:InvokeAsync")
    assert meaning(denial)[-1] == (
        "lambda:InvokeAsync is the deprecated asynchronous API; grant lambda:InvokeFunction too."
    )


def test_add_permission_command_without_names() -> None:
    denial: Denial = dataclasses.replace(DENIAL, role=None, caller_account=None, region=None)
    assert add_permission_command(denial) == (
        "aws lambda add-permission --function-name <function ARN> --statement-id InvokeCaller "
        "--action lambda:InvokeFunction --principal <role ARN>"
    )
    alias: Denial = dataclasses.replace(DENIAL, qualifier="live", role="My-Role_1")
    assert add_permission_command(alias) == (
        f"aws lambda add-permission --function-name {FUNCTION_ARN} --qualifier live "
        "--statement-id InvokeMyRole1 --action lambda:InvokeFunction "
        f"--principal arn:aws:iam::{ACCOUNT}:role/My-Role_1"
    )
