"""Hostile and sensitive input: malformed templates fail clearly (the problem and its place, never a
traceback), and secret parameter values never reach the output."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.model import TransformFailure
from conftest import run

FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {}}


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        # a condition that depends on itself, directly or through another
        (
            {"Conditions": {"S": {"Fn::Not": [{"Condition": "S"}]}}, "Resources": {"F": FUNCTION}},
            "Conditions form a cycle: S -> S",
        ),
        (
            {
                "Conditions": {
                    "A": {"Condition": "B"},
                    "B": {"Fn::And": [{"Condition": "A"}, {"Condition": "A"}]},
                },
                "Resources": {"F": FUNCTION},
            },
            "Conditions form a cycle: A -> B -> A",
        ),
        # shapes CloudFormation rejects
        ({"Resources": [FUNCTION]}, "Resources must be a mapping of logical IDs to resources, not a list"),
        ({"Resources": {"F": "function"}}, "Resources.F must be a mapping, not a string"),
        ({"Resources": {"F": 5}}, "Resources.F must be a mapping, not an integer"),
        ({"Resources": {"F": {"Type": 7}}}, "Resources.F.Type must be a string"),
        ({"Conditions": [], "Resources": {"F": FUNCTION}}, "Conditions must be a mapping, not a list"),
        # neither a template nor a Resources mapping: where to put the transform
        ({"Foo": "bar"}, "place `Fn::Transform` directly under `Resources`"),
    ],
)
def test_malformed_template_fails_clearly(fragment: Any, message: str) -> None:
    with pytest.raises(TransformFailure) as failure:
        run(fragment)
    assert any(message in problem for problem in failure.value.problems), failure.value.problems


def test_conditions_that_only_chain_are_fine() -> None:
    fragment = {
        "Conditions": {"A": {"Condition": "B"}, "B": {"Fn::Equals": ["x", "y"]}},
        "Resources": {"F": FUNCTION},
    }
    assert run(fragment).permissions == []


SAME_ACCOUNT = "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Secret}"
OTHER_ACCOUNT = "arn:aws:lambda:${AWS::Region}:210987654321:function:${Secret}"


def test_noecho_parameter_values_never_reach_the_report() -> None:
    # a NoEcho parameter is matched symbolically (the same parameter names the callee) and never resolved
    statement = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": [{"Fn::Sub": SAME_ACCOUNT}, {"Fn::Sub": OTHER_ACCOUNT}],
    }
    fragment = {
        "Parameters": {"Secret": {"Type": "String", "NoEcho": True}},
        "Resources": {
            "Caller": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Policies": [{"Statement": [statement]}]},
            },
            "Worker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"FunctionName": {"Ref": "Secret"}},
            },
        },
    }
    result = run(fragment, parameter_values={"Secret": "hunter2"})
    assert [(p.callee.function, p.principal.label) for p in result.added] == [("Worker", "CallerRole")]
    assert [f.code for f in result.findings] == ["AIP111"]
    assert "hunter2" not in str(result.fragment)
