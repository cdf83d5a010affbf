"""Bounded, fixed-seed fuzzing of the Lambda handler with hostile templates.

Seeds are small templates written here (no files from outside the repository). Each mutant
replaces, deletes or wraps a few random nodes with weird values; a set of pathological inputs
(deep nesting, a backtracking-prone IAM pattern, a fragment near 1 MB, cyclic Conditions, the
CloudFormation limits) is added on purpose. For every case the handler, imported directly:

* never raises, and returns a JSON-serialisable response that echoes the requestId;
* on failure, has a non-empty errorMessage starting with "AutoInvokePermission:" and returns the
  fragment unchanged;
* on success, keeps every input resource unchanged;
* never mutates the event it was given.

The case count is fixed; nothing here measures time.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from auto_invoke_permission import handler as handler_module
from auto_invoke_permission.cli.offline import macro_event
from conftest import role as trusted_role
from conftest import statement

SEED = 20261128
MUTANTS = 300
REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = "AutoInvokePermission:"

PATTERN = "arn:aws:lambda:*:*:function:" + "*a" * 60 + "b"

WEIRD: list[Any] = [
    None,
    0,
    -1,
    3.5,
    True,
    "",
    "*",
    [],
    {},
    [None],
    {"Ref": None},
    {"Ref": "AWS::NoValue"},
    {"Ref": "NoSuchThing"},
    {"Fn::GetAtt": "X"},
    {"Fn::GetAtt": []},
    {"Fn::GetAtt": ["A", "B", "C"]},
    {"Fn::Sub": "${"},
    {"Fn::Sub": ["${a}", {"a": {"Ref": "Nope"}}]},
    {"Fn::Sub": "${AWS::StackName}" * 200},
    {"Fn::Join": [",", "notalist"]},
    {"Fn::Join": [None, [1, 2]]},
    {"Fn::If": ["NoSuchCondition", "a"]},
    {"Fn::If": ["NoSuchCondition", "a", "b"]},
    {"Fn::If": [None, {}, []]},
    {"Fn::Select": [99, []]},
    {"Fn::Select": ["x", {"Fn::Split": [",", "a,b"]}]},
    {"Fn::Split": ["", "abc"]},
    {"Fn::FindInMap": ["NoMap", {"Ref": "AWS::Region"}, "k"]},
    {"Fn::ImportValue": "Shared-Function-Arn"},
    {"Fn::Unknown": 1},
    {"Fn::GetAtt": ["Worker", "Arn"], "Extra": 1},
    {"Condition": "Loop"},
    "lambda:*",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:lambda:us-east-1:999999999999:function:Other",
    "arn:aws:lambda:us-east-1:123456789012:function:Worker:7",
    PATTERN,
    "x" * 5000,
    "\u0000\uffff\U0001f600",
    {"Statement": 5},
    {"Effect": "Allow", "Action": "lambda:InvokeFunction", "NotResource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"Bool": {}}},
    {"Type": "AWS::Lambda::Function"},
    {"Type": 7, "Properties": []},
]


# ---------------------------------------------------------------------- seeds
def _role(policies: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return trusted_role(**extra, **({"Policies": policies} if policies is not None else {}))


def _sam(**props: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://b/k.zip", **props},
    }


def _lambda(role: Any, **props: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": "app.handler",
            "Runtime": "python3.13",
            "Code": {"ZipFile": "x"},
            "Role": role,
            **props,
        },
    }


SAM_SEED: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Globals": {"Function": {"Timeout": 10, "Environment": {"Variables": {"STAGE": "dev"}}}},
    "Resources": {
        "RequestFunction": _sam(
            Policies=[
                {"LambdaInvokePolicy": {"FunctionName": {"Ref": "ProcessorFunction"}}},
                {"Statement": [statement({"Fn::GetAtt": ["ProcessorFunction", "Arn"]}, ["lambda:Invoke*"])]},
                "AWSLambdaBasicExecutionRole",
            ],
            Environment={"Variables": {"PROCESSOR": {"Ref": "ProcessorFunction"}}},
        ),
        "ProcessorFunction": _sam(
            AutoPublishAlias="live",
            EventInvokeConfig={
                "DestinationConfig": {
                    "OnFailure": {"Type": "Lambda", "Destination": {"Fn::GetAtt": ["Dlq", "Arn"]}}
                }
            },
        ),
        "Dlq": _sam(),
        "Link": {
            "Type": "AWS::Serverless::Connector",
            "Properties": {
                "Source": {"Id": "Dlq"},
                "Destination": {"Id": "RequestFunction"},
                "Permissions": ["Write"],
            },
        },
    },
}

CFN_SEED: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
    "Resources": {
        "CallerRole": _role(
            [
                {
                    "PolicyName": "invoke",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            statement(
                                {
                                    "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}"
                                    ":function:${Stage}-worker"
                                }
                            ),
                            {
                                "Effect": "Deny",
                                "Action": "lambda:InvokeFunction",
                                "Resource": {"Ref": "Other"},
                            },
                        ],
                    },
                }
            ],
            RoleName="caller-role",
        ),
        "Caller": _lambda({"Fn::GetAtt": ["CallerRole", "Arn"]}),
        "Worker": _lambda({"Fn::GetAtt": ["CallerRole", "Arn"]}, FunctionName={"Fn::Sub": "${Stage}-worker"}),
        "Other": _lambda("arn:aws:iam::123456789012:role/external"),
        "ExtraPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "extra",
                "Roles": ["caller-role"],
                "PolicyDocument": {"Statement": [statement([{"Fn::GetAtt": ["Other", "Arn"]}, "*"])]},
            },
        },
        "Existing": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "Worker"},
                "Principal": {"Fn::GetAtt": ["CallerRole", "Arn"]},
            },
        },
    },
    "Outputs": {"WorkerArn": {"Value": {"Fn::GetAtt": ["Worker", "Arn"]}}},
}

CONDITIONS_SEED: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Names": {"Type": "CommaDelimitedList"}},
    "Mappings": {"Regions": {"us-east-1": {"Suffix": "east"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsEast": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsEast"}]},
    },
    "Resources": {
        "Role": _role(
            [
                {
                    "Fn::If": [
                        "IsProd",
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {
                                "Statement": [
                                    statement({"Fn::GetAtt": ["Target", "Arn"]}),
                                    {
                                        "Fn::If": [
                                            "IsEast",
                                            statement(
                                                {
                                                    "Fn::Join": [
                                                        "",
                                                        [
                                                            "arn:aws:lambda:us-east-1:123456789012:function:",
                                                            {
                                                                "Fn::FindInMap": [
                                                                    "Regions",
                                                                    {"Ref": "AWS::Region"},
                                                                    "Suffix",
                                                                ]
                                                            },
                                                        ],
                                                    ]
                                                }
                                            ),
                                            {"Ref": "AWS::NoValue"},
                                        ]
                                    },
                                    statement(
                                        {
                                            "Fn::Select": [
                                                0,
                                                {"Fn::Split": [",", "arn:aws:lambda:*:*:function:x,y"]},
                                            ]
                                        }
                                    ),
                                ]
                            },
                        },
                        {"Ref": "AWS::NoValue"},
                    ]
                }
            ]
        ),
        "Caller": _lambda({"Fn::GetAtt": ["Role", "Arn"]}, Condition="Both"),
        "Target": {**_lambda({"Fn::GetAtt": ["Role", "Arn"]}), "Condition": "IsEast"},
        "East": _lambda({"Fn::GetAtt": ["Role", "Arn"]}, FunctionName="east"),
    },
}

ALIAS_SEED: dict[str, Any] = {
    "Resources": {
        "Role": _role(
            [
                {
                    "PolicyName": "p",
                    "PolicyDocument": {
                        "Statement": [
                            statement({"Fn::Sub": "${Worker.Arn}:live"}),
                            statement({"Fn::Sub": "${Worker.Arn}:*"}),
                            statement({"Ref": "WorkerAlias"}),
                            statement({"Ref": "WorkerVersion"}),
                            statement({"Fn::GetAtt": ["Role", "Arn"]}),
                        ]
                    },
                }
            ],
            ManagedPolicyArns=[{"Ref": "Managed"}, "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"],
        ),
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": {"Statement": [statement({"Fn::Sub": "${Worker.Arn}*"})]}},
        },
        "Caller": _lambda(
            {"Fn::GetAtt": ["Role", "Arn"]}, Environment={"Variables": {"W": {"Ref": "WorkerAlias"}}}
        ),
        "Worker": _lambda({"Fn::GetAtt": ["Role", "Arn"]}),
        "WorkerVersion": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Worker"}}},
        "WorkerAlias": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": "Worker"},
                "FunctionVersion": {"Fn::GetAtt": ["WorkerVersion", "Version"]},
                "Name": "live",
            },
        },
    },
    "Metadata": {"AutoInvokePermission": {"Mode": "inject", "Wildcards": "expand"}},
}

ENFORCE_SEED: dict[str, Any] = {
    "Metadata": {"AutoInvokePermission": {"Mode": "enforce", "Report": "true"}},
    "Resources": {
        "A": _sam(Policies=[{"Statement": [statement({"Ref": "B"})]}]),
        "B": {**_sam(Policies="AWSLambda_FullAccess"), "Metadata": {"AutoInvokePermission": {"Skip": True}}},
        "RolePolicy": {
            "Type": "AWS::IAM::RolePolicy",
            "Properties": {
                "RoleName": {"Ref": "ARole"},
                "PolicyName": "rp",
                "PolicyDocument": {"Statement": [statement({"Fn::GetAtt": ["B", "Arn"]})]},
            },
        },
    },
}

# Fn::Transform directly under Resources: the fragment is the resources mapping itself
RESOURCES_ONLY_SEED: dict[str, Any] = {
    "Role": _role(
        [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement({"Fn::GetAtt": ["F2", "Arn"]})]}}]
    ),
    "F1": _lambda({"Fn::GetAtt": ["Role", "Arn"]}),
    "F2": _lambda({"Fn::GetAtt": ["Role", "Arn"]}),
}

SEEDS = [SAM_SEED, CFN_SEED, CONDITIONS_SEED, ALIAS_SEED, ENFORCE_SEED, RESOURCES_ONLY_SEED]


# ------------------------------------------------------------------- mutation
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def mutate(template: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    t = copy.deepcopy(template)
    for _ in range(rnd.randint(1, 4)):
        paths = [p for p in _paths(t) if len(p) >= 2]
        if not paths:
            break
        path = rnd.choice(paths)
        parent: Any = t
        for key in path[:-1]:
            parent = parent[key]
        op = rnd.random()
        weird = copy.deepcopy(rnd.choice(WEIRD))
        if op < 0.55:
            parent[path[-1]] = weird
        elif op < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(weird)
        else:
            parent[path[-1]] = [parent[path[-1]], weird]
    return t


def event(fragment: Any, request_id: str, **extra: Any) -> dict[str, Any]:
    values = {"Stage": "dev", "Env": "prod", "Names": ["a", "b"]}
    built = macro_event(
        fragment, region=REGION, account_id=ACCOUNT, request_id=request_id, parameter_values=values
    )
    return {**built, **extra}


# ------------------------------------------------------------ pathological
def deep(kind: str, depth: int = 300) -> Any:
    leaf: Any = {"Fn::GetAtt": ["F", "Arn"]}
    node = leaf
    for _ in range(depth):
        if kind == "join":
            node = {"Fn::Join": ["", [node]]}
        elif kind == "if":
            node = {"Fn::If": ["C", node, {"Ref": "AWS::NoValue"}]}
        elif kind == "list":
            node = [node]
        elif kind == "sub":
            node = {"Fn::Sub": ["${x}", {"x": node}]}
        else:
            node = {"Fn::Select": [0, [node]]}
    return node


def role_with(resource: Any, **extra: Any) -> dict[str, Any]:
    return _role([{"PolicyName": "p", "PolicyDocument": {"Statement": [statement(resource)]}}], **extra)


def pathological() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    conditions = {"C": {"Fn::Equals": ["a", "a"]}}
    for kind in ("join", "if", "list", "sub", "select"):
        tpl = {
            "Conditions": conditions,
            "Resources": {
                "R": role_with(deep(kind)),
                "F": _lambda({"Fn::GetAtt": ["R", "Arn"]}, FunctionName="a" * 60),
            },
        }
        cases.append((f"nested {kind} x300 in a Resource", tpl))
    nested_policies = {
        "Conditions": conditions,
        "Resources": {
            "F": _sam(Policies=[deep("if")], Role=deep("if")),
            "G": _sam(Environment={"Variables": {"X": deep("join")}}),
        },
    }
    cases.append(("nested Fn::If x300 as a policy item and a Role", nested_policies))
    cases.append(
        (
            "nested mapping x300 in Metadata",
            {"Metadata": {"Deep": deep("list")}, "Resources": SAM_SEED["Resources"]},
        )
    )
    for wildcards in ("report", "expand"):
        functions = {f"F{i}": _lambda({"Fn::GetAtt": ["R", "Arn"]}, FunctionName="a" * 63) for i in range(50)}
        tpl = {
            "Metadata": {"AutoInvokePermission": {"Wildcards": wildcards}},
            "Resources": {"R": role_with(PATTERN), **functions},
        }
        cases.append((f"pattern {PATTERN[:40]}... against 50 functions 'a'*63 ({wildcards})", tpl))
    cyclic = {
        "Conditions": {
            "A": {"Condition": "B"},
            "B": {"Fn::And": [{"Condition": "A"}, {"Condition": "A"}]},
            "Self": {"Fn::Not": [{"Condition": "Self"}]},
        },
        "Resources": {
            "R": {
                **role_with({"Fn::If": ["A", {"Fn::GetAtt": ["F", "Arn"]}, {"Ref": "AWS::NoValue"}]}),
                "Condition": "B",
            },
            "F": {**_lambda({"Fn::GetAtt": ["R", "Arn"]}), "Condition": "Self"},
        },
    }
    cases.append(("cyclic Conditions", cyclic))
    cases.append(("near 1 MB", near_one_megabyte()))
    return cases


def near_one_megabyte() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for i in range(200):
        resources[f"Fn{i}"] = _sam(
            Description="d" * 4900,
            Policies=[{"Statement": [statement({"Fn::GetAtt": [f"Fn{(i + 1) % 200}", "Arn"]})]}],
        )
    tpl = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    size = len(json.dumps(tpl))
    assert 900_000 < size < 1_048_576, size
    return tpl


# --------------------------------------------------------------------- checks
@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The handler with the macro stack's defaults (no AUTOINVOKE_* variables from the environment)."""
    for var in ("AUTOINVOKE_MODE", "AUTOINVOKE_WILDCARDS", "AUTOINVOKE_REPORT", "AUTOINVOKE_MINIMUM_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(handler_module, "_defaults", None, raising=False)
    return handler_module.handler


def check(handler: Any, ev: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Run one event; return (problem or "", response)."""
    before = json.loads(json.dumps(ev))  # copy.deepcopy recurses twice per level: too deep for these
    try:
        response = handler(ev, None)
    except Exception as error:  # the handler must never raise
        return f"raised {type(error).__name__}: {str(error)[:200]}", {}
    if ev != before:
        return "the event was mutated", response
    if not isinstance(response, dict):
        return f"response is a {type(response).__name__}", {}
    try:
        json.dumps(response)
    except (TypeError, ValueError) as error:
        return f"response is not JSON-serialisable: {error}", response
    if response.get("requestId") != ev["requestId"]:
        return f"requestId {response.get('requestId')!r} instead of {ev['requestId']!r}", response
    status = response.get("status")
    fragment = ev["fragment"]
    if status == "failure":
        message = response.get("errorMessage")
        if not (isinstance(message, str) and message.startswith(PREFIX) and message[len(PREFIX) :].strip()):
            return f"failure with errorMessage {message!r}", response
        if response.get("fragment") != fragment:
            return "failure that does not return the fragment unchanged", response
        return "", response
    if status != "success":
        return f"status {status!r}", response
    out = response.get("fragment")
    if not isinstance(out, dict):
        return "success without a fragment", response
    resources_only = isinstance(fragment, dict) and "Resources" not in fragment
    before_resources = fragment if resources_only else fragment.get("Resources")
    after_resources = out if resources_only else out.get("Resources")
    if isinstance(before_resources, dict):
        if not isinstance(after_resources, dict):
            return "success without Resources", response
        for rid, res in before_resources.items():
            if after_resources.get(rid) != res:
                return f"success changed or dropped resource {rid}", response
    return "", response


def mutants() -> list[tuple[str, dict[str, Any]]]:
    rnd = random.Random(SEED)
    cases = []
    for i in range(MUTANTS):
        cases.append((f"m{i}", event(mutate(rnd.choice(SEEDS), rnd), f"m{i}")))
    return cases


def test_seeds_succeed(handler: Any) -> None:
    """The unmutated seeds are sound templates: the handler answers, and the clean ones succeed."""
    for i, seed in enumerate(SEEDS):
        problem, response = check(handler, event(copy.deepcopy(seed), f"seed{i}"))
        assert not problem, f"seed {i}: {problem}"
        if seed is not ENFORCE_SEED:  # enforce mode refuses its Ref-as-Resource grant on purpose
            assert response["status"] == "success", (i, response.get("errorMessage"))


def test_mutants(handler: Any) -> None:
    problems = []
    statuses: dict[str, int] = {}
    for name, ev in mutants():
        problem, response = check(handler, ev)
        statuses[str(response.get("status"))] = statuses.get(str(response.get("status")), 0) + 1
        if problem:
            problems.append(f"{name}: {problem}")
    assert not problems, f"{len(problems)} of {MUTANTS} mutants misbehaved:\n" + "\n".join(problems[:20])
    assert statuses.get("success", 0) > MUTANTS // 4, statuses  # the mutants still exercise the analysis


def test_no_internal_errors_on_mutants(handler: Any) -> None:
    """Malformed input gives a clear failure or a finding (docs/design/behaviour.md section 8), not the
    catch-all."""
    internal = []
    for name, ev in mutants():
        _problem, response = check(handler, ev)
        if "internal error" in str(response.get("errorMessage", "")):
            internal.append(name)
    assert not internal, f"internal errors on {len(internal)} mutants: {internal[:20]}"


_ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
_EXTERNAL_ROLE = "arn:aws:iam::123456789012:role/external"
INTERNAL_ERROR_CASES = [
    pytest.param(
        {
            "Resources": {
                "R": _ROLE,
                "F": _lambda(_EXTERNAL_ROLE),
                "P": {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "Action": "lambda:InvokeFunction",
                        "FunctionName": {"Fn::GetAtt": ["F", "Arn"]},
                        "Principal": {"Fn::GetAtt": ["R", "Arn"]},
                    },
                },
            }
        },
        id="existing permission for a role no function uses",
    ),
    pytest.param(
        {"F": {"Type": {}}},
        id="resources-only fragment whose Type is a mapping",
    ),
    pytest.param(
        {
            "Resources": {
                "R": role_with({"Fn::GetAtt": [{}, "Arn"]}),
                "F": _lambda({"Fn::GetAtt": ["R", "Arn"]}),
            }
        },
        id="GetAtt whose resource name is a mapping",
    ),
]


@pytest.mark.parametrize("fragment", INTERNAL_ERROR_CASES)
def test_internal_error_regressions(handler: Any, fragment: dict[str, Any]) -> None:
    """Minimal templates that once reached the handler's catch-all: each must be a clean answer."""
    problem, response = check(handler, event(fragment, "r"))
    assert not problem, problem
    assert "internal error" not in str(response.get("errorMessage", "")), response.get("errorMessage")


def test_deeply_conditional_policy_item_is_not_dropped_silently(handler: Any) -> None:
    document: Any = {"Statement": [statement({"Fn::GetAtt": ["G", "Arn"]})]}
    for _ in range(11):
        document = {"Fn::If": ["C", document, {"Ref": "AWS::NoValue"}]}
    template = {
        "Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
        "Resources": {"F": _sam(Policies=[document]), "G": _sam()},
    }
    problem, response = check(handler, event(template, "deep"))
    assert not problem, problem
    report = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    assert report["PermissionsAdded"] == 1 or sum(report["Findings"].values()) > 0, report


@pytest.mark.parametrize(("name", "template"), pathological(), ids=lambda x: x if isinstance(x, str) else "")
def test_pathological(handler: Any, name: str, template: dict[str, Any]) -> None:
    problem, response = check(handler, event(template, "p"))
    assert not problem, f"{name}: {problem}"
    assert "internal error" not in str(response.get("errorMessage", "")), response.get("errorMessage")


def test_weird_events(handler: Any) -> None:
    """Events CloudFormation would not send: the handler still answers with a failure, never raises."""
    odd: list[Any] = [None, [], "Resources", 5, {}, {"Resources": None}, {"Resources": []}]
    for i, fragment in enumerate(odd):
        problem, response = check(handler, event(fragment, f"w{i}"))
        assert not problem, (fragment, problem)
        assert response["status"] == "failure", fragment
    for i, (key, value) in enumerate(
        [
            ("params", {"Mode": 5}),
            ("params", {"Nope": "x"}),
            ("params", "x"),
            ("region", 5),
            ("accountId", None),
            ("templateParameterValues", [1]),
            ("transformId", None),
        ]
    ):
        problem, _response = check(handler, event(copy.deepcopy(SAM_SEED), f"e{i}", **{key: value}))
        assert not problem, (key, value, problem)
    raw: Any
    for raw in (None, [], "event"):
        response = handler(raw, None)
        assert response["status"] == "failure"
        assert str(response["errorMessage"]).startswith(PREFIX)


# ---------------------------------------------------------------------- limits
def test_limit_500_resources(handler: Any) -> None:
    """More than 500 resources after injection: a failure that gives the counts."""
    resources = {
        f"Fn{i}": _sam(Policies=[{"Statement": [statement({"Fn::GetAtt": [f"Fn{(i + 1) % 260}", "Arn"]})]}])
        for i in range(260)
    }
    problem, response = check(handler, event({"Resources": resources}, "limit500"))
    assert not problem, problem
    assert response["status"] == "failure"
    assert "520" in response["errorMessage"] and "500" in response["errorMessage"], response["errorMessage"]


def test_limit_20kb_resource_policy(handler: Any) -> None:
    """One callee invoked by so many roles that its resource policy would pass 20 KB: a failure naming it."""
    resources: dict[str, Any] = {"Target": _sam()}
    for i in range(80):
        resources[f"Caller{i}"] = _sam(
            Policies=[{"Statement": [statement({"Fn::GetAtt": ["Target", "Arn"]})]}]
        )
    problem, response = check(handler, event({"Resources": resources}, "limit20k"))
    assert not problem, problem
    assert response["status"] == "failure"
    assert "Target" in response["errorMessage"] and "20480" in response["errorMessage"], response[
        "errorMessage"
    ]


def test_limit_500_counts_the_fragment_the_macro_returns(handler: Any) -> None:
    # README, "Decisions": the macro counts what it returns; SAM's own resources come later and
    # CloudFormation checks the final count. 170 SAM functions + 170 permissions = 340: accepted.
    n = 170
    resources = {
        f"Fn{i}": _sam(Policies=[{"Statement": [statement({"Fn::GetAtt": [f"Fn{(i + 1) % n}", "Arn"]})]}])
        for i in range(n)
    }
    problem, response = check(handler, event({"Resources": resources}, "limit500sam"))
    assert not problem, problem
    assert response["status"] == "success"
    added = [k for k in response["fragment"]["Resources"] if k not in resources]
    assert len(added) == n


def test_audit_mode_never_fails_on_limits(handler: Any) -> None:
    n = 260
    resources = {
        f"Fn{i}": _sam(Policies=[{"Statement": [statement({"Fn::GetAtt": [f"Fn{(i + 1) % n}", "Arn"]})]}])
        for i in range(n)
    }
    fragment = {"Metadata": {"AutoInvokePermission": {"Mode": "audit"}}, "Resources": resources}
    problem, response = check(handler, event(fragment, "audit500"))
    assert not problem, problem
    assert response["status"] == "success", response.get("errorMessage")
    assert response["fragment"]["Resources"] == resources
