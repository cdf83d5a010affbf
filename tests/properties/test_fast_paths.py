"""The fast paths of the grant reader against the general one (issue 10, item 5).

`grants._simple_allow` reads the commonest statement (Allow, literal Action, Resource, no
Condition) without the general statement reader. Generated statement shapes go through both, and
both must give the same permissions, findings and graph edges: with the fast path as shipped, and
with it switched off so that every statement takes the general reader.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from auto_invoke_permission.model import TransformResult
from conftest import lambda_function, role, run, sam_function
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from snippets import WORKER_ARN

OTHER_ACCOUNT = "arn:aws:lambda:us-east-1:999999999999:function:Remote"

RESOURCES = st.sampled_from(
    [
        WORKER_ARN,
        "*",
        "arn:aws:lambda:us-east-1:123456789012:function:worker-fn",
        "arn:aws:lambda:us-east-1:123456789012:function:worker-fn:live",
        "arn:aws:lambda:us-east-1:123456789012:function:worker-fn:7",
        OTHER_ACCOUNT,
        {"Ref": "Worker"},
        {"Fn::Sub": "${Worker.Arn}:*"},
        {"Fn::GetAtt": ["WorkerRole", "Arn"]},
        "arn:aws:s3:::bucket/*",
        {"Fn::ImportValue": "Exported"},
    ]
)
ACTIONS = st.sampled_from(
    [
        "lambda:InvokeFunction",
        "lambda:invoke*",
        "lambda:*",
        "*",
        "s3:GetObject",
        ["s3:GetObject", "lambda:InvokeFunction"],
        ["s3:GetObject"],
        [],
        [1],
        {"Ref": "AWS::NoValue"},
    ]
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    """One statement: each key present or not, with a value of a shape IAM accepts or rejects."""
    stmt: dict[str, Any] = {}
    effect = draw(st.sampled_from(["Allow", "Allow", "Deny", "allow", None]))
    if effect is not None:
        stmt["Effect"] = effect
    action_key = draw(st.sampled_from(["Action", "Action", "NotAction", None]))
    if action_key is not None:
        stmt[action_key] = draw(ACTIONS)
    if draw(st.booleans()):
        stmt["Resource"] = draw(st.one_of(RESOURCES, st.lists(RESOURCES, min_size=1, max_size=3)))
    if draw(st.integers(0, 3)) == 0:
        stmt["NotResource"] = draw(RESOURCES)
    if draw(st.integers(0, 4)) == 0:
        stmt["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "a"}}
    # keys the fast path counts: a Sid, and one an identity policy does not have
    extra = draw(st.sampled_from([None, None, "Sid", "Principal"]))
    if extra is not None:
        stmt[extra] = "Invoke" if extra == "Sid" else {"AWS": "*"}
    return stmt


def _template(policy_statements: list[dict[str, Any]]) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": policy_statements}
    return {
        "Resources": {
            "Caller": sam_function(Policies=[document]),
            "Worker": lambda_function({"Fn::GetAtt": ["WorkerRole", "Arn"]}, FunctionName="worker-fn"),
            "WorkerRole": role(),
            "WorkerAlias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Worker"},
                    "FunctionVersion": "1",
                    "Name": "live",
                },
            },
        }
    }


def _outcome(result: TransformResult) -> tuple[list[Any], list[dict[str, str]], list[Any]]:
    permissions = [
        (p.logical_id, p.callee, p.principal.key, p.grants, p.condition) for p in result.permissions
    ]
    return permissions, [f.as_dict() for f in result.findings], list(result.edges)


def _both(policy_statements: list[dict[str, Any]]) -> None:
    fast = run(_template(policy_statements))
    with mock.patch("auto_invoke_permission.grants._simple_allow", return_value=None):
        general = run(_template(policy_statements))
    assert _outcome(fast) == _outcome(general)
    assert fast.grant_count == general.grant_count


@settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(statements(), min_size=1, max_size=3))
# the defect that was: Resource and NotResource together took the fast path (a permission AND AIP121)
@example([{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": WORKER_ARN, "NotResource": "*"}])
def test_fast_path_agrees_with_the_general_reader(policy_statements: list[dict[str, Any]]) -> None:
    _both(policy_statements)


def test_resource_and_not_resource_is_read_as_not_resource() -> None:
    # IAM rejects a statement with both; the macro mirrors nothing and says AIP121
    stmt = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": WORKER_ARN, "NotResource": "*"}
    result = run(_template([stmt]))
    assert not result.permissions
    assert [f.code for f in result.findings] == ["AIP121"]
