"""A URL call is authorized against the form the URL is on: a URL grant on another form (AIP164),
and an Environment naming an AWS_IAM URL whose caller may only InvokeFunction (AIP165). Both
transform orders: tests/golden/cases/90_*.yaml and 91_*.yaml."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import alias, run, sam_function, statement

WORKER_ARN = {"Fn::GetAtt": ["Worker", "Arn"]}
ALIAS = {"Ref": "Worker.Alias"}
BOTH = ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
URL_ON_ALIAS = sam_function(AutoPublishAlias="live", FunctionUrlConfig={"AuthType": "AWS_IAM"})
URL_ON_FUNCTION = sam_function(FunctionUrlConfig={"AuthType": "AWS_IAM"})
URL_VAR = {"Variables": {"WORKER_URL": {"Fn::GetAtt": ["WorkerUrl", "FunctionUrl"]}}}


def caller(*statements: Any, **properties: Any) -> dict[str, Any]:
    return sam_function(Policies=[{"Statement": list(statements)}], **properties)


def said(resources: dict[str, Any], *codes: str) -> list[tuple[str, str]]:
    result = run({"Resources": resources})
    return sorted((f.code, f.path) for f in result.findings if f.code in codes)


STATEMENT = "Caller.Properties.Policies[0].Statement[0]"
# case -> (resources, the AIP164 findings as (code, path))
ON_ANOTHER_FORM: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "the URL on the alias, the grant on the function": (
        {"Caller": caller(statement(WORKER_ARN, BOTH)), "Worker": URL_ON_ALIAS},
        [("AIP164", STATEMENT)],
    ),
    "the URL action alone on the function": (
        {"Caller": caller(statement(WORKER_ARN, "lambda:InvokeFunctionUrl")), "Worker": URL_ON_ALIAS},
        [("AIP164", STATEMENT)],
    ),
    "the grant on the alias too: nothing said": (
        {"Caller": caller(statement([WORKER_ARN, ALIAS], BOTH)), "Worker": URL_ON_ALIAS},
        [],
    ),
    "a pattern covering the alias: nothing said": (
        {
            "Caller": caller(statement(WORKER_ARN, BOTH), statement("*", "lambda:InvokeFunctionUrl")),
            "Worker": URL_ON_ALIAS,
        },
        [],
    ),
    "the URL on the function, the grant on an alias": (
        {
            "Caller": caller(statement({"Ref": "Live"}, BOTH)),
            "Worker": URL_ON_FUNCTION,
            "Live": alias("live"),
        },
        [("AIP164", STATEMENT)],
    ),
    "InvokeFunction only, on the function: not a URL grant": (
        {"Caller": caller(statement(WORKER_ARN)), "Worker": URL_ON_ALIAS},
        [],
    ),
    "no URL anywhere": (
        {"Caller": caller(statement(WORKER_ARN, BOTH)), "Worker": sam_function(AutoPublishAlias="live")},
        [],
    ),
    "a public URL on the alias": (
        {
            "Caller": caller(statement(WORKER_ARN, BOTH)),
            "Worker": sam_function(AutoPublishAlias="live", FunctionUrlConfig={"AuthType": "NONE"}),
        },
        [],
    ),
}


@pytest.mark.parametrize("name", sorted(ON_ANOTHER_FORM))
def test_url_grant_on_a_form_without_the_url(name: str) -> None:
    resources, expected = ON_ANOTHER_FORM[name]
    assert said(resources, "AIP164") == expected


def test_url_grant_on_another_form_names_both_forms() -> None:
    result = run({"Resources": {"Caller": caller(statement(WORKER_ARN, BOTH)), "Worker": URL_ON_ALIAS}})
    (finding,) = [f for f in result.findings if f.code == "AIP164"]
    assert "on Worker, which has no function URL; the AWS_IAM URL is on Worker:live" in finding.message


VARIABLE = "Caller.Properties.Environment.Variables.WORKER_URL"
# case -> (the caller's statements, the Worker, the findings as (code, path))
ENVIRONMENT: dict[str, tuple[list[Any], dict[str, Any], list[tuple[str, str]]]] = {
    "InvokeFunction only: AIP165": ([statement(WORKER_ARN)], URL_ON_FUNCTION, [("AIP165", VARIABLE)]),
    "both actions: nothing": ([statement(WORKER_ARN, BOTH)], URL_ON_FUNCTION, []),
    "both, the URL action by a pattern: nothing": (
        [statement(WORKER_ARN), statement("*", "lambda:InvokeFunctionUrl")],
        URL_ON_FUNCTION,
        [],
    ),
    "neither: AIP163 only": ([], URL_ON_FUNCTION, [("AIP163", VARIABLE)]),
    "InvokeFunction only, a public URL: nothing": (
        [statement(WORKER_ARN)],
        sam_function(FunctionUrlConfig={"AuthType": "NONE"}),
        [],
    ),
    "InvokeFunction through the URL only, no URL action: AIP165": (
        [statement(WORKER_ARN, Condition={"Bool": {"lambda:InvokedViaFunctionUrl": "true"}})],
        URL_ON_FUNCTION,
        [("AIP165", VARIABLE)],
    ),
}


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_environment_names_a_url_its_caller_may_only_invoke(name: str) -> None:
    statements, worker, expected = ENVIRONMENT[name]
    resources = {"Caller": caller(*statements, Environment=URL_VAR), "Worker": worker}
    if not statements:
        resources["Caller"] = sam_function(Environment=URL_VAR)
    assert said(resources, "AIP163", "AIP165") == expected
