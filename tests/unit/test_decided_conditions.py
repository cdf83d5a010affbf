"""Conditions decided with the event's parameter values (issue 11 items 1, 2, 5, 7, 12, 17, 20).

`decide` is three-valued: a condition the values cannot decide is left out, and everything built
on it keeps the condition, as before. What a condition decided false guards has no finding now;
its permissions still exist, under the condition (tests/test_every_value.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.conditions import Conditions, decide, decided_false
from auto_invoke_permission.resolver import Resolver
from auto_invoke_permission.template import _merge_globals
from conftest import ACCOUNT, REGION, caller, codes, document, run, sam_function, statement

PARAMETERS: dict[str, Any] = {
    "Stage": {"Type": "String"},
    "Hook": {"Type": "String"},
    "Unset": {"Type": "String"},
    "Secret": {"Type": "String", "NoEcho": "true"},
}
VALUES = {"Stage": "prod", "Hook": "", "Secret": "prod"}


def decided(conditions: dict[str, Any]) -> dict[str, bool]:
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={},
        parameters=PARAMETERS,
        parameter_values=VALUES,
        mappings={"Env": {"prod": {"Big": "yes"}}},
        conditions=conditions,
    )
    assert isinstance(resolver.conditions, Conditions)
    return dict(resolver.conditions.decided)


def eq(left: Any, right: Any) -> dict[str, Any]:
    return {"Fn::Equals": [left, right]}


STAGE_PROD = eq({"Ref": "Stage"}, "prod")  # true
HOOK_SET = {"Fn::Not": [eq({"Ref": "Hook"}, "")]}  # false
UNKNOWN = eq({"Ref": "AWS::StackName"}, "x")  # undecidable

# (the condition's definition, its decided value; None: undecidable)
DEFINITIONS: list[tuple[Any, bool | None]] = [
    (eq("a", "a"), True),
    (eq("a", "b"), False),
    (STAGE_PROD, True),
    (eq({"Ref": "Stage"}, "dev"), False),
    (HOOK_SET, False),
    (eq({"Ref": "Hook"}, ""), True),
    # pseudo parameters with a known value
    (eq({"Ref": "AWS::Region"}, REGION), True),
    (eq({"Ref": "AWS::AccountId"}, "000000000000"), False),
    (eq({"Ref": "AWS::Partition"}, "aws"), True),
    (eq({"Ref": "AWS::URLSuffix"}, "amazonaws.com"), True),
    # values the macro cannot know
    (UNKNOWN, None),
    (eq({"Ref": "Unset"}, "x"), None),
    (eq({"Ref": "Secret"}, "prod"), None),  # NoEcho values are never read
    (eq({"Fn::ImportValue": "x"}, "x"), None),
    # scalars compare as their string forms, as CloudFormation compares them
    (eq(1, "1"), True),
    (eq(-1, "-1"), True),
    (eq(True, "true"), True),
    (eq(False, "true"), False),
    (eq(1.5, "1.5"), None),  # a number with a fraction: its string form is not guessed
    # other intrinsics as operands
    (eq({"Fn::Sub": "${Stage}-${AWS::Region}"}, f"prod-{REGION}"), True),
    (eq({"Fn::Join": ["-", [{"Ref": "Stage"}, "x"]]}, "prod-x"), True),
    (eq({"Fn::FindInMap": ["Env", {"Ref": "Stage"}, "Big"]}, "yes"), True),
    (eq({"Fn::Select": [1, ["a", "b"]]}, "b"), True),
    # Fn::Not
    ({"Fn::Not": [STAGE_PROD]}, False),
    ({"Fn::Not": [UNKNOWN]}, None),
    ({"Fn::Not": [STAGE_PROD, STAGE_PROD]}, None),  # malformed: not decided
    # Fn::And: one false operand decides it
    ({"Fn::And": [STAGE_PROD, eq("a", "a")]}, True),
    ({"Fn::And": [STAGE_PROD, HOOK_SET]}, False),
    ({"Fn::And": [UNKNOWN, HOOK_SET]}, False),
    ({"Fn::And": [UNKNOWN, STAGE_PROD]}, None),
    # Fn::Or: one true operand decides it
    ({"Fn::Or": [HOOK_SET, STAGE_PROD]}, True),
    ({"Fn::Or": [UNKNOWN, STAGE_PROD]}, True),
    ({"Fn::Or": [UNKNOWN, HOOK_SET]}, None),
    ({"Fn::Or": [HOOK_SET, eq("a", "b")]}, False),
    # nested
    ({"Fn::Not": [{"Fn::And": [STAGE_PROD, {"Fn::Or": [HOOK_SET, eq("a", "a")]}]}]}, False),
    # not a condition function
    ({"Fn::Sub": "x"}, None),
    ("true", None),
]


@pytest.mark.parametrize(("definition", "expected"), DEFINITIONS)
def test_decide(definition: Any, expected: bool | None) -> None:
    assert decided({"C": definition}).get("C") == expected


# (Conditions, the decided values): `Condition` refers to another condition, decided or not
NAMED: list[tuple[dict[str, Any], dict[str, bool]]] = [
    ({"A": STAGE_PROD, "B": {"Condition": "A"}}, {"A": True, "B": True}),
    ({"A": UNKNOWN, "B": {"Fn::Not": [{"Condition": "A"}]}}, {}),
    ({"A": HOOK_SET, "B": {"Fn::And": [{"Condition": "A"}, UNKNOWN]}}, {"A": False, "B": False}),
    ({"B": {"Condition": "Missing"}}, {}),
    ({"A": {"Condition": "A"}}, {}),  # a cycle (the core rejects it first) stays undecided
]


@pytest.mark.parametrize(("conditions", "expected"), NAMED)
def test_decide_named(conditions: dict[str, Any], expected: dict[str, bool]) -> None:
    assert decided(conditions) == expected


def test_decide_is_independent_of_the_resolver() -> None:
    values = {"x": "1"}

    def operand(node: Any) -> str | None:
        return node if isinstance(node, str) else values.get(node["Ref"])

    assert decide({"C": eq({"Ref": "x"}, "1")}, operand) == {"C": True}


@pytest.mark.parametrize(
    ("conds", "expected"),
    [
        (frozenset(), False),
        (frozenset({("T", True)}), False),
        (frozenset({("T", False)}), True),
        (frozenset({("F", False)}), False),
        (frozenset({("U", True), ("F", True)}), True),
        (frozenset({("U", False)}), False),
    ],
)
def test_decided_false(conds: frozenset[tuple[str, bool]], expected: bool) -> None:
    conditions = Conditions({"T": {}, "F": {}, "U": {}}, {"T": True, "F": False})
    assert decided_false(conds, conditions) is expected
    assert decided_false(conds, {"T": {}, "F": {}}) is False  # a plain mapping decides nothing


# ------------------------------------------------------------- through the core
HOOK_TEMPLATE: dict[str, Any] = {
    "Parameters": {"Hook": {"Type": "String", "Default": ""}},
    "Conditions": {"HookSet": HOOK_SET},
    "Resources": {
        "Worker": sam_function(),
        "Caller": sam_function(
            Policies=[
                document(
                    {"Fn::If": ["HookSet", statement({"Ref": "Hook"}), {"Ref": "AWS::NoValue"}]},
                    statement({"Fn::GetAtt": ["Worker", "Arn"]}),
                )
            ]
        ),
    },
}


# (the hook's value, the finding codes, the callees of the permissions)
HOOK_VALUES: list[tuple[str | None, set[str], list[str]]] = [
    ("", set(), ["Worker"]),  # the optional statement does not exist
    ("arn:aws:lambda:us-east-1:123456789012:function:*", {"AIP110"}, ["Worker"]),
    (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Worker", {"AIP113"}, ["Worker"]),
    ("not-an-arn", {"AIP104"}, ["Worker"]),
    (None, {"AIP115"}, ["Worker"]),  # no value: the condition is undecidable, as before
]


@pytest.mark.parametrize(("hook", "expected_codes", "callees"), HOOK_VALUES)
def test_optional_hook(hook: str | None, expected_codes: set[str], callees: list[str]) -> None:
    values = {} if hook is None else {"Hook": hook}
    result = run(HOOK_TEMPLATE, parameter_values=values)
    assert codes(result) == expected_codes
    assert [p.callee.function for p in result.added] == callees


def test_false_condition_resource_is_not_read() -> None:
    template = {
        "Conditions": {"Never": eq("a", "b")},
        "Resources": {
            "Worker": sam_function(),
            "Wide": {**sam_function(Policies=[document(statement("*"))]), "Condition": "Never"},
        },
    }
    result = run(template)
    assert codes(result) == set()
    assert result.added == []
    assert result.fragment["Resources"]["Wide"] == template["Resources"]["Wide"]  # kept, untouched


def test_true_condition_is_kept_on_the_permission() -> None:
    template = {
        "Conditions": {"Always": eq("a", "a")},
        "Resources": {
            "Worker": sam_function(),
            "Caller": {
                **sam_function(Policies=[document(statement({"Fn::GetAtt": ["Worker", "Arn"]}))]),
                "Condition": "Always",
            },
        },
    }
    assert [p.condition for p in run(template).added] == ["Always"]


def test_conditional_deny_leaves_the_grant_where_it_does_not_apply() -> None:
    worker = {"Fn::GetAtt": ["Worker", "Arn"]}
    template = {
        "Conditions": {"Lock": UNKNOWN},
        "Resources": {
            "Worker": sam_function(),
            "Caller": sam_function(
                Policies=[
                    document(
                        statement(worker),
                        {"Fn::If": ["Lock", statement(worker, effect="Deny"), {"Ref": "AWS::NoValue"}]},
                    )
                ]
            ),
        },
    }
    result = run(template)
    assert [p.callee.function for p in result.added] == ["Worker"]
    condition = result.added[0].condition
    assert condition is not None
    assert result.fragment["Conditions"][condition] == {"Fn::Not": [{"Condition": "Lock"}]}


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("", "AIP104"),
        ("abc", "AIP104"),
        ({"Ref": "Hook"}, "AIP104"),  # its value is ""
        ("*", None),  # a real pattern: expanded
    ],
)
def test_empty_and_non_arn_resources(resource: Any, code: str | None) -> None:
    template = {
        "Parameters": {"Hook": {"Type": "String"}},
        "Resources": {"Worker": sam_function(), **caller(statement(resource))},
    }
    result = run(template, parameter_values={"Hook": ""}, Wildcards="expand")
    assert codes(result) == ({code} if code else set())
    assert [p.callee.function for p in result.added] == ([] if code else ["Caller", "Worker"])


def test_alias_named_by_a_parameter_without_a_value() -> None:
    template = {
        "Parameters": {"AliasName": {"Type": "String"}},
        "Resources": {
            "B": sam_function(),
            "BVersion": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "B"}}},
            "TheAlias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "B"},
                    "FunctionVersion": {"Fn::GetAtt": ["BVersion", "Version"]},
                    "Name": {"Ref": "AliasName"},
                },
            },
            **caller(statement({"Fn::Sub": "${B.Arn}:${AliasName}"}), statement({"Ref": "TheAlias"})),
        },
    }
    result = run(template)
    assert codes(result) == set()
    assert [(p.callee.function, p.callee.alias) for p in result.added] == [("B", "TheAlias")]


# (Globals.Function, the function's properties, the merged properties): samtranslator's rules
MERGES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"A": {"x": 1}}, {"A": {"y": 2}}, {"A": {"x": 1, "y": 2}}),
    ({"A": {"Fn::Sub": "g"}}, {"A": {"Fn::GetAtt": ["O", "Arn"]}}, {"A": {"Fn::GetAtt": ["O", "Arn"]}}),
    ({"A": {"x": {"Ref": "G"}}}, {"A": {"x": {"Ref": "L"}}}, {"A": {"x": {"Ref": "L"}}}),
    ({"A": {"x": 1}}, {"A": {"Fn::If": ["C", {}, {}]}}, {"A": {"Fn::If": ["C", {}, {}]}}),
    ({"A": {"Fn::If": ["C", {}, {}]}}, {"A": {"y": 2}}, {"A": {"y": 2}}),
    ({"Layers": ["g"]}, {"Layers": ["l"]}, {"Layers": ["g", "l"]}),
    ({"Architectures": ["x86_64"]}, {"Architectures": ["arm64"]}, {"Architectures": ["arm64"]}),
    ({"A": ["g"]}, {"A": "l"}, {"A": "l"}),
    ({"A": "g"}, {}, {"A": "g"}),
]


@pytest.mark.parametrize(("global_props", "props", "expected"), MERGES)
def test_globals_merge(global_props: dict[str, Any], props: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _merge_globals(global_props, props) == expected


@pytest.mark.parametrize("lock", ["no", "yes", None])
def test_deny_under_a_decided_condition(lock: str | None) -> None:
    # whatever this deploy's value, the permission exists where the Deny does not apply: `Not Lock`
    worker = {"Fn::GetAtt": ["Worker", "Arn"]}
    template = {
        "Parameters": {"Locked": {"Type": "String"}},
        "Conditions": {"Lock": eq({"Ref": "Locked"}, "yes")},
        "Resources": {
            "Worker": sam_function(),
            **caller(
                statement(worker), {**statement(worker), "Effect": {"Fn::If": ["Lock", "Deny", "Allow"]}}
            ),
        },
    }
    result = run(template, parameter_values={} if lock is None else {"Locked": lock})
    assert [p.callee.function for p in result.added] == ["Worker"]
    condition = result.added[0].condition
    assert condition is not None
    assert result.fragment["Conditions"][condition] == {"Fn::Not": [{"Condition": "Lock"}]}
    assert codes(result) == ({"AIP125"} if lock == "yes" else set())


def test_list_parameter_is_not_compared_with_a_string() -> None:
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={},
        parameters={"L": {"Type": "CommaDelimitedList"}},
        parameter_values={"L": "a"},
        mappings={},
        conditions={"C": eq({"Ref": "L"}, "a")},
    )
    assert isinstance(resolver.conditions, Conditions)
    assert resolver.conditions.decided == {}
