"""`autoinvoke explain`'s template readers, one table per helper.

test_explain.py diagnoses whole templates; these pin the pieces it is built from: how a reference
names a logical ID, how a RoleName/FunctionName spec matches a name, conditions evaluated offline,
which statements belong to a role, and the commands suggested when no template says more.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from auto_invoke_permission.diagnose.denial import Denial, Reason, parse_denial
from auto_invoke_permission.diagnose.explain import (
    _name_matches,
    _reference,
    add_permission_command,
    caller_statements,
    checks,
    condition_value,
    find_alias,
    meaning,
    mentions,
    role_of,
    statement_allows,
)
from auto_invoke_permission.model import TransformContext

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor"
DENIAL = parse_denial(
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/CallerRole/Caller is not authorized to perform: "
    f"lambda:InvokeFunction on resource: {FUNCTION_ARN} "
    "because no identity-based policy allows the lambda:InvokeFunction action"
)
CONTEXT = TransformContext("eu-west-1", ACCOUNT)


@pytest.mark.parametrize(
    ("node", "logical_id"),
    [
        ({"Ref": "A"}, "A"),
        ({"Fn::GetAtt": ["A", "Arn"]}, "A"),
        ({"Fn::GetAtt": "A.Arn"}, "A"),
        ({"Fn::Sub": "${A.Arn}"}, "A"),
        ({"Fn::Sub": "${A}"}, "A"),
        ({"Fn::Sub": "${A.Arn}:live"}, None),
        ({"Fn::Sub": ["${A}", {}]}, None),
        ({"Fn::GetAtt": []}, None),
        ({"Fn::GetAtt": 3}, None),
        ({"Ref": ["A"]}, None),
        ({"Ref": "A", "Other": 1}, None),
        ("A", None),
    ],
)
def test_reference(node: Any, logical_id: str | None) -> None:
    assert _reference(node) == logical_id


PARAMS = {"Stage": "prod", "Count": 3}


@pytest.mark.parametrize(
    ("spec", "name", "matches"),
    [
        ("orders", "orders", True),
        ("orders", "Orders", False),
        ({"Ref": "Stage"}, "prod", True),
        ({"Ref": "Stage"}, "dev", False),
        ({"Ref": "Count"}, "3", False),  # not a string parameter
        ({"Ref": "Missing"}, "prod", False),
        ({"Fn::Sub": "orders-${Stage}"}, "orders-prod", True),
        ({"Fn::Sub": "orders-${Stage}"}, "orders-dev", False),
        ({"Fn::Sub": "${AWS::StackName}-orders"}, "app-orders", True),  # unknown: any name part
        ({"Fn::Sub": "${AWS::StackName}-orders"}, "a/b-orders", False),
        ({"Fn::Sub": ["x-${Stage}", {}]}, "x-prod", False),
        ({"Fn::Join": ["-", ["a", "b"]]}, "a-b", False),
        (3, "3", False),
    ],
)
def test_name_matches(spec: Any, name: str, matches: bool) -> None:
    assert _name_matches(spec, name, PARAMS) is matches


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
    assert find_alias(RESOURCES, function, qualifier) == alias


@pytest.mark.parametrize(
    ("function", "role"),
    [("Fn", "FnRole"), ("Plain", "PlainRole"), ("Literal", None), ("Bare", None), ("Missing", None)],
)
def test_role_of(function: str, role: str | None) -> None:
    assert role_of(RESOURCES, function) == role


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
    "Neither": {"Fn::Or": [{"Condition": "NotProd"}, False]},
    "Loop": {"Condition": "Loop"},
    "Odd": {"Fn::If": ["IsProd", True, False]},
    "Number": {"Fn::Equals": [{"Ref": "Count"}, "3"]},
    "Literal": True,
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
        ("Neither", False),
        ("Loop", None),  # a cycle ends at the depth limit, unknown
        ("Odd", None),
        ("Number", None),  # a parameter that is not a string is not known as one
        ("Literal", True),
        ("Missing", None),
    ],
)
def test_condition_value(name: str, value: bool | None) -> None:
    assert condition_value(name, CONDITIONS, PARAMS, CONTEXT) is value


def _statement(resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}


def test_caller_statements_of_a_role_from_every_kind_of_policy() -> None:
    resources: dict[str, Any] = {
        "Caller": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"Policies": {"Statement": _statement()}},  # one policy, not a list
        },
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Policies": [{"PolicyDocument": {"Statement": [_statement(), "junk"]}}, "not a policy"],
                "ManagedPolicyArns": [{"Ref": "Managed"}],
            },
        },
        "Attached": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [_statement()]}},
        },
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": {"Statement": _statement()}},
        },
        "Inline": {
            "Type": "AWS::IAM::RolePolicy",
            "Properties": {"RoleName": {"Ref": "Role"}, "PolicyDocument": "not a document"},
        },
        "Elsewhere": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Other"}], "PolicyDocument": {"Statement": [_statement()]}},
        },
        "NoRoles": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": "Role"}},
    }
    assert [path for path, _ in caller_statements(resources, "CallerRole")] == [
        "Caller.Properties.Policies[0].Statement"
    ]
    assert [path for path, _ in caller_statements(resources, "Role")] == [
        "Attached.Properties.PolicyDocument.Statement[0]",
        "Managed.Properties.PolicyDocument.Statement",
        "Role.Properties.Policies[0].PolicyDocument.Statement[0]",
    ]


@pytest.mark.parametrize(
    ("stmt", "allows"),
    [
        (_statement(), True),
        ({"Effect": "Allow", "Action": ["s3:*", "LAMBDA:Invoke*"]}, True),
        ({"Effect": "Allow", "Action": [3, "s3:*"]}, False),
        ({"Effect": "Deny", "Action": "*"}, False),
        ({"Effect": "Allow", "NotAction": "s3:*"}, False),
    ],
)
def test_statement_allows(stmt: dict[str, Any], allows: bool) -> None:
    assert statement_allows(stmt, "lambda:InvokeFunction") is allows


@pytest.mark.parametrize(
    ("node", "found"),
    [
        ("*", True),
        ("arn:aws:lambda:us-east-1:1:function:*", True),
        ("arn:aws:lambda:us-east-1:1:function:other", False),
        ([{"Ref": "Other"}, {"Fn::GetAtt": ["Fn", "Arn"]}], True),
        ({"Fn::Sub": "${Fn.Arn}:*"}, True),
        ({"Fn::Sub": ["${Fn.Arn}:live", {}]}, True),
        ({"Fn::Sub": ["arn:${AWS::Partition}:x", {}]}, False),
        ({"Fn::Sub": [3]}, False),
        ({"Fn::If": ["C", {"Ref": "Fn"}, {"Ref": "AWS::NoValue"}]}, True),
        ({"Fn::Join": ["", ["arn:", {"Ref": "Other"}]]}, False),
        (7, False),
    ],
)
def test_mentions(node: Any, found: bool) -> None:
    assert mentions(node, "Fn") is found


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
