"""Function URLs (issue 13): detection, the conditions a URL grant may carry, the permission kinds a
hand-written permission covers, logical IDs, limits and the graph. Both transform orders are in
tests/golden/cases/8*_url_*.yaml; one template per finding code in test_findings.py."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.cli.formats.graph import render_graph
from auto_invoke_permission.limits import CONDITION_OVERHEAD, statement_bytes
from auto_invoke_permission.model import DIRECT, URL, VIA_URL, CalleeForm, Permission, PermissionKind
from auto_invoke_permission.permissions import url_kinds_covered
from auto_invoke_permission.resolver import Resolver
from auto_invoke_permission.targets import TargetClassifier
from auto_invoke_permission.template import TemplateIndex, sam_generated_names
from auto_invoke_permission.urls import aws_iam_auth_only, function_urls, via_url_only
from conftest import ACCOUNT, REGION, alias, caller, lambda_function, run, sam_function, statement
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snippets import WORKER_ARN

PROPERTY = settings(
    derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
IAM_URL = {"AuthType": "AWS_IAM"}


def lambda_url(target: Any, auth: Any = "AWS_IAM", **extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Url",
        "Properties": {"AuthType": auth, "TargetFunctionArn": target, **extra},
    }


def urls_of(
    resources: dict[str, Any], globals_section: Any = None
) -> list[tuple[str, str, str | None, str | None]]:
    """(URL logical ID, callee function, alias name, auth type) of every URL the index finds."""
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources=resources,
        parameters={"Auth": {"Type": "String"}},
        parameter_values={},
        mappings={},
        conditions={},
        implicit=sam_generated_names(resources, globals_section, {}),
    )
    index = TemplateIndex(resources, globals_section, resolver)
    found = function_urls(index, TargetClassifier(index))
    return sorted((u.logical_id, u.form.function, u.form.alias_name, u.auth_type) for u in found)


PLAIN_WORKER = lambda_function({"Fn::GetAtt": ["R", "Arn"]})
DETECTION: list[tuple[str, dict[str, Any], list[tuple[str, str, str | None, str | None]]]] = [
    # SAM's FunctionUrlConfig: on the function, or on its AutoPublishAlias as SAM puts it
    ("sam", {"Worker": sam_function(FunctionUrlConfig=IAM_URL)}, [("WorkerUrl", "Worker", None, "AWS_IAM")]),
    (
        "sam on AutoPublishAlias",
        {"Worker": sam_function(AutoPublishAlias="live", FunctionUrlConfig={"AuthType": "NONE"})},
        [("WorkerUrl", "Worker", "live", "NONE")],
    ),
    # AWS::Lambda::Url: GetAtt Arn, Ref (a name), a literal name, an alias ARN, Qualifier
    ("url by arn", {"Worker": PLAIN_WORKER, "U": lambda_url(WORKER_ARN)}, [("U", "Worker", None, "AWS_IAM")]),
    (
        "url by ref",
        {"Worker": PLAIN_WORKER, "U": lambda_url({"Ref": "Worker"})},
        [("U", "Worker", None, "AWS_IAM")],
    ),
    (
        "url by literal name",
        {
            "Worker": lambda_function("arn:aws:iam::1:role/r", FunctionName="worker"),
            "U": lambda_url("worker"),
        },
        [("U", "Worker", None, "AWS_IAM")],
    ),
    (
        "url on alias ARN",
        {"Worker": PLAIN_WORKER, "Live": alias("live"), "U": lambda_url({"Ref": "Live"})},
        [("U", "Worker", "live", "AWS_IAM")],
    ),
    (
        "url with Qualifier",
        {"Worker": PLAIN_WORKER, "Live": alias("live"), "U": lambda_url({"Ref": "Worker"}, Qualifier="live")},
        [("U", "Worker", "live", "AWS_IAM")],
    ),
    # a Qualifier naming no alias of the template, a callee outside it, an unknown auth type
    ("unknown qualifier", {"Worker": PLAIN_WORKER, "U": lambda_url(WORKER_ARN, Qualifier="beta")}, []),
    ("outside", {"U": lambda_url("arn:aws:lambda:us-east-1:123456789012:function:elsewhere")}, []),
    (
        "auth type from a parameter without value",
        {"Worker": PLAIN_WORKER, "U": lambda_url(WORKER_ARN, auth={"Ref": "Auth"})},
        [("U", "Worker", None, None)],
    ),
]


@pytest.mark.parametrize(("resources", "expected"), [c[1:] for c in DETECTION], ids=[c[0] for c in DETECTION])
def test_detection(
    resources: dict[str, Any], expected: list[tuple[str, str, str | None, str | None]]
) -> None:
    assert urls_of(resources) == expected


GLOBAL_URL = {"Function": {"FunctionUrlConfig": {"AuthType": "NONE"}}}


@pytest.mark.parametrize(
    ("resources", "globals_section", "expected"),
    [
        # Globals.Function.FunctionUrlConfig: every SAM function has the URL; the function's own wins
        pytest.param(
            {"Worker": sam_function()}, GLOBAL_URL, [("WorkerUrl", "Worker", None, "NONE")], id="globals"
        ),
        pytest.param(
            {"Worker": sam_function(FunctionUrlConfig=IAM_URL)},
            GLOBAL_URL,
            [("WorkerUrl", "Worker", None, "AWS_IAM")],
            id="own-over-globals",
        ),
        # not SAM's: FunctionUrlConfig means nothing on AWS::Lambda::Function; a config that is no mapping
        pytest.param(
            {"Worker": lambda_function("arn:aws:iam::1:role/r", FunctionUrlConfig=IAM_URL)},
            None,
            [],
            id="plain",
        ),
        pytest.param({"Worker": sam_function(FunctionUrlConfig="AWS_IAM")}, None, [], id="not-a-mapping"),
    ],
)
def test_sam_url_configs(resources: dict[str, Any], globals_section: Any, expected: list[Any]) -> None:
    assert urls_of(resources, globals_section) == expected


CONDITIONS: list[tuple[Any, bool, bool]] = [
    # (Condition block, via_url_only, aws_iam_auth_only)
    ({"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}, True, False),
    ({"Bool": {"Lambda:invokedViaFunctionURL": True}}, True, False),  # keys compare without case
    ({"Bool": {"lambda:InvokedViaFunctionUrl": ["true"]}}, True, False),
    ({"Bool": {"lambda:InvokedViaFunctionUrl": "false"}}, False, False),
    ({"Bool": {"lambda:InvokedViaFunctionUrl": "true", "aws:SecureTransport": "true"}}, False, False),
    (
        {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}, "StringEquals": {"aws:SourceVpc": "v"}},
        False,
        False,
    ),
    ({"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}, False, True),
    ({"StringEquals": {"lambda:FunctionUrlAuthType": "aws_iam"}}, False, False),  # values are exact
    ({"StringEquals": {"lambda:FunctionUrlAuthType": ["AWS_IAM", "NONE"]}}, False, False),
    ({"StringLike": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}, False, False),
    ({"Fn::If": ["C", {}, {}]}, False, False),
    ("Bool", False, False),
]


@pytest.mark.parametrize(("condition", "via", "auth"), CONDITIONS)
def test_condition_shapes(condition: Any, via: bool, auth: bool) -> None:
    assert (via_url_only(condition), aws_iam_auth_only(condition)) == (via, auth)


COVERED: list[tuple[dict[str, Any], list[PermissionKind]]] = [
    ({"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "AWS_IAM"}, [URL]),
    ({"Action": "lambda:invokefunctionurl"}, [URL]),  # no auth type: both auth types, AWS_IAM included
    ({"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE"}, []),
    ({"Action": "lambda:InvokeFunction"}, [VIA_URL]),
    ({"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": True}, [VIA_URL]),
    ({"Action": "lambda:*"}, [URL, VIA_URL]),
    ({"Action": "*", "FunctionUrlAuthType": "AWS_IAM"}, [URL]),
    ({"Action": "lambda:*", "InvokedViaFunctionUrl": True}, [VIA_URL]),
    ({"Action": "lambda:InvokeFunctionUrl", "SourceAccount": "123456789012"}, []),
    ({"Action": "lambda:InvokeFunction", "PrincipalOrgID": "o-1"}, []),
    ({"Action": "lambda:GetFunction"}, []),
    ({"Action": {"Ref": "A"}}, []),
]


@pytest.mark.parametrize(("props", "kinds"), COVERED)
def test_kinds_a_hand_written_permission_covers(props: dict[str, Any], kinds: list[PermissionKind]) -> None:
    assert url_kinds_covered(props) == kinds


def test_url_logical_ids_come_after_todays() -> None:
    # a function named so that the URL permission's ID would be today's ID of another pair: today's
    # permissions are named first, so theirs never changes
    both = statement(WORKER_ARN, ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"])
    fragment = {
        "Resources": {
            **caller(both),
            "Worker": sam_function(FunctionUrlConfig=IAM_URL),
            "WorkerInvokeUrlFromCallerRole": {"Type": "AWS::SNS::Topic"},
        }
    }
    result = run(fragment)
    ids = {
        (p.callee.label, p.action, dict(p.extra).get("FunctionUrlAuthType")): p.logical_id
        for p in result.added
    }
    assert ids[("Worker", "lambda:InvokeFunction", None)] == "WorkerInvokeFromCallerRole"
    url_id = ids[("Worker", "lambda:InvokeFunctionUrl", "AWS_IAM")]
    assert url_id.startswith("WorkerInvokeUrlFromCallerRole") and url_id != "WorkerInvokeUrlFromCallerRole"
    props = result.fragment["Resources"][url_id]["Properties"]
    assert list(props) == ["Action", "FunctionName", "Principal", "FunctionUrlAuthType"]


def test_no_url_no_url_permission() -> None:
    # lambda:* on a function without a URL: today's permission only
    result = run({"Resources": {**caller(statement(WORKER_ARN, "lambda:*")), "Worker": sam_function()}})
    assert [(p.action, p.extra) for p in result.added] == [("lambda:InvokeFunction", ())]


def test_via_url_grant_without_a_url_stays_aip120() -> None:
    condition = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    grant = statement(WORKER_ARN, Condition=condition)
    other = {"Other": sam_function(FunctionUrlConfig=IAM_URL)}  # a URL elsewhere: URL reading is on
    result = run({"Resources": {**caller(grant), "Worker": sam_function(), **other}})
    assert result.added == []
    assert {f.code for f in result.findings} == {"AIP120"}


def test_statement_size_counts_the_url_condition() -> None:
    form = CalleeForm("Worker")
    result = run({"Resources": {**caller(statement(WORKER_ARN)), "Worker": sam_function()}})
    principal = result.added[0].principal
    direct = Permission("X", form, principal, ("Caller",), ("p",), None, False)
    url = Permission("X", form, principal, ("Caller",), ("p",), None, False, URL.action, URL.extra)
    # `"Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}`: one entry per property
    extra = sum(CONDITION_OVERHEAD + len(key) + len(str(value)) for key, value in URL.extra)
    assert statement_bytes(url) == statement_bytes(direct) + extra


def test_graph_labels_url_arrows() -> None:
    both = statement(WORKER_ARN, ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"])
    result = run({"Resources": {**caller(both), "Worker": sam_function(FunctionUrlConfig=IAM_URL)}})
    assert render_graph(result.edges, "text") == (
        "Caller --(added)--> Worker\nCaller --(added (url))--> Worker\n"
    )
    assert '|"added (url)"|' in render_graph(result.edges, "mermaid")


# ------------------------------------------------------------------ the mirroring rule, generated
CONDITION_BLOCKS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "via": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
    "auth": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
    "other": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
}
ACTIONS = [
    "lambda:InvokeFunction",
    "lambda:InvokeFunctionUrl",
    "lambda:*",
    "lambda:Invoke*",
    "lambda:GetFunction",
]


def covers(action: str) -> tuple[bool, bool]:
    """(covers lambda:InvokeFunction, covers lambda:InvokeFunctionUrl) for the actions of ACTIONS."""
    both = action in ("lambda:*", "lambda:Invoke*")
    return both or action == "lambda:InvokeFunction", both or action == "lambda:InvokeFunctionUrl"


def expected_kinds(auth: str | None, action: str, condition: str) -> set[str]:
    """The issue's rule, written out: which permissions one Allow statement on the callee gives."""
    invoke, url = covers(action)
    iam = auth == "AWS_IAM"
    kinds = set()
    if invoke and condition == "none":
        kinds.add(DIRECT.infix)
    if invoke and condition == "via" and iam:
        kinds.add(VIA_URL.infix)
    if url and iam and condition in ("none", "auth"):
        kinds.add(URL.infix)
    return kinds


@PROPERTY
@given(
    st.sampled_from([None, "AWS_IAM", "NONE"]),
    st.sampled_from(ACTIONS),
    st.sampled_from(sorted(CONDITION_BLOCKS)),
    st.booleans(),
    st.booleans(),
)
def test_mirroring_rule(auth: str | None, action: str, condition: str, on_alias: bool, sam: bool) -> None:
    # one Allow statement on the callee (unqualified or its alias `live`), whose URL is SAM's
    # FunctionUrlConfig or an AWS::Lambda::Url, of any auth type or none
    resources: dict[str, Any]
    if sam:
        props: dict[str, Any] = {"FunctionUrlConfig": {"AuthType": auth}} if auth else {}
        if on_alias:
            props["AutoPublishAlias"] = "live"
        resources = {"Worker": sam_function(**props)}
        target: Any = {"Ref": "WorkerAliaslive"} if on_alias else WORKER_ARN
    else:
        resources = {"Worker": PLAIN_WORKER, "Live": alias("live")}
        if auth:
            resources["U"] = lambda_url(
                {"Ref": "Worker"}, auth, **({"Qualifier": "live"} if on_alias else {})
            )
        target = {"Ref": "Live"} if on_alias else WORKER_ARN
    block = CONDITION_BLOCKS[condition]
    extra: dict[str, Any] = {"Condition": block} if block else {}
    resources.update(caller(statement(target, action, **extra)))
    result = run({"Resources": resources})
    want = expected_kinds(auth, action, condition)
    by_infix = {k.infix: (k.action, k.extra) for k in (DIRECT, URL, VIA_URL)}
    assert {(p.action, p.extra) for p in result.added} == {by_infix[k] for k in want}
    assert all(p.callee.alias_name == ("live" if on_alias else None) for p in result.added)
    found = {f.code for f in result.findings}
    assert ("AIP160" in found) == (URL.infix in want and not want & {DIRECT.infix, VIA_URL.infix})
    # AIP120: an InvokeFunction grant under any condition but the URL one (on an AWS_IAM URL), or an
    # InvokeFunctionUrl grant on an AWS_IAM URL under any condition but the auth type one
    invoke, url = covers(action)
    iam = auth == "AWS_IAM"
    invoke_unmirrored = invoke and condition != "none" and not (condition == "via" and iam)
    url_unmirrored = url and iam and condition in ("via", "other")
    assert ("AIP120" in found) == (invoke_unmirrored or url_unmirrored)
