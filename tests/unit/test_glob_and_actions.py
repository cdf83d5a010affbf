"""IAM action globs and the invoke test of a statement's Action, case by case."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.resolver import Resolver
from auto_invoke_permission.statements import (
    ALWAYS,
    Problem,
    _actions_match,
    glob_match,
    literal_actions_allow_invoke,
)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("lambda:*", "lambda:invokefunction", True),
        ("lambda:invoke*", "lambda:invoke", True),  # a trailing star matches the empty run
        ("lambda:invoke**", "lambda:invoke", True),
        ("lambda:invoke?", "lambda:invoke", False),
        ("*function", "lambda:invokefunction", True),
        ("*a*b", "aaab", True),
        ("*a*b", "aaac", False),
        ("", "", True),
        ("", "x", False),
    ],
)
def test_glob_match(pattern: str, text: str, matches: bool) -> None:
    assert glob_match(pattern, text) is matches


def resolver() -> Resolver:
    return Resolver(
        region="us-east-1",
        account_id="123456789012",
        resources={},
        parameters={},
        parameter_values={},
        mappings={},
        conditions={"IsProd": {"Fn::Equals": ["a", "a"]}},
    )


@pytest.mark.parametrize(
    ("node", "verdict"),
    [
        ("lambda:InvokeFunction", ALWAYS),
        (["s3:GetObject", "LAMBDA:invoke*"], ALWAYS),
        ("s3:*", ()),
        ({"Fn::If": ["IsProd", "lambda:*", "s3:*"]}, (frozenset({("IsProd", True)}),)),
        ({"Fn::Join": [":", ["lambda", "InvokeFunction"]]}, ALWAYS),
        (3, Problem("", "the action is an integer, not a string")),
        (
            {"Ref": "Missing"},
            Problem(
                "", "the action cannot be read: Ref to Missing, which is neither a parameter nor a resource"
            ),
        ),
        ([{"Ref": "Missing"}, "lambda:*"], ALWAYS),  # invoke is granted anyway: nothing to say
    ],
)
def test_actions_match(node: Any, verdict: Any) -> None:
    assert _actions_match(node, resolver()) == verdict


@pytest.mark.parametrize(
    ("action", "verdict"),
    [
        ("lambda:InvokeFunction", True),
        ("LAMBDA:invoke*", True),
        ("s3:GetObject", False),
        (["s3:GetObject", "lambda:*"], True),
        (["s3:GetObject"], False),
        ([], False),
        (["lambda:InvokeFunction", 1], None),  # not literal: the general reader says why
        ({"Ref": "Action"}, None),
        (None, None),
    ],
)
def test_literal_actions_allow_invoke(action: Any, verdict: bool | None) -> None:
    assert literal_actions_allow_invoke(action) is verdict
