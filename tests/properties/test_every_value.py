"""The injected permissions are right for every parameter value; this deploy's values decide only
which findings apply now (docs/guide/parameter-values.md).

Tables per behaviour, then the property: a template expanded with one set of values, deployed with
any other, gives the permissions that the grants allow with the other set.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission import core
from auto_invoke_permission.conditions import Conditions
from auto_invoke_permission.model import TransformContext, TransformFailure, TransformResult
from auto_invoke_permission.options import Options
from auto_invoke_permission.resolver import Resolver
from conftest import ACCOUNT, REGION, caller, codes, run, sam_function, statement
from hypothesis import given, settings
from hypothesis import strategies as st
from repository import SAMPLES as REPO_SAMPLES

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
WORKER = {"Fn::GetAtt": ["Worker", "Arn"]}
NO_VALUE = {"Ref": "AWS::NoValue"}


def eq(left: Any, right: Any) -> dict[str, Any]:
    return {"Fn::Equals": [left, right]}


def when(condition: str, then: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, then, NO_VALUE]}


def alias(function: str, name: Any, **attributes: Any) -> dict[str, Any]:
    props = {"FunctionName": {"Ref": function}, "FunctionVersion": "1", "Name": name}
    return {"Type": "AWS::Lambda::Alias", "Properties": props, **attributes}


def under(condition: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "Condition": condition}


STAGE = {"Stage": {"Type": "String", "Default": "dev"}}
IS_PROD = {"IsProd": eq({"Ref": "Stage"}, "prod")}


def template(resources: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Parameters": {**STAGE, **(parameters or {})},
        "Conditions": dict(IS_PROD),
        "Resources": resources,
    }


def permissions_of(result: TransformResult) -> list[tuple[str, Any]]:
    """(callee label, the permission's condition as written) of each permission added."""
    conditions = result.fragment.get("Conditions", {})
    return sorted(
        (p.callee.label, None if p.condition is None else conditions.get(p.condition, p.condition))
        for p in result.added
    )


PROD = {"Condition": "IsProd"}

# ------------------------------------------- a condition decided false keeps the permission
# (resources, this deploy's Stage, the permissions (callee, condition), the finding codes)
DECIDED: list[tuple[str, dict[str, Any], str, list[tuple[str, Any]], set[str]]] = [
    (
        "a statement in a branch decided false",
        {"Worker": sam_function(), **caller(when("IsProd", statement(WORKER)))},
        "dev",
        [("Worker", "IsProd")],
        set(),
    ),
    (
        "the same, decided true",
        {"Worker": sam_function(), **caller(when("IsProd", statement(WORKER)))},
        "prod",
        [("Worker", "IsProd")],
        set(),
    ),
    (
        "a caller decided false",
        {"Worker": sam_function(), **{k: under("IsProd", v) for k, v in caller(statement(WORKER)).items()}},
        "dev",
        [("Worker", "IsProd")],
        set(),
    ),
    (
        "a callee and its grant under the same condition decided false",
        {"Worker": under("IsProd", sam_function()), **caller(when("IsProd", statement(WORKER)))},
        "dev",
        [("Worker", "IsProd")],
        set(),
    ),
    (
        "a callee decided false, its grant outside the condition: AIP118, not AIP102",
        {"Worker": under("IsProd", sam_function()), **caller(statement(WORKER))},
        "dev",
        [("Worker", "IsProd")],
        {"AIP118"},
    ),
    (
        "an alias decided false, its grant outside the condition",
        {
            "Worker": sam_function(),
            "Live": under("IsProd", alias("Worker", "live")),
            **caller(statement({"Ref": "Live"})),
        },
        "dev",
        [("Worker:live", "IsProd")],
        {"AIP118"},
    ),
    (
        "a wildcard under a condition decided false: no finding now (the optional-hook idiom)",
        {"Worker": sam_function(), **caller(statement(WORKER), when("IsProd", statement("*")))},
        "dev",
        [("Worker", None)],
        set(),
    ),
    (
        "the same wildcard, decided true",
        {"Worker": sam_function(), **caller(statement(WORKER), when("IsProd", statement("*")))},
        "prod",
        [("Worker", None)],
        {"AIP110"},
    ),
]


@pytest.mark.parametrize(
    ("resources", "stage", "expected", "expected_codes"),
    [pytest.param(*case[1:], id=case[0]) for case in DECIDED],
)
def test_decided_conditions_stay_on_the_permissions(
    resources: dict[str, Any], stage: str, expected: list[tuple[str, Any]], expected_codes: set[str]
) -> None:
    result = run(template(resources), parameter_values={"Stage": stage})
    assert sorted((p.callee.label, p.condition) for p in result.added) == expected
    assert codes(result) == expected_codes


# ------------------------------------------------ a match that depends on a parameter's value
NAMED_WORKER = sam_function(FunctionName="worker")
# (resources, parameters, values, permissions (callee, condition as written), codes)
VALUE_MATCHES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], list[Any], set[str]]] = [
    (
        "a function name from a parameter equal to a function's name",
        {"Worker": NAMED_WORKER, **caller(statement({"Fn::Sub": ARN + "${Name}"}))},
        {"Name": {"Type": "String"}},
        {"Name": "worker"},
        [("Worker", eq({"Ref": "Name"}, "worker"))],
        set(),
    ),
    (
        "the same parameter on both sides: the match holds for any value",
        {
            "Worker": sam_function(FunctionName={"Ref": "Name"}),
            **caller(statement({"Fn::Sub": ARN + "${Name}"})),
        },
        {"Name": {"Type": "String"}},
        {"Name": "worker"},
        [("Worker", None)],
        set(),
    ),
    (
        "an alias whose Name is a parameter",
        {
            "Worker": sam_function(),
            "Live": alias("Worker", {"Ref": "AliasName"}),
            **caller(statement({"Fn::Sub": "${Worker.Arn}:prod"})),
        },
        {"AliasName": {"Type": "String"}},
        {"AliasName": "prod"},
        [("Worker:prod", eq({"Ref": "AliasName"}, "prod"))],
        set(),
    ),
    (
        "a value-dependent match under a condition: both, combined",
        {"Worker": NAMED_WORKER, **caller(when("IsProd", statement({"Fn::Sub": ARN + "${Name}"})))},
        {"Name": {"Type": "String"}},
        {"Name": "worker", "Stage": "prod"},
        [("Worker", {"Fn::And": [{"Condition": "NAME"}, {"Condition": "IsProd"}]})],
        set(),
    ),
    (
        "a list parameter: no condition can compare it (AIP128), no permission",
        {
            "Worker": NAMED_WORKER,
            **caller(statement({"Fn::Sub": [ARN + "${N}", {"N": {"Fn::Select": [0, {"Ref": "Names"}]}}]})),
        },
        {"Names": {"Type": "CommaDelimitedList"}},
        {"Names": "worker"},
        [],
        {"AIP128"},
    ),
    (
        "the same under a condition decided false: no finding now",
        {
            "Worker": NAMED_WORKER,
            **caller(
                when(
                    "IsProd",
                    statement({"Fn::Sub": [ARN + "${N}", {"N": {"Fn::Select": [0, {"Ref": "Names"}]}}]}),
                )
            ),
        },
        {"Names": {"Type": "CommaDelimitedList"}},
        {"Names": "worker", "Stage": "dev"},
        [],
        set(),
    ),
]


def _named(expression: Any) -> Any:
    """A combined condition with the generated one spelled NAME (its name is a hash)."""
    if isinstance(expression, dict) and "Fn::And" in expression:
        return {
            "Fn::And": [
                {"Condition": "NAME"} if c["Condition"] not in ("IsProd",) else c
                for c in expression["Fn::And"]
            ]
        }
    return expression


@pytest.mark.parametrize(
    ("resources", "parameters", "values", "expected", "expected_codes"),
    [pytest.param(*case[1:], id=case[0]) for case in VALUE_MATCHES],
)
def test_value_dependent_matches_carry_a_generated_condition(
    resources: dict[str, Any],
    parameters: dict[str, Any],
    values: dict[str, Any],
    expected: list[Any],
    expected_codes: set[str],
) -> None:
    result = run(template(resources, parameters), parameter_values=values)
    conditions = result.fragment.get("Conditions", {})
    got = [(label, _named(expression)) for label, expression in permissions_of(result)]
    assert got == expected
    assert codes(result) == expected_codes
    for name, definition in conditions.items():  # every generated condition is defined
        assert name in IS_PROD or "Fn::Equals" in definition or "Fn::And" in definition


# ------------------------------------------------------- values the macro cannot know
# (the parameter's declaration, its value): IsProd stays open, so the permission carries it
UNKNOWABLE: list[tuple[str, dict[str, Any], str]] = [
    ("a dynamic reference", {"Type": "String"}, "{{resolve:ssm:/app/stage:3}}"),
    ("a secrets manager reference", {"Type": "String"}, "{{resolve:secretsmanager:stage:SecretString}}"),
    ("an SSM parameter type", {"Type": "AWS::SSM::Parameter::Value<String>"}, "/app/stage"),
    ("a NoEcho parameter", {"Type": "String", "NoEcho": "true"}, "dev"),
]


@pytest.mark.parametrize(("declaration", "value"), [pytest.param(*c[1:], id=c[0]) for c in UNKNOWABLE])
def test_values_the_macro_cannot_know_are_never_compared(declaration: dict[str, Any], value: str) -> None:
    resources = {"Worker": sam_function(), **caller(when("IsProd", statement(WORKER)))}
    fragment = {**template(resources), "Parameters": {"Stage": declaration}}
    result = run(fragment, parameter_values={"Stage": value})
    assert [(p.callee.label, p.condition) for p in result.added] == [("Worker", "IsProd")]
    assert codes(result) == set()


# --------------------------------------------- values CloudFormation would reject (AIP119)
CONSTRAINTS: list[tuple[dict[str, Any], str, bool]] = [
    ({"AllowedValues": ["dev", "prod"]}, "dev", False),
    ({"AllowedValues": ["dev", "prod"]}, "test", True),
    ({"AllowedPattern": "[a-z]+"}, "dev", False),
    ({"AllowedPattern": "[a-z]+"}, "dev1", True),  # the whole value must match
    ({"MinLength": 3}, "de", True),
    ({"MaxLength": "3"}, "prod", True),
    ({"Type": "Number", "MinValue": 1, "MaxValue": 10}, "5", False),
    ({"Type": "Number", "MinValue": 1}, "0", True),
    ({"Type": "Number", "MaxValue": 10}, "11", True),
    ({"Type": "Number"}, "many", True),
    ({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}, "a,c", True),
    ({"AllowedPattern": "("}, "x", False),  # a pattern Python cannot read is not judged
]


@pytest.mark.parametrize(("constraints", "value", "rejected"), CONSTRAINTS)
def test_parameter_values_outside_their_constraints(
    constraints: dict[str, Any], value: str, rejected: bool
) -> None:
    fragment = {
        "Parameters": {"Stage": {"Type": "String", **constraints}},
        "Resources": {"Worker": sam_function(), **caller(statement(WORKER))},
    }
    result = run(fragment, parameter_values={"Stage": value})
    found = [f for f in result.findings if f.code == "AIP119"]
    assert bool(found) is rejected
    if found:
        assert found[0].resource == "Stage" and repr(value) in found[0].message


# ------------------------------------------------------------------- the property
HOOK_ARN = ARN + "worker"
PARAMETERS = {
    "Stage": {"Type": "String", "Default": "dev"},
    "Name": {"Type": "String", "Default": "worker"},
    "AliasName": {"Type": "String", "Default": "live"},
    "Hook": {"Type": "String", "Default": ""},
}
FAMILY: dict[str, Any] = {
    "Parameters": PARAMETERS,
    "Conditions": {
        "IsProd": eq({"Ref": "Stage"}, "prod"),
        "HasHook": {"Fn::Not": [eq({"Ref": "Hook"}, "")]},
        "ProdWithHook": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasHook"}]},
    },
    "Resources": {
        "Worker": sam_function(FunctionName="worker"),
        "Other": sam_function(FunctionName="other"),
        "ProdWorker": under("IsProd", sam_function()),
        "Live": alias("Other", {"Ref": "AliasName"}),
        "Caller": sam_function(
            Policies=[
                {
                    "Statement": [
                        when("IsProd", statement({"Fn::GetAtt": ["ProdWorker", "Arn"]})),
                        statement({"Fn::Sub": ARN + "${Name}"}),
                        statement({"Fn::Sub": "${Other.Arn}:live"}),
                        when("HasHook", statement({"Ref": "Hook"})),
                        when("ProdWithHook", statement({"Fn::GetAtt": ["Other", "Arn"]}, effect="Deny")),
                    ]
                }
            ]
        ),
    },
}
VALUES = st.fixed_dictionaries(
    {
        "Stage": st.sampled_from(["dev", "prod"]),
        "Name": st.sampled_from(["worker", "other", "nobody"]),
        "AliasName": st.sampled_from(["live", "prod"]),
        "Hook": st.sampled_from(["", HOOK_ARN, ARN + "other", ARN + "nobody"]),
    }
)

Key = tuple[Any, ...]


def expand(fragment: Mapping[str, Any], values: Mapping[str, Any]) -> TransformResult:
    return core.analyze(fragment, Options(), TransformContext(REGION, ACCOUNT, dict(values)))


def deployed(result: TransformResult, values: Mapping[str, Any]) -> dict[Key, bool | None]:
    """The added permissions CloudFormation creates when the output is deployed with `values`: each
    Condition evaluated over the output's Conditions (None: it depends on what no value decides)."""
    out = result.fragment
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={},
        parameters=out.get("Parameters", {}),
        parameter_values=values,
        mappings=out.get("Mappings", {}),
        conditions=out.get("Conditions", {}),
    )
    decided = resolver.conditions.decided if isinstance(resolver.conditions, Conditions) else {}
    live: dict[Key, bool | None] = {}
    for p in result.added:
        truth = True if p.condition is None else decided.get(p.condition)
        if truth is not False:
            live[(p.callee, p.principal.key, p.action, p.extra)] = truth
    return live


def allowed(fragment: Mapping[str, Any], values: Mapping[str, Any]) -> dict[Key, bool | None]:
    """What the grants allow with `values`: the permissions built from the grants read with them
    (every condition on a parameter decided), before anything is built for other values."""
    shape = core._shape(fragment)
    context = TransformContext(REGION, ACCOUNT, dict(values))
    now = core._reading(shape, Options(), context)
    built = core._build(now, now.grants, fragment.get("Conditions", {}))
    # the conditions the permissions carry, generated ones included, decided with `values`
    resolver = Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={},
        parameters=fragment.get("Parameters", {}),
        parameter_values=values,
        mappings=fragment.get("Mappings", {}),
        conditions={**fragment.get("Conditions", {}), **built.new_conditions},
    )
    decided = resolver.conditions.decided if isinstance(resolver.conditions, Conditions) else {}
    live: dict[Key, bool | None] = {}
    for p in built.permissions:
        truth = True if p.condition is None else decided.get(p.condition)
        if not p.existing and truth is not False:
            live[(p.callee, p.principal.key, p.action, p.extra)] = truth
    return live


@settings(max_examples=60, deadline=None)
@given(expanded_with=VALUES, deployed_with=VALUES)
def test_expanded_with_one_set_of_values_right_for_any_other(
    expanded_with: dict[str, str], deployed_with: dict[str, str]
) -> None:
    output = expand(FAMILY, expanded_with)
    assert deployed(output, deployed_with) == allowed(FAMILY, deployed_with)


def test_the_family_exercises_every_kind_of_permission() -> None:
    # the property above is not vacuous: each permission is under a condition, generated ones too;
    # Other is granted through `function:${Name}` with a value this deploy does not use
    output = expand(FAMILY, {"Stage": "prod", "Name": "worker", "AliasName": "live", "Hook": HOOK_ARN})
    conditions = output.fragment["Conditions"]
    got = {p.callee.label: p.condition for p in output.added}
    assert sorted(got) == ["Other", "Other:live", "ProdWorker", "Worker"]
    assert got["ProdWorker"] == "IsProd"
    assert conditions[got["Other:live"] or ""] == eq({"Ref": "AliasName"}, "live")
    generated = {str(d["Fn::Equals"][1]) for n, d in conditions.items() if n.startswith("AutoInvoke")}
    assert generated == {"worker", "other", "live", ARN + "worker", ARN + "other"}


# ----------------------------------------------------- the property over the public corpus
def _compared(conditions: Any, parameter: str) -> list[str]:
    """The literal values the Conditions compare a parameter with (`!Equals [!Ref P, value]`)."""
    found: list[str] = []
    stack = [conditions]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            pair = node.get("Fn::Equals")
            if isinstance(pair, list) and len(pair) == 2 and {"Ref": parameter} in pair:
                other = pair[1] if pair[0] == {"Ref": parameter} else pair[0]
                if isinstance(other, str | int | bool) and str(other) not in found:
                    found.append(str(other))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def value_sets(template: Mapping[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The Defaults (or a stand-in), then the Defaults with one compared parameter changed."""
    parameters = template.get("Parameters")
    if not isinstance(parameters, dict):
        return [{}]
    defaults: dict[str, Any] = {}
    for name, spec in parameters.items():
        default = spec.get("Default", "x") if isinstance(spec, dict) else "x"
        defaults[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
    sets = [defaults]
    for name in sorted(defaults):
        for value in _compared(template.get("Conditions"), name):
            if value != defaults[name] and len(sets) <= limit:
                sets.append({**defaults, name: value})
    return sets


def _corpus_templates() -> list[tuple[str, dict[str, Any]]]:
    from corpus_support import CORPUS, load_template, read_tsv, without_transform

    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    out = []
    for row in read_tsv(CORPUS / "MANIFEST.tsv"):
        try:
            template = load_template(CORPUS / row["local_file"])
        except Exception:  # unreadable corpus files are the corpus tests' concern
            continue
        if (
            isinstance(template, dict)
            and isinstance(template.get("Conditions"), dict)
            and template["Conditions"]
        ):
            out.append((row["local_file"], without_transform(template)))
    return out


def _mismatches(templates: list[tuple[str, dict[str, Any]]]) -> tuple[int, list[str]]:
    """(templates checked, each (template, expanded with, deployed with) whose permissions differ)."""
    problems: list[str] = []
    checked = 0
    for name, fragment in templates:
        sets = value_sets(fragment)
        try:
            outputs = [expand(fragment, values) for values in sets]
            wanted = [allowed(fragment, values) for values in sets]
        except TransformFailure:
            continue  # unusable input or a limit: the corpus tests judge those
        checked += 1
        for i, output in enumerate(outputs):
            for j, values in enumerate(sets):
                if deployed(output, values) != wanted[j]:
                    problems.append(f"{name}: expanded with set {i}, deployed with set {j}")
    return checked, problems


SAMPLES = sorted(REPO_SAMPLES.glob("*/template.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.parent.name)
def test_samples_expanded_with_one_set_of_values_right_for_any_other(path: Path) -> None:
    from corpus_support import load_template, without_transform

    checked, problems = _mismatches([(path.parent.name, without_transform(load_template(path)))])
    assert checked == 1
    assert problems == []


@pytest.mark.corpus
def test_corpus_expanded_with_one_set_of_values_right_for_any_other() -> None:
    templates = _corpus_templates()
    if not templates:
        pytest.skip("corpus not found")
    checked, problems = _mismatches(templates)
    assert checked > 100
    assert problems == [], "\n".join(problems[:50])
