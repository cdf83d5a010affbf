"""Hand-written cases (tests/golden/cases/*.yaml) through the handler, in every transform order they name.

A case: `orders` (pre: the macro before SAM, post: after SAM, cfn: plain CloudFormation),
`parameters` (templateParameterValues), `expect` (`status`; `permissions` as
{function, principal, qualifier, conditions, action, extra}, where `action` defaults to
lambda:InvokeFunction and `extra` (further properties: FunctionUrlAuthType,
InvokedViaFunctionUrl) to none; `codes`, finding codes the report must list, and
`absent_codes`, codes it must not list), `template`. Conditions compare by truth
table over the template's own conditions, so any equivalent spelling passes (SAM's
`NOT<cond>` included), and each output is run through the macro again: nothing may change.
"""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission import handler
from corpus_support import (
    canon_function,
    canon_principal,
    clean_handler_environment,
    event,
    injected,
    load_template,
    sam_translate,
    without_transform,
)

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
COMPOSED = ("Condition", "Fn::And", "Fn::Or", "Fn::Not")
BASE_PROPERTIES = frozenset({"Action", "FunctionName", "Principal"})


def run_macro(fragment: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    macro_event = {**event(fragment, "orders"), "templateParameterValues": dict(parameters)}
    with clean_handler_environment(), contextlib.redirect_stderr(io.StringIO()):
        response: dict[str, Any] = handler.handler(macro_event)
    return response


def holds(expr: Any, conditions: Mapping[str, Any], truth: Mapping[str, bool], depth: int = 0) -> bool:
    """Evaluate a condition expression; conditions that are not compositions are atoms in `truth`."""
    assert depth < 50, "condition nesting"
    key, arg = next(iter(expr.items()))
    if key == "Condition":
        definition = conditions[arg]
        if isinstance(definition, Mapping) and next(iter(definition)) in COMPOSED:
            return holds(definition, conditions, truth, depth + 1)
        return truth[arg]
    operands = [holds(x, conditions, truth, depth + 1) for x in arg]
    if key == "Fn::Not":
        return not operands[0]
    return all(operands) if key == "Fn::And" else any(operands)


def atoms(conditions: Mapping[str, Any]) -> list[str]:
    return sorted(
        n for n, d in conditions.items() if not (isinstance(d, Mapping) and next(iter(d)) in COMPOSED)
    )


def same_condition(actual: str | None, expected: list[str], conditions: Mapping[str, Any]) -> bool:
    names = atoms(conditions)
    for bits in itertools.product([False, True], repeat=len(names)):
        truth = dict(zip(names, bits, strict=True))
        got = True if actual is None else holds({"Condition": actual}, conditions, truth)
        want = all(
            not holds({"Condition": c[1:]}, conditions, truth)
            if c.startswith("!")
            else holds({"Condition": c}, conditions, truth)
            for c in expected
        )
        if got != want:
            return False
    return True


def report_items(fragment: Mapping[str, Any]) -> list[dict[str, Any]]:
    report = fragment.get("Metadata", {}).get("AutoInvokePermission", {}).get("Report", {})
    items: list[dict[str, Any]] = report.get("Items", [])
    return items


def orders_of() -> list[Any]:
    out = []
    for path in CASES:
        case = load_template(path)
        for order in case.get("orders", ["pre"]):
            out.append(pytest.param(path, order, id=f"{path.stem}-{order}"))
    return out


@pytest.mark.parametrize(("path", "order"), orders_of())
def test_case(path: Path, order: str) -> None:
    case = load_template(path)
    expect = case.get("expect", {})
    parameters = case.get("parameters", {})
    template = case["template"]
    if order == "post":
        fragment = sam_translate(template, parameter_values=parameters)
    else:
        fragment = without_transform(template)
    response = run_macro(fragment, parameters)
    assert response["requestId"] == "orders"
    if expect.get("status") == "failure":
        assert response["status"] == "failure"
        assert response["errorMessage"].startswith("AutoInvokePermission:")
        return
    assert response["status"] == "success", response.get("errorMessage")
    out = response["fragment"]
    reported = {item["code"] for item in report_items(out)}
    assert set(expect.get("codes", [])) <= reported, f"missing codes; the report lists {sorted(reported)}"
    assert not set(expect.get("absent_codes", [])) & reported, f"unexpected codes in {sorted(reported)}"
    assert_permissions(expect.get("permissions", []), injected(fragment, out), out, parameters)
    again = run_macro(out, parameters)
    assert again["status"] == "success"
    assert again["fragment"]["Resources"] == out["Resources"]
    assert again["fragment"].get("Conditions") == out.get("Conditions")


Permission = tuple[str, str | None, str, str | None, str, dict[str, Any]]


def assert_permissions(
    wanted: list[dict[str, Any]], injected: dict[str, Any], out: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """The injected permissions are exactly the `wanted` ones (conditions compared by truth table)."""
    conditions = out.get("Conditions", {})
    got = [permission_of(rid, resource, out, parameters) for rid, resource in sorted(injected.items())]
    unmatched = list(got)
    for want in wanted:
        key = (want["function"], want.get("qualifier"), want["principal"])
        kind = (want.get("action", "lambda:InvokeFunction"), want.get("extra", {}))
        hit = next(
            (
                g
                for g in unmatched
                if g[:3] == key
                and g[4:] == kind
                and same_condition(g[3], want.get("conditions", []), conditions)
            ),
            None,
        )
        assert hit is not None, f"missing {key} {kind} under {want.get('conditions', [])}; got {got}"
        unmatched.remove(hit)
    assert unmatched == [], f"unexpected permissions {unmatched}"


def permission_of(rid: str, resource: Any, out: dict[str, Any], parameters: dict[str, Any]) -> Permission:
    """(function, qualifier, principal, Condition, Action, other properties) of an injected permission."""
    assert resource["Type"] == "AWS::Lambda::Permission", rid
    props = resource["Properties"]
    function, qualifier = canon_function(props["FunctionName"], out["Resources"], parameters)
    extra = {k: v for k, v in props.items() if k not in BASE_PROPERTIES}
    principal = canon_principal(props["Principal"])
    return (function, qualifier, principal, resource.get("Condition"), props["Action"], extra)
