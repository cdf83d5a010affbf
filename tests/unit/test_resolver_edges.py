"""The resolver's public behaviour at its edges: partitions, list parameters, malformed intrinsics and
the bounds. Every case is a value or an Unresolved with its reason, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.conditions import NO_CONDITIONS
from auto_invoke_permission.resolver import (
    MAX_BRANCHES,
    Resolver,
    Token,
    Unresolved,
    _parse_sub,
    partition_for,
    url_suffix_for,
)

REGION, ACCOUNT = "eu-west-1", "111122223333"
RESOURCES: dict[str, Any] = {"Worker": {"Type": "AWS::Lambda::Function"}}
PARAMETERS: dict[str, Any] = {
    "Stage": {"Type": "String"},
    "Names": {"Type": "List<String>"},
    "Ports": {"Type": "CommaDelimitedList"},
    "Index": {"Type": "String"},
}
VALUES: dict[str, Any] = {"Stage": "prod", "Names": ["a", "b"], "Ports": "80, 443", "Index": "1"}
CONDITIONS: dict[str, Any] = {"IsProd": {"Fn::Equals": ["a", "a"]}}


def resolver(conditions: dict[str, Any] | None = CONDITIONS) -> Resolver:
    return Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources=RESOURCES,
        parameters=PARAMETERS,
        parameter_values=VALUES,
        mappings={"Env": {"prod": {"Name": "worker-prod", "Names": ["x", "y"]}}},
        conditions=conditions,
    )


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("eu-west-1", "aws", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ("us-iso-east-1", "aws-iso", "amazonaws.com"),
        ("us-isob-east-1", "aws-iso-b", "amazonaws.com"),
        ("eu-isoe-west-1", "aws-iso-e", "amazonaws.com"),
    ],
)
def test_partition_and_url_suffix(region: str, partition: str, suffix: str) -> None:
    assert (partition_for(region), url_suffix_for(region)) == (partition, suffix)


def test_unresolved_compares_by_reason_and_code() -> None:
    assert Unresolved("x") == Unresolved("x", "AIP116")
    assert Unresolved("x") != Unresolved("x", "AIP114")
    assert len({Unresolved("x"), Unresolved("x")}) == 1
    assert Unresolved("x").__eq__("x") is NotImplemented
    assert repr(Unresolved("why", "AIP115")) == "Unresolved(reason='why', code='AIP115')"


@pytest.mark.parametrize(
    ("node", "value"),
    [
        ({"Ref": "Names"}, ("a,b",)),  # a list value as one string: comma-joined
        ({"Ref": ["Stage"]}, Unresolved("Ref to ['Stage'], which is not a name")),
        ({"Ref": "Ghost"}, Unresolved("Ref to Ghost, which is neither a parameter nor a resource")),
        ({"Ref": "Worker.Alias"}, (Token("ref", "Worker.Alias"),)),  # SAM's alias syntax
        ({"Fn::Sub": "${Worker.Arn}:*"}, (Token("getatt", "Worker", "Arn"), ":*")),
        ({"Fn::Sub": "${Ghost.Arn}"}, (Token("ref", "Ghost.Arn"),)),  # a dotted name stays symbolic
        ({"Fn::Sub": "${!Literal}-${AWS::Region}"}, ("${Literal}-eu-west-1",)),
        ({"Fn::Sub": "a${AWS::NoValue}b"}, ("ab",)),
        ({"Fn::Sub": "${Stage"}, Unresolved("Fn::Sub with an unterminated ${")),
        ({"Fn::Sub": 3}, Unresolved("Fn::Sub needs a string or [string, variables]")),
        ({"Fn::Select": [{"Ref": "Index"}, ["x", "y"]]}, ("y",)),
        ({"Fn::Select": ["one", ["x", "y"]]}, Unresolved("Fn::Select index unknown at transform time")),
        ({"Fn::Select": [True, ["x", "y"]]}, Unresolved("Fn::Select index unknown at transform time")),
        ({"Fn::Select": [5, ["x"]]}, Unresolved("Fn::Select index 5 out of range")),
        ({"Fn::Select": [0]}, Unresolved("Fn::Select needs [index, list]")),
        (
            {"Fn::Select": [0, [{"Fn::If": ["IsProd", "x", "y"]}]]},
            Unresolved("Fn::Select over a conditional list"),
        ),
        ({"Fn::Join": ["-", "ab"]}, Unresolved("Fn::Join needs [delimiter, list]")),
        ({"Fn::Join": ["-", {"Ref": "Names"}]}, ("a-b",)),
        (
            {"Fn::Join": ["-", {"Ref": "Ghost"}]},
            Unresolved("Ref to Ghost, which is neither a parameter nor a resource"),
        ),
        ({"Fn::Join": [",", {"Fn::Split": [",", "a,b"]}]}, ("a,b",)),
        ({"Fn::FindInMap": ["Env", {"Ref": "Stage"}, "Name"]}, ("worker-prod",)),
        ({"Fn::FindInMap": ["Env", "prod"]}, Unresolved("Fn::FindInMap needs [map, top key, second key]")),
        ({"Fn::FindInMap": ["Env", "dev", "Name", {"DefaultValue": "fallback"}]}, ("fallback",)),
        (
            {"Fn::FindInMap": ["Env", {"Ref": "AWS::StackName"}, "Name"]},
            Unresolved("Fn::FindInMap key unknown at transform time"),
        ),
        (
            {"Fn::FindInMap": ["Env", "prod", "Missing"]},
            Unresolved("Fn::FindInMap [Env, prod, Missing] is not in Mappings"),
        ),
        ({"Fn::Base64": "x"}, Unresolved("Fn::Base64 cannot be resolved at transform time")),
        ({"Fn::Foo": "x"}, Unresolved("unknown intrinsic function Fn::Foo")),
        ({"Fn::If": ["IsProd", "x", "y"]}, Unresolved("Fn::If with conditional parts")),
        ({"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, {"Ref": "AWS::NoValue"}]}, None),
        (["x"], Unresolved("not a string")),
    ],
)
def test_scalar(node: Any, value: Any) -> None:
    assert resolver().scalar(node) == value


@pytest.mark.parametrize(
    ("node", "branches"),
    [
        ({"Ref": "Ports"}, [(("80",), NO_CONDITIONS), (("443",), NO_CONDITIONS)]),  # CommaDelimitedList
        ({"Fn::FindInMap": ["Env", "prod", "Names"]}, [(("x",), NO_CONDITIONS), (("y",), NO_CONDITIONS)]),
        ({"Fn::Split": ["", "a"]}, [(Unresolved("Fn::Split needs [delimiter, string]"), NO_CONDITIONS)]),
        ({"Fn::Foo": "x"}, [(Unresolved("unknown intrinsic function Fn::Foo"), NO_CONDITIONS)]),
        ({"Key": "x"}, [(Unresolved("a mapping where a string is expected"), NO_CONDITIONS)]),
        (None, [(Unresolved("empty value"), NO_CONDITIONS)]),
        (1.5, [(Unresolved("1.5 is not a string"), NO_CONDITIONS)]),
    ],
)
def test_strings(node: Any, branches: list[Any]) -> None:
    assert resolver().strings(node) == branches


def test_fn_if_in_sub_variables_is_the_cross_product() -> None:
    node = {
        "Fn::Sub": [
            "${A}-${B}-${Stage}",
            {"A": {"Fn::If": ["IsProd", "p", "d"]}, "B": {"Fn::If": ["IsProd", "1", "2"]}},
        ]
    }
    undecided = {"IsProd": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "prod"]}}  # the stack name is unknown
    texts = [(value, sorted(conds)) for value, conds in resolver(undecided).strings(node)]
    # the contradictory combinations (IsProd true for A, false for B) are kept as such: both literals
    assert texts[0] == (("p-1-prod",), [("IsProd", True)])
    assert texts[-1] == (("d-2-prod",), [("IsProd", False)])
    assert len(texts) == 4


def test_sub_alternatives_stop_at_an_unresolved_variable() -> None:
    node = {"Fn::Sub": ["${A}${Ghost}", {"A": {"Fn::If": ["IsProd", "p", "d"]}}]}
    assert resolver().strings(node) == [
        (Unresolved("Ref to Ghost, which is neither a parameter nor a resource"), NO_CONDITIONS)
    ]


def test_too_many_alternatives_is_unresolved() -> None:
    # one condition each: the combinations are independent (the same condition twice is pruned)
    count = MAX_BRANCHES // 2 + 1
    conditions = {f"C{i}": {"Fn::Equals": [{"Ref": "AWS::StackName"}, f"s{i}"]} for i in range(count)}
    choices = [{"Fn::If": [f"C{i}", "a", "b"]} for i in range(count)]
    join = {"Fn::Join": ["", choices[:7]]}  # 2**7 combinations
    assert resolver(conditions).strings(join) == [(Unresolved("too many alternatives"), NO_CONDITIONS)]
    assert resolver(conditions).strings(choices) == [(Unresolved("too many alternatives"), NO_CONDITIONS)]


def test_join_over_a_conditional_list_value_is_unresolved() -> None:
    node = {"Fn::Join": ["-", {"Fn::If": ["IsProd", ["a"], ["b"]]}]}
    assert resolver().strings(node) == [(Unresolved("Fn::Join over a conditional list"), NO_CONDITIONS)]


def test_nesting_and_work_are_bounded() -> None:
    deep: Any = "x"
    for _ in range(60):
        deep = {"Fn::Join": ["", [deep]]}
    assert resolver().scalar(deep) == Unresolved("nested too deep")
    wide = {"Fn::Join": ["", [{"Fn::Join": ["", [{"Ref": "Stage"}] * 60]}] * 80]}
    assert resolver().scalar(wide) == Unresolved("too complex")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ((), "")),
        ("no variables", ((), "no variables")),
        ("arn:${AWS::Partition}:x:${Worker}*", ((("arn:", "AWS::Partition"), (":x:", "Worker")), "*")),
        ("${}", ((("", ""),), "")),
        ("${!Literal}", ((("", "!Literal"),), "")),
        ("${a${b}c", ((("", "a${b"),), "c")),  # a variable runs to the first `}` after its `${`
        ("x}${y}}", ((("x}", "y"),), "}")),
        ("$${x}", ((("$", "x"),), "")),
        ("a${x}b${", None),  # unterminated
        ("${Stage", None),
    ],
)
def test_parse_sub(text: str, parsed: Any) -> None:
    """`Fn::Sub` text as (literal, variable) pieces and a tail, as CloudFormation splits it."""
    assert _parse_sub(text) == parsed


PSEUDO = {"AWS::Region": "eu-west-1", "AWS::Partition": "aws"}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("arn:${AWS::Partition}:x:${AWS::Region}", ((), "arn:aws:x:eu-west-1")),
        ("arn:${AWS::Partition}:${Worker}*", ((("arn:aws:", "Worker"),), "*")),
        ("${A}${AWS::Region}${B}", ((("", "A"), ("eu-west-1", "B")), "")),
        ("${ AWS::Region }", ((("", " AWS::Region "),), "")),  # not the exact name: left to the reader
        ("${AWS::Region", None),
    ],
)
def test_parse_sub_with_pseudo_parameters(text: str, parsed: Any) -> None:
    """The pseudo parameters' values are written into the literal text; every other variable stays."""
    assert _parse_sub(text, PSEUDO) == parsed


def test_a_sub_variable_hides_a_pseudo_parameter() -> None:
    node = {"Fn::Sub": ["${AWS::Region}-${AWS::Partition}", {"AWS::Region": "mine"}]}
    assert resolver().strings(node) == [(("mine-aws",), NO_CONDITIONS)]
