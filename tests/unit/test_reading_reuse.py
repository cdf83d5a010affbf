"""The shortcuts of the every-parameter-value readings change nothing: the template is read again
only when the result can differ, and `probes` resolves only the Resources that can name a valued
parameter. Each template below is analyzed with the shortcuts and with them turned off (every
reading made, every Resource resolved): the same fragment, permissions and findings."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission import core, parameter_values
from auto_invoke_permission.model import TransformContext
from auto_invoke_permission.resolver import Resolver
from conftest import ACCOUNT, REGION, caller, run, sam_function, statement

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
WORKER = {"Fn::GetAtt": ["Worker", "Arn"]}
STAGE = {"Stage": {"Type": "String", "Default": "dev"}}
IS_PROD = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
PROD = {"Condition": "IsProd"}


def template(resources: dict[str, Any], conditions: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"Parameters": dict(STAGE), "Resources": resources}
    if conditions:
        out["Conditions"] = dict(IS_PROD)
    return out


def declaring(callers: Any) -> dict[str, Any]:
    return {**sam_function(), "Metadata": {"AutoInvokePermission": {"AllowCallers": callers}}}


# case -> (template, this deploy's parameter values)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "a condition decided, literal grants (the symbolic reading serves)": (
        template(
            {"Worker": sam_function(), "Other": {**sam_function(), **PROD}, **caller(statement(WORKER))}
        ),
        {"Stage": "dev"},
    ),
    "a condition decided, a grant named by the parameter": (
        template(
            {
                "Worker": sam_function(FunctionName="worker-dev"),
                "Other": {**sam_function(), **PROD},
                **caller(statement({"Fn::Sub": ARN + "worker-${Stage}"})),
            }
        ),
        {"Stage": "dev"},
    ),
    "no condition decided, a grant named by the parameter (this deploy's reading serves)": (
        template(
            {
                "Worker": sam_function(FunctionName="worker-dev"),
                **caller(statement({"Fn::Sub": ARN + "worker-${Stage}"})),
            },
            conditions=False,
        ),
        {"Stage": "dev"},
    ),
    "a probe: the grant names another function with another value": (
        template(
            {
                "Worker": sam_function(FunctionName="worker-prod"),
                "Other": {**sam_function(), **PROD},
                **caller(statement({"Fn::Sub": ARN + "worker-${Stage}"})),
            }
        ),
        {"Stage": "dev"},
    ),
    "a callee named by the parameter (every Resource a probe target)": (
        template(
            {
                "Worker": sam_function(FunctionName={"Fn::Sub": "worker-${Stage}"}),
                "Other": {**sam_function(), **PROD},
                **caller(statement(ARN + "worker-prod"), statement(WORKER)),
            }
        ),
        {"Stage": "dev"},
    ),
    "AllowCallers read with the values, a condition decided": (
        template(
            {
                "Worker": declaring([{"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/${Stage}-caller"}]),
                "Other": {**sam_function(), **PROD},
                **caller(statement(WORKER)),
            }
        ),
        {"Stage": "dev"},
    ),
    "a grant under the decided condition": (
        template(
            {
                "Worker": sam_function(),
                **caller({"Fn::If": ["IsProd", statement(WORKER), {"Ref": "AWS::NoValue"}]}),
            }
        ),
        {"Stage": "dev"},
    ),
}


def _every_reading(
    now: Any, every: Any, decided: bool, shape: Any, options: Any, context: TransformContext
) -> Any:
    return core._reading(shape, options, context._replace(decide_conditions=False))


def outcome(fragment: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...]:
    result = run(fragment, parameter_values=values)
    return (result.fragment, [repr(p) for p in result.permissions], [f.one_line() for f in result.findings])


@pytest.mark.parametrize(("fragment", "values"), list(CASES.values()), ids=list(CASES))
def test_the_shortcuts_change_nothing(
    fragment: dict[str, Any], values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = outcome(fragment, values)
    monkeypatch.setattr(core, "_valued", _every_reading)
    monkeypatch.setattr(parameter_values, "_written_in", lambda document, names: True)
    monkeypatch.setattr(parameter_values, "_mentions", lambda node, names: True)
    assert outcome(fragment, values) == fast


def test_a_probe_is_found_through_the_shortcut() -> None:
    """The grant on `worker-${Stage}` names the function `worker-prod` with Stage=prod: a generated
    condition on that value carries the permission (the shortcut did not skip the Resource)."""
    fragment, values = CASES["a probe: the grant names another function with another value"]
    result = run(fragment, parameter_values=values)
    conditions = result.fragment.get("Conditions", {})
    assert [conditions.get(p.condition) for p in result.added] == [{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}]


def resolver(values: dict[str, Any]) -> Resolver:
    parameters = {"Stage": {"Type": "String"}, "Names": {"Type": "CommaDelimitedList"}}
    return Resolver(
        region=REGION,
        account_id=ACCOUNT,
        resources={"Worker": {}},
        parameters=parameters,
        parameter_values=values,
        mappings={},
        conditions={},
    )


# node -> the parameters asked for, with and without their values
ASKED: list[tuple[Any, set[str]]] = [
    ({"Fn::Sub": "worker-${Stage}"}, {"Stage"}),
    ({"Ref": "Stage"}, {"Stage"}),
    ({"Fn::Join": [",", {"Ref": "Names"}]}, {"Names"}),
    ({"Fn::Sub": "${AWS::Region}-${Worker}"}, set()),
    ({"Ref": "Worker"}, set()),
    ("worker-dev", set()),
]


@pytest.mark.parametrize(("node", "asked"), ASKED)
@pytest.mark.parametrize("values", [{}, {"Stage": "dev", "Names": "a,b"}])
def test_the_resolver_records_the_parameters_asked_for(
    node: Any, asked: set[str], values: dict[str, Any]
) -> None:
    reader = resolver(values)
    reader.strings(node)
    assert reader.asked == asked


# document -> whether `Stage` may be written in it
WRITTEN: list[tuple[Any, bool]] = [
    ({"Statement": [{"Resource": {"Fn::Sub": "x-${Stage}"}}]}, True),
    ({"Statement": [{"Resource": {"Ref": "Stage"}}]}, True),
    ({"Statement": [{"Resource": "*"}]}, False),
    ({"Statement": [{"Resource": {"Fn::GetAtt": ["Worker", "Arn"]}}]}, False),
    ({("not", "json"): "x"}, True),  # not JSON data: walked as before
]


@pytest.mark.parametrize(("document", "written"), WRITTEN)
def test_a_document_naming_no_valued_parameter_is_skipped(document: Any, written: bool) -> None:
    assert parameter_values._written_in(document, ("Stage",)) is written
    assert parameter_values._written_in(document, ('St"age',)) is True  # JSON escapes it: walked
