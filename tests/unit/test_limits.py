"""CloudFormation's and Lambda's limits on what the macro adds: the resource policy size estimate."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from auto_invoke_permission.limits import (
    MAX_POLICY_BYTES,
    _under_policy_limit_by_bound,
    check,
    statement_bytes,
)
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


def on(callee: CalleeForm, p: Permission, extra: tuple[tuple[str, object], ...] = ()) -> Permission:
    return Permission(p.logical_id, callee, p.principal, p.callers, p.grants, None, p.existing, extra=extra)


PLAIN = [permission(f"WorkerInvokeFromCaller{n}Role", n) for n in range(60)]
SPREAD = [on(CalleeForm(f"Worker{n % 6}"), p) for n, p in enumerate(PLAIN)]


@pytest.mark.parametrize(
    ("permissions", "under"),
    [
        pytest.param([], True, id="none"),
        pytest.param(PLAIN[:10], True, id="few-on-one-callee"),
        pytest.param(PLAIN, False, id="many-on-one-callee"),
        pytest.param(SPREAD, True, id="many-spread-over-callees"),
        pytest.param([on(CalleeForm("Worker", "WorkerAliasLive", "live"), PLAIN[0])], False, id="alias"),
        pytest.param([on(CALLEE, PLAIN[0], (("FunctionUrlAuthType", "AWS_IAM"),))], False, id="extra"),
        pytest.param([permission("", n) for n in range(55)], True, id="existing-ids-count-40"),
        pytest.param([permission("", n) for n in range(60)], False, id="existing-over"),
    ],
)
def test_the_bound_decides_only_plain_permissions_well_under_the_limit(
    permissions: list[Permission], under: bool
) -> None:
    assert _under_policy_limit_by_bound(permissions) is under
    if under:  # the bound never says under where the estimate is over
        sizes: dict[CalleeForm, int] = {}
        for p in permissions:
            sizes[p.callee] = sizes.get(p.callee, 0) + statement_bytes(p)
        assert all(size <= MAX_POLICY_BYTES for size in sizes.values())
