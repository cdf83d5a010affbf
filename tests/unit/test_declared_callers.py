"""Declared callers (`Metadata.AutoInvokePermission.AllowCallers`): every item form, every
validation error, conditions, existing permissions and limits, in both transform orders."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from typing import Any

import pytest
from auto_invoke_permission import handler
from auto_invoke_permission.declared_callers import validate_principal
from corpus_support import clean_handler_environment, event, injected, sam_translate, without_transform

ORG = "o-a1b2c3d4e5"
OTHER = "210987654321"
ROLE = f"arn:aws:iam::{OTHER}:role/team/caller"
ORDERS = ("pre", "post")


def template(
    allow: Any,
    parameters: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Any] | None = None,
    callee_condition: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    callee: dict[str, Any] = {
        "Type": "AWS::Serverless::Function",
        "Metadata": {"AutoInvokePermission": {"AllowCallers": allow}},
        # SAM puts the function URL on the AutoPublishAlias: FunctionUrl items go on the alias
        "Properties": {"AutoPublishAlias": "live", "FunctionUrlConfig": {"AuthType": "AWS_IAM"}},
    }
    if callee_condition:
        callee["Condition"] = callee_condition
    out: dict[str, Any] = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {
            "Function": {"Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://b/x.zip"}
        },
        "Resources": {"Callee": callee, **(extra or {})},
    }
    if parameters:
        out["Parameters"] = dict(parameters)
    if conditions:
        out["Conditions"] = dict(conditions)
    return out


def run(tmpl: dict[str, Any], order: str, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    fragment = sam_translate(tmpl) if order == "post" else without_transform(tmpl)
    macro_event = {**event(fragment, "declared"), "templateParameterValues": dict(values or {})}
    with clean_handler_environment(), contextlib.redirect_stderr(io.StringIO()):
        response: dict[str, Any] = handler.handler(macro_event)
    if response["status"] == "success":
        response["added"] = injected(fragment, response["fragment"])
    return response


def qualifier(function_name: Any) -> str | None:
    """`live` for the alias (SAM's `CalleeAliaslive`), None for the unqualified function."""
    if function_name == {"Fn::GetAtt": ["Callee", "Arn"]}:
        return None
    assert function_name == {"Ref": "CalleeAliaslive"}, function_name
    return "live"


Shape = tuple[str, str | None, Any, tuple[tuple[str, Any], ...]]  # action, qualifier, principal, extra


def shapes(added: Mapping[str, Any]) -> list[Shape]:
    out: list[Shape] = []
    for resource in added.values():
        props = dict(resource["Properties"])
        action = props.pop("Action")
        qual = qualifier(props.pop("FunctionName"))
        principal = props.pop("Principal")
        out.append((action, qual, principal, tuple(sorted(props.items()))))
    return sorted(out, key=repr)


INVOKE = "lambda:InvokeFunction"
URL = "lambda:InvokeFunctionUrl"
IN_ORG = (("PrincipalOrgID", ORG),)

# item -> the permissions it gives (action, qualifier, Principal, further properties)
FORMS: dict[str, tuple[Any, list[Shape]]] = {
    "account": (OTHER, [(INVOKE, None, OTHER, ())]),
    "account root ARN": (f"arn:aws:iam::{OTHER}:root", [(INVOKE, None, f"arn:aws:iam::{OTHER}:root", ())]),
    "role ARN": (ROLE, [(INVOKE, None, ROLE, ())]),
    "user ARN": (f"arn:aws:iam::{OTHER}:user/ci", [(INVOKE, None, f"arn:aws:iam::{OTHER}:user/ci", ())]),
    "organization": ({"OrganizationId": ORG}, [(INVOKE, None, "*", IN_ORG)]),
    "star in an organization": ({"Principal": "*", "OrganizationId": ORG}, [(INVOKE, None, "*", IN_ORG)]),
    "account in an organization": (
        {"Principal": OTHER, "OrganizationId": ORG},
        [(INVOKE, None, OTHER, IN_ORG)],
    ),
    "role in an organization": ({"Principal": ROLE, "OrganizationId": ORG}, [(INVOKE, None, ROLE, IN_ORG)]),
    "alias only": ({"Principal": OTHER, "Qualifiers": ["live"]}, [(INVOKE, "live", OTHER, ())]),
    "every form": (
        {"Principal": OTHER, "Qualifiers": "*"},
        [(INVOKE, "live", OTHER, ()), (INVOKE, None, OTHER, ())],
    ),
    "function URL": (
        {"Principal": ROLE, "FunctionUrl": True},
        [
            (INVOKE, "live", ROLE, (("InvokedViaFunctionUrl", True),)),
            (URL, "live", ROLE, (("FunctionUrlAuthType", "AWS_IAM"),)),
        ],
    ),
    "function URL in an organization": (
        {"OrganizationId": ORG, "FunctionUrl": True},
        [
            (INVOKE, "live", "*", (("InvokedViaFunctionUrl", True), *IN_ORG)),
            (URL, "live", "*", (("FunctionUrlAuthType", "AWS_IAM"), *IN_ORG)),
        ],
    ),
    "Fn::Sub with the partition": (
        {"Fn::Sub": "arn:${AWS::Partition}:iam::" + OTHER + ":role/caller"},
        [(INVOKE, None, f"arn:aws:iam::{OTHER}:role/caller", ())],
    ),
    "the same principal twice": ([OTHER, OTHER], [(INVOKE, None, OTHER, ())]),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(FORMS))
def test_item_form(name: str, order: str) -> None:
    item, expected = FORMS[name]
    items = item if name == "the same principal twice" else [item]
    response = run(template(items), order)
    assert response["status"] == "success", response.get("errorMessage")
    assert shapes(response["added"]) == sorted(expected, key=repr)
    again = run(response["fragment"], "cfn")  # the output through the macro again: all kept
    assert again["added"] == {}


@pytest.mark.parametrize("order", ORDERS)
def test_organization_gives_star_with_the_org_and_nothing_broader(order: str) -> None:
    response = run(template([{"OrganizationId": ORG}]), order)
    (resource,) = response["added"].values()
    assert resource["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["Callee", "Arn"]},
        "Principal": "*",
        "PrincipalOrgID": ORG,
    }
    report = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    assert report["DeclaredCallers"] == [
        "CalleeInvokeFromOrgOa1b2c3d4e5: Callee <- the organization in o-a1b2c3d4e5"
    ]
    assert "Permissions" not in report  # in-template permissions are listed apart


ROLE_NAMES: dict[str, tuple[Any, str]] = {
    "account": (OTHER, f"CalleeInvokeFromAccount{OTHER}"),
    "role": (ROLE, f"CalleeInvokeFromRole{OTHER}caller"),
    "user": (f"arn:aws:iam::{OTHER}:user/ci", f"CalleeInvokeFromUser{OTHER}ci"),
    "organization": ({"OrganizationId": ORG}, "CalleeInvokeFromOrgOa1b2c3d4e5"),
    "account in org": (
        {"Principal": OTHER, "OrganizationId": ORG},
        f"CalleeInvokeFromAccount{OTHER}InOa1b2c3d4e5",
    ),
    "alias": ({"Principal": OTHER, "Qualifiers": ["live"]}, f"CalleeAliasliveInvokeFromAccount{OTHER}"),
}


@pytest.mark.parametrize("name", sorted(ROLE_NAMES))
def test_logical_ids_are_deterministic(name: str) -> None:
    item, logical_id = ROLE_NAMES[name]
    assert list(run(template([item]), "pre")["added"]) == [logical_id]


def test_logical_id_never_clashes_with_a_resource_of_the_template() -> None:
    taken = {f"CalleeInvokeFromAccount{OTHER}": {"Type": "AWS::SNS::Topic"}}
    (logical_id,) = run(template([OTHER], extra=taken), "pre")["added"]
    assert logical_id.startswith(f"CalleeInvokeFromAccount{OTHER}") and logical_id not in taken


# item -> what the failure message says (resource and path included)
PATH = "Callee.Metadata.AutoInvokePermission.AllowCallers[0]"
INVALID: dict[str, tuple[Any, str]] = {
    "star": ("*", f"{PATH}: '*' would let every AWS account invoke the function"),
    "short account": ("12345678901", f"{PATH}: '12345678901' is not a 12-digit account ID"),
    "service principal": ("lambda.amazonaws.com", f"{PATH}: 'lambda.amazonaws.com' is a service principal"),
    "service principal by host": ("events.example.com", "is a service principal"),
    "other partition": (
        f"arn:aws-cn:iam::{OTHER}:role/caller",
        "is in partition 'aws-cn', the stack in 'aws'",
    ),
    "bad account in an ARN": ("arn:aws:iam::12:role/caller", "has account '12', not a 12-digit account ID"),
    "bad role name": (f"arn:aws:iam::{OTHER}:role/bad name", "has an invalid role name or path"),
    "empty role name": (f"arn:aws:iam::{OTHER}:role/", "has an invalid role name or path"),
    "a group is no principal": (
        f"arn:aws:iam::{OTHER}:group/devs",
        "is not a 12-digit account ID, an IAM role",
    ),
    "a session is no principal": (
        f"arn:aws:sts::{OTHER}:assumed-role/caller/s",
        "is not a 12-digit account ID, an IAM role",
    ),
    "bad org ID": (
        {"OrganizationId": "o-short"},
        f"{PATH}.OrganizationId: 'o-short' is not an organization ID",
    ),
    "uppercase org ID": ({"OrganizationId": "o-A1B2C3D4E5"}, "is not an organization ID"),
    "unknown key": ({"Principal": OTHER, "Account": OTHER}, f"{PATH} has unknown keys Account"),
    "no principal": ({"Qualifiers": ["live"]}, f"{PATH} needs a Principal or an OrganizationId"),
    "unknown alias": (
        {"Principal": OTHER, "Qualifiers": ["prod"]},
        f"{PATH}.Qualifiers[0]: 'prod' is not an alias",
    ),
    "FunctionUrl not a boolean": (
        {"Principal": OTHER, "FunctionUrl": "yes"},
        f"{PATH}.FunctionUrl must be true",
    ),
    "star in a list parameter": ({"Ref": "Callers"}, "'*' would let every AWS account"),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_item_fails_with_resource_and_path(name: str, order: str) -> None:
    item, message = INVALID[name]
    params = {"Callers": {"Type": "CommaDelimitedList", "Default": f"{OTHER},*"}}
    response = run(template([item], parameters=params), order, {"Callers": f"{OTHER},*"})
    assert response["status"] == "failure"
    assert message in response["errorMessage"]


@pytest.mark.parametrize("order", ORDERS)
def test_allow_callers_must_be_a_list(order: str) -> None:
    response = run(template(OTHER), order)
    assert response["status"] == "failure"
    assert (
        "Callee.Metadata.AutoInvokePermission.AllowCallers must be a list, a !Ref of a "
        "CommaDelimitedList or List<String> parameter, an Fn::Split or an Fn::If of those, not a string"
        in response["errorMessage"]
    )


LIST_TYPES = ("CommaDelimitedList", "List<String>")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("ptype", LIST_TYPES)
def test_list_parameter_gives_one_permission_per_item(ptype: str, order: str) -> None:
    params = {"Accounts": {"Type": ptype}}
    accounts = "111122223333,444455556666"
    response = run(template([{"Ref": "Accounts"}], parameters=params), order, {"Accounts": accounts})
    assert shapes(response["added"]) == [
        (INVOKE, None, "111122223333", ()),
        (INVOKE, None, "444455556666", ()),
    ]


@pytest.mark.parametrize("order", ORDERS)
def test_string_parameter_and_org_parameter(order: str) -> None:
    params = {"Account": {"Type": "String"}, "Org": {"Type": "String"}}
    item = {"Principal": {"Ref": "Account"}, "OrganizationId": {"Ref": "Org"}}
    response = run(template([item], parameters=params), order, {"Account": OTHER, "Org": ORG})
    assert shapes(response["added"]) == [(INVOKE, None, OTHER, IN_ORG)]


@pytest.mark.parametrize("order", ORDERS)
def test_parameter_without_a_value_is_one_finding_and_no_permission(order: str) -> None:
    params = {"Account": {"Type": "String"}}
    response = run(
        template([{"Ref": "Account"}, OTHER], parameters=params), "pre" if order == "pre" else order
    )
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [(i["code"], i["path"]) for i in items] == [
        ("AIP171", "Callee.Metadata.AutoInvokePermission.AllowCallers[0]")
    ]
    assert shapes(response["added"]) == [(INVOKE, None, OTHER, ())]


def test_in_template_caller_role_is_info_and_no_declared_permission() -> None:
    caller_role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": "caller-role", "AssumeRolePolicyDocument": {}},
    }
    caller = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Role": {"Fn::GetAtt": ["CallerRole", "Arn"]}},
    }
    own = "arn:aws:iam::123456789012:role/caller-role"
    response = run(template([own], extra={"CallerRole": caller_role, "Caller": caller}), "pre")
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [i["code"] for i in items] == ["AIP170"]
    assert response["added"] == {}


CONDITIONS = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}, "HasCallee": {"Fn::Equals": ["a", "a"]}}
STAGE = {"Stage": {"Type": "String", "Default": "dev"}}


@pytest.mark.parametrize("order", ORDERS)
def test_fn_if_item_carries_its_condition(order: str) -> None:
    item = {"Fn::If": ["IsProd", OTHER, {"Ref": "AWS::NoValue"}]}
    response = run(template([item], parameters=STAGE, conditions=CONDITIONS), order)
    (resource,) = response["added"].values()
    assert resource["Condition"] == "IsProd"
    assert resource["Properties"]["Principal"] == OTHER


@pytest.mark.parametrize("order", ORDERS)
def test_fn_if_both_branches(order: str) -> None:
    item = {"Fn::If": ["IsProd", OTHER, {"OrganizationId": ORG}]}
    response = run(template([item], parameters=STAGE, conditions=CONDITIONS), order)
    got = sorted((r.get("Condition"), r["Properties"]["Principal"]) for r in response["added"].values())
    conditions = response["fragment"]["Conditions"]
    (negated,) = [name for name, _ in got if name != "IsProd"]
    assert got == sorted([("IsProd", OTHER), (negated, "*")])
    assert conditions[negated] == {"Fn::Not": [{"Condition": "IsProd"}]}


@pytest.mark.parametrize("order", ORDERS)
def test_callee_condition_is_carried(order: str) -> None:
    response = run(template([OTHER], conditions=CONDITIONS, callee_condition="HasCallee"), order)
    (resource,) = response["added"].values()
    assert resource["Condition"] == "HasCallee"


@pytest.mark.parametrize("order", ORDERS)
def test_callee_and_item_conditions_combine(order: str) -> None:
    item = {"Fn::If": ["IsProd", OTHER, {"Ref": "AWS::NoValue"}]}
    tmpl = template([item], parameters=STAGE, conditions=CONDITIONS, callee_condition="HasCallee")
    response = run(tmpl, order)
    (resource,) = response["added"].values()
    combined = response["fragment"]["Conditions"][resource["Condition"]]
    assert combined == {"Fn::And": [{"Condition": "HasCallee"}, {"Condition": "IsProd"}]}
    again = run(response["fragment"], "cfn")
    assert again["added"] == {}


EXISTING = {
    "Action": "lambda:InvokeFunction",
    "FunctionName": {"Fn::GetAtt": ["Callee", "Arn"]},
    "Principal": f"arn:aws:iam::{OTHER}:root",
}


@pytest.mark.parametrize(
    ("props", "added"),
    [
        (EXISTING, 0),  # the account's root ARN is the account ID
        ({**EXISTING, "Principal": OTHER}, 0),
        ({**EXISTING, "SourceAccount": OTHER}, 1),  # states more: never matches a direct call
        ({**EXISTING, "PrincipalOrgID": ORG}, 1),  # narrower than the declared account
    ],
)
def test_existing_permission_is_recognized(props: dict[str, Any], added: int) -> None:
    hand = {"Hand": {"Type": "AWS::Lambda::Permission", "Properties": props}}
    response = run(template([OTHER], extra=hand), "pre")
    assert len(response["added"]) == added
    report = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    assert report["PermissionsKept"] == 1 - added


def test_declared_permissions_count_in_the_resource_limit() -> None:
    params = {"Accounts": {"Type": "CommaDelimitedList"}}
    accounts = ",".join(f"{100000000000 + i}" for i in range(500))
    response = run(template([{"Ref": "Accounts"}], parameters=params), "pre", {"Accounts": accounts})
    assert response["status"] == "failure"
    assert "AIP150" in response["errorMessage"]


def test_declared_permissions_count_in_the_policy_size_limit() -> None:
    params = {"Accounts": {"Type": "CommaDelimitedList"}}
    accounts = ",".join(f"{100000000000 + i}" for i in range(60))
    response = run(template([{"Ref": "Accounts"}], parameters=params), "pre", {"Accounts": accounts})
    assert response["status"] == "failure"
    assert "AIP151" in response["errorMessage"]


def test_skipped_function_gets_no_declared_permission() -> None:
    tmpl = template([OTHER])
    tmpl["Resources"]["Callee"]["Metadata"]["AutoInvokePermission"]["Skip"] = True
    assert run(tmpl, "pre")["added"] == {}


@pytest.mark.parametrize(
    ("text", "partition", "kind"),
    [
        (OTHER, "aws", "Account"),
        (f"arn:aws-us-gov:iam::{OTHER}:role/x", "aws-us-gov", "Role"),
        (f"arn:aws:iam::{OTHER}:role/a/b/c/name@x", "aws", "Role"),
    ],
)
def test_validate_principal_accepts(text: str, partition: str, kind: str) -> None:
    checked = validate_principal(text, None, partition)
    assert not isinstance(checked, str)
    assert checked.kind == kind and checked.principal == text


def test_organization_conditions_count_in_the_policy_size() -> None:
    from auto_invoke_permission.limits import statement_bytes
    from auto_invoke_permission.model import CalleeForm, Permission, Principal, RoleKey

    principal = Principal(RoleKey.outside("declared"), "*", "Org")
    plain = Permission("Id", CalleeForm("Callee"), principal, (), (), None, False)
    in_org = Permission(
        "Id", CalleeForm("Callee"), principal, (), (), None, False, extra=(("PrincipalOrgID", ORG),)
    )
    assert statement_bytes(in_org) > statement_bytes(plain) + len("aws:PrincipalOrgID") + len(ORG)
