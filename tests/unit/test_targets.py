"""What the Resource of a grant points at: the table of docs/design/behaviour.md section 4.

Every case is the Resource of the caller's one inline grant, plus the resources it needs; the outcome
is the exact permissions added (logical ID -> FunctionName) and the finding codes."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.names import STACK_NAME, SUFFIX, Opaque, certain_match, possible_suffix_match
from conftest import (
    ACCOUNT,
    REGION,
    added,
    alias,
    codes,
    document,
    role,
    run,
    sam_function,
    statement,
    variant,
)
from snippets import CALLER_ROLE_ARN, WORKER_ARN

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
SUB_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"

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
    # the grant produced no permission, so it must produce a finding (docs/design/behaviour.md section 6)
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


# ---------------------------------------------------------------- the name matcher (names.py)
STACK = Opaque().text((STACK_NAME,))  # the first token an Opaque meets gets the first character

# (IAM glob, name as the matcher sees it, certain match): `?` is one known character; an unknown
# part (a token, the random suffix) matches only itself or a `*`
CERTAIN: list[Any] = [
    pytest.param("orders-*", "orders-worker", True, id="prefix"),
    pytest.param("orders-*", "billing-worker", False, id="prefix-other"),
    pytest.param("*worker*", "orders-worker-v2", True, id="infix"),
    pytest.param("*worker*", "orders-work", False, id="infix-other"),
    pytest.param("?", "a", True, id="question-known"),
    pytest.param("?", "ab", False, id="question-two"),
    pytest.param("?", STACK, False, id="question-unknown"),
    pytest.param("w?rker", "worker", True, id="question-inside"),
    pytest.param("*", STACK, True, id="star-unknown"),
    pytest.param(STACK + "-Worker", STACK + "-Worker", True, id="same-token"),
    pytest.param("prod-Worker", STACK + "-Worker", False, id="literal-for-token"),
    pytest.param(STACK + "-Worker*", STACK + "-Worker-" + SUFFIX, True, id="generated-prefix"),
    pytest.param("*Worker*", STACK + "-Worker-" + SUFFIX, True, id="generated-infix"),
    pytest.param(STACK + "-Worker-?*", STACK + "-Worker-" + SUFFIX, False, id="generated-question"),
    pytest.param(STACK + "-Work", STACK + "-Worker-" + SUFFIX, False, id="generated-no-star"),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), CERTAIN)
def test_certain_match(pattern: str, text: str, expected: bool) -> None:
    assert certain_match(pattern, text) is expected


# (IAM glob, generated name without its suffix, whether some random suffix makes it match)
POSSIBLE: list[Any] = [
    pytest.param(STACK + "-Worker-A*", STACK + "-Worker-", True, id="suffix-prefix"),
    pytest.param(STACK + "-Worker-*x", STACK + "-Worker-", True, id="suffix-end"),
    pytest.param(STACK + "-Worker-", STACK + "-Worker-", False, id="no-room-for-suffix"),
    pytest.param(STACK + "-Worker-*-x", STACK + "-Worker-", False, id="suffix-has-no-hyphen"),
    pytest.param(STACK + "-Other*", STACK + "-Worker-", False, id="other-function"),
    # inside a `*`: the suffix does not spell names
    pytest.param("*Parser*", STACK + "-Worker-", False, id="infix-not-in-suffix"),
    pytest.param("orders-*", STACK + "-Worker-", False, id="literal-for-stack-name"),
]


@pytest.mark.parametrize(("pattern", "prefix", "expected"), POSSIBLE)
def test_possible_suffix_match(pattern: str, prefix: str, expected: bool) -> None:
    assert possible_suffix_match(pattern, prefix) is expected


GENERATED = {"Copy": sam_function(AutoPublishAlias="live"), "Parser": sam_function()}
LONG = "A" * 60  # stack name + logical ID + suffix over 64 characters: CloudFormation truncates

# (Resource, resources replacing BASE's functions, report-mode message tail, expand: permissions)
PATTERNS: list[Any] = [
    # a prefix with the stack name, as CloudFormation generates names: certain
    pytest.param(
        SUB_ARN + "${AWS::StackName}-Copy*",
        GENERATED,
        "of this template: Copy",
        {"CopyInvokeFromCallerRole"},
        id="generated-prefix",
    ),
    # an infix pattern
    pytest.param(
        SUB_ARN + "*Parser*",
        GENERATED,
        "of this template: Parser",
        {"ParserInvokeFromCallerRole"},
        id="generated-infix",
    ),
    # the random suffix decides: listed, never expanded
    pytest.param(
        SUB_ARN + "${AWS::StackName}-Copy-X*",
        GENERATED,
        "of this template: Copy (if the random suffix of its generated name fits)",
        set(),
        id="generated-suffix-decides",
    ),
    # a literal where the stack name goes: the stack name is unknown
    pytest.param(SUB_ARN + "prod-Copy-*", GENERATED, "none of this template", set(), id="literal-stack-name"),
    # a prefix matching no name of the template is a wildcard, not a function outside it
    pytest.param(SUB_ARN + "orders-*", GENERATED, "none of this template", set(), id="prefix-no-match"),
    # a literal FunctionName matched by a prefix
    pytest.param(
        SUB_ARN + "work*",
        {"Worker": NAMED_WORKER},
        "of this template: Worker",
        {"WorkerInvokeFromCallerRole"},
        id="literal-prefix",
    ),
    # '?': one known character; no name of the template is known to have one
    pytest.param(SUB_ARN + "?", GENERATED, "none of this template", set(), id="question"),
    # ... it matches a known one
    pytest.param(
        SUB_ARN + "worker-f?",
        {"Worker": NAMED_WORKER},
        "of this template: Worker",
        {"WorkerInvokeFromCallerRole"},
        id="question-known",
    ),
    # qualified: only the matching aliases, never an unqualified ARN
    pytest.param(
        SUB_ARN + "*:live",
        GENERATED,
        "of this template: Copy:live",
        {"CopyAliasliveInvokeFromCallerRole"},
        id="qualified",
    ),
    # ... a qualifier glob
    pytest.param(
        SUB_ARN + "*:l?ve",
        GENERATED,
        "of this template: Copy:live",
        {"CopyAliasliveInvokeFromCallerRole"},
        id="qualified-glob",
    ),
    # ... an alias no function has
    pytest.param(SUB_ARN + "*:blue", GENERATED, "none of this template", set(), id="qualified-no-alias"),
    # a long logical ID: the untruncated shape is matched (README, the truncation caveat)
    pytest.param(
        SUB_ARN + "${AWS::StackName}-" + LONG + "*",
        {LONG: sam_function()},
        f"of this template: {LONG}",
        {f"{LONG}InvokeFromCallerRole"},
        id="truncation-not-modelled",
    ),
]


@pytest.mark.parametrize(("resource", "functions", "message_tail", "expanded"), PATTERNS)
def test_pattern(resource: str, functions: dict[str, Any], message_tail: str, expanded: set[str]) -> None:
    template: dict[str, Any] = {
        "Resources": {
            **functions,
            "Caller": sam_function(Policies=[document(statement({"Fn::Sub": resource}))]),
        }
    }
    reported = run(template)
    assert reported.added == []
    (found,) = reported.findings
    assert found.code == "AIP110"
    assert found.message.endswith(message_tail), found.message
    expand = run(template, Wildcards="expand")
    assert {p.logical_id for p in expand.added} == expanded
    # a finding stays whenever some function it can match gets no permission
    assert {f.code for f in expand.findings} == (set() if expanded else {"AIP110"})


def test_name_star_of_a_whole_name_is_outside_the_template() -> None:
    # LambdaInvokePolicy {FunctionName: legacy}: the function `legacy`, not defined here
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(ARN + "legacy*"))]))
    assert codes(run(template)) == {"AIP113"}


def test_nested_stack_output_in_a_built_arn() -> None:
    # the function name from a nested stack's output: AIP117, not "not in this template"
    resource = {"Fn::Sub": SUB_ARN + "${Workers.Outputs.WorkerName}"}
    stack = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://x"}}
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(resource))]), Workers=stack)
    result = run(template)
    assert (codes(result), result.added) == ({"AIP117"}, [])
    assert not result.blocking


# ------------------------------------------- keys under Resources that are not resources (AIP142)
FOR_EACH = ["Name", ["A", "B"], {"Topic${Name}": {"Type": "AWS::SNS::Topic"}}]
INCLUDE = {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/x.yaml"}}
GRANTED = {"Worker": sam_function(), "Caller": sam_function(Policies=[document(statement(WORKER_ARN))])}


@pytest.mark.parametrize(
    ("extra", "resources_only"),
    [
        pytest.param({"Fn::ForEach::Topics": FOR_EACH}, False, id="foreach"),
        pytest.param({"Fn::Transform": INCLUDE}, False, id="include"),
        pytest.param({"Fn::ForEach::Topics": FOR_EACH, "Fn::Transform": INCLUDE}, False, id="both"),
        # the macro's own Fn::Transform under Resources: the fragment is the resources mapping
        pytest.param({"Fn::ForEach::Topics": FOR_EACH}, True, id="foreach-resources-only"),
    ],
)
def test_keys_not_analyzed_are_kept(extra: dict[str, Any], resources_only: bool) -> None:
    resources = {**extra, **GRANTED}
    fragment: dict[str, Any] = resources if resources_only else {"Resources": resources}
    result = run(fragment)
    assert added(result) == {("Worker", "CallerRole", None)}
    assert [f.code for f in result.findings] == ["AIP142"]
    out = result.fragment if resources_only else result.fragment["Resources"]
    assert {k: out[k] for k in extra} == extra
