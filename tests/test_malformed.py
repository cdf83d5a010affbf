"""Malformed templates end in a clear failure that names the problem and its place, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.model import TransformFailure
from conftest import run

FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {}}


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        # a condition that depends on itself, directly or through another
        (
            {"Conditions": {"S": {"Fn::Not": [{"Condition": "S"}]}}, "Resources": {"F": FUNCTION}},
            "Conditions form a cycle: S -> S",
        ),
        (
            {
                "Conditions": {
                    "A": {"Condition": "B"},
                    "B": {"Fn::And": [{"Condition": "A"}, {"Condition": "A"}]},
                },
                "Resources": {"F": FUNCTION},
            },
            "Conditions form a cycle: A -> B -> A",
        ),
        # shapes CloudFormation rejects
        ({"Resources": [FUNCTION]}, "Resources must be a mapping of logical IDs to resources, not a list"),
        ({"Resources": {"F": "function"}}, "Resources.F must be a mapping, not a str"),
        ({"Resources": {"F": {"Type": 7}}}, "Resources.F.Type must be a string"),
        ({"Conditions": [], "Resources": {"F": FUNCTION}}, "Conditions must be a mapping, not a list"),
        # neither a template nor a Resources mapping: where to put the transform
        ({"Foo": "bar"}, "place `Fn::Transform` directly under `Resources`"),
    ],
)
def test_malformed_template_fails_clearly(fragment: Any, message: str) -> None:
    with pytest.raises(TransformFailure) as failure:
        run(fragment)
    assert any(message in problem for problem in failure.value.problems), failure.value.problems


def test_conditions_that_only_chain_are_fine() -> None:
    fragment = {
        "Conditions": {"A": {"Condition": "B"}, "B": {"Fn::Equals": ["x", "y"]}},
        "Resources": {"F": FUNCTION},
    }
    assert run(fragment).permissions == []
