"""The condition module: the algebra against truth tables, cycle detection, and the one Fn::If rule
(a condition Conditions does not define is AIP116 at its path, wherever the Fn::If is, and no
permission is built on it)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pytest
from auto_invoke_permission.conditions import (
    MAX_CONDITION_OPERANDS,
    NO_CONDITIONS,
    CondSet,
    UndefinedCondition,
    and_conditions,
    condition_cycles,
    condition_expression,
    contradictory,
    if_branches,
    negated,
    simplify,
)
from conftest import document, lambda_function, role, run, sam_function, statement, variant
from hypothesis import given, settings
from hypothesis import strategies as st
from snippets import NO_VALUE, WORKER_ARN

NAMES = ("A", "B", "C", "D")
ALGEBRA = settings(derandomize=True, max_examples=300, deadline=None)

Assignment = Mapping[str, bool]

literals = st.tuples(st.sampled_from(NAMES), st.booleans())
terms = st.frozensets(literals, max_size=4)  # contradictory terms included: they must drop out
formulas = st.lists(terms, max_size=24)  # past MAX_CONDITION_OPERANDS: chunked Fn::Or


def assignments() -> list[dict[str, bool]]:
    return [dict(zip(NAMES, values, strict=True)) for values in itertools.product((False, True), repeat=4)]


def holds(term: CondSet, truth: Assignment) -> bool:
    return all(truth[name] is value for name, value in term)


def any_holds(formula: list[CondSet], truth: Assignment) -> bool:
    return any(holds(term, truth) for term in formula)


def evaluate(expression: Any, truth: Assignment) -> bool:
    """A CloudFormation condition made of Condition, Fn::Not, Fn::And and Fn::Or, as CloudFormation
    evaluates it; checks the operand counts CloudFormation accepts on the way."""
    assert isinstance(expression, dict) and len(expression) == 1, expression
    (op, arg), *_ = expression.items()
    if op == "Condition":
        return truth[arg]
    if op == "Fn::Not":
        assert isinstance(arg, list) and len(arg) == 1
        return not evaluate(arg[0], truth)
    assert op in ("Fn::And", "Fn::Or") and 2 <= len(arg) <= MAX_CONDITION_OPERANDS, expression
    values = [evaluate(item, truth) for item in arg]
    return all(values) if op == "Fn::And" else any(values)


@ALGEBRA
@given(formulas)
def test_simplify_keeps_the_truth_table(formula: list[CondSet]) -> None:
    simplified = simplify(formula)
    for truth in assignments():
        expected = any_holds(formula, truth)
        assert (simplified is not None and any_holds(simplified, truth)) is expected, truth


@ALGEBRA
@given(formulas, terms)
def test_condition_expression_keeps_the_truth_table(formula: list[CondSet], common: CondSet) -> None:
    # as the permission builder uses them: the shared literals, then every term under them
    alternatives = simplify(and_conditions(common, term) for term in formula)
    if alternatives is None:  # never true: no permission at all
        assert not any(holds(common, t) and any_holds(formula, t) for t in assignments())
        return
    in_all = frozenset.intersection(*alternatives)
    expression = condition_expression(in_all, alternatives)
    for truth in assignments():
        expected = holds(common, truth) and any_holds(formula, truth)
        assert (expression is None or evaluate(expression, truth)) is expected, (expression, truth)


@ALGEBRA
@given(st.lists(terms, max_size=4))
def test_and_conditions_is_the_conjunction(sets: list[CondSet]) -> None:
    combined = and_conditions(*sets)
    for truth in assignments():
        assert holds(combined, truth) is all(holds(s, truth) for s in sets)


@ALGEBRA
@given(terms)
def test_contradictory_means_never_true(term: CondSet) -> None:
    assert contradictory(term) is not any(holds(term, t) for t in assignments())
    for lit in term:
        assert negated(negated(lit)) == lit


# (Conditions, the cycles reported)
CYCLES: list[tuple[dict[str, Any], list[str]]] = [
    # no reference between conditions
    ({"A": {"Fn::Equals": ["a", "b"]}, "B": {"Fn::Equals": ["a", "a"]}}, []),
    # a chain is not a cycle
    ({"A": {"Condition": "B"}, "B": {"Fn::Not": [{"Condition": "C"}]}, "C": {"Fn::Equals": [1, 1]}}, []),
    # a condition that names itself
    ({"A": {"Fn::Not": [{"Condition": "A"}]}}, ["Conditions form a cycle: A -> A"]),
    # a cycle through Fn::And, reported once
    (
        {"A": {"Fn::And": [{"Condition": "B"}, {"Fn::Equals": [1, 1]}]}, "B": {"Condition": "A"}},
        ["Conditions form a cycle: A -> B -> A"],
    ),
    # a name that Conditions does not define is no cycle (CloudFormation reports it)
    ({"A": {"Condition": "Missing"}}, []),
]


@pytest.mark.parametrize(("conditions", "expected"), CYCLES)
def test_condition_cycles(conditions: dict[str, Any], expected: list[str]) -> None:
    assert condition_cycles(conditions) == expected


IF = {"Fn::If": ["Missing", "x", {"Ref": "AWS::NoValue"}]}

# (node, the template's Conditions or None when not visible, the branches)
SPLITS: list[tuple[Any, dict[str, Any] | None, list[tuple[Any, CondSet]]]] = [
    # a defined condition: both sides, AWS::NoValue as None
    (
        {"Fn::If": ["C", "x", {"Ref": "AWS::NoValue"}]},
        {"C": {}},
        [("x", frozenset({("C", True)})), (None, frozenset({("C", False)}))],
    ),
    # an undefined condition: no branch, the typed result
    (IF, {"C": {}}, [(UndefinedCondition("Missing"), NO_CONDITIONS)]),
    # nested under a defined one: the undefined part only
    (
        {"Fn::If": ["C", IF, "y"]},
        {"C": {}},
        [(UndefinedCondition("Missing"), frozenset({("C", True)})), ("y", frozenset({("C", False)}))],
    ),
    # Conditions not visible (Fn::Transform under Resources): the macro cannot know, so it splits
    (IF, None, [("x", frozenset({("Missing", True)})), (None, frozenset({("Missing", False)}))]),
]


@pytest.mark.parametrize(("node", "conditions", "expected"), SPLITS)
def test_if_branches(node: Any, conditions: dict[str, Any] | None, expected: list[Any]) -> None:
    assert if_branches(node, conditions) == expected


# ---------------------------------------------------------- the rule, through the core
GRANT = document(statement(WORKER_ARN))


def undefined_if(node: Any) -> dict[str, Any]:
    return {"Fn::If": ["Undefined", node, NO_VALUE]}


BASE: dict[str, Any] = {
    "Conditions": {"Defined": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "a"]}},  # undecidable
    "Resources": {
        "Worker": sam_function(),
        "ExecRole": role(),
        "Caller": lambda_function({"Fn::GetAtt": ["ExecRole", "Arn"]}),
    },
}

# (resources replacing BASE's, the path of the AIP116): every place an Fn::If can split a grant
UNDEFINED_IF: list[Any] = [
    pytest.param(
        # around the Resource (the rule as it always was)
        {"Caller": sam_function(Policies=[document(statement(undefined_if(WORKER_ARN)))])},
        "Caller.Properties.Policies[0].Statement[0].Resource",
        id="resource",
    ),
    pytest.param(
        # around a statement
        {"Caller": sam_function(Policies=[document(undefined_if(statement(WORKER_ARN)))])},
        "Caller.Properties.Policies[0].Statement[0]",
        id="statement",
    ),
    pytest.param(
        # around a SAM Policies item
        {"Caller": sam_function(Policies=[undefined_if(GRANT)])},
        "Caller.Properties.Policies[0]",
        id="sam-policies-item",
    ),
    pytest.param(
        # around the document of an AWS::IAM::Policy
        {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "p",
                    "Roles": [{"Ref": "ExecRole"}],
                    "PolicyDocument": undefined_if(GRANT),
                },
            }
        },
        "Policy.Properties.PolicyDocument",
        id="document",
    ),
    pytest.param(
        # around an entry of an AWS::IAM::Policy's Roles
        {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "p",
                    "Roles": [undefined_if({"Ref": "ExecRole"})],
                    "PolicyDocument": GRANT,
                },
            }
        },
        "Policy.Properties.Roles[0]",
        id="policy-roles",
    ),
    pytest.param(
        # around an inline policy of a role
        {"ExecRole": role(Policies=[undefined_if({"PolicyName": "p", "PolicyDocument": GRANT})])},
        "ExecRole.Properties.Policies[0]",
        id="role-policies",
    ),
    pytest.param(
        # around a role's managed policy
        {
            "ExecRole": role(ManagedPolicyArns=[undefined_if({"Ref": "Managed"})]),
            "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": GRANT}},
        },
        "ExecRole.Properties.ManagedPolicyArns[0]",
        id="managed-policy-arns",
    ),
    pytest.param(
        # around the caller's Role
        {
            "ExecRole": role(Policies=[{"PolicyName": "p", "PolicyDocument": GRANT}]),
            "Caller": lambda_function(undefined_if({"Fn::GetAtt": ["ExecRole", "Arn"]})),
        },
        "Caller.Properties.Role",
        id="role",
    ),
]


@pytest.mark.parametrize(("resources", "path"), UNDEFINED_IF)
def test_undefined_condition_is_a_finding_everywhere(resources: dict[str, Any], path: str) -> None:
    result = run(variant(BASE, **resources))
    assert [(f.code, f.path) for f in result.findings] == [("AIP116", path)]
    assert "Undefined" in result.findings[0].message
    assert result.added == []
    assert "Undefined" not in str(result.fragment.get("Conditions"))


@pytest.mark.parametrize(("resources", "path"), UNDEFINED_IF)
def test_defined_condition_is_a_conditional_permission(resources: dict[str, Any], path: str) -> None:
    # the same templates with the condition defined: one permission under it, no finding
    template = variant(BASE, **resources)
    template["Conditions"]["Undefined"] = {"Fn::Equals": [{"Ref": "AWS::StackName"}, "b"]}  # undecidable
    result = run(template)
    assert result.findings == []
    assert [p.condition for p in result.added] == ["Undefined"]
