"""CloudFormation's and Lambda's limits on what the macro adds: the resource policy size estimate."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from auto_invoke_permission.limits import MAX_POLICY_BYTES, check, statement_bytes
from auto_invoke_permission.model import CalleeForm, Permission, Principal, RoleKey
from auto_invoke_permission.template import TemplateIndex

CALLEE = CalleeForm("Worker")
NO_RESOURCES = cast(TemplateIndex, SimpleNamespace(resources={}))


def permission(logical_id: str, n: int) -> Permission:
    principal = Principal(
        RoleKey(True, f"Caller{n}Role"), {"Fn::GetAtt": [f"Caller{n}Role", "Arn"]}, f"Caller{n}Role"
    )
    return Permission(logical_id, CALLEE, principal, (f"Caller{n}",), ("path",), None, False)


def test_a_callee_under_the_policy_limit_has_no_finding() -> None:
    # one 255-character logical ID among short ones: the largest statement times their number is
    # over the limit, their sum is not
    permissions = [permission("W" * 255, 0)] + [
        permission(f"WorkerInvokeFromCaller{n}Role", n) for n in range(1, 40)
    ]
    assert len(permissions) * max(map(statement_bytes, permissions)) > MAX_POLICY_BYTES
    assert sum(map(statement_bytes, permissions)) <= MAX_POLICY_BYTES
    assert check(NO_RESOURCES, permissions, permissions) == []


def test_a_callee_over_the_policy_limit_is_aip151() -> None:
    permissions = [permission(f"WorkerInvokeFromCaller{n}Role", n) for n in range(61)]
    assert sum(map(statement_bytes, permissions)) > MAX_POLICY_BYTES
    found = check(NO_RESOURCES, permissions, permissions)
    assert [(f.code, f.resource) for f in found] == [("AIP151", "Worker")]
