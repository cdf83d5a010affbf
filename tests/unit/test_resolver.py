"""The intrinsic resolver: every value is a symbolic string, an Fn::If branch under its condition, or an
Unresolved with a code. Never a guess, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.resolver import INTRINSIC_FUNCTIONS, Resolver, Token, Unresolved
from auto_invoke_permission.template import sam_generated_names
from conftest import caller, codes, document, lambda_function, role, run, sam_function, statement, variant

REGION, ACCOUNT = "eu-west-1", "111122223333"

RESOURCES = {
    "Worker": {"Type": "AWS::Lambda::Function"},
    "WorkerRole": {"Type": "AWS::IAM::Role"},
}
PARAMETERS = {
    "Stage": {"Type": "String"},
    "Unset": {"Type": "String"},
    "Names": {"Type": "CommaDelimitedList"},
}
PARAMETER_VALUES = {"Stage": "prod", "Names": "alpha,beta"}
MAPPINGS = {"Env": {"prod": {"Name": "worker-prod"}}}
# conditions the parameter values cannot decide (AWS::StackName is unknown at transform time)
CONDITIONS = {
    "IsProd": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "prod"]},
    "HasAlias": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "alias"]},
}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources=RESOURCES,
        parameters=PARAMETERS,
        parameter_values=PARAMETER_VALUES,
        mappings=MAPPINGS,
        conditions=CONDITIONS,
    )


def ref(name: str) -> Token:
    return Token("ref", name)


def att(name: str, attr: str = "Arn") -> Token:
    return Token("getatt", name, attr)


def pseudo(name: str) -> Token:
    return Token("pseudo", name)


def when(*literals: tuple[str, bool]) -> frozenset[tuple[str, bool]]:
    return frozenset(literals)


class U:
    """Expected Unresolved: the code, and a word its reason must contain."""

    def __init__(self, code: str, word: str) -> None:
        self.code, self.word = code, word

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unresolved) and other.code == self.code and self.word in other.reason

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"U({self.code}, {self.word!r})"


WORKER_REF = {"Ref": "Worker"}
ARN_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"

# (node, the (value, conditions) branches `strings` returns)
STRINGS: list[tuple[Any, list[tuple[Any, frozenset[tuple[str, bool]]]]]] = [
    # a literal string
    ("plain", [(("plain",), when())]),
    # Ref of a resource stays a token
    ({"Ref": "Worker"}, [((ref("Worker"),), when())]),
    # Ref of a parameter with a value: the event's value
    ({"Ref": "Stage"}, [(("prod",), when())]),
    # Ref of a parameter without a value: AIP115, never a guess
    # a parameter without a value is a symbol: equal to itself, unknown otherwise
    ({"Ref": "Unset"}, [((Token("param", "Unset"),), when())]),
    # Ref of a list parameter: one string per item
    ({"Ref": "Names"}, [(("alpha",), when()), (("beta",), when())]),
    # pseudo parameters known from the event
    ({"Ref": "AWS::Region"}, [((REGION,), when())]),
    ({"Ref": "AWS::AccountId"}, [((ACCOUNT,), when())]),
    ({"Ref": "AWS::Partition"}, [(("aws",), when())]),
    ({"Ref": "AWS::URLSuffix"}, [(("amazonaws.com",), when())]),
    # AWS::StackName is unknown at transform time: a token
    ({"Ref": "AWS::StackName"}, [((pseudo("AWS::StackName"),), when())]),
    # AWS::NoValue stands for nothing
    ({"Ref": "AWS::NoValue"}, []),
    # Ref of a name that is neither a parameter nor a resource
    ({"Ref": "Missing"}, [(U("AIP116", "Missing"), when())]),
    # GetAtt, list form and dotted form
    ({"Fn::GetAtt": ["Worker", "Arn"]}, [((att("Worker"),), when())]),
    ({"Fn::GetAtt": "Worker.Arn"}, [((att("Worker"),), when())]),
    # GetAtt of something the template does not define
    ({"Fn::GetAtt": ["Missing", "Arn"]}, [(U("AIP116", "Missing"), when())]),
    # Sub string form: pseudo parameters resolved, resource names kept as tokens
    (
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Worker}"},
        [((ARN_PREFIX, ref("Worker")), when())],
    ),
    # Sub with an attribute and a qualifier
    ({"Fn::Sub": "${Worker.Arn}:live"}, [((att("Worker"), ":live"), when())]),
    # Sub: ${!Literal} is the text ${Literal}; a parameter is substituted
    ({"Fn::Sub": "${!Literal}-${Stage}"}, [(("${Literal}-prod",), when())]),
    # Sub with a variables map: the map wins over resources and parameters
    (
        {"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Ref": "Worker"}, "Stage": "dev"}]},
        [((ref("Worker"), "-dev"), when())],
    ),
    # Sub with an unterminated ${
    ({"Fn::Sub": "arn:${Worker"}, [(U("AIP116", "unterminated"), when())]),
    # Join of literals, pseudo parameters and a Ref
    (
        {
            "Fn::Join": [
                ":",
                ["arn:aws:lambda", {"Ref": "AWS::Region"}, ACCOUNT, "function", {"Ref": "Worker"}],
            ]
        },
        [((ARN_PREFIX, ref("Worker")), when())],
    ),
    # Join over a list parameter
    ({"Fn::Join": ["+", {"Ref": "Names"}]}, [(("alpha+beta",), when())]),
    # If: both branches, each under its condition literal
    ({"Fn::If": ["IsProd", "a", "b"]}, [(("a",), when(("IsProd", True))), (("b",), when(("IsProd", False)))]),
    # nested If with AWS::NoValue: the NoValue branch disappears
    (
        {"Fn::If": ["IsProd", "a", {"Fn::If": ["HasAlias", "b", {"Ref": "AWS::NoValue"}]}]},
        [(("a",), when(("IsProd", True))), (("b",), when(("IsProd", False), ("HasAlias", True)))],
    ),
    # If inside Sub: one string per branch
    (
        {"Fn::Sub": ["${F}:live", {"F": {"Fn::If": ["IsProd", {"Fn::GetAtt": "Worker.Arn"}, "x"]}}]},
        [((att("Worker"), ":live"), when(("IsProd", True))), (("x:live",), when(("IsProd", False)))],
    ),
    # an If naming a condition Conditions does not define
    ({"Fn::If": ["Nowhere", "a", "b"]}, [(U("AIP116", "Nowhere"), when())]),
    # Select on a literal list and on a literal Split
    ({"Fn::Select": [1, ["a", "b", "c"]]}, [(("b",), when())]),
    ({"Fn::Select": ["2", {"Fn::Split": [",", "a,b,c"]}]}, [(("c",), when())]),
    # Select out of range
    ({"Fn::Select": [3, ["a"]]}, [(U("AIP116", "out of range"), when())]),
    # Split of a literal: a list of strings
    ({"Fn::Split": ["/", "a/b"]}, [(("a",), when()), (("b",), when())]),
    # Split of something unknown at transform time
    ({"Fn::Split": [",", {"Ref": "Worker"}]}, [(U("AIP116", "Split"), when())]),
    # FindInMap with literal keys, and with a key from a parameter value
    ({"Fn::FindInMap": ["Env", "prod", "Name"]}, [(("worker-prod",), when())]),
    ({"Fn::FindInMap": ["Env", {"Ref": "Stage"}, "Name"]}, [(("worker-prod",), when())]),
    # FindInMap missing the key, with and without DefaultValue
    ({"Fn::FindInMap": ["Env", "dev", "Name"]}, [(U("AIP116", "Mappings"), when())]),
    ({"Fn::FindInMap": ["Env", "dev", "Name", {"DefaultValue": "fallback"}]}, [(("fallback",), when())]),
    # ImportValue: AIP114
    ({"Fn::ImportValue": "shared-worker-arn"}, [(U("AIP114", "ImportValue"), when())]),
    # a known intrinsic that cannot be resolved at transform time
    ({"Fn::GetAZs": ""}, [(U("AIP116", "Fn::GetAZs"), when())]),
    # an unknown intrinsic
    ({"Fn::Frobnicate": "x"}, [(U("AIP116", "Fn::Frobnicate"), when())]),
    # not a string at all
    (42, [(U("AIP116", "42"), when())]),
    ({"Key": "a", "Other": "b"}, [(U("AIP116", "mapping"), when())]),
]


@pytest.mark.parametrize(("node", "expected"), STRINGS, ids=[repr(n)[:60] for n, _ in STRINGS])
def test_strings(resolver: Resolver, node: Any, expected: list[Any]) -> None:
    assert resolver.strings(node) == expected


# (node, the single value `scalar` returns)
SCALARS: list[tuple[Any, Any]] = [
    # a list parameter as one string, joined as CloudFormation does
    ({"Ref": "Names"}, ("alpha,beta",)),
    # AWS::NoValue
    ({"Ref": "AWS::NoValue"}, None),
    # an If is not one value
    ({"Fn::If": ["IsProd", "a", "b"]}, U("AIP116", "conditional")),
    # GetAtt dotted form
    ({"Fn::GetAtt": "Worker.Arn"}, (att("Worker"),)),
    # ImportValue keeps its code
    ({"Fn::ImportValue": "x"}, U("AIP114", "ImportValue")),
    # an unknown intrinsic
    ({"Fn::Frobnicate": "x"}, U("AIP116", "Fn::Frobnicate")),
]


@pytest.mark.parametrize(("node", "expected"), SCALARS, ids=[repr(n)[:60] for n, _ in SCALARS])
def test_scalar(resolver: Resolver, node: Any, expected: Any) -> None:
    assert resolver.scalar(node) == expected


def _nested(kind: str, depth: int) -> Any:
    node: Any = "arn:aws:lambda:eu-west-1:111122223333:function:worker"
    for _ in range(depth):
        if kind == "Fn::Join":
            node = {"Fn::Join": ["", [node]]}
        elif kind == "Fn::If":
            node = {"Fn::If": ["IsProd", node, "x"]}
        elif kind == "Fn::Sub":
            node = {"Fn::Sub": ["${V}", {"V": node}]}
        else:
            node = {"Fn::Select": [0, [node]]}
    return node


@pytest.mark.parametrize("kind", ["Fn::Join", "Fn::If", "Fn::Sub", "Fn::Select"])
def test_deep_nesting_ends_in_unresolved(resolver: Resolver, kind: str) -> None:
    # 500 levels: deeper than any real template, far below what would blow the stack as a plain recursion
    node = _nested(kind, 500)
    values = [v for v, _ in resolver.strings(node)]
    assert U("AIP116", "deep") in values
    assert U("AIP116", "") == resolver.scalar(node)


# --------------------------------------------------------------- through the core
BASE = {
    "Parameters": {"WorkerArn": {"Type": "String"}},
    "Resources": {
        "Worker": lambda_function({"Fn::GetAtt": ["WorkerRole", "Arn"]}),
        "WorkerRole": role(),
        "Caller": sam_function(),
    },
}


# (the caller's grant Resource, codes of the findings, whether the permission on Worker is added)
THROUGH_CORE: list[tuple[Any, set[str], bool]] = [
    # Fn::ImportValue: AIP114, nothing added
    ({"Fn::ImportValue": "worker-arn"}, {"AIP114"}, False),
    # a parameter without a value: AIP115
    ({"Ref": "WorkerArn"}, {"AIP115"}, False),
    # an unknown intrinsic: a finding, never an exception
    ({"Fn::Frobnicate": ["Worker"]}, {"AIP116"}, False),
    # 500 nested Fn::Join around the ARN: a finding, never RecursionError
    (_nested("Fn::Join", 500), {"AIP116"}, False),
    # a shallow nesting of the same resolves
    ({"Fn::Join": ["", [{"Fn::Join": ["", [{"Fn::GetAtt": "Worker.Arn"}]]}]]}, set(), True),
]


@pytest.mark.parametrize(("resource", "expected_codes", "adds"), THROUGH_CORE)
def test_resource_through_the_core(resource: Any, expected_codes: set[str], adds: bool) -> None:
    result = run(variant(BASE, **caller(statement(resource))))
    assert codes(result) == expected_codes
    assert [p.logical_id for p in result.added] == (["WorkerInvokeFromCallerRole"] if adds else [])


DEEP = _nested("Fn::Join", 500)
WORKER_ROLE = {"Fn::GetAtt": ["WorkerRole", "Arn"]}
WORKER_ARN = {"Fn::GetAtt": "Worker.Arn"}
PERMISSION = "AWS::Lambda::Permission"
DEEP_PERMISSION = {"Action": "lambda:InvokeFunction", "FunctionName": DEEP, "Principal": DEEP}
DEEP_ENV = {"Variables": {"X": DEEP}}

# (a 500-deep Fn::Join somewhere in the template: the resources to replace); the run must not raise,
# and the grant Caller -> Worker, which does not depend on the deep value, is still mirrored
DEEP_ELSEWHERE: list[Any] = [
    pytest.param(
        # a third function's Role
        {"Other": lambda_function(DEEP)},
        id="Role",
    ),
    # the callee's FunctionName
    pytest.param({"Worker": lambda_function(WORKER_ROLE, FunctionName=DEEP)}, id="FunctionName"),
    # the callee's Environment
    pytest.param(
        {"Worker": lambda_function(WORKER_ROLE, Environment={"Variables": {"X": DEEP}})}, id="Environment"
    ),
    # an existing permission's FunctionName and Principal
    pytest.param(
        {
            "Other": {
                "Type": PERMISSION,
                "Properties": {"Action": "*", "FunctionName": DEEP, "Principal": DEEP},
            }
        },
        id="Permission",
    ),
    # a role's RoleName
    pytest.param({"WorkerRole": role(RoleName=DEEP)}, id="RoleName"),
    # an alias's FunctionName
    pytest.param(
        {"Other": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": DEEP, "Name": "live"}}},
        id="AliasFunctionName",
    ),
    # a policy's Roles
    pytest.param(
        {
            "Other": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"Roles": [DEEP], "PolicyDocument": document()},
            }
        },
        id="PolicyRoles",
    ),
]


@pytest.mark.parametrize("resources", DEEP_ELSEWHERE)
def test_deep_nesting_elsewhere_is_not_an_exception(resources: dict[str, Any]) -> None:
    result = run(variant(variant(BASE, **caller(statement(WORKER_ARN))), **resources))
    assert [p.logical_id for p in result.added] == ["WorkerInvokeFromCallerRole"]


# (the Action of the caller's grant): an unreadable action is a finding at its path, never a silent drop
UNREADABLE_ACTIONS: list[Any] = [
    # a number: IAM rejects it
    pytest.param(5, id="number"),
    pytest.param(
        # an unknown intrinsic
        {"Fn::Frobnicate": "lambda:InvokeFunction"},
        id="unknown-intrinsic",
    ),
    pytest.param(
        # 500 nested Fn::Join
        DEEP,
        id="deep",
    ),
]


@pytest.mark.parametrize("action", UNREADABLE_ACTIONS)
def test_unreadable_action_is_a_finding(action: Any) -> None:
    template = variant(BASE, Caller=sam_function(Policies=[document(statement(WORKER_ARN, action=action))]))
    result = run(template)
    assert result.added == []
    assert [f.path for f in result.findings] == ["Caller.Properties.Policies[0].Statement[0].Action"]


MALFORMED: list[Any] = [
    None,
    1,
    True,
    "x",
    "",
    [],
    ["a"],
    ["a", "b", "c", "d", "e"],
    {"k": "v"},
    [{"k": 1}, 2],
]


@pytest.mark.parametrize("name", sorted(INTRINSIC_FUNCTIONS))
@pytest.mark.parametrize("arg", MALFORMED, ids=repr)
def test_every_intrinsic_answers_a_malformed_argument(resolver: Resolver, name: str, arg: Any) -> None:
    # each row of the table: symbolic strings or a typed Unresolved, never an exception or a guess
    for value, _ in resolver.strings({name: arg}):
        assert isinstance(value, tuple | Unresolved)
    assert resolver.scalar({name: arg}) is None or isinstance(
        resolver.scalar({name: arg}), tuple | Unresolved
    )


# (resources, Globals, the names SAM will generate that the resolver knows from the start)
GENERATED: list[tuple[dict[str, Any], Any, set[str]]] = [
    # a SAM function: its role
    ({"F": sam_function()}, None, {"FRole"}),
    # with AutoPublishAlias: the alias too, spelled as SAM spells it
    ({"F": sam_function(AutoPublishAlias="live-1_x")}, None, {"FRole", "FAliasliveD1Ux"}),
    # AutoPublishAlias from Globals, and a function's own one overriding it
    (
        {"F": sam_function(), "G": sam_function(AutoPublishAlias="own")},
        {"Function": {"AutoPublishAlias": "shared"}},
        {"FRole", "FAliasshared", "GRole", "GAliasown"},
    ),
    # a plain Lambda function: nothing generated
    ({"F": lambda_function("arn:aws:iam::111122223333:role/r")}, None, set()),
]


@pytest.mark.parametrize(("resources", "globals_section", "expected"), GENERATED)
def test_sam_generated_names(resources: dict[str, Any], globals_section: Any, expected: set[str]) -> None:
    assert sam_generated_names(resources, globals_section, {}) == expected


def test_generated_names_resolve_from_the_start() -> None:
    # a callee's FunctionName that names SAM's generated role is read when the index is built
    names = sam_generated_names({"Caller": sam_function()}, None, {})
    known = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={},
        parameters={},
        parameter_values={},
        mappings={},
        conditions={},
        implicit=names,
    )
    assert known.strings({"Fn::GetAtt": ["CallerRole", "Arn"]}) == [((att("CallerRole"),), when())]
    assert known.strings({"Ref": "CallerRole"}) == [((ref("CallerRole"),), when())]
