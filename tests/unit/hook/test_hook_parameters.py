"""The hook decides nothing from parameters (docs/guide/hook-decisions.md): a condition on a
parameter can be true, whatever its Default; the Defaults only add the permissions a
value-dependent match would get."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.hook.policy import FAILED, SUCCESS, HookPolicy, decide
from auto_invoke_permission.model import TransformContext
from conftest import ACCOUNT, REGION, caller, sam_function, statement

WORKER = {"Fn::GetAtt": ["Worker", "Arn"]}
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
SAM = "AWS::Serverless-2016-10-31"


def when(condition: str, then: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, then, {"Ref": "AWS::NoValue"}]}


def template(statements: list[Any], *, listed: bool = False, **parameters: Any) -> dict[str, Any]:
    return {
        "Transform": ["AutoInvokePermission", SAM] if listed else SAM,
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, **parameters},
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "Never": {"Fn::Equals": ["a", "b"]},
        },
        "Resources": {"Worker": sam_function(FunctionName="worker"), **caller(*statements)},
    }


# (template, FailOn, the decision, the RequireTransform annotation's status, the finding codes)
CASES: list[tuple[str, dict[str, Any], frozenset[str], str, str, set[str]]] = [
    (
        "a grant under a condition whose Default is false needs the macro",
        template([when("IsProd", statement(WORKER))]),
        frozenset(),
        FAILED,
        "FAILED",
        set(),
    ),
    (
        "a grant under a condition that can never be true does not",
        template([when("Never", statement(WORKER))]),
        frozenset(),
        SUCCESS,
        "PASSED",
        set(),
    ),
    (
        "a FailOn finding under a condition whose Default is false fails the operation",
        template([when("IsProd", statement("*"))], listed=True),
        frozenset({"AIP110"}),
        FAILED,
        "PASSED",
        {"AIP110"},
    ),
    (
        "the same under a condition that can never be true passes",
        template([when("Never", statement("*"))], listed=True),
        frozenset({"AIP110"}),
        SUCCESS,
        "PASSED",
        set(),
    ),
    (
        "a match through a parameter's Default needs the macro",
        template([statement({"Fn::Sub": ARN + "${Name}"})], Name={"Type": "String", "Default": "worker"}),
        frozenset(),
        FAILED,
        "FAILED",
        {"AIP115"},
    ),
    (
        "a parameter without a Default: nothing to plan, the finding says why",
        template([statement({"Fn::Sub": ARN + "${Name}"})], Name={"Type": "String"}),
        frozenset(),
        SUCCESS,
        "PASSED",
        {"AIP115"},
    ),
]


@pytest.mark.parametrize(
    ("fragment", "fail_on", "status", "transform_status", "expected_codes"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
@pytest.mark.parametrize(
    "values", [{}, {"Stage": "dev", "Name": "nobody"}], ids=["no values", "values given"]
)
def test_hook_decides_nothing_from_parameters(
    fragment: dict[str, Any],
    fail_on: frozenset[str],
    status: str,
    transform_status: str,
    expected_codes: set[str],
    values: dict[str, str],
) -> None:
    # values passed to the hook (`autoinvoke hook`) change nothing either
    context = TransformContext(REGION, ACCOUNT, values)
    decision = decide(fragment, HookPolicy(fail_on=fail_on), context)
    assert decision.status == status, decision.message
    annotations = {a.name: a.status for a in decision.annotations}
    assert annotations.pop("RequireTransform") == transform_status
    assert set(annotations) == expected_codes
