"""The model's readable forms (what a failing assertion or a debug print shows) and a finding's
derived fields, which come from the code table."""

from __future__ import annotations

from auto_invoke_permission.conditions import NO_CONDITIONS
from auto_invoke_permission.findings import CODES, Finding
from auto_invoke_permission.model import CalleeForm, Grant, Permission, Principal, RoleKey

PRINCIPAL = Principal(RoleKey.template("CallerRole"), {"Fn::GetAtt": ["CallerRole", "Arn"]}, "CallerRole")
CALLEE = CalleeForm("Worker", "WorkerAliaslive", "live")


def test_readable_forms() -> None:
    assert repr(PRINCIPAL) == "Principal(RoleKey(in_template=True, name='CallerRole'))"
    grant = Grant(PRINCIPAL, CALLEE, "Caller.Properties.Policies[0].Statement[0]", NO_CONDITIONS)
    assert repr(grant) == "Grant(CallerRole -> Worker:live at Caller.Properties.Policies[0].Statement[0], [])"
    added = Permission("WorkerInvoke", CALLEE, PRINCIPAL, ("Caller",), (grant.path,), None, existing=False)
    assert repr(added) == "Permission(WorkerInvoke: Worker:live <- CallerRole)"
    kept = Permission("", CalleeForm("Worker"), PRINCIPAL, ("Caller",), (), None, existing=True)
    assert repr(kept) == "Permission((existing): Worker <- CallerRole)"


def test_grant_with_conditions_keeps_the_rest() -> None:
    grant = Grant(PRINCIPAL, CALLEE, "P", NO_CONDITIONS)
    conditional = grant.with_conditions(frozenset({("IsProd", True)}))
    assert (conditional.principal, conditional.callee, conditional.path) == (PRINCIPAL, CALLEE, "P")
    assert conditional.conditions == frozenset({("IsProd", True)})
    assert grant.conditions == NO_CONDITIONS


def test_finding_fields_from_the_code_table() -> None:
    finding = Finding.at("AIP110", "Caller.Properties.Policies[0].Statement[0].Resource", "a wildcard")
    assert finding.logical_id == finding.resource == "Caller"
    assert finding.fix == CODES["AIP110"].fix
    assert finding.edge == CODES["AIP110"].edge
