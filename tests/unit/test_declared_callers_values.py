"""AllowCallers as a whole value (`!Ref` of a list parameter, `Fn::Split`, `Fn::If`), callers that are
roles of this template, and `FunctionUrl` items, in both transform orders.

A permission built from a parameter's value holds only while the parameter keeps that value: it
carries a generated `Fn::Equals` condition on the parameter, so a later deploy with another value
never keeps a stale caller (docs/guide/declared-callers.md)."""

from __future__ import annotations

from typing import Any

import pytest
from test_declared_callers import ORDERS, OTHER, ROLE, run, template

THIRD = "111122223333"
ACCOUNTS = {"Accounts": {"Type": "CommaDelimitedList"}}
STAGE = {"Stage": {"Type": "String"}}
IS_PROD = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}


def principals(response: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(Principal, the permission's condition as CloudFormation reads it) of each added permission."""
    conditions = response["fragment"].get("Conditions", {})
    out = []
    for resource in response["added"].values():
        name = resource.get("Condition")
        out.append((resource["Properties"]["Principal"], _expand(conditions, name)))
    return sorted(out, key=repr)


def _expand(conditions: dict[str, Any], name: str | None) -> Any:
    """A Condition with every `{Condition: X}` replaced by X's definition, as text."""
    if name is None:
        return None

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Condition"}:
                return walk(conditions[node["Condition"]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    return repr(walk(conditions[name]))


def accounts_are(value: str) -> str:
    return repr({"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Accounts"}]}, value]})


# case -> (AllowCallers, Parameters, Conditions, parameter values, [(Principal, condition)])
WHOLE: dict[str, tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any], list[tuple[str, Any]]]] = {
    "a list parameter: one permission per item, while the list keeps its value": (
        {"Ref": "Accounts"},
        ACCOUNTS,
        {},
        {"Accounts": f"{OTHER}, {THIRD}"},
        [(OTHER, accounts_are(f"{OTHER},{THIRD}")), (THIRD, accounts_are(f"{OTHER},{THIRD}"))],
    ),
    "a List<String> parameter": (
        {"Ref": "Accounts"},
        {"Accounts": {"Type": "List<String>"}},
        {},
        {"Accounts": OTHER},
        [(OTHER, repr({"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Accounts"}]}, OTHER]}))],
    ),
    "an empty list parameter is no caller": ({"Ref": "Accounts"}, ACCOUNTS, {}, {"Accounts": ""}, []),
    "Fn::Split of a literal": (
        {"Fn::Split": [",", f"{OTHER},{THIRD}"]},
        {},
        {},
        {},
        [(OTHER, None), (THIRD, None)],
    ),
    "Fn::Split of an empty literal is no caller": ({"Fn::Split": [",", ""]}, {}, {}, {}, []),
    "Fn::Split of a String parameter": (
        {"Fn::Split": [";", {"Ref": "Stage"}]},
        STAGE,
        {},
        {"Stage": f"{OTHER};{THIRD}"},
        [
            (OTHER, repr({"Fn::Equals": [{"Ref": "Stage"}, f"{OTHER};{THIRD}"]})),
            (THIRD, repr({"Fn::Equals": [{"Ref": "Stage"}, f"{OTHER};{THIRD}"]})),
        ],
    ),
    "Fn::If between two lists: each under its branch": (
        {"Fn::If": ["IsProd", [OTHER], [THIRD]]},
        STAGE,
        IS_PROD,
        {},  # undecided: both branches (deciding is the conditions' concern, not this table's)
        [
            (OTHER, repr(IS_PROD["IsProd"])),
            (THIRD, repr({"Fn::Not": [IS_PROD["IsProd"]]})),
        ],
    ),
    "Fn::If with AWS::NoValue": (
        {"Fn::If": ["IsProd", [OTHER], {"Ref": "AWS::NoValue"}]},
        STAGE,
        IS_PROD,
        {},  # undecided: both branches (deciding is the conditions' concern, not this table's)
        [(OTHER, repr(IS_PROD["IsProd"]))],
    ),
    "a String parameter item: while the parameter keeps its value": (
        [{"Ref": "Stage"}],
        STAGE,
        {},
        {"Stage": OTHER},
        [(OTHER, repr({"Fn::Equals": [{"Ref": "Stage"}, OTHER]}))],
    ),
    "a list parameter item": (
        [{"Ref": "Accounts"}, THIRD],
        ACCOUNTS,
        {},
        {"Accounts": OTHER},
        [(OTHER, accounts_are(OTHER)), (THIRD, None)],
    ),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(WHOLE))
def test_whole_value_and_parameter_conditions(name: str, order: str) -> None:
    allow, parameters, conditions, values, expected = WHOLE[name]
    tmpl = template(allow, parameters=parameters, conditions=conditions)
    response = run(tmpl, order, values)
    assert response["status"] == "success", response.get("errorMessage")
    assert principals(response) == sorted(expected, key=repr)
    again = run(response["fragment"], "cfn", values)  # the output through the macro again: all kept
    assert again["status"] == "success" and again["added"] == {}


def test_another_list_value_never_keeps_a_stale_caller() -> None:
    """Expanded with one value, the permissions' condition is false under any other value."""
    response = run(template({"Ref": "Accounts"}, parameters=ACCOUNTS), "pre", {"Accounts": OTHER})
    (resource,) = response["added"].values()
    definition = response["fragment"]["Conditions"][resource["Condition"]]
    assert definition == {"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Accounts"}]}, OTHER]}


# AllowCallers -> the start of the failure message
NOT_A_LIST = (
    "Callee.Metadata.AutoInvokePermission.AllowCallers must be a list, a !Ref of a CommaDelimitedList"
)
INVALID: dict[str, tuple[Any, str]] = {
    "a String parameter as the whole value": ({"Ref": "Stage"}, f"{NOT_A_LIST}"),
    "a mapping": ({"Principal": OTHER}, NOT_A_LIST),
    "a star in the list parameter": (
        {"Ref": "Accounts"},
        "Callee.Metadata.AutoInvokePermission.AllowCallers (item 2): '*' would let every AWS account",
    ),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(INVALID))
def test_whole_value_that_is_not_a_list_fails(name: str, order: str) -> None:
    allow, message = INVALID[name]
    tmpl = template(allow, parameters={**ACCOUNTS, **STAGE})
    response = run(tmpl, order, {"Accounts": f"{OTHER},*", "Stage": "x"})
    assert response["status"] == "failure"
    assert message in response["errorMessage"]


@pytest.mark.parametrize("order", ORDERS)
def test_list_parameter_without_a_value_is_one_finding(order: str) -> None:
    response = run(template({"Ref": "Accounts"}, parameters=ACCOUNTS), order)
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [(i["code"], i["path"]) for i in items] == [
        ("AIP171", "Callee.Metadata.AutoInvokePermission.AllowCallers")
    ]
    assert response["added"] == {}


CALLER_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
}
CALLER = {"Type": "AWS::Serverless::Function", "Properties": {"Role": {"Fn::GetAtt": ["CallerRole", "Arn"]}}}
OWN_ROLE: dict[str, Any] = {
    "!GetAtt": {"Fn::GetAtt": ["CallerRole", "Arn"]},
    "!GetAtt, dotted": {"Fn::GetAtt": "CallerRole.Arn"},
    "!Sub": {"Fn::Sub": "${CallerRole.Arn}"},
    "!GetAtt in an organization": None,  # built below
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(OWN_ROLE))
def test_role_of_this_template_by_getatt_is_info(name: str, order: str) -> None:
    item = OWN_ROLE[name]
    if item is None:
        item = {"Principal": {"Fn::GetAtt": ["CallerRole", "Arn"]}, "OrganizationId": "o-a1b2c3d4e5"}
    response = run(template([item, OTHER], extra={"CallerRole": CALLER_ROLE, "Caller": CALLER}), order)
    assert response["status"] == "success", response.get("errorMessage")
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [(i["code"], i["path"]) for i in items] == [
        ("AIP170", "Callee.Metadata.AutoInvokePermission.AllowCallers[0]")
    ]
    assert [r["Properties"]["Principal"] for r in response["added"].values()] == [OTHER]


def test_role_of_the_template_no_function_runs_as_stays_unknown() -> None:
    response = run(
        template([{"Fn::GetAtt": ["CallerRole", "Arn"]}], extra={"CallerRole": CALLER_ROLE}), "pre"
    )
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [i["code"] for i in items] == ["AIP171"]


def url_template(item: Any, config: Any = None, **properties: Any) -> dict[str, Any]:
    tmpl = template([item])
    props = tmpl["Resources"]["Callee"]["Properties"]
    if config is None:
        del props["FunctionUrlConfig"]
    else:
        props["FunctionUrlConfig"] = config
    props.update(properties)
    return tmpl


URL_ITEM = {"Principal": ROLE, "FunctionUrl": True}
# case -> (template, [(Action, qualifier)]) of the added permissions
URL_FORMS: dict[str, tuple[dict[str, Any], list[tuple[str, str | None]]]] = {
    "the URL on the AutoPublishAlias: the permissions on the alias": (
        url_template(URL_ITEM, {"AuthType": "AWS_IAM"}),
        [("lambda:InvokeFunction", "live"), ("lambda:InvokeFunctionUrl", "live")],
    ),
    "the URL on the function (no alias)": (
        url_template(URL_ITEM, {"AuthType": "AWS_IAM"}, AutoPublishAlias=None),
        [("lambda:InvokeFunction", None), ("lambda:InvokeFunctionUrl", None)],
    ),
    "Qualifiers '*': only the alias has the URL": (
        url_template({**URL_ITEM, "Qualifiers": "*"}, {"AuthType": "AWS_IAM"}),
        [("lambda:InvokeFunction", "live"), ("lambda:InvokeFunctionUrl", "live")],
    ),
    "Qualifiers naming the alias with the URL": (
        url_template({**URL_ITEM, "Qualifiers": ["live"]}, {"AuthType": "AWS_IAM"}),
        [("lambda:InvokeFunction", "live"), ("lambda:InvokeFunctionUrl", "live")],
    ),
}


def _qualifier(function_name: Any) -> str | None:
    if "Fn::GetAtt" in function_name:
        return None
    ref = function_name["Ref"]
    return "live" if ref in ("CalleeAliaslive", "Callee.Alias") else ref


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(URL_FORMS))
def test_function_url_permissions_go_on_the_form_with_the_url(name: str, order: str) -> None:
    tmpl, expected = URL_FORMS[name]
    if tmpl["Resources"]["Callee"]["Properties"].get("AutoPublishAlias", "") is None:
        del tmpl["Resources"]["Callee"]["Properties"]["AutoPublishAlias"]
    response = run(tmpl, order)
    assert response["status"] == "success", response.get("errorMessage")
    got = sorted(
        (r["Properties"]["Action"], _qualifier(r["Properties"]["FunctionName"]))
        for r in response["added"].values()
    )
    assert got == expected


UNQUALIFIED_URL = {
    "Type": "AWS::Lambda::Url",
    "Properties": {"AuthType": "AWS_IAM", "TargetFunctionArn": {"Fn::GetAtt": ["Callee", "Arn"]}},
}
URL_ON_FUNCTION = url_template({**URL_ITEM, "Qualifiers": ["live"]})
URL_ON_FUNCTION["Resources"]["TheUrl"] = UNQUALIFIED_URL
URL_FAILURES: dict[str, tuple[dict[str, Any], str]] = {
    "Qualifiers naming the alias, the URL on the function": (
        URL_ON_FUNCTION,
        "the Qualifiers name no form with the function URL (it is on Callee)",
    ),
    "no function URL": (url_template(URL_ITEM), "no form of Callee has a function URL with AuthType AWS_IAM"),
    "a public URL": (
        url_template(URL_ITEM, {"AuthType": "NONE"}),
        "no form of Callee has a function URL with AuthType AWS_IAM",
    ),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", sorted(URL_FAILURES))
def test_function_url_item_without_an_iam_url_fails_naming_it(name: str, order: str) -> None:
    tmpl, message = URL_FAILURES[name]
    response = run(tmpl, order)
    assert response["status"] == "failure"
    assert (
        f"Callee.Metadata.AutoInvokePermission.AllowCallers[0]: FunctionUrl is true, and {message}"
        in (response["errorMessage"])
    )


def test_generated_conditions_pass_cfn_lint() -> None:
    """The generated Fn::Equals over Fn::Join of a list parameter is a valid condition, combined
    with the callee's own."""
    from corpus_support import lint_errors

    accounts = {"Accounts": {"Type": "CommaDelimitedList", "Default": OTHER}}
    callee_condition = {"HasCallee": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}
    tmpl = template({"Ref": "Accounts"}, parameters=accounts, conditions=callee_condition)
    tmpl["Resources"]["Callee"]["Condition"] = "HasCallee"
    tmpl["Resources"]["Callee"]["Properties"]["CodeUri"] = "s3://bucket/x.zip"
    response = run(tmpl, "post", {"Accounts": f"{OTHER},{THIRD}"})
    assert len(response["added"]) == 2
    assert lint_errors(response["fragment"]) == set()
