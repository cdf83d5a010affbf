"""The Lambda entry point: responses, failures, modes, option precedence, the log line, limits."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from auto_invoke_permission import handler as handler_module
from auto_invoke_permission.offline.toolbox import macro_event
from auto_invoke_permission.options import ENV_MINIMUM_MODE, ENV_MODE, ENV_REPORT, ENV_WILDCARDS
from conftest import ACCOUNT, REGION, document, lambda_function, sam_function, statement, variant
from repository import REPO
from snippets import WORKER_ARN

REQUEST_ID = "8f3c2a6e-request"
PERMISSION_ID = "WorkerInvokeFromCallerRole"

BASE: dict[str, Any] = {
    "Resources": {
        "Worker": sam_function(),
        "Caller": sam_function(Policies=[document(statement(WORKER_ARN))]),
    },
}
WILDCARD = variant(BASE, Caller=sam_function(Policies=[document(statement("*"))]))
WILDCARD_PATH = "Caller.Properties.Policies[0].Statement[0].Resource"


@pytest.fixture(autouse=True)
def fresh_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handler reads the environment once per container: start every test from a clean one."""
    for var in (ENV_MODE, ENV_WILDCARDS, ENV_REPORT, ENV_MINIMUM_MODE, "AUTOINVOKE_MACRO_NAME"):
        monkeypatch.delenv(var, raising=False)
    handler_module._defaults = None
    yield
    handler_module._defaults = None


def event(fragment: Any, params: Any = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    return macro_event(
        fragment,
        region=REGION,
        account_id=ACCOUNT,
        request_id=REQUEST_ID,
        params=params or {},
        parameter_values=values,
    )


def invoke(fragment: Any, params: Any = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    return handler_module.handler(event(fragment, params, values), None)


def report_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["status"] == "success", response.get("errorMessage")
    report: dict[str, Any] = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    return report


def assert_failure(response: dict[str, Any], fragment: Any, *words: str) -> None:
    assert response["requestId"] == REQUEST_ID
    assert response["status"] == "failure"
    assert response["errorMessage"].startswith("AutoInvokePermission:")
    assert response["fragment"] == fragment
    for word in words:
        assert word in response["errorMessage"]


# --------------------------------------------------------------- responses
def test_success_echoes_request_id_and_adds_the_permission() -> None:
    response = invoke(copy.deepcopy(BASE))
    assert response["requestId"] == REQUEST_ID
    assert response["status"] == "success"
    assert "errorMessage" not in response
    assert set(response["fragment"]["Resources"]) == {"Worker", "Caller", PERMISSION_ID}


# (fragment, Fn::Transform params, words the failure message must contain)
FAILURES: list[Any] = [
    # Resources that is a list
    pytest.param(
        {"Resources": [BASE["Resources"]["Worker"]]}, {}, ["Resources", "mapping"], id="resources-list"
    ),
    # a fragment that is not a mapping
    pytest.param(["Worker"], {}, ["mapping"], id="fragment-list"),
    pytest.param(None, {}, ["mapping"], id="fragment-none"),
    # an unknown option in Metadata: names it and the allowed options
    pytest.param(
        variant(BASE, {"Metadata": {"AutoInvokePermission": {"Wildcard": "expand"}}}),
        {},
        ["Wildcard", "Mode, Wildcards, Report"],
        id="unknown-option-metadata",
    ),
    # an unknown option value in params: names the option, the value and the allowed values
    pytest.param(
        BASE, {"Mode": "strict"}, ["Mode", "strict", "audit, inject, enforce"], id="unknown-value-params"
    ),
    pytest.param(BASE, {"Wildcards": "all"}, ["Wildcards", "report, expand"], id="unknown-wildcards-value"),
    # a fragment without Resources that is not a resources mapping: says where to put the transform
    pytest.param({"Description": "no resources"}, {}, ["Fn::Transform", "Resources"], id="no-resources"),
    # enforce with a wildcard grant: names the statement path
    pytest.param(WILDCARD, {"Mode": "enforce"}, ["AIP110", WILDCARD_PATH], id="enforce-wildcard"),
]


@pytest.mark.parametrize(("fragment", "params", "words"), FAILURES)
def test_failure(fragment: Any, params: dict[str, Any], words: list[str]) -> None:
    original = copy.deepcopy(fragment)
    response = invoke(fragment, params)
    assert_failure(response, original, *words)
    assert fragment == original


def test_event_that_is_not_a_mapping_is_a_failure() -> None:
    response = handler_module.handler("not an event", None)
    assert response["status"] == "failure"
    assert response["errorMessage"].startswith("AutoInvokePermission:")


def test_failure_counts_and_lists_the_problems() -> None:
    fragment = {"Resources": {"A": [], "B": {"Properties": {}}}}
    message = invoke(fragment)["errorMessage"]
    assert message.startswith("AutoInvokePermission: 2 problems: ")
    assert "Resources.A" in message
    assert "Resources.B" in message


def test_long_failure_lists_are_truncated() -> None:
    fragment: dict[str, Any] = {"Resources": {f"Bad{i}": [] for i in range(13)}}
    message = invoke(fragment)["errorMessage"]
    assert message.startswith("AutoInvokePermission: 13 problems: 1) Resources.Bad0 ")
    assert message.endswith(" and 3 more")


# -------------------------------------------------------------------- modes
def test_audit_adds_nothing_but_writes_the_report() -> None:
    response = invoke(copy.deepcopy(BASE), {"Mode": "audit"})
    assert set(response["fragment"]["Resources"]) == {"Worker", "Caller"}
    report = report_of(response)
    assert report["Mode"] == "audit"
    assert report["PermissionsPlanned"] == 1
    assert report["Permissions"] == [f"{PERMISSION_ID}: Worker <- CallerRole"]


def test_inject_with_a_wildcard_succeeds_and_reports_the_finding() -> None:
    response = invoke(copy.deepcopy(WILDCARD))
    report = report_of(response)
    assert set(response["fragment"]["Resources"]) == {"Worker", "Caller"}
    assert [(i["code"], i["path"]) for i in report["Items"]] == [("AIP110", WILDCARD_PATH)]
    assert report["Findings"] == {"error": 0, "warning": 1, "info": 0}


def test_enforce_without_findings_succeeds() -> None:
    response = invoke(copy.deepcopy(BASE), {"Mode": "enforce"})
    assert PERMISSION_ID in response["fragment"]["Resources"]
    assert report_of(response)["Mode"] == "enforce"


def test_report_false_writes_no_report() -> None:
    response = invoke(copy.deepcopy(BASE), {"Report": "false"})
    assert response["status"] == "success"
    assert PERMISSION_ID in response["fragment"]["Resources"]
    assert "Metadata" not in response["fragment"]


def test_report_is_replaced_on_a_rerun() -> None:
    first = invoke(copy.deepcopy(BASE))["fragment"]
    second = invoke(copy.deepcopy(first))
    report = report_of(second)
    assert (report["PermissionsAdded"], report["PermissionsKept"]) == (0, 1)
    assert second["fragment"]["Resources"] == first["Resources"]


# ---------------------------------------------------------- option precedence
def with_metadata(**options: Any) -> dict[str, Any]:
    return variant(BASE, {"Metadata": {"AutoInvokePermission": options}})


# (environment of the macro function, template Metadata options, Fn::Transform params, resulting Mode)
PRECEDENCE: list[Any] = [
    # nothing set: inject
    pytest.param({}, {}, {}, "inject", id="default"),
    # the macro stack's default
    pytest.param({ENV_MODE: "audit"}, {}, {}, "audit", id="environment"),
    # Metadata beats the environment
    pytest.param({ENV_MODE: "audit"}, {"Mode": "enforce"}, {}, "enforce", id="metadata-over-environment"),
    # params beat Metadata
    pytest.param(
        {ENV_MODE: "enforce"}, {"Mode": "audit"}, {"Mode": "inject"}, "inject", id="params-over-metadata"
    ),
    # an empty environment variable means "not set"
    pytest.param({ENV_MODE: ""}, {}, {}, "inject", id="empty-environment"),
]


@pytest.mark.parametrize(("environment", "metadata", "params", "mode"), PRECEDENCE)
def test_mode_precedence(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    metadata: dict[str, Any],
    params: dict[str, Any],
    mode: str,
) -> None:
    for var, value in environment.items():
        monkeypatch.setenv(var, value)
    response = invoke(with_metadata(**metadata), params)
    assert report_of(response)["Mode"] == mode
    assert (PERMISSION_ID in response["fragment"]["Resources"]) == (mode != "audit")


def test_wildcards_and_report_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_WILDCARDS, "expand")
    monkeypatch.setenv(ENV_REPORT, "false")
    # the environment alone: expanded, no report
    response = invoke(copy.deepcopy(WILDCARD))
    assert {"CallerInvokeFromCallerRole", PERMISSION_ID} <= set(response["fragment"]["Resources"])
    assert "Metadata" not in response["fragment"]
    # Metadata turns both back
    response = invoke(
        variant(WILDCARD, {"Metadata": {"AutoInvokePermission": {"Wildcards": "report", "Report": True}}})
    )
    assert set(response["fragment"]["Resources"]) == {"Worker", "Caller"}
    assert report_of(response)["Findings"]["warning"] == 1


# (MinimumMode of the macro stack, mode the template asks for, resulting Mode, ModeRaisedFrom)
MINIMUM: list[Any] = [
    # the template asks for less: it gets the minimum, and the report says so
    pytest.param("enforce", "inject", "enforce", "inject", id="inject-raised-to-enforce"),
    pytest.param("inject", "audit", "inject", "audit", id="audit-raised-to-inject"),
    # the template asks for as much or more: unchanged
    pytest.param("inject", "enforce", "enforce", None, id="enforce-stays"),
    pytest.param("inject", "inject", "inject", None, id="inject-stays"),
]


@pytest.mark.parametrize(("minimum", "asked", "mode", "raised_from"), MINIMUM)
def test_minimum_mode(
    monkeypatch: pytest.MonkeyPatch, minimum: str, asked: str, mode: str, raised_from: str | None
) -> None:
    monkeypatch.setenv(ENV_MINIMUM_MODE, minimum)
    report = report_of(invoke(with_metadata(Mode=asked)))
    assert report["Mode"] == mode
    assert report.get("ModeRaisedFrom") == raised_from
    assert ("AIP141" in [i["code"] for i in report.get("Items", [])]) == (raised_from is not None)


def test_minimum_mode_enforce_fails_a_wildcard_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MINIMUM_MODE, "enforce")
    fragment = variant(WILDCARD, {"Metadata": {"AutoInvokePermission": {"Mode": "audit"}}})
    assert_failure(invoke(copy.deepcopy(fragment)), fragment, WILDCARD_PATH)


def test_invalid_stack_configuration_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MINIMUM_MODE, "paranoid")
    assert_failure(invoke(copy.deepcopy(BASE)), BASE, "MinimumMode", "paranoid", "audit, inject, enforce")


# ----------------------------------------------------- Fn::Transform placement
def test_fn_transform_under_resources() -> None:
    # the fragment is the resources mapping, the options come in params
    resources = copy.deepcopy(BASE["Resources"])
    response = invoke(resources, {"Mode": "inject"})
    assert response["status"] == "success"
    assert set(response["fragment"]) == {"Worker", "Caller", PERMISSION_ID}
    assert response["fragment"][PERMISSION_ID]["Properties"]["FunctionName"] == WORKER_ARN
    # audit through params adds nothing there either
    response = invoke(copy.deepcopy(BASE["Resources"]), {"Mode": "audit"})
    assert set(response["fragment"]) == {"Worker", "Caller"}


def test_fn_transform_under_resources_enforce_fails() -> None:
    resources = copy.deepcopy(WILDCARD["Resources"])
    assert_failure(invoke(resources, {"Mode": "enforce"}), WILDCARD["Resources"], WILDCARD_PATH)


# --------------------------------------------------------------------- logs
SECRET = "hunter2"
MARKER = "fragment-marker-5521"
SECRET_TEMPLATE: dict[str, Any] = {
    "Parameters": {"Target": {"Type": "String"}},
    "Resources": {
        "Worker": sam_function(Environment={"Variables": {"MARK": MARKER}}),
        "Caller": sam_function(
            Policies=[
                document(
                    statement(
                        # another account (AIP111): a finding that blocks enforce mode
                        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:210987654321:function:${Target}"}
                    )
                )
            ]
        ),
    },
}


def one_log_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    record: dict[str, Any] = json.loads(lines[0])
    return record


LOG_CASES: list[Any] = [
    # success
    pytest.param({"Mode": "inject"}, "success", id="success"),
    pytest.param(
        # an enforce failure: the finding names the callee built from the parameter
        {"Mode": "enforce"},
        "failure",
        id="enforce-failure",
    ),
]


@pytest.mark.parametrize(("params", "status"), LOG_CASES)
def test_log_line(capsys: pytest.CaptureFixture[str], params: dict[str, str], status: str) -> None:
    response = invoke(copy.deepcopy(SECRET_TEMPLATE), params, {"Target": SECRET})
    assert response["status"] == status
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    record = json.loads(line)
    assert record["requestId"] == REQUEST_ID
    assert record["macro"] == "AutoInvokePermission"
    assert record["mode"] == params["Mode"]
    assert record["status"] == status
    assert {"counts", "findings", "durationMs"} <= set(record)
    assert SECRET not in line
    assert MARKER not in line


def test_log_line_on_an_option_failure(capsys: pytest.CaptureFixture[str]) -> None:
    invoke(copy.deepcopy(SECRET_TEMPLATE), {"Mode": "nope"}, {"Target": SECRET})
    record = one_log_line(capsys)
    assert record["status"] == "failure"
    assert SECRET not in json.dumps(record)
    assert MARKER not in json.dumps(record)


def test_log_line_uses_the_configured_macro_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTOINVOKE_MACRO_NAME", "TeamInvokeMacro")
    invoke(copy.deepcopy(BASE))
    assert one_log_line(capsys)["macro"] == "TeamInvokeMacro"


# ------------------------------------------------------------------- limits
def topics(count: int) -> dict[str, Any]:
    return {f"Topic{i}": {"Type": "AWS::SNS::Topic"} for i in range(count)}


def test_more_than_500_resources_fails_with_counts() -> None:
    # 498 topics + 2 functions + 1 permission = 501
    fragment = variant(BASE, **topics(498))
    response = invoke(copy.deepcopy(fragment))
    assert_failure(response, fragment, "AIP150", "501", "500", "Worker")


def test_exactly_500_resources_is_fine() -> None:
    response = invoke(variant(BASE, **topics(497)))
    assert response["status"] == "success"
    assert len(response["fragment"]["Resources"]) == 500


def test_never_raises_on_a_pathological_role() -> None:
    # even where the core fails (see test_resolver), the handler answers with a failure, not an exception
    deep: Any = "arn:aws:iam::123456789012:role/r"
    for _ in range(500):
        deep = {"Fn::Join": ["", [deep]]}
    response = invoke(variant(BASE, Other=lambda_function(deep)))
    assert response["status"] in ("success", "failure")
    assert response["requestId"] == REQUEST_ID
    if response["status"] == "failure":
        assert response["errorMessage"].startswith("AutoInvokePermission:")


# ------------------------------------------------------------------- import
@pytest.mark.parametrize("collecting", [True, False])
def test_import_leaves_the_collector_as_it_was(collecting: bool) -> None:
    # the import pauses the cyclic collector while the package's modules are made
    code = (
        f"import gc, sys; sys.path.insert(0, {str(REPO / 'macro')!r}); "
        f"gc.enable() if {collecting} else gc.disable(); "
        "import auto_invoke_permission.handler; print(gc.isenabled())"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(collecting)


def test_a_call_loads_neither_typing_nor_openssl() -> None:
    # Lambda's cold start: types are for mypy only, and hashlib (OpenSSL) loads only for a logical ID
    # that needs a hash (CONTRIBUTING.md, Habits)
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO / 'macro')!r}); "
        "from auto_invoke_permission.handler import handler; "
        f"response = handler(json.loads({json.dumps(event(BASE))!r}), None); "
        "print(response['status'], sorted({'typing', 'hashlib', 'dataclasses'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "success []"
