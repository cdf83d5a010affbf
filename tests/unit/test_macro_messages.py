"""What the macro says when things go wrong: value kinds in messages, the bounded failure message,
the report's omitted items, and an internal error answered as a failure, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from auto_invoke_permission import core, report
from auto_invoke_permission import handler as handler_module
from auto_invoke_permission.cli.offline import macro_event
from auto_invoke_permission.findings import Finding
from auto_invoke_permission.model import Counts, json_kind
from auto_invoke_permission.options import Options


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "a boolean"),
        (3, "an integer"),
        (1.5, "a number"),
        ("x", "a string"),
        ([1], "a list"),
        ((1,), "a list"),
        ({"a": 1}, "a mapping"),
        (b"x", "a bytes"),
    ],
)
def test_json_kind(value: Any, kind: str) -> None:
    assert json_kind(value) == kind


def test_failure_message_without_problems_still_says_something() -> None:
    assert report.failure_message([]) == "AutoInvokePermission: 1 problem: 1) unknown problem"


def test_failure_message_stops_listing_at_the_size_limit() -> None:
    problems = ["x" * 1500 for _ in range(4)]
    message = report.failure_message(problems)
    assert message == (
        "AutoInvokePermission: 4 problems: 1) " + "x" * 1500 + " 2) " + "x" * 1500 + " ... and 2 more"
    )
    assert len(message) <= report.MAX_MESSAGE_CHARS


def test_report_metadata_counts_the_findings_it_leaves_out() -> None:
    findings = [
        Finding.at("AIP113", f"F{i:02}.Properties", "note") for i in range(report.MAX_REPORTED_FINDINGS + 3)
    ]
    counts = Counts(0, 0, 0, len(findings), 0, {"error": 0, "warning": 0, "info": len(findings)})
    metadata = report.report_metadata(Options(), counts, [], findings)
    assert len(metadata["Items"]) == report.MAX_REPORTED_FINDINGS
    assert metadata["Items"][0] == findings[0].as_dict()
    assert metadata["ItemsOmitted"] == 3


@pytest.fixture
def fresh_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AUTOINVOKE_MACRO_NAME", raising=False)
    monkeypatch.setattr(handler_module, "_defaults", None)
    yield


@pytest.mark.usefixtures("fresh_defaults")
def test_an_internal_error_is_a_failure_with_the_fragment_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> object:
        raise KeyError("secret-value")

    monkeypatch.setattr(core, "transform", broken)
    fragment: dict[str, Any] = {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}
    event = macro_event(fragment, region="us-east-1", account_id="123456789012", request_id="r-1", params={})
    response = handler_module.handler(event, None)
    assert response == {
        "requestId": "r-1",
        "status": "failure",
        "fragment": fragment,
        "errorMessage": "AutoInvokePermission: internal error (KeyError) while processing the template; "
        "please report it with the template that caused it",
    }
    (line,) = capsys.readouterr().err.splitlines()
    assert "secret-value" not in line
    assert json.loads(line)["findings"] == ["KeyError"]
