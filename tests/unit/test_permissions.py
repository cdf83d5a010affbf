"""What the macro adds (docs/design/behaviour.md section 5): logical IDs, conditions, existing permissions,
idempotence, and that nothing else changes."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from auto_invoke_permission.permissions import sam_reserved_ids
from auto_invoke_permission.resolver import Resolver
from auto_invoke_permission.template import TemplateIndex, sam_generated_names
from conftest import (
    ACCOUNT,
    REGION,
    added,
    alias,
    codes,
    document,
    lambda_function,
    permission,
    role,
    run,
    sam_function,
    statement,
    variant,
)
from corpus_support import sam_translate, without_report
from snippets import CALLER_ROLE_ARN, NO_VALUE, WORKER_ARN

INVOKE_WORKER = document(statement(WORKER_ARN))

BASE: dict[str, Any] = {
    "Conditions": {
        # undecidable: AWS::StackName is unknown at transform time
        "IsProd": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "prod"]},
        "HasWorker": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "worker"]},
    },
    "Resources": {
        "Worker": sam_function(),
        "Caller": sam_function(Policies=[INVOKE_WORKER]),
    },
}
LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")


def conditional(resource: dict[str, Any], condition: str) -> dict[str, Any]:
    return {**resource, "Condition": condition}


def lambda_permission(
    function_name: Any, principal: Any, action: str = "lambda:InvokeFunction", **extra: Any
) -> dict[str, Any]:
    props = {"Action": action, "FunctionName": function_name, "Principal": principal, **extra}
    return {"Type": "AWS::Lambda::Permission", "Properties": props}


def new_conditions(result: Any, template: dict[str, Any]) -> dict[str, Any]:
    before = template.get("Conditions", {})
    return {k: v for k, v in result.fragment.get("Conditions", {}).items() if k not in before}


# ------------------------------------------------------------------ logical IDs
def test_logical_id_names_callee_and_role() -> None:
    result = run(BASE)
    assert [p.logical_id for p in result.added] == ["WorkerInvokeFromCallerRole"]
    assert permission(result, "WorkerInvokeFromCallerRole")["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": WORKER_ARN,
        "Principal": CALLER_ROLE_ARN,
    }


EXTERNAL_POLICY = {
    "Type": "AWS::IAM::Policy",
    "Properties": {"PolicyName": "p", "Roles": ["caller-role"], "PolicyDocument": INVOKE_WORKER},
}

# (resources added to BASE, the logical IDs of the permissions added)
LOGICAL_IDS: list[Any] = [
    # an existing resource already has the natural ID: the permission gets another one
    pytest.param({"WorkerInvokeFromCallerRole": {"Type": "AWS::SNS::Topic"}}, None, id="taken-by-resource"),
    # a role outside the template, by ARN: its name, alphanumeric, names the principal
    pytest.param(
        {
            "Caller": lambda_function("arn:aws:iam::123456789012:role/caller-role"),
            "InvokePolicy": EXTERNAL_POLICY,
        },
        ["WorkerInvokeFromcallerrole"],
        id="external-role",
    ),
    pytest.param(
        # ... with a path: a policy's Roles name it without the path
        {
            "Caller": lambda_function("arn:aws:iam::123456789012:role/team/caller-role"),
            "InvokePolicy": EXTERNAL_POLICY,
        },
        ["WorkerInvokeFromcallerrole"],
        id="external-role-with-path",
    ),
    # an alias: the alias's logical ID is the prefix
    pytest.param(
        {
            "Caller": sam_function(Policies=[document(statement({"Ref": "WorkerLive"}))]),
            "WorkerLive": alias("live"),
        },
        ["WorkerLiveInvokeFromCallerRole"],
        id="alias",
    ),
]


@pytest.mark.parametrize(("resources", "expected"), LOGICAL_IDS)
def test_logical_ids(resources: dict[str, Any], expected: list[str] | None) -> None:
    template = variant(BASE, **resources)
    result = run(template)
    ids = [p.logical_id for p in result.added]
    if expected is not None:
        assert ids == expected
    for lid in ids:
        assert LOGICAL_ID.match(lid)
        assert lid not in template["Resources"]
        assert lid.startswith("Worker")
    assert len(set(result.fragment["Resources"])) == len(template["Resources"]) + len(ids)


def test_taken_id_keeps_the_existing_resource() -> None:
    template = variant(BASE, WorkerInvokeFromCallerRole={"Type": "AWS::SNS::Topic"})
    result = run(template)
    (only,) = result.added
    assert only.logical_id != "WorkerInvokeFromCallerRole"
    assert only.logical_id.startswith("WorkerInvokeFromCallerRole")
    assert result.fragment["Resources"]["WorkerInvokeFromCallerRole"] == {"Type": "AWS::SNS::Topic"}


def test_long_logical_ids_are_cut_to_255_and_stay_distinct() -> None:
    callee, one, two = "W" * 200, "C" * 240 + "One", "C" * 240 + "Two"
    grant = [document(statement({"Fn::GetAtt": [callee, "Arn"]}))]
    template = {
        "Resources": {
            callee: sam_function(),
            one: sam_function(Policies=grant),
            two: sam_function(Policies=grant),
        }
    }
    ids = [p.logical_id for p in run(template).added]
    assert len(ids) == 2
    assert len(set(ids)) == 2
    for lid in ids:
        assert LOGICAL_ID.match(lid)
        assert lid.startswith(callee + "InvokeFrom")


def test_two_principals_with_the_same_label_get_distinct_ids() -> None:
    # the template role CallerRole and an external role named Caller-Role both read "CallerRole"
    template = variant(
        BASE,
        Caller=lambda_function(CALLER_ROLE_ARN),
        CallerRole=role(Policies=[{"PolicyName": "p", "PolicyDocument": INVOKE_WORKER}]),
        External=lambda_function("arn:aws:iam::123456789012:role/Caller-Role"),
        ExternalPolicy={
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "p", "Roles": ["Caller-Role"], "PolicyDocument": INVOKE_WORKER},
        },
    )
    result = run(template)
    principals = {
        p.logical_id: permission(result, p.logical_id)["Properties"]["Principal"] for p in result.added
    }
    assert len(principals) == 2
    assert sorted(principals.values(), key=str) == sorted(
        [CALLER_ROLE_ARN, "arn:aws:iam::123456789012:role/Caller-Role"], key=str
    )
    reordered = dict(template, Resources=dict(reversed(list(template["Resources"].items()))))
    assert {p.logical_id for p in run(reordered).added} == set(principals)


STABLE = variant(
    BASE,
    {"Conditions": {**BASE["Conditions"], "Extra": {"Fn::Equals": ["x", "x"]}}},
    Worker=conditional(sam_function(AutoPublishAlias="live"), "HasWorker"),
    Caller=conditional(sam_function(Policies=[document(statement({"Fn::Sub": "${Worker.Arn}*"}))]), "IsProd"),
    Caller2=lambda_function(CALLER_ROLE_ARN),
    Caller3=lambda_function(CALLER_ROLE_ARN),
    CallerRole=role(Policies=[{"PolicyName": "p", "PolicyDocument": INVOKE_WORKER}]),
    Taken={"Type": "AWS::SNS::Topic"},
)


def test_stable_when_resources_are_reordered() -> None:
    forward = run(STABLE).fragment
    reordered = dict(STABLE, Resources=dict(reversed(list(STABLE["Resources"].items()))))
    backward = run(reordered).fragment
    assert backward["Resources"] == forward["Resources"]
    assert backward["Conditions"] == forward["Conditions"]
    assert backward["Metadata"] == forward["Metadata"]


# ------------------------------------------------------------------- conditions
# (resources replacing BASE's, Condition of the permission, conditions added to Conditions)
CONDITIONS: list[Any] = [
    # no condition anywhere: none
    pytest.param({}, None, {}, id="none"),
    # the callee's Condition
    pytest.param({"Worker": conditional(sam_function(), "HasWorker")}, "HasWorker", {}, id="callee"),
    # the caller's Condition (its generated role has it too)
    pytest.param(
        {"Caller": conditional(sam_function(Policies=[INVOKE_WORKER]), "IsProd")}, "IsProd", {}, id="caller"
    ),
    # the role's Condition
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": conditional(
                role(Policies=[{"PolicyName": "p", "PolicyDocument": INVOKE_WORKER}]), "IsProd"
            ),
        },
        "IsProd",
        {},
        id="role",
    ),
    # the policy resource's Condition
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(),
            "InvokePolicy": conditional(
                {
                    "Type": "AWS::IAM::Policy",
                    "Properties": {
                        "PolicyName": "p",
                        "Roles": [{"Ref": "CallerRole"}],
                        "PolicyDocument": INVOKE_WORKER,
                    },
                },
                "IsProd",
            ),
        },
        "IsProd",
        {},
        id="policy-resource",
    ),
    # the alias's Condition
    pytest.param(
        {
            "Caller": sam_function(Policies=[document(statement({"Ref": "WorkerLive"}))]),
            "WorkerLive": alias("live", Condition="IsProd"),
        },
        "IsProd",
        {},
        id="alias",
    ),
    # the Fn::If then-branch the grant sits in
    pytest.param(
        {"Caller": sam_function(Policies=[{"Fn::If": ["IsProd", INVOKE_WORKER, NO_VALUE]}])},
        "IsProd",
        {},
        id="then",
    ),
    # the else-branch: a new condition with Fn::Not
    pytest.param(
        {"Caller": sam_function(Policies=[{"Fn::If": ["IsProd", NO_VALUE, INVOKE_WORKER]}])},
        "WorkerInvokeFromCallerRoleCondition",
        {"WorkerInvokeFromCallerRoleCondition": {"Fn::Not": [{"Condition": "IsProd"}]}},
        id="else",
    ),
    # callee and caller: one new Fn::And condition
    pytest.param(
        {
            "Worker": conditional(sam_function(), "HasWorker"),
            "Caller": conditional(sam_function(Policies=[INVOKE_WORKER]), "IsProd"),
        },
        "WorkerInvokeFromCallerRoleCondition",
        {
            "WorkerInvokeFromCallerRoleCondition": {
                "Fn::And": [{"Condition": "HasWorker"}, {"Condition": "IsProd"}]
            }
        },
        id="conjunction",
    ),
    # a Role under Fn::If with AWS::NoValue: SAM's generated role exists only on the else-branch
    pytest.param(
        {
            "Caller": sam_function(
                Role={"Fn::If": ["IsProd", {"Fn::GetAtt": ["OwnRole", "Arn"]}, NO_VALUE]},
                Policies=[INVOKE_WORKER],
            ),
            "OwnRole": role(Policies=[{"PolicyName": "p", "PolicyDocument": INVOKE_WORKER}]),
        },
        None,
        None,
        id="role-fn-if",
    ),
]


@pytest.mark.parametrize(("resources", "condition", "added_conditions"), CONDITIONS)
def test_conditions(
    resources: dict[str, Any], condition: str | None, added_conditions: dict[str, Any] | None
) -> None:
    template = variant(BASE, **resources)
    result = run(template)
    if added_conditions is None:  # the role-fn-if case: one permission per role, each under its branch
        assert added(result) == {
            ("Worker", "CallerRole", "WorkerInvokeFromCallerRoleCondition"),
            ("Worker", "OwnRole", "IsProd"),
        }
        assert new_conditions(result, template) == {
            "WorkerInvokeFromCallerRoleCondition": {"Fn::Not": [{"Condition": "IsProd"}]}
        }
        return
    (only,) = result.added
    resource = permission(result, only.logical_id)
    assert resource.get("Condition") == condition
    assert new_conditions(result, template) == added_conditions


def test_condition_that_can_never_hold_adds_nothing() -> None:
    # the callee exists only when IsProd, the grant only when not IsProd
    template = variant(
        BASE,
        Worker=conditional(sam_function(), "IsProd"),
        Caller=sam_function(Policies=[{"Fn::If": ["IsProd", NO_VALUE, INVOKE_WORKER]}]),
    )
    assert run(template).added == []


def test_conditions_section_is_created_when_absent() -> None:
    template = variant(
        BASE,
        Worker=conditional(sam_function(), "HasWorker"),
        Caller=conditional(sam_function(Policies=[INVOKE_WORKER]), "IsProd"),
    )
    del template["Conditions"]
    result = run(template)
    assert result.fragment["Conditions"] == {
        "WorkerInvokeFromCallerRoleCondition": {
            "Fn::And": [{"Condition": "HasWorker"}, {"Condition": "IsProd"}]
        }
    }


def test_new_condition_never_overwrites_an_existing_one() -> None:
    taken = {"Fn::Equals": ["taken", "taken"]}
    template = variant(
        BASE,
        {"Conditions": {**BASE["Conditions"], "WorkerInvokeFromCallerRoleCondition": taken}},
        Worker=conditional(sam_function(), "HasWorker"),
        Caller=conditional(sam_function(Policies=[INVOKE_WORKER]), "IsProd"),
    )
    result = run(template)
    assert result.fragment["Conditions"]["WorkerInvokeFromCallerRoleCondition"] == taken
    name = permission(result, "WorkerInvokeFromCallerRole")["Condition"]
    assert name != "WorkerInvokeFromCallerRoleCondition"
    assert result.fragment["Conditions"][name] == {
        "Fn::And": [{"Condition": "HasWorker"}, {"Condition": "IsProd"}]
    }


def _operands(expression: Any) -> list[Any]:
    """Every leaf of nested Fn::And, checking that no Fn::And has more than 10 operands."""
    if set(expression) != {"Fn::And"}:
        return [expression]
    assert 2 <= len(expression["Fn::And"]) <= 10
    return [leaf for item in expression["Fn::And"] for leaf in _operands(item)]


def test_more_than_ten_operands_are_nested() -> None:
    names = [f"Cond{i}" for i in range(12)]
    resource: Any = WORKER_ARN
    for name in reversed(names):
        resource = {"Fn::If": [name, resource, NO_VALUE]}
    conditions = {name: {"Fn::Equals": [name, name]} for name in names}
    template = variant(
        BASE, {"Conditions": conditions}, Caller=sam_function(Policies=[document(statement(resource))])
    )
    result = run(template)
    name = permission(result, "WorkerInvokeFromCallerRole")["Condition"]
    leaves = _operands(result.fragment["Conditions"][name])
    assert sorted(leaves, key=str) == sorted(({"Condition": n} for n in names), key=str)


# --------------------------------------------------------- existing permissions
SAM_ALIAS = {"WorkerLive": alias("live")}

# (an AWS::Lambda::Permission already in the template, other resources, whether ours is still added)
EXISTING: list[Any] = [
    # the same permission, as the macro writes it
    pytest.param(lambda_permission(WORKER_ARN, CALLER_ROLE_ARN), {}, False, id="same"),
    # GetAtt in its dotted form
    pytest.param(
        lambda_permission({"Fn::GetAtt": "Worker.Arn"}, {"Fn::GetAtt": "CallerRole.Arn"}),
        {},
        False,
        id="dotted",
    ),
    # FunctionName as Ref (the name)
    pytest.param(lambda_permission({"Ref": "Worker"}, CALLER_ROLE_ARN), {}, False, id="ref-name"),
    # FunctionName as ${Worker.Arn}
    pytest.param(lambda_permission({"Fn::Sub": "${Worker.Arn}"}, CALLER_ROLE_ARN), {}, False, id="sub-arn"),
    # Principal as ${CallerRole.Arn}
    pytest.param(
        lambda_permission(WORKER_ARN, {"Fn::Sub": "${CallerRole.Arn}"}), {}, False, id="sub-principal"
    ),
    # the literal FunctionName, and its full ARN
    pytest.param(
        lambda_permission("worker-fn", CALLER_ROLE_ARN),
        {"Worker": sam_function(FunctionName="worker-fn")},
        False,
        id="literal-name",
    ),
    pytest.param(
        lambda_permission(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker-fn", CALLER_ROLE_ARN),
        {"Worker": sam_function(FunctionName="worker-fn")},
        False,
        id="literal-arn",
    ),
    pytest.param(
        # a partial ARN, which Lambda accepts as FunctionName
        lambda_permission(f"{ACCOUNT}:function:worker-fn", CALLER_ROLE_ARN),
        {"Worker": sam_function(FunctionName="worker-fn")},
        False,
        id="partial-arn",
    ),
    pytest.param(
        # the role ARN built from the name of SAM's generated role
        lambda_permission(
            WORKER_ARN, {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${CallerRole}"}
        ),
        {},
        False,
        id="principal-built-from-sam-role-name",
    ),
    # Action lambda:* or * covers invoke
    pytest.param(lambda_permission(WORKER_ARN, CALLER_ROLE_ARN, "lambda:*"), {}, False, id="lambda-star"),
    pytest.param(lambda_permission(WORKER_ARN, CALLER_ROLE_ARN, "*"), {}, False, id="star"),
    # another action: ours is still needed
    pytest.param(
        lambda_permission(WORKER_ARN, CALLER_ROLE_ARN, "lambda:InvokeFunctionUrl"),
        {},
        True,
        id="other-action",
    ),
    # another principal (the account): ours is still needed
    pytest.param(lambda_permission(WORKER_ARN, ACCOUNT), {}, True, id="account-principal"),
    # an alias permission does not cover the unqualified ARN
    pytest.param(lambda_permission({"Ref": "WorkerLive"}, CALLER_ROLE_ARN), SAM_ALIAS, True, id="alias-only"),
    # another function
    pytest.param(
        lambda_permission({"Fn::GetAtt": ["Other", "Arn"]}, CALLER_ROLE_ARN),
        {"Other": sam_function()},
        True,
        id="other-function",
    ),
]


# the keys a direct call with the role's credentials never matches: the permission covers nothing
NEVER_DIRECT: list[Any] = [
    pytest.param({"SourceAccount": {"Ref": "AWS::AccountId"}}, id="source-account"),
    pytest.param({"SourceArn": {"Fn::GetAtt": ["Caller", "Arn"]}}, id="source-arn"),
    pytest.param({"EventSourceToken": "token"}, id="event-source-token"),
    pytest.param({"InvokedViaFunctionUrl": True}, id="invoked-via-url"),
    pytest.param({"FunctionUrlAuthType": "AWS_IAM"}, id="url-auth-type"),
]


@pytest.mark.parametrize("extra", NEVER_DIRECT)
def test_existing_permission_that_never_matches_a_direct_call(extra: dict[str, Any]) -> None:
    existing = lambda_permission(WORKER_ARN, CALLER_ROLE_ARN, **extra)
    result = run(variant(BASE, Existing=existing))
    assert [p.logical_id for p in result.added] == ["WorkerInvokeFromCallerRole"]
    (key,) = extra
    expected = {("AIP134", f"Existing.Properties.{key}")}
    if key == "InvokedViaFunctionUrl":  # and, being a URL permission, it lacks its InvokeFunctionUrl partner
        expected.add(("AIP161", f"Existing.Properties.{key}"))
    assert {(f.code, f.path) for f in result.findings} == expected


def test_invoked_via_function_url_false_still_covers() -> None:
    existing = lambda_permission(WORKER_ARN, CALLER_ROLE_ARN, InvokedViaFunctionUrl=False)
    result = run(variant(BASE, Existing=existing))
    assert result.added == []
    assert codes(result) == set()


# a FunctionName with a qualifier names the alias: (FunctionName, whether ours on the alias is added)
QUALIFIED_NAMES: list[Any] = [
    pytest.param("worker-fn:live", False, id="name-qualifier"),
    pytest.param(f"{ACCOUNT}:function:worker-fn:live", False, id="partial-arn-qualifier"),
    pytest.param(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker-fn:live", False, id="arn-qualifier"),
    pytest.param("worker-fn", True, id="unqualified-name"),
]


@pytest.mark.parametrize(("function_name", "adds"), QUALIFIED_NAMES)
def test_existing_permission_on_a_qualified_name(function_name: str, adds: bool) -> None:
    template = variant(
        BASE,
        Worker=sam_function(FunctionName="worker-fn", AutoPublishAlias="live"),
        Caller=sam_function(Policies=[document(statement({"Ref": "Worker.Alias"}))]),
        Existing=lambda_permission(function_name, CALLER_ROLE_ARN),
    )
    result = run(template)
    assert [p.logical_id for p in result.added] == (["WorkerAliasliveInvokeFromCallerRole"] if adds else [])


# an existing permission under a Condition covers the pair only when it holds:
# (its Condition, the grant's condition (the caller's), the condition of ours: None none, "-" not added)
CONDITIONAL_EXISTING: list[Any] = [
    pytest.param("IsProd", None, {"Fn::Not": [{"Condition": "IsProd"}]}, id="negated"),
    pytest.param("IsProd", "IsProd", "-", id="grant-implies-it"),
    pytest.param(
        "IsProd",
        "HasWorker",
        {"Fn::And": [{"Condition": "HasWorker"}, {"Fn::Not": [{"Condition": "IsProd"}]}]},
        id="combined-with-the-grant",
    ),
    pytest.param(None, "HasWorker", "-", id="unconditional-covers-all"),
]


@pytest.mark.parametrize(("existing_condition", "grant_condition", "ours"), CONDITIONAL_EXISTING)
def test_existing_permission_under_a_condition(
    existing_condition: str | None, grant_condition: str | None, ours: Any
) -> None:
    existing = lambda_permission(WORKER_ARN, CALLER_ROLE_ARN)
    if existing_condition:
        existing = conditional(existing, existing_condition)
    caller_resource = sam_function(Policies=[INVOKE_WORKER])
    if grant_condition:
        caller_resource = conditional(caller_resource, grant_condition)
    template = variant(BASE, Existing=existing, Caller=caller_resource)
    result = run(template)
    if ours == "-":
        assert result.added == []
        return
    (only,) = result.added
    resource = permission(result, only.logical_id)
    assert result.fragment["Conditions"][resource["Condition"]] == ours
    again = run(result.fragment)
    assert again.added == []


@pytest.mark.parametrize(("existing", "resources", "adds"), EXISTING)
def test_existing_permission(existing: dict[str, Any], resources: dict[str, Any], adds: bool) -> None:
    result = run(variant(BASE, Existing=existing, **resources))
    assert [p.logical_id for p in result.added] == (["WorkerInvokeFromCallerRole"] if adds else [])
    assert len(result.permissions) == 1  # added or kept
    assert result.fragment["Resources"]["Existing"] == existing
    report = result.fragment["Metadata"]["AutoInvokePermission"]["Report"]
    assert (report["PermissionsAdded"], report["PermissionsKept"]) == ((1, 0) if adds else (0, 1))


def test_service_principal_for_a_function_caller_is_a_finding_and_ours_is_added() -> None:
    existing = lambda_permission(
        WORKER_ARN, "lambda.amazonaws.com", SourceArn={"Fn::GetAtt": ["Caller", "Arn"]}
    )
    result = run(variant(BASE, Existing=existing))
    assert [p.logical_id for p in result.added] == ["WorkerInvokeFromCallerRole"]
    assert [(f.code, f.path) for f in result.findings] == [("AIP132", "Existing.Properties.Principal")]


# ---------------------------------------------------- idempotence, no mutation
TEMPLATES: list[Any] = [
    pytest.param(BASE, id="base"),
    pytest.param(STABLE, id="aliases-conditions-shared-role-taken-id"),
    pytest.param(
        variant(
            BASE,
            Worker=conditional(sam_function(), "HasWorker"),
            Caller=conditional(
                sam_function(Policies=[{"Fn::If": ["IsProd", NO_VALUE, INVOKE_WORKER]}]), "IsProd"
            ),
        ),
        id="contradiction",
    ),
    pytest.param(
        variant(
            BASE,
            Worker=conditional(sam_function(), "HasWorker"),
            Caller=sam_function(Policies=[{"Fn::If": ["IsProd", NO_VALUE, INVOKE_WORKER]}]),
        ),
        id="combined-condition",
    ),
    pytest.param(
        variant(BASE, {"Metadata": {"Owner": "team", "AutoInvokePermission": {"Wildcards": "report"}}}),
        id="metadata",
    ),
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_idempotent(template: dict[str, Any]) -> None:
    first = run(template)
    second = run(first.fragment)
    assert second.added == []
    assert without_report(second.fragment) == without_report(first.fragment)
    report = second.fragment["Metadata"]["AutoInvokePermission"]["Report"]
    assert report["PermissionsAdded"] == 0
    assert report["PermissionsKept"] == len(first.added)


@pytest.mark.parametrize("template", TEMPLATES)
def test_input_is_never_mutated(template: dict[str, Any]) -> None:
    before = copy.deepcopy(template)
    first = run(template)
    assert template == before
    again = copy.deepcopy(first.fragment)
    run(first.fragment)
    assert first.fragment == again


@pytest.mark.parametrize("template", TEMPLATES)
def test_nothing_else_changes(template: dict[str, Any]) -> None:
    result = run(template)
    out = result.fragment
    assert set(out) - set(template) <= {"Conditions", "Metadata"}
    for key, value in template.items():
        if key not in ("Resources", "Conditions", "Metadata"):
            assert out[key] == value
    for rid, resource in template["Resources"].items():
        assert out["Resources"][rid] == resource
    assert set(out["Resources"]) - set(template["Resources"]) == {p.logical_id for p in result.added}
    for name, condition in template.get("Conditions", {}).items():
        assert out["Conditions"][name] == condition
    metadata = dict(out["Metadata"])
    own = dict(metadata.pop("AutoInvokePermission"))
    assert set(own) - set(template.get("Metadata", {}).get("AutoInvokePermission", {})) == {"Report"}
    own.pop("Report")
    assert {**metadata, **({"AutoInvokePermission": own} if own else {})} == template.get("Metadata", {})


def test_a_grant_in_both_branches_of_an_if_is_unconditional() -> None:
    # Fn::If [C, Worker, Worker]: `C OR NOT C` is always true, so the permission has no Condition
    both = {"Fn::If": ["C", {"Fn::GetAtt": ["Worker", "Arn"]}, {"Fn::GetAtt": ["Worker", "Arn"]}]}
    fragment = {
        "Conditions": {"C": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "b"]}},  # undecidable
        "Resources": {
            "Caller": sam_function(Policies=[document(statement(both))]),
            "Worker": sam_function(),
        },
    }
    result = run(fragment)
    assert [(p.callee.function, p.condition) for p in result.added] == [("Worker", None)]
    assert "Conditions" not in result.fragment or result.fragment["Conditions"] == fragment["Conditions"]


# ------------------------------------------- logical IDs SAM generates later (macro before SAM)
def index_of(template: dict[str, Any]) -> TemplateIndex:
    resources = template["Resources"]
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources=resources,
        parameters=template.get("Parameters", {}),
        parameter_values={},
        mappings={},
        conditions=template.get("Conditions", {}),
        implicit=sam_generated_names(resources, template.get("Globals"), {}),
    )
    return TemplateIndex(resources, template.get("Globals"), resolver)


def connector_to(destination: str, key: str = "ToOther") -> dict[str, Any]:
    return {key: {"Properties": {"Destination": {"Id": destination}, "Permissions": ["Write"]}}}


# raw SAM resources added to BASE; every ID the SAM translator generates from them must be reserved
SAM_GENERATED: list[Any] = [
    pytest.param(
        {"Worker": {**sam_function(), "Connectors": connector_to("Other")}}, id="embedded-connector"
    ),
    pytest.param(
        {
            "Worker": {
                **sam_function(),
                "Connectors": {
                    "ToMany": {
                        "Properties": {
                            "Destination": [{"Id": "Other"}, {"Id": "Caller"}],
                            "Permissions": ["Write"],
                        }
                    }
                },
            }
        },
        id="embedded-connector-many-destinations",
    ),
    pytest.param(
        {
            "Conn": {
                "Type": "AWS::Serverless::Connector",
                "Properties": {
                    "Source": {"Id": "Worker"},
                    "Destination": {"Id": "Other"},
                    "Permissions": ["Write"],
                },
            }
        },
        id="connector-resource",
    ),
    pytest.param({"Worker": sam_function(AutoPublishAlias="live")}, id="alias-and-version"),
    pytest.param({"Worker": sam_function(FunctionUrlConfig={"AuthType": "NONE"})}, id="function-url"),
    pytest.param(
        {
            "Worker": sam_function(
                Events={
                    "Nightly": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}},
                    "Topic": {"Type": "SNS", "Properties": {"Topic": "arn:aws:sns:us-east-1:123456789012:t"}},
                    "Queue": {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:us-east-1:123456789012:q"}},
                    "Bucket": {
                        "Type": "S3",
                        "Properties": {"Bucket": {"Ref": "Bucket"}, "Events": "s3:ObjectCreated:*"},
                    },
                }
            ),
            "Bucket": {"Type": "AWS::S3::Bucket"},
        },
        id="event-sources",
    ),
    pytest.param(
        {
            "Worker": sam_function(
                EventInvokeConfig={
                    "DestinationConfig": {
                        "OnSuccess": {"Type": "Lambda", "Destination": {"Fn::GetAtt": ["Other", "Arn"]}}
                    }
                }
            ),
        },
        id="event-invoke-config",
    ),
]


@pytest.mark.parametrize("resources", SAM_GENERATED)
def test_reserved_ids_are_the_ids_sam_generates(resources: dict[str, Any]) -> None:
    template = variant(BASE, {"Transform": "AWS::Serverless-2016-10-31"}, Other=sam_function(), **resources)
    generated = set(sam_translate(template)["Resources"]) - set(template["Resources"])
    reserved = sam_reserved_ids(index_of(template))
    assert generated, "SAM generated nothing"
    assert "WorkerInvokeFromCallerRole" not in reserved  # the permission's own ID stays free
    assert {lid for lid in generated if lid not in reserved} == set()


def test_a_permission_never_takes_an_id_sam_generates_later() -> None:
    # the connector InvokeFromCallerRole on Worker becomes WorkerInvokeFromCallerRole in SAM
    worker = {**sam_function(), "Connectors": connector_to("Other", key="InvokeFromCallerRole")}
    template = variant(BASE, {"Transform": "AWS::Serverless-2016-10-31"}, Worker=worker, Other=sam_function())
    result = run(template)
    (ours,) = [p for p in result.added if p.callee.function == "Worker"]
    assert ours.logical_id.startswith("WorkerInvokeFromCallerRole")
    assert ours.logical_id != "WorkerInvokeFromCallerRole"
    translated = sam_translate(result.fragment)  # SAM accepts the macro's output
    assert ours.logical_id in translated["Resources"]
    assert "WorkerInvokeFromCallerRolePolicy" in translated["Resources"]


def test_ids_that_do_not_clash_are_unchanged() -> None:
    # events, aliases, URLs and connectors of other names leave the permission's ID as it was
    worker = sam_function(
        AutoPublishAlias="live",
        FunctionUrlConfig={"AuthType": "AWS_IAM"},
        Events={"Nightly": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}},
    )
    template = variant(BASE, Worker={**worker, "Connectors": connector_to("Other")}, Other=sam_function())
    ids = sorted(p.logical_id for p in run(template).added)
    assert ids == ["OtherInvokeFromWorkerRole", "WorkerInvokeFromCallerRole"]


# ------------------------------------------- what the index's one pass reads of each resource's Metadata
OWN_METADATA: list[Any] = [
    pytest.param({"Skip": True}, {"Worker"}, False, id="skip"),
    pytest.param({"Skip": "true"}, {"Worker"}, False, id="skip-text"),
    pytest.param({"Skip": "True"}, {"Worker"}, False, id="skip-title"),
    pytest.param({"Skip": False}, set(), False, id="skip-false"),
    pytest.param({"Skip": "yes"}, set(), False, id="skip-other-text"),
    pytest.param({"AllowCallers": []}, set(), True, id="allow-callers"),
    pytest.param({"Skip": True, "AllowCallers": []}, {"Worker"}, True, id="both"),
    pytest.param(["Skip"], set(), False, id="not-a-mapping"),
]


@pytest.mark.parametrize(("own", "skipped", "declares"), OWN_METADATA)
def test_the_index_reads_skip_and_allow_callers_in_its_one_pass(
    own: Any, skipped: set[str], declares: bool
) -> None:
    worker = {**sam_function(), "Metadata": {"AutoInvokePermission": own}}
    index = index_of(variant(BASE, Worker=worker))
    assert index.skipped == skipped
    assert index.declares_callers is declares


@pytest.mark.parametrize(
    "metadata",
    [{"AutoInvokePermission": {"AllowCallers": []}}, {"Other": {"AllowCallers": []}}, "text"],
)
def test_only_a_function_declares_callers(metadata: Any) -> None:
    queue = {"Type": "AWS::SQS::Queue", "Metadata": metadata}
    assert index_of(variant(BASE, Queue=queue)).declares_callers is False


def test_connector_holders_are_every_resource_with_connectors() -> None:
    table = {"Type": "AWS::DynamoDB::Table", "Connectors": connector_to("Worker")}
    worker = {**sam_function(), "Connectors": "not a mapping"}
    index = index_of(variant(BASE, Table=table, Worker=worker))
    assert sorted(index.connector_holders) == ["Table", "Worker"]
    assert "TableToOther" in sam_reserved_ids(index)
    assert "WorkerToOther" not in sam_reserved_ids(index)


@pytest.mark.parametrize("names", [["Zeta", "Alpha", "Mid"], ["B2", "B10", "A"], ["Worker", "Caller"]])
def test_function_roles_are_by_logical_id_whatever_the_resource_order(names: list[str]) -> None:
    # the environment check reads them in this order
    index = index_of({"Resources": {name: sam_function() for name in names}})
    assert list(index.function_roles) == sorted(names)
