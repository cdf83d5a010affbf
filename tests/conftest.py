"""Shared helpers for the table-driven unit tests of the core and the handler.

Each test module has one small base template; a case is a comment, a modification made with
`variant`, and the expected outcome read with `added` / `codes`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from auto_invoke_permission import core
from auto_invoke_permission.model import TransformContext, TransformResult
from auto_invoke_permission.options import Options, resolve_options

REGION = "us-east-1"
ACCOUNT = "123456789012"


def run(
    fragment: Any,
    *,
    parameter_values: Mapping[str, Any] | None = None,
    region: str = REGION,
    account_id: str = ACCOUNT,
    **options: Any,
) -> TransformResult:
    """core.analyze with the test account and region; `options` as a template would spell them."""
    resolved = resolve_options(Options(), None, options)
    context = TransformContext(
        region=region, account_id=account_id, parameter_values=dict(parameter_values or {})
    )
    return core.analyze(fragment, resolved, context)


def added(result: TransformResult) -> set[tuple[str, str, str | None]]:
    """(callee label, principal label, condition name) of each permission added."""
    return {(p.callee.label, p.principal.label, p.condition) for p in result.added}


def codes(result: TransformResult) -> set[str]:
    return {f.code for f in result.findings}


def permission(result: TransformResult, logical_id: str) -> dict[str, Any]:
    """An added permission resource as it is in the output fragment."""
    resource = result.fragment["Resources"][logical_id]
    assert resource["Type"] == "AWS::Lambda::Permission"
    return dict(resource)


def sam_function(**properties: Any) -> dict[str, Any]:
    props = {"Handler": "app.handler", "Runtime": "python3.12", "CodeUri": "src/", **properties}
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def lambda_function(role: Any, **properties: Any) -> dict[str, Any]:
    props = {"Handler": "app.handler", "Runtime": "python3.12", "Code": {"ZipFile": "pass"}, "Role": role}
    return {"Type": "AWS::Lambda::Function", "Properties": {**props, **properties}}


def role(**properties: Any) -> dict[str, Any]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust, **properties}}


def statement(
    resource: Any, action: Any = "lambda:InvokeFunction", effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def caller(*statements: Any, **properties: Any) -> dict[str, Any]:
    """A SAM function `Caller` granted `statements` in one inline policy (resources for `variant`)."""
    return {"Caller": sam_function(Policies=[document(*statements)], **properties)}


def alias(name: str, function: str = "Worker", **extra: Any) -> dict[str, Any]:
    """An AWS::Lambda::Alias `name` of `function` (version 1)."""
    props = {"FunctionName": {"Ref": function}, "FunctionVersion": "1", "Name": name}
    return {"Type": "AWS::Lambda::Alias", "Properties": props, **extra}


def variant(
    base: Mapping[str, Any], sections: Mapping[str, Any] | None = None, **resources: Any
) -> dict[str, Any]:
    """A deep copy of `base` with resources replaced or added, and top-level sections set.

    The new resources and sections are used as they are (not copied: some tests nest values very deep)."""
    out = copy.deepcopy(dict(base))
    out["Resources"] = dict(out.get("Resources", {}))
    for rid, resource in resources.items():
        out["Resources"][rid] = resource
    for name, value in (sections or {}).items():
        out[name] = value
    return out


_EXPLAIN_CHECKED: list[int] = []  # templates checked per explain test (test_explain_agreement reads it)


@pytest.fixture(autouse=True)
def _explain_reads_as_the_macro(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every explain case (test_explain*.py) also checks that the macro reads its templates the same
    way: the same roles, grants and callees (explain_agreement.check)."""
    if not request.module.__name__.startswith("test_explain"):
        yield
        return
    from auto_invoke_permission.diagnose import explain
    from explain_agreement import check

    analyzed: list[explain.Analyzed] = []
    diagnoses: list[explain.Diagnosis] = []
    finish, build = explain._finish, explain.Analyzed

    def recorded(*fields: Any) -> explain.Analyzed:
        one = build(*fields)
        analyzed.append(one)
        return one

    def recorded_finish(diagnosis: explain.Diagnosis) -> explain.Diagnosis:
        diagnoses.append(diagnosis)
        return finish(diagnosis)

    monkeypatch.setattr(explain, "Analyzed", recorded)
    monkeypatch.setattr(explain, "_finish", recorded_finish)
    yield
    _EXPLAIN_CHECKED.append(len(analyzed))
    for one in analyzed:
        check(one)
        for diagnosis in diagnoses:
            check(one, diagnosis)
