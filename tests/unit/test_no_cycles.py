"""A handler call leaves no reference cycle behind: in a warm container the handler pauses the cyclic
collector during a call, so anything a call left in a cycle would stay until a full collection,
and memory would grow with every deploy. Reference counting must free each call whole."""

from __future__ import annotations

import contextlib
import gc
import io
from typing import Any

import pytest
from auto_invoke_permission import handler as handler_module
from auto_invoke_permission.cli.offline import macro_event
from conftest import ACCOUNT, REGION, document, sam_function, statement

ROLE = "arn:aws:iam::210987654321:role/team/caller"
WORKER_ARN = {"Fn::GetAtt": ["Worker", "Arn"]}

# conditions (one decided by the parameter values, one not), Fn::If in a policy, a conditional
# resource, declared callers (an account, a role through the function URL, an organization) and a
# function URL granted by an IAM statement
TEMPLATE: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "NamedProd": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "prod"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "NamedProd"}]},
        "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Not": [{"Condition": "NamedProd"}]}]},
    },
    "Resources": {
        "Worker": {
            **sam_function(AutoPublishAlias="live", FunctionUrlConfig={"AuthType": "AWS_IAM"}),
            "Metadata": {
                "AutoInvokePermission": {
                    "AllowCallers": [
                        "210987654321",
                        {"Principal": ROLE, "FunctionUrl": True},
                        {"OrganizationId": "o-a1b2c3d4e5", "Qualifiers": "*"},
                    ]
                }
            },
        },
        "Caller": sam_function(
            Policies=[
                {
                    "Fn::If": [
                        "NamedProd",
                        document(statement(WORKER_ARN)),
                        {"Ref": "AWS::NoValue"},
                    ]
                },
                document(statement(WORKER_ARN, action="lambda:InvokeFunctionUrl")),
            ]
        ),
        "Other": {
            **sam_function(Policies=[document(statement({"Fn::Sub": "${Worker.Arn}:live"}))]),
            "Condition": "Either",
        },
        "Gated": {**sam_function(Policies=[document(statement(WORKER_ARN))]), "Condition": "Both"},
    },
}


def call(fragment: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    event = macro_event(fragment, region=REGION, account_id=ACCOUNT, request_id="r", parameter_values=values)
    with contextlib.redirect_stderr(io.StringIO()):
        response: dict[str, Any] = handler_module.handler(event, None)
    return response


def cyclic_garbage_of(fragment: Any, values: dict[str, Any] | None = None) -> tuple[str, int]:
    """The response's status, and the objects a full collection finds after the call."""
    gc.collect()
    response = call(fragment, values)
    status = response["status"]
    del response
    return status, gc.collect()


def test_the_template_exercises_every_feature() -> None:
    response = call(TEMPLATE, {"Stage": "dev"})
    assert response["status"] == "success", response.get("errorMessage")
    added = {
        lid: resource
        for lid, resource in response["fragment"]["Resources"].items()
        if lid not in TEMPLATE["Resources"] and resource.get("Type") == "AWS::Lambda::Permission"
    }
    actions = {resource["Properties"]["Action"] for resource in added.values()}
    assert actions == {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl"}
    assert any("Condition" in resource for resource in added.values())
    assert any("PrincipalOrgID" in resource["Properties"] for resource in added.values())


@pytest.mark.parametrize("values", [{"Stage": "dev"}, {"Stage": "prod"}, None], ids=str)
def test_a_call_leaves_no_cycle(values: dict[str, Any] | None) -> None:
    assert cyclic_garbage_of(TEMPLATE, values) == ("success", 0)


def test_a_failed_call_leaves_no_cycle() -> None:
    broken = {**TEMPLATE, "Conditions": {"Loop": {"Condition": "Loop"}}}
    assert cyclic_garbage_of(broken) == ("failure", 0)


def test_an_unreadable_event_leaves_no_cycle() -> None:
    assert cyclic_garbage_of(["not", "a", "template"]) == ("failure", 0)
