"""The one table of finding codes: its shape, and one minimal template per code that yields it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission import core, findings
from auto_invoke_permission.findings import CODES, Finding, FindingCode, Severity, is_finding_code
from auto_invoke_permission.model import TransformContext, TransformFailure
from auto_invoke_permission.options import Mode, Options, resolve_options
from conftest import ACCOUNT, REGION, caller, document, role, sam_function, statement, variant
from snippets import WORKER_ARN

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
BASE: dict[str, Any] = {
    "Parameters": {"Unset": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": ["a", "a"]}},
    "Resources": {"Worker": sam_function(), "Caller": sam_function()},
}
LIVE_ALIAS = {
    "Type": "AWS::Lambda::Alias",
    "Properties": {"FunctionName": {"Ref": "Worker"}, "FunctionVersion": "1", "Name": "live"},
}


def to(resource: Any) -> dict[str, Any]:
    return caller(statement(resource))


URL_WORKER = sam_function(FunctionUrlConfig={"AuthType": "AWS_IAM"})
WORKER_URL = {"Fn::GetAtt": ["WorkerUrl", "FunctionUrl"]}  # the URL SAM generates for Worker


# code -> (resources replacing BASE's, or a whole fragment under "fragment"; extra options)
PRODUCERS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "AIP101": (to({"Ref": "Worker"}), {}),
    "AIP102": (
        {**to({"Fn::GetAtt": ["OtherRole", "Arn"]}), "OtherRole": role()},
        {},
    ),
    "AIP103": (caller(statement(WORKER_ARN, effect="Permit")), {}),
    "AIP104": (to("abc"), {}),
    "AIP110": (to("*"), {}),
    "AIP111": (to("arn:aws:lambda:us-east-1:210987654321:function:worker"), {}),
    "AIP112": (to(f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:worker"), {}),
    "AIP113": (to(ARN + "elsewhere"), {}),
    "AIP114": (to({"Fn::ImportValue": "worker-arn"}), {}),
    "AIP115": (to({"Fn::Sub": ARN + "${Unset}"}), {}),
    "AIP116": (to({"Fn::Frobnicate": "Worker"}), {}),
    "AIP117": (
        {
            **to({"Fn::GetAtt": ["Workers", "Outputs.WorkerArn"]}),
            "Workers": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://x"}},
        },
        {},
    ),
    "AIP118": (
        {
            "fragment": {
                "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
                "Resources": {"Worker": {**sam_function(), "Condition": "Never"}, **to(WORKER_ARN)},
            }
        },
        {},
    ),
    "AIP119": (
        {
            "fragment": {
                "Parameters": {"Stage": {"Type": "String", "AllowedValues": ["dev", "prod"]}},
                "Resources": {"Worker": sam_function(), **to(WORKER_ARN)},
            }
        },
        {"parameter_values": {"Stage": "test"}},
    ),
    "AIP120": (caller(statement(WORKER_ARN, Condition={"Bool": {"aws:SecureTransport": "true"}})), {}),
    "AIP121": (caller({"Effect": "Allow", "Action": "lambda:InvokeFunction", "NotResource": WORKER_ARN}), {}),
    "AIP122": (to({"Fn::Sub": "${Worker.Arn}:3"}), {}),
    "AIP123": (to({"Fn::Sub": "${Worker.Arn}:missing"}), {}),
    "AIP124": (to({"Fn::Sub": "${Worker.Arn}:*"}), {}),
    "AIP125": (caller(statement(WORKER_ARN), statement(WORKER_ARN, effect="Deny")), {}),
    "AIP126": (
        {
            **to(WORKER_ARN),
            "WorkerPolicy": {
                "Type": "AWS::Lambda::ResourcePolicy",
                "Properties": {"ResourceArn": WORKER_ARN, "ResourcePolicy": {"Version": "2012-10-17"}},
            },
        },
        {},
    ),
    # Fn::Transform under Resources: a permission that needs a combined condition cannot get one
    "AIP127": (
        {
            "fragment": {
                "Worker": {**sam_function(), "Condition": "IsProd"},
                "Caller": {
                    **sam_function(Policies=[document(statement(WORKER_ARN))]),
                    "Condition": "HasCaller",
                },
            }
        },
        {},
    ),
    "AIP128": (
        {
            "fragment": {
                "Parameters": {"Names": {"Type": "CommaDelimitedList"}},
                "Resources": {
                    "Worker": sam_function(FunctionName="worker"),
                    **to({"Fn::Sub": [ARN + "${N}", {"N": {"Fn::Select": [0, {"Ref": "Names"}]}}]}),
                },
            }
        },
        {"parameter_values": {"Names": "worker"}},
    ),
    "AIP130": ({"Caller": sam_function(Environment={"Variables": {"WORKER": {"Ref": "Worker"}}})}, {}),
    "AIP131": (
        {
            **caller(statement(WORKER_ARN), Environment={"Variables": {"WORKER": {"Ref": "Live"}}}),
            "Live": LIVE_ALIAS,
        },
        {},
    ),
    "AIP132": (
        {
            **to(WORKER_ARN),
            "ServicePermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": WORKER_ARN,
                    "Principal": "lambda.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": ["Caller", "Arn"]},
                },
            },
        },
        {},
    ),
    # the caller's permissions boundary (a template managed policy) allows invoking nothing
    "AIP133": (
        {
            **caller(statement(WORKER_ARN), PermissionsBoundary={"Ref": "Boundary"}),
            "Boundary": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": document(statement("*", "s3:GetObject"))},
            },
        },
        {},
    ),
    # a hand-written permission for the caller's role with SourceAccount: never matches a direct call
    "AIP134": (
        {
            **to(WORKER_ARN),
            "ManualPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": WORKER_ARN,
                    "Principal": {"Fn::GetAtt": ["CallerRole", "Arn"]},
                    "SourceAccount": {"Ref": "AWS::AccountId"},
                },
            },
        },
        {},
    ),
    "AIP140": ({"Caller": {**sam_function(), "Metadata": {"AutoInvokePermission": {"Skip": True}}}}, {}),
    "AIP141": ({}, {"minimum_mode": Mode.ENFORCE, "Mode": "inject"}),
    # a key under Resources that only AWS::LanguageExtensions expands
    "AIP142": ({"Fn::ForEach::Topics": ["Name", ["A"], {"Topic${Name}": {"Type": "AWS::SNS::Topic"}}]}, {}),
    "AIP143": ({}, {"never_ignore": frozenset({"AIP110"}), "Ignore": ["AIP110"]}),
    # 498 topics + 2 functions + 1 permission
    "AIP150": ({**to(WORKER_ARN), **{f"Topic{i}": {"Type": "AWS::SNS::Topic"} for i in range(498)}}, {}),
    # a declared caller that is the role a caller of this template runs as (named by its RoleName)
    "AIP170": (
        {
            "Worker": {
                **sam_function(),
                "Metadata": {
                    "AutoInvokePermission": {"AllowCallers": [f"arn:aws:iam::{ACCOUNT}:role/caller-role"]}
                },
            },
            **caller(statement(WORKER_ARN), Role={"Fn::GetAtt": ["CallerRole", "Arn"]}),
            "CallerRole": role(RoleName="caller-role"),
        },
        {},
    ),
    "AIP171": (
        {
            "Worker": {
                **sam_function(),
                "Metadata": {"AutoInvokePermission": {"AllowCallers": [{"Ref": "Unset"}]}},
            }
        },
        {},
    ),
    # 60 callers, each with its own role, on one callee: over 20 KB of resource policy
    "AIP151": (
        {f"Caller{i}": sam_function(Policies=[document(statement(WORKER_ARN))]) for i in range(60)},
        {},
    ),
    "AIP160": (
        {**caller(statement(WORKER_ARN, "lambda:InvokeFunctionUrl")), "Worker": URL_WORKER},
        {},
    ),
    "AIP161": (
        {
            "UrlOnly": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunctionUrl",
                    "FunctionName": WORKER_ARN,
                    "Principal": {"Fn::GetAtt": ["CallerRole", "Arn"]},
                    "FunctionUrlAuthType": "AWS_IAM",
                },
            }
        },
        {},
    ),
    "AIP162": (
        {**to(WORKER_ARN), "Worker": sam_function(FunctionUrlConfig={"AuthType": "NONE"})},
        {},
    ),
    "AIP163": (
        {
            "Caller": sam_function(Environment={"Variables": {"URL": WORKER_URL}}),
            "Worker": URL_WORKER,
        },
        {},
    ),
    "AIP164": (  # SAM puts the URL on the AutoPublishAlias; the grant names the unqualified ARN
        {
            **caller(statement(WORKER_ARN, ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"])),
            "Worker": sam_function(AutoPublishAlias="live", FunctionUrlConfig={"AuthType": "AWS_IAM"}),
        },
        {},
    ),
    "AIP165": (
        {
            "Caller": sam_function(
                Environment={"Variables": {"URL": WORKER_URL}},
                Policies=[{"Statement": [statement(WORKER_ARN)]}],
            ),
            "Worker": URL_WORKER,
        },
        {},
    ),
}


def produce(code: str) -> set[str]:
    """The codes a producer yields: findings, or the codes that open the problems of a failure."""
    resources, extra = PRODUCERS[code]
    fragment = resources["fragment"] if "fragment" in resources else variant(BASE, **resources)
    minimum = extra.get("minimum_mode", Mode.AUDIT)
    never = extra.get("never_ignore", frozenset())
    options = resolve_options(
        Options(minimum_mode=minimum, never_ignore=never),
        None,
        {k: v for k, v in extra.items() if k in ("Mode", "Ignore")},
    )
    try:
        values = extra.get("parameter_values", {})
        context = TransformContext(region=REGION, account_id=ACCOUNT, parameter_values=values)
        result = core.analyze(fragment, options, context)
    except TransformFailure as failure:
        return {f.code for f in failure.findings}
    return {f.code for f in result.findings}


def _finding_code_literal() -> set[str]:
    """The codes of findings.py's `FindingCode = Literal[...]`, read from its source: at run time
    `FindingCode` is `str` (the package does not import `typing`)."""
    tree = ast.parse(Path(findings.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["FindingCode"]
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.slice, ast.Tuple)
        ):
            return {ast.literal_eval(element) for element in node.value.slice.elts}
    raise AssertionError("findings.py has no `FindingCode = Literal[...]`")


def test_the_table_lists_every_finding_code_and_no_other() -> None:
    codes = _finding_code_literal()
    assert len(codes) > 30
    assert set(CODES) == codes


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("AIP113", True),
        ("AIP171", True),
        ("aip113", False),
        ("AIP100", False),
        ("", False),
        ("AIP1130", False),
    ],
)
def test_is_finding_code(word: str, expected: bool) -> None:
    assert is_finding_code(word) is expected


def test_every_code_has_a_producer() -> None:
    assert set(PRODUCERS) == set(CODES)


@pytest.mark.parametrize("code", sorted(PRODUCERS))
def test_producer_yields_its_code(code: str) -> None:
    assert code in produce(code)


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_is_documented(code: FindingCode) -> None:
    spec = CODES[code]
    assert re.fullmatch(r"AIP\d{3}", code)
    assert spec.code == code
    assert isinstance(spec.severity, Severity)
    for text in (spec.title, spec.explanation, spec.fix):
        assert isinstance(text, str)
        assert text.strip()
        assert "${" not in text  # report text lands in Metadata, where cfn-lint reads ${x} as a Sub
    assert isinstance(spec.blocks_enforce, bool)


def test_codes_are_unique_titles_too() -> None:
    titles = [spec.title for spec in CODES.values()]
    assert len(titles) == len(set(titles))
    assert len({spec.code for spec in CODES.values()}) == len(CODES)


def test_errors_block_enforce() -> None:
    # an error-severity finding always fails enforce mode (docs/design/behaviour.md section 7)
    assert all(spec.blocks_enforce for spec in CODES.values() if spec.severity is Severity.ERROR)


def test_finding_as_dict_carries_the_fix() -> None:
    found = Finding("AIP101", "Caller", "Caller.Properties.Policies[0].Statement[0].Resource", "msg")
    assert found.as_dict() == {
        "code": "AIP101",
        "severity": "error",
        "resource": "Caller",
        "path": "Caller.Properties.Policies[0].Statement[0].Resource",
        "message": "msg",
        "fix": CODES["AIP101"].fix,
    }


def test_finding_paths_start_at_their_resource() -> None:
    for code in sorted(PRODUCERS):
        resources, extra = PRODUCERS[code]
        if "fragment" in resources or code in ("AIP150", "AIP151"):
            continue
        options = resolve_options(Options(minimum_mode=extra.get("minimum_mode", Mode.AUDIT)), None, {})
        result = core.analyze(variant(BASE, **resources), options, TransformContext(REGION, ACCOUNT))
        for found in result.findings:
            assert found.path == found.resource or found.path.startswith(found.resource + "."), found


def test_graph_draws_only_the_permissions_that_exist() -> None:
    # AIP127: the permission would need a combined condition that cannot be written, so it is not
    # added, and the graph must not show it as added either
    resources, _ = PRODUCERS["AIP127"]
    options = Options()
    context = TransformContext(REGION, ACCOUNT)
    unexpressible = core.analyze(resources["fragment"], options, context)
    assert not unexpressible.permissions
    assert [e for e in unexpressible.edges if e.status.value in ("added", "planned")] == []
    expressible = core.analyze(variant(BASE, **caller(statement(WORKER_ARN))), options, context)
    assert [(e.callers, e.target, e.status.value) for e in expressible.edges] == [
        (("Caller",), "Worker", "added")
    ]
    audit = core.analyze(variant(BASE, **caller(statement(WORKER_ARN))), Options(mode=Mode.AUDIT), context)
    assert [e.status.value for e in audit.edges] == ["planned"]


def test_broken_edges_name_the_resource_not_a_word_of_the_message() -> None:
    # the label was the first word of the message: "the" (AIP116), "!Ref" (AIP101)
    unknown_qualifier = {"Fn::Sub": "${Worker.Arn}:${AWS::StackName}"}
    resources = caller(statement(unknown_qualifier), statement({"Ref": "Worker"}))
    result = core.analyze(variant(BASE, **resources), Options(), TransformContext(REGION, ACCOUNT))
    broken = sorted(e.target for e in result.edges if e.status == "broken")
    assert broken == ["{Worker.Arn}:{AWS::StackName}", "{Worker}"]
