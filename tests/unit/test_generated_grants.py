"""Grants as generators write them: AWS CDK's grantInvoke (`[F.Arn, F.Arn:*]`) and one role whose
many policies repeat the same pattern (CDK's AwsCustomResource). Each pattern is said once per role,
and the `:*` half beside its unqualified ARN says nothing when the function has no alias."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import added, alias, lambda_function, role, run, statement

WORKER_ARN = {"Fn::GetAtt": ["Worker", "Arn"]}
OTHER_ARN = {"Fn::GetAtt": ["Other", "Arn"]}


def star_of(arn: Any) -> dict[str, Any]:
    """What CDK writes for the versions and aliases of a function: `Fn::Join ['', [ARN, ':*']]`."""
    return {"Fn::Join": ["", [arn, ":*"]]}


def policy(name: str, *statements: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": name,
            "Roles": [{"Ref": "CallerRole"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    }


def template(*policies: Any, **extra: Any) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "CallerRole": role(),
        "Caller": lambda_function({"Fn::GetAtt": ["CallerRole", "Arn"]}),
        "Worker": lambda_function("arn:aws:iam::123456789012:role/w"),
        "Other": lambda_function("arn:aws:iam::123456789012:role/w"),
        **extra,
    }
    for i, document in enumerate(policies):
        resources[f"Policy{i}"] = document
    return {"Resources": resources}


# case -> (the grants' Resource lists, extra resources, the permissions, the finding codes)
CDK: dict[str, tuple[list[Any], dict[str, Any], set[tuple[str, str, str | None]], list[str]]] = {
    "grantInvoke, no alias: the unqualified permission and nothing said": (
        [[WORKER_ARN, star_of(WORKER_ARN)]],
        {},
        {("Worker", "CallerRole", None)},
        [],
    ),
    "grantInvoke, an alias: the alias mirrored too": (
        [[WORKER_ARN, star_of(WORKER_ARN)]],
        {"Live": alias("live")},
        {("Worker", "CallerRole", None), ("Worker:live", "CallerRole", None)},
        [],
    ),
    "two grantInvoke in one statement": (
        [[WORKER_ARN, star_of(WORKER_ARN), OTHER_ARN, star_of(OTHER_ARN)]],
        {},
        {("Worker", "CallerRole", None), ("Other", "CallerRole", None)},
        [],
    ),
    "the :* half alone still says the template has no alias": (
        [[star_of(WORKER_ARN)]],
        {},
        set(),
        ["AIP124"],
    ),
    "the :* half beside another function's ARN is still said": (
        [[OTHER_ARN, star_of(WORKER_ARN)]],
        {},
        {("Other", "CallerRole", None)},
        ["AIP124"],
    ),
}


@pytest.mark.parametrize("name", sorted(CDK))
def test_cdk_grant_invoke(name: str) -> None:
    resource_lists, extra, permissions, codes = CDK[name]
    statements = [statement(resources) for resources in resource_lists]
    result = run(template(policy("P", *statements), **extra))
    assert added(result) == permissions
    assert sorted(f.code for f in result.findings) == codes


def test_one_wildcard_finding_per_role_and_pattern() -> None:
    """22 policies granting `*` to one role: one AIP110, which says how many repeat it."""
    policies = [policy(f"P{i}", statement("*")) for i in range(22)]
    result = run(template(*policies))
    (finding,) = [f for f in result.findings if f.code == "AIP110"]
    assert finding.path == "Policy0.Properties.PolicyDocument.Statement[0].Resource"
    assert finding.message.endswith("(and 21 more statements of this role with the same pattern)")


def test_distinct_patterns_and_roles_are_each_said() -> None:
    second = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
    other_policy = policy("Q", statement("*"))
    other_policy["Properties"]["Roles"] = [{"Ref": "SecondRole"}]
    prefix = "arn:aws:lambda:us-east-1:123456789012:function:orders-*"
    result = run(
        template(
            policy("P", statement("*")),
            policy("R", statement(prefix)),
            policy("S", statement(prefix)),
            other_policy,
            SecondRole=second,
            Second=lambda_function({"Fn::GetAtt": ["SecondRole", "Arn"]}),
        )
    )
    said = sorted(
        (f.resource, f.message.endswith("same pattern)")) for f in result.findings if f.code == "AIP110"
    )
    assert said == [("Policy0", False), ("Policy1", True), ("Policy3", False)]
