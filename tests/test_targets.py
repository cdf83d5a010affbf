"""What the Resource of a grant points at: the table of behaviour.md section 4.

Every case is the Resource of the caller's one inline grant, plus the resources it needs; the outcome
is the exact permissions added (logical ID -> FunctionName) and the finding codes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ACCOUNT, REGION, added, alias, document, role, run, sam_function, statement, variant

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
SUB_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
WORKER_ARN = {"Fn::GetAtt": ["Worker", "Arn"]}
CALLER_ROLE_ARN = {"Fn::GetAtt": ["CallerRole", "Arn"]}

BASE: dict[str, Any] = {
    "Parameters": {"Unset": {"Type": "String"}, "WorkerName": {"Type": "String"}},
    "Resources": {
        "Worker": sam_function(),
        "Caller": sam_function(),
        "SomeRole": role(),
    },
}
PARAMETER_VALUES = {"WorkerName": "worker-prod"}


NAMED_WORKER = sam_function(FunctionName="worker-fn")
UNQUALIFIED = {"WorkerInvokeFromCallerRole": WORKER_ARN}
LIVE = {"WorkerLiveInvokeFromCallerRole": {"Ref": "WorkerLive"}}

# (Resource of the grant, resources added to BASE, permissions added: logical ID -> FunctionName, codes)
TARGETS: list[Any] = [
    # GetAtt F.Arn
    pytest.param(WORKER_ARN, {}, UNQUALIFIED, set(), id="getatt"),
    # ${F.Arn}
    pytest.param({"Fn::Sub": "${Worker.Arn}"}, {}, UNQUALIFIED, set(), id="sub-arn"),
    # an ARN built with Sub from ${F}
    pytest.param({"Fn::Sub": SUB_ARN + "${Worker}"}, {}, UNQUALIFIED, set(), id="sub-built"),
    # an ARN built with Join from Ref F
    pytest.param(
        {
            "Fn::Join": [
                ":",
                [
                    "arn",
                    {"Ref": "AWS::Partition"},
                    "lambda",
                    {"Ref": "AWS::Region"},
                    ACCOUNT,
                    "function",
                    {"Ref": "Worker"},
                ],
            ]
        },
        {},
        UNQUALIFIED,
        set(),
        id="join-built",
    ),
    # a literal ARN whose name is F's literal FunctionName (same account and region)
    pytest.param(ARN + "worker-fn", {"Worker": NAMED_WORKER}, UNQUALIFIED, set(), id="literal-name"),
    # ... the ARN built with Sub from pseudo parameters and that name
    pytest.param(
        {"Fn::Sub": SUB_ARN + "worker-fn"}, {"Worker": NAMED_WORKER}, UNQUALIFIED, set(), id="sub-name"
    ),
    # symbolically: the same ${AWS::StackName}-Worker on both sides
    pytest.param(
        {"Fn::Sub": SUB_ARN + "${AWS::StackName}-Worker"},
        {"Worker": sam_function(FunctionName={"Fn::Sub": "${AWS::StackName}-Worker"})},
        UNQUALIFIED,
        set(),
        id="symbolic-stack-name",
    ),
    # ... a different symbolic name is not F
    pytest.param(
        {"Fn::Sub": SUB_ARN + "${AWS::StackName}-Other"},
        {"Worker": sam_function(FunctionName={"Fn::Sub": "${AWS::StackName}-Worker"})},
        {},
        {"AIP113"},
        id="symbolic-other-name",
    ),
    # the same parameter on both sides
    pytest.param(
        {"Fn::Sub": SUB_ARN + "${WorkerName}"},
        {"Worker": sam_function(FunctionName={"Ref": "WorkerName"})},
        UNQUALIFIED,
        set(),
        id="same-parameter",
    ),
    # Ref F alone: a name, not an ARN -> permission on F plus the error finding
    pytest.param({"Ref": "Worker"}, {}, UNQUALIFIED, {"AIP101"}, id="ref-name"),
    # the literal name alone
    pytest.param("worker-fn", {"Worker": NAMED_WORKER}, UNQUALIFIED, {"AIP101"}, id="literal-name-alone"),
    # ...:function:NAME:ALIAS -> that alias only, FunctionName Ref of the alias
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}:live"}, {"WorkerLive": alias("live")}, LIVE, set(), id="alias-sub"
    ),
    # ... with a literal name
    pytest.param(
        ARN + "worker-fn:live",
        {"Worker": NAMED_WORKER, "WorkerLive": alias("live")},
        LIVE,
        set(),
        id="alias-literal",
    ),
    # Ref of an AWS::Lambda::Alias (its ARN)
    pytest.param({"Ref": "WorkerLive"}, {"WorkerLive": alias("live")}, LIVE, set(), id="alias-ref"),
    # SAM AutoPublishAlias: <F>Alias<name> with - -> D and _ -> U, through !Ref F.Alias
    pytest.param(
        {"Ref": "Worker.Alias"},
        {"Worker": sam_function(AutoPublishAlias="live-v_1")},
        {"WorkerAliasliveDvU1InvokeFromCallerRole": {"Ref": "WorkerAliasliveDvU1"}},
        set(),
        id="sam-alias-ref-dot-alias",
    ),
    # ... through its qualified ARN
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}:live-v_1"},
        {"Worker": sam_function(AutoPublishAlias="live-v_1")},
        {"WorkerAliasliveDvU1InvokeFromCallerRole": {"Ref": "WorkerAliasliveDvU1"}},
        set(),
        id="sam-alias-arn",
    ),
    # ... through SAM's logical ID
    pytest.param(
        {"Ref": "WorkerAliasliveDvU1"},
        {"Worker": sam_function(AutoPublishAlias="live-v_1")},
        {"WorkerAliasliveDvU1InvokeFromCallerRole": {"Ref": "WorkerAliasliveDvU1"}},
        set(),
        id="sam-alias-logical-id",
    ),
    # NAME:* -> every alias of F in the template, not the unqualified ARN
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}:*"},
        {"WorkerLive": alias("live"), "WorkerBeta": alias("beta")},
        {**LIVE, "WorkerBetaInvokeFromCallerRole": {"Ref": "WorkerBeta"}},
        set(),
        id="colon-star",
    ),
    # ... SAM's AutoPublishAlias counts
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}:*"},
        {"Worker": sam_function(AutoPublishAlias="live")},
        {"WorkerAliasliveInvokeFromCallerRole": {"Ref": "WorkerAliaslive"}},
        set(),
        id="colon-star-sam-alias",
    ),
    # ... no alias in the template: nothing, info finding
    pytest.param({"Fn::Sub": "${Worker.Arn}:*"}, {}, {}, {"AIP124"}, id="colon-star-no-alias"),
    # NAME* (what LambdaInvokePolicy produces) -> unqualified F and every alias
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}*"},
        {"WorkerLive": alias("live")},
        {**UNQUALIFIED, **LIVE},
        set(),
        id="star",
    ),
    # ... with a literal name
    pytest.param(
        ARN + "worker-fn*",
        {"Worker": NAMED_WORKER, "WorkerLive": alias("live")},
        {**UNQUALIFIED, **LIVE},
        set(),
        id="name-star-literal",
    ),
    # the CDK pair [ARN, ARN:*]
    pytest.param(
        [WORKER_ARN, {"Fn::Sub": "${Worker.Arn}:*"}],
        {"WorkerLive": alias("live")},
        {**UNQUALIFIED, **LIVE},
        set(),
        id="arn-and-aliases",
    ),
    # * : wildcard finding, nothing added
    pytest.param("*", {}, {}, {"AIP110"}, id="wildcard"),
    # function:* : the same
    pytest.param(ARN + "*", {}, {}, {"AIP110"}, id="function-star"),
    # a name prefix the template cannot enumerate
    pytest.param(ARN + "work*", {"Worker": NAMED_WORKER}, {}, {"AIP110"}, id="name-prefix"),
    # another account: no permission
    pytest.param(
        "arn:aws:lambda:us-east-1:210987654321:function:worker-fn", {}, {}, {"AIP111"}, id="other-account"
    ),
    # another region
    pytest.param(
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:worker-fn", {}, {}, {"AIP112"}, id="other-region"
    ),
    # another partition
    pytest.param(
        f"arn:aws-cn:lambda:{REGION}:{ACCOUNT}:function:worker-fn", {}, {}, {"AIP112"}, id="other-partition"
    ),
    # same account, not in this template
    pytest.param(ARN + "elsewhere", {"Worker": NAMED_WORKER}, {}, {"AIP113"}, id="not-in-template"),
    # a version qualifier
    pytest.param({"Fn::Sub": "${Worker.Arn}:1"}, {}, {}, {"AIP122"}, id="version"),
    pytest.param({"Fn::Sub": "${Worker.Arn}:$LATEST"}, {}, {}, {"AIP122"}, id="latest"),
    # Ref of an AWS::Lambda::Version
    pytest.param(
        {"Ref": "WorkerVersion"},
        {
            "WorkerVersion": {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Worker"}},
            }
        },
        {},
        {"AIP122"},
        id="version-ref",
    ),
    # an alias the template does not define
    pytest.param(
        {"Fn::Sub": "${Worker.Arn}:prod"}, {"WorkerLive": alias("live")}, {}, {"AIP123"}, id="missing-alias"
    ),
    # a parameter without a value
    pytest.param({"Fn::Sub": SUB_ARN + "${Unset}"}, {}, {}, {"AIP115"}, id="parameter-without-value"),
    # Fn::ImportValue
    pytest.param({"Fn::ImportValue": "worker-arn"}, {}, {}, {"AIP114"}, id="import-value"),
    # a role ARN as the Resource
    pytest.param({"Fn::GetAtt": ["SomeRole", "Arn"]}, {}, {}, {"AIP102"}, id="role-arn"),
    pytest.param({"Ref": "SomeRole"}, {}, {}, {"AIP102"}, id="role-ref"),
    # not a Lambda ARN at all: not a target, no finding
    pytest.param("arn:aws:s3:::bucket/*", {}, {}, set(), id="s3"),
]


@pytest.mark.parametrize(("resource", "resources", "expected", "expected_codes"), TARGETS)
def test_target(
    resource: Any, resources: dict[str, Any], expected: dict[str, Any], expected_codes: set[str]
) -> None:
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(resource))]), **resources)
    result = run(template, parameter_values=PARAMETER_VALUES)
    out = result.fragment["Resources"]
    assert {p.logical_id: out[p.logical_id]["Properties"]["FunctionName"] for p in result.added} == expected
    assert all(out[p.logical_id]["Properties"]["Principal"] == CALLER_ROLE_ARN for p in result.added)
    assert {f.code for f in result.findings} == expected_codes


# (Resource, permissions added with Wildcards: expand): one per matching function of the template
EXPANDED: list[Any] = [
    # * matches every function, the caller included
    pytest.param("*", {"CallerInvokeFromCallerRole", "WorkerInvokeFromCallerRole"}, id="wildcard"),
    pytest.param(ARN + "*", {"CallerInvokeFromCallerRole", "WorkerInvokeFromCallerRole"}, id="function-star"),
    # a prefix matches the functions whose literal name starts with it
    pytest.param(ARN + "work*", {"WorkerInvokeFromCallerRole"}, id="name-prefix"),
]


@pytest.mark.parametrize(("resource", "expected"), EXPANDED)
def test_wildcards_expand(resource: str, expected: set[str]) -> None:
    template = variant(
        BASE, Worker=NAMED_WORKER, Caller=sam_function(Policies=[document(statement(resource))])
    )
    assert {p.logical_id for p in run(template).added} == set()
    assert {p.logical_id for p in run(template, Wildcards="expand").added} == expected


def finding(resource: Any, **resources: Any) -> Any:
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(resource))]), **resources)
    (only,) = run(template).findings
    return only


def test_other_account_names_the_account_and_the_statement_to_add() -> None:
    found = finding("arn:aws:lambda:us-east-1:210987654321:function:worker-fn")
    assert found.code == "AIP111"
    assert found.path == "Caller.Properties.Policies[0].Statement[0].Resource"
    assert found.message == (
        "arn:aws:lambda:us-east-1:210987654321:function:worker-fn is in account 210987654321; the stack is "
        "in 123456789012. Its owner must add: aws lambda add-permission --function-name "
        "arn:aws:lambda:us-east-1:210987654321:function:worker-fn --statement-id InvokeCallerRole "
        "--action lambda:InvokeFunction --principal <ARN of CallerRole>; or, in the callee's template, "
        "on the function: Metadata: {AutoInvokePermission: {AllowCallers: ['<ARN of CallerRole>']}}"
    )


def test_ref_alone_says_how_to_fix() -> None:
    found = finding({"Ref": "Worker"})
    assert (found.code, found.severity.value) == ("AIP101", "error")
    assert "GetAtt" in found.spec.fix


def test_sam_generated_role_arn_as_resource() -> None:
    # in raw SAM order <Caller>Role does not exist yet; the message must still name what it is
    found = finding(CALLER_ROLE_ARN)
    assert found.code == "AIP102"
    assert "None" not in found.message


def test_wildcards_expand_matching_nothing_is_still_a_finding() -> None:
    # the grant produced no permission, so it must produce a finding (behaviour.md section 6)
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(ARN + "legacy-*"))]))
    result = run(template, Wildcards="expand")
    assert result.added == []
    assert [f.path for f in result.findings] == ["Caller.Properties.Policies[0].Statement[0].Resource"]


def test_a_function_and_one_named_like_its_name_star_stay_apart() -> None:
    # hostile logical IDs: "Worker*" is a function of its own, not "Worker and its aliases"
    template = {
        "Resources": {
            "Worker": sam_function(AutoPublishAlias="live"),
            "Worker*": sam_function(),
            "First": sam_function(Policies=[document(statement({"Fn::GetAtt": ["Worker*", "Arn"]}))]),
            "Second": sam_function(Policies=[{"LambdaInvokePolicy": {"FunctionName": {"Ref": "Worker"}}}]),
        }
    }
    assert added(run(template)) == {
        ("Worker*", "FirstRole", None),
        ("Worker", "SecondRole", None),
        ("Worker:live", "SecondRole", None),
    }
