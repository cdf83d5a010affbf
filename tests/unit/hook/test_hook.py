"""The CloudFormation Lambda Hook: a request in, the hook response out, with the payload served by a
local HTTP server on 127.0.0.1 (as the pre-signed S3 URL would serve it).

Golden responses live in tests/data/hook/<case>.json and are compared exactly. Regenerate after an
intended change, then review the diff:

    python tests/unit/hook/test_hook.py --regenerate
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

# run as a script (--regenerate): the shared helpers live in tests/
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pytest
import yaml
from auto_invoke_permission.cli.main import main as cli_main
from auto_invoke_permission.hook import handler as hook_handler
from auto_invoke_permission.hook.handler import evaluate_request, policy_from_environment
from auto_invoke_permission.hook.policy import (
    MAX_MESSAGE_CHARS,
    HookPolicy,
    PolicyError,
    bounded_message,
    parameter_defaults,
    parse_fail_on,
)
from auto_invoke_permission.hook.template_text import TemplateSyntaxError, parse_template
from auto_invoke_permission.template_inputs import lists_macro
from corpus_support import CORPUS
from fresh_python import run_python
from repository import REPO

ROOT = REPO
GOLDEN = ROOT / "tests" / "data" / "hook"
SEED_TEXT = (ROOT / "samples" / "seed" / "template.yaml").read_text(encoding="utf-8")
MACRO_LINE = "Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]\n"
SEED_WITHOUT_MACRO = SEED_TEXT.replace(MACRO_LINE, "Transform: AWS::Serverless-2016-10-31\n")
SEED_REF = SEED_TEXT.replace("Resource: !GetAtt ProcessorFunction.Arn", "Resource: !Ref ProcessorFunction")
TOKEN = "token-1"
DEFAULT_POLICY = HookPolicy()

PLAIN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  CallerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: invoke
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Worker.Arn}
  Caller:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt CallerRole.Arn
      Runtime: python3.13
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt WorkerRole.Arn
      Runtime: python3.13
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
"""
PLAIN_INLINE_MACRO = PLAIN.replace(
    "Resources:\n", "Resources:\n  Fn::Transform:\n    Name: AutoInvokePermission\n", 1
)
# the callee's name comes from a parameter's Default; the grant spells the ARN literally
PARAMETER_DEFAULT = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  WorkerName: {Type: String, Default: orders-worker}
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: arn:aws:lambda:us-east-1:123456789012:function:orders-worker
  Worker:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: !Ref WorkerName, Runtime: python3.13, Handler: app.handler, CodeUri: s3://b/k.zip}
"""
NO_GRANT = """\
Resources:
  Alone:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: s3://bucket/key.zip}
Transform: AWS::Serverless-2016-10-31
"""


# ------------------------------------------------------------------ the local payload server
@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    statuses: list[int] = field(default_factory=list)  # answered first, one per request, then `status`
    content_length: bool = True  # False: the body ends when the connection closes


class PayloadServer:
    """Serves registered paths; counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                route = outer.routes.get(path, Route(status=404, body=b"<Error>NoSuchKey</Error>"))
                if route.delay_s:
                    time.sleep(route.delay_s)
                status = route.statuses.pop(0) if route.statuses else route.status
                try:
                    self.send_response(status)
                    if route.content_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    else:
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        # a query string like a pre-signed URL's: it must never reach a message or the log
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}?X-Amz-Signature=secret-signature"

    def serve(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    running = PayloadServer()
    running.thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def payload(template: str) -> bytes:
    return json.dumps({"template": template, "previousTemplate": ""}).encode()


def request(
    url: str | None, point: str = "CREATE_PRE_PROVISION", *, documented_spelling: bool = False
) -> dict[str, Any]:
    """A Lambda Hook request for a STACK target (docs/design/aws-facts-integrations.md 1.3)."""
    token_key, stack_key = ("clientRequesttoken", "stackID") if documented_spelling else ("", "")
    return {
        token_key or "clientRequestToken": TOKEN,
        "awsAccountId": "123456789012",
        stack_key or "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1234",
        "changeSetId": "",
        "hookTypeName": "Private::AutoInvokePermission::Hook",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": "arn:aws:lambda:us-east-1:123456789012:function:hook"},
        "actionInvocationPoint": point,
        "requestData": {
            "targetName": "STACK",
            "targetType": "STACK",
            "targetLogicalId": "app",
            "payload": url,
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


class Answer(NamedTuple):
    response: dict[str, Any]
    log: list[str]


def ask(
    event: Any,
    policy: HookPolicy | PolicyError = DEFAULT_POLICY,
    *,
    timeout_s: float = 2.0,
    max_bytes: int = 1 << 20,
    budget_s: float = 20.0,
) -> Answer:
    lines: list[str] = []
    response = evaluate_request(
        event,
        policy,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
        budget_s=budget_s,
        environ={},
        log=lines.append,
    )
    return Answer(response, "".join(lines).splitlines())


# ------------------------------------------------------------------ golden responses
class Case(NamedTuple):
    name: str
    template: str
    policy: HookPolicy = HookPolicy()


CASES = [
    # the seed lists the macro: the macro adds the permission at deploy
    Case("seed_with_macro", SEED_TEXT),
    # the seed without the macro: RequireTransform fails it, naming the grant and the fix
    Case("seed_without_macro", SEED_WITHOUT_MACRO),
    # the same as JSON
    Case("seed_without_macro_json", json.dumps(parse_template(SEED_WITHOUT_MACRO), indent=1)),
    # RequireTransform off: passes, the grant still reported
    Case("seed_without_macro_not_required", SEED_WITHOUT_MACRO, HookPolicy(require_transform=False)),
    # FailOn AIP101 with `Resource: !Ref ProcessorFunction` fails even with the macro listed
    Case("seed_ref_fail_on_aip101", SEED_REF, HookPolicy(fail_on=frozenset({"AIP101"}))),
    # FailOn by severity
    Case("seed_ref_fail_on_error", SEED_REF, HookPolicy(fail_on=frozenset({"error"}))),
    # FailOn set, nothing matches: passes with the findings
    Case("seed_ref_fail_on_unmatched", SEED_REF, HookPolicy(fail_on=frozenset({"AIP110", "warning"}))),
    # plain CloudFormation without the macro
    Case("plain_without_macro", PLAIN),
    # plain CloudFormation with Fn::Transform directly under Resources
    Case("plain_inline_macro", PLAIN_INLINE_MACRO),
    # no parameter has a value (AIP113 now), but with its Default the literal ARN is Worker's
    Case("parameter_default", PARAMETER_DEFAULT),
    # a template with no invoke grant
    Case("no_grant", NO_GRANT),
    # the macro under another name (MacroName): the default name no longer counts
    Case("seed_other_macro_name", SEED_TEXT, HookPolicy(macro_name="AutoInvokePermission-next")),
]


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def answer_case(server: PayloadServer, case: Case) -> dict[str, Any]:
    url = server.serve(f"/golden/{case.name}", Route(body=payload(case.template)))
    return ask(request(url), case.policy).response


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_golden_response(server: PayloadServer, case: Case) -> None:
    expected = json.loads(golden_path(case.name).read_text(encoding="utf-8"))
    assert answer_case(server, case) == expected


def test_done_when_seed(server: PayloadServer) -> None:
    """The issue's acceptance: without the line it fails naming the grant and the fix; with it, it
    passes; FailOn AIP101 with `!Ref ProcessorFunction` fails even with the line."""
    without = answer_case(server, CASES[1])
    assert without["hookStatus"] == "FAILED"
    assert without["errorCode"] == "NonCompliant"
    assert "RequestFunction -> ProcessorFunction" in without["message"]
    assert "Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]" in without["message"]
    assert answer_case(server, CASES[0])["hookStatus"] == "SUCCESS"
    assert answer_case(server, CASES[4])["hookStatus"] == "FAILED"


# ------------------------------------------------------------------ requests and fail-safe paths
def test_delete_passes_without_fetching(server: PayloadServer) -> None:
    url = server.serve("/delete", Route(body=payload("")))
    answer = ask(request(url, "DELETE_PRE_PROVISION"))
    assert answer.response == {
        "hookStatus": "SUCCESS",
        "message": "AutoInvokePermission hook: nothing to check on delete.",
        "clientRequestToken": TOKEN,
    }
    assert server.hits.get("/delete") is None


@pytest.mark.parametrize(
    "template", ["", "   \n", "{}", "null\n"], ids=["empty", "blank", "empty-json", "null"]
)
def test_empty_template_passes(server: PayloadServer, template: str) -> None:
    url = server.serve("/empty", Route(body=payload(template)))
    answer = ask(request(url))
    assert answer.response == {
        "hookStatus": "SUCCESS",
        "message": "AutoInvokePermission hook: the template is empty; nothing to check.",
        "clientRequestToken": TOKEN,
    }


def test_documented_key_spellings_are_read(server: PayloadServer) -> None:
    # The documented syntax spells clientRequesttoken and stackID; the token is echoed either way.
    url = server.serve("/spelling", Route(body=payload(SEED_WITHOUT_MACRO)))
    answer = ask(request(url, documented_spelling=True))
    assert answer.response["clientRequestToken"] == TOKEN
    assert answer.response["hookStatus"] == "FAILED"


class FailSafe(NamedTuple):
    name: str
    route: Route | None  # None: no URL in the request
    problem: str  # in the message
    options: dict[str, Any] = {}


FAIL_SAFE = [
    FailSafe("not-found", Route(status=404, body=b"<Error/>"), "fetching the payload answered HTTP 404"),
    FailSafe(
        "server-error-twice",
        Route(status=503, body=b"busy"),
        "fetching the payload answered HTTP 503 (after one retry)",
    ),
    FailSafe("slow", Route(body=payload(SEED_TEXT), delay_s=1.5), "timed out", {"timeout_s": 0.3}),
    FailSafe(
        "oversized",
        Route(body=payload("x" * 5000)),
        "the payload is 5040 bytes, over the limit of 1000",
        {"max_bytes": 1000},
    ),
    FailSafe(
        "oversized-without-length",
        Route(body=payload("x" * 5000), content_length=False),
        "the payload is over the limit of 1000 bytes",
        {"max_bytes": 1000},
    ),
    FailSafe("garbage-payload", Route(body=b"\x00\xffnot json"), "the payload is not JSON"),
    FailSafe("payload-not-object", Route(body=b"[1, 2]"), "the payload is a list, not an object"),
    FailSafe(
        "template-not-string",
        Route(body=b'{"template": {"Resources": {}}}'),
        "the payload's template is a dict, not a string",
    ),
    FailSafe(
        "template-garbage",
        Route(body=payload("Resources: [unclosed\n  - : :\n")),
        "the template does not parse (line",
    ),
    FailSafe(
        "template-not-mapping", Route(body=payload("- a\n- b\n")), "the template is a list, not a mapping"
    ),
    FailSafe(
        "template-bad-resources",
        Route(body=payload("Resources: [1, 2]\n")),
        "the template cannot be analyzed: Resources must be a mapping",
    ),
    FailSafe("no-url", None, "the request has no requestData.payload URL"),
]


@pytest.mark.parametrize("case", FAIL_SAFE, ids=lambda c: c.name)
@pytest.mark.parametrize("fail_closed", [False, True], ids=["fail-open", "fail-closed"])
def test_own_failures_pass_with_a_warning_unless_fail_closed(
    server: PayloadServer, case: FailSafe, fail_closed: bool
) -> None:
    url = server.serve(f"/fail/{case.name}", case.route) if case.route is not None else None
    answer = ask(request(url), HookPolicy(fail_closed=fail_closed), **case.options)
    response = answer.response
    assert case.problem in response["message"]
    if fail_closed:
        assert response["hookStatus"] == "FAILED"
        assert response["errorCode"] == "InternalFailure"
        assert response["message"].endswith("(FailClosed is on)")
    else:
        assert response["hookStatus"] == "SUCCESS"
        assert "errorCode" not in response
        assert response["message"].startswith("AutoInvokePermission hook: warning: could not check")
    assert response["clientRequestToken"] == TOKEN
    assert len(answer.log) == 1
    line = json.loads(answer.log[0])
    assert line["level"] == "ERROR"
    assert "secret-signature" not in answer.log[0] + response["message"]


def test_retries_once_after_a_server_error(server: PayloadServer) -> None:
    url = server.serve("/retry", Route(body=payload(SEED_TEXT), statuses=[500]))
    answer = ask(request(url))
    assert answer.response["hookStatus"] == "SUCCESS"
    assert server.hits["/retry"] == 2
    assert json.loads(answer.log[0])["level"] == "INFO"


def test_no_retry_after_not_found(server: PayloadServer) -> None:
    url = server.serve("/once", Route(status=404))
    ask(request(url))
    assert server.hits["/once"] == 1


def test_internal_error_passes_with_a_warning(server: PayloadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(hook_handler, "decide", broken)
    url = server.serve("/internal", Route(body=payload(SEED_TEXT)))
    for fail_closed, status in ((False, "SUCCESS"), (True, "FAILED")):
        answer = ask(request(url), HookPolicy(fail_closed=fail_closed))
        assert answer.response["hookStatus"] == status
        assert "internal error (KeyError)" in answer.response["message"]
        assert json.loads(answer.log[0])["level"] == "ERROR"


def test_running_out_of_time_answers_before_the_hook_gives_up(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(*args: Any) -> Any:
        time.sleep(5)

    monkeypatch.setattr(hook_handler, "decide", slow)
    url = server.serve("/budget", Route(body=payload(SEED_TEXT)))
    answer = ask(request(url), budget_s=0.2)
    assert answer.response["hookStatus"] == "SUCCESS"
    assert "ran out of time after 0.2 s" in answer.response["message"]


def test_invalid_stack_configuration_passes_with_a_warning(server: PayloadServer) -> None:
    url = server.serve("/config", Route(body=payload(SEED_TEXT)))
    answer = ask(request(url), PolicyError("FailOn: 'AIP999' is neither"))
    assert answer.response["hookStatus"] == "SUCCESS"
    assert "the hook stack's configuration is invalid: FailOn: 'AIP999'" in answer.response["message"]


def test_one_info_log_line_without_template_or_url(server: PayloadServer) -> None:
    url = server.serve("/log", Route(body=payload(SEED_WITHOUT_MACRO)))
    answer = ask(request(url))
    assert len(answer.log) == 1
    line = json.loads(answer.log[0])
    assert line["level"] == "INFO"
    assert line["hookStatus"] == "FAILED"
    assert line["findings"] == ["RequireTransform"]
    assert "secret-signature" not in answer.log[0]
    assert "ProcessorFunction" not in answer.log[0]  # nothing of the template


# ------------------------------------------------------------------ policy settings
@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, HookPolicy()),
        # empty variables mean not set (the stack's HookFailOn defaults to "")
        ({"AUTOINVOKE_HOOK_FAIL_ON": "", "AUTOINVOKE_HOOK_FAIL_CLOSED": ""}, HookPolicy()),
        (
            {
                "AUTOINVOKE_MACRO_NAME": "Other",
                "AUTOINVOKE_HOOK_REQUIRE_TRANSFORM": "false",
                "AUTOINVOKE_HOOK_FAIL_ON": "aip101, AIP130 Error",
                "AUTOINVOKE_HOOK_FAIL_CLOSED": "TRUE",
            },
            HookPolicy("Other", False, frozenset({"AIP101", "AIP130", "error"}), True),
        ),
    ],
)
def test_policy_from_environment(environ: dict[str, str], expected: HookPolicy) -> None:
    assert policy_from_environment(environ) == expected


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"AUTOINVOKE_HOOK_FAIL_ON": "AIP999"}, "FailOn: 'AIP999' is neither a finding code"),
        ({"AUTOINVOKE_HOOK_FAIL_CLOSED": "yes"}, "FailClosed: 'yes' is not true or false"),
    ],
)
def test_policy_errors_name_the_setting(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        policy_from_environment(environ)


def test_fail_on_accepts_codes_and_severities() -> None:
    assert parse_fail_on(["AIP101,warning", "info"]) == frozenset({"AIP101", "warning", "info"})


@pytest.mark.parametrize(
    ("template", "listed"),
    [
        ({"Transform": "AutoInvokePermission"}, True),  # a string
        ({"Transform": ["AWS::Serverless-2016-10-31", "AutoInvokePermission"]}, True),  # after SAM
        ({"Transform": ["AutoInvokePermission", "AWS::Serverless-2016-10-31"]}, True),  # before SAM
        ({"Resources": {"Fn::Transform": {"Name": "AutoInvokePermission"}}}, True),  # under Resources
        (
            {"Resources": {"Fn::Transform": [{"Name": "AWS::Include"}, {"Name": "AutoInvokePermission"}]}},
            True,
        ),
        ({"Transform": "AWS::Serverless-2016-10-31"}, False),
        ({"Transform": ["autoinvokepermission"]}, False),  # names are case-sensitive
        ({"Resources": {"A": {"Fn::Transform": {"Name": "AutoInvokePermission"}}}}, False),  # elsewhere
        ({}, False),
    ],
)
def test_lists_macro(template: dict[str, Any], listed: bool) -> None:
    assert lists_macro(template, "AutoInvokePermission") is listed


def test_parameter_defaults_as_cloudformation_passes_them() -> None:
    parameters = {
        "Name": {"Type": "String", "Default": "x"},
        "Count": {"Type": "Number", "Default": 3},
        "Flag": {"Type": "String", "Default": True},
        "Names": {"Type": "CommaDelimitedList", "Default": "a, b"},
        "Ids": {"Type": "List<AWS::EC2::Subnet::Id>", "Default": ["s-1", "s-2"]},
        "Unset": {"Type": "String"},
    }
    assert parameter_defaults({"Parameters": parameters}) == {
        "Name": "x",
        "Count": "3",
        "Flag": "true",
        "Names": ["a", "b"],
        "Ids": ["s-1", "s-2"],
    }


# ------------------------------------------------------------------ the message
@pytest.mark.parametrize(
    ("items", "limit", "expected"),
    [
        # everything fits
        (["one", "two"], 100, "H: 1) one 2) two"),
        # the second does not fit with room for the count: it is counted
        (["one", "two" * 20], 40, "H: 1) one ... and 1 more"),
        # the first alone is too long: it is cut, the rest counted
        (["x" * 100, "y"], 40, "H: 1) xxxxxxxxxxxxxxxx... ... and 1 more"),
        # everything fits exactly: no room kept for a count
        (["one", "two"], 16, "H: 1) one 2) two"),
        # one item too long for any room: counted only
        (["x" * 100, "y"], 30, "H: ... and 2 more"),
    ],
)
def test_bounded_message(items: list[str], limit: int, expected: str) -> None:
    text = bounded_message("H:", items, limit)
    assert text == expected
    assert len(text) <= limit


def many_wildcards(count: int) -> str:
    resources: dict[str, Any] = {}
    for i in range(count):
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}
        ]
        if i == count - 1:  # one error finding, listed first although its resource sorts last
            statements = [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Ref": "F0"}}]
        resources[f"F{i}"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "a.h",
                "CodeUri": "s3://b/k",
                "Policies": [{"Statement": statements}],
            },
        }
    return json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources})


def test_long_message_is_cut_most_important_first(server: PayloadServer) -> None:
    url = server.serve("/many", Route(body=payload(many_wildcards(300))))
    response = ask(request(url), HookPolicy(fail_on=frozenset({"warning", "error"}))).response
    message = response["message"]
    assert len(message) <= MAX_MESSAGE_CHARS
    assert response["hookStatus"] == "FAILED"
    # the grant that needs the macro first, then the error, before the 299 warnings
    assert message.split(" 1) ", 1)[1].startswith("F299 -> F0 (F299.Properties.Policies[0].Statement[0];")
    assert " 2) AIP101 error F299.Properties.Policies[0].Statement[0].Resource: " in message
    listed = message.count(") AIP110 warning")
    assert message.endswith(f" ... and {301 - 2 - listed} more")
    assert len(response["annotations"]) == 50


# ------------------------------------------------------------------ YAML with short-form tags
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !Ref X", {"a": {"Ref": "X"}}),
        ("a: !GetAtt X.Arn", {"a": {"Fn::GetAtt": ["X", "Arn"]}}),
        ("a: !GetAtt X.Outputs.Arn", {"a": {"Fn::GetAtt": ["X", "Outputs.Arn"]}}),
        ("a: !GetAtt [X, Arn]", {"a": {"Fn::GetAtt": ["X", "Arn"]}}),
        ("a: !Sub ['${A}', {A: !Ref B}]", {"a": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]}}),
        (
            "a: !If [C, !Ref X, !Ref AWS::NoValue]",
            {"a": {"Fn::If": ["C", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]}},
        ),
        ("a: !Condition C", {"a": {"Condition": "C"}}),
        ("a: !GetAZs ''", {"a": {"Fn::GetAZs": ""}}),
        ("a: !Transform {Name: M}", {"a": {"Fn::Transform": {"Name": "M"}}}),
        ("AWSTemplateFormatVersion: 2010-09-09", {"AWSTemplateFormatVersion": "2010-09-09"}),
        ('{"a": {"Ref": "X"}}', {"a": {"Ref": "X"}}),
        ("{a: !Ref X}", {"a": {"Ref": "X"}}),  # flow-style YAML that starts like JSON
        (
            "0: a\ntrue: b\nc: !If [x, {1: 2}, y]",
            {"0": "a", "true": "b", "c": {"Fn::If": ["x", {"1": 2}, "y"]}},
        ),
    ],
)
def test_short_form_tags(text: str, expected: Any) -> None:
    assert parse_template(text) == expected


def test_yaml_errors_give_the_line() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"^line 3, column 1: did not find expected node content"):
        parse_template("a: 1\nb: [\n")


def test_the_c_loader_is_used_when_built() -> None:
    from auto_invoke_permission.hook.template_text import CloudFormationLoader

    assert issubclass(CloudFormationLoader, yaml.CSafeLoader) == bool(yaml.__with_libyaml__)


# ------------------------------------------------------------------ the CLI
def test_cli_hook_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "seed.yaml"
    template.write_text(SEED_WITHOUT_MACRO, encoding="utf-8")
    argv = ["hook", str(template), "--region", "us-east-1", "--account-id", "123456789012"]
    assert cli_main(argv) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "FAILED (NonCompliant)"
    assert "RequestFunction -> ProcessorFunction" in lines[1]
    assert lines[2:4] == [
        "annotations:",
        "  FAILED HIGH RequireTransform: 1 grant(s) need the macro: RequestFunction -> ProcessorFunction "
        "(RequestFunction.Properties.Policies[0].Statement[0]; the macro would add "
        "ProcessorFunctionInvokeFromRequestFunctionRole)",
    ]
    assert cli_main([*argv, "--require-transform", "false"]) == 0
    capsys.readouterr()
    ref = tmp_path / "ref.yaml"
    ref.write_text(SEED_REF, encoding="utf-8")
    ref_argv = ["hook", str(ref), "--region", "us-east-1", "--account-id", "123456789012"]
    assert cli_main(ref_argv) == 0
    assert cli_main([*ref_argv, "--fail-on", "AIP101"]) == 1


def test_cli_hook_json_is_the_hook_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "ref.yaml"
    template.write_text(SEED_REF, encoding="utf-8")
    argv = ["hook", str(template), "--fail-on", "AIP101", "--format", "json", "--region", "us-east-1"]
    assert cli_main([*argv, "--account-id", "123456789012"]) == 1
    expected = json.loads(golden_path("seed_ref_fail_on_aip101").read_text(encoding="utf-8"))
    expected["clientRequestToken"] = "autoinvoke-cli-hook-event"
    assert json.loads(capsys.readouterr().out) == expected


def test_cli_hook_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["hook", str(tmp_path / "missing.yaml")]) == 2
    template = tmp_path / "t.yaml"
    template.write_text(SEED_TEXT, encoding="utf-8")
    assert cli_main(["hook", str(template), "--fail-on", "AIP999"]) == 2
    assert "FailOn: 'AIP999'" in capsys.readouterr().err


def test_cli_hook_event_round_trip(
    tmp_path: Path, server: PayloadServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """hook-event's request and payload file, served locally, get the decision `autoinvoke hook` prints."""
    template = tmp_path / "seed.yaml"
    template.write_text(SEED_WITHOUT_MACRO, encoding="utf-8")
    payload_file = tmp_path / "payload.json"
    url = server.url("/from-cli")
    argv = ["hook-event", str(template), "--payload-url", url, "--payload-file", str(payload_file)]
    assert cli_main([*argv, "--region", "eu-west-1", "--account-id", "111122223333"]) == 0
    event = json.loads(capsys.readouterr().out)
    assert event["stackId"].startswith("arn:aws:cloudformation:eu-west-1:111122223333:stack/")
    assert event["requestData"]["payload"] == url
    server.serve("/from-cli", Route(body=payload_file.read_bytes()))
    response = ask(event).response
    assert response["hookStatus"] == "FAILED"
    assert response["clientRequestToken"] == "autoinvoke-cli-hook-event"


# ------------------------------------------------------------------ the deployed handler, alone
def hook_function(template: dict[str, Any]) -> dict[str, Any]:
    """Follow the AWS::CloudFormation::LambdaHook's LambdaFunction (!GetAtt F.Arn) to F's properties."""
    resources = template["Resources"]
    hooks = [r for r in resources.values() if r["Type"] == "AWS::CloudFormation::LambdaHook"]
    assert len(hooks) == 1
    function_id, attribute = hooks[0]["Properties"]["LambdaFunction"]["Fn::GetAtt"]
    assert attribute == "Arn"
    properties: dict[str, Any] = resources[function_id]["Properties"]
    return properties


def pyyaml_only(target: Path) -> Path:
    """The hook build's one dependency, copied alone (as macro/hook-requirements.txt installs it)."""
    distribution = importlib.metadata.distribution("PyYAML")
    for file in distribution.files or []:
        if file.parts[0] in ("yaml", "_yaml") and "__pycache__" not in file.parts:
            source = Path(str(distribution.locate_file(file)))
            destination = target / Path(*file.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


RUNNER = """
import json, sys
codeuri, deps, handler_path = sys.argv[1:4]
sys.path[:0] = [codeuri, deps]
module_name, function_name = handler_path.rsplit(".", 1)
module = __import__(module_name, fromlist=[function_name])
response = getattr(module, function_name)(json.load(sys.stdin), None)
import yaml
outside = sorted(
    name for name, m in sys.modules.items()
    if getattr(m, "__file__", None) and not m.__file__.startswith((codeuri, deps, sys.base_prefix))
)
sys.stdout.write(json.dumps({"response": response, "yaml": yaml.__file__, "outside": outside}))
"""


def test_deployed_hook_handler_answers_with_its_build_only(server: PayloadServer, tmp_path: Path) -> None:
    template = parse_template((ROOT / "template.yaml").read_text(encoding="utf-8"))
    function = hook_function(template)
    codeuri = str((ROOT / function["CodeUri"]).resolve())
    deps = pyyaml_only(tmp_path / "deps")
    url = server.serve("/deployed", Route(body=payload(SEED_TEXT)))
    done = subprocess.run(
        [sys.executable, "-S", "-c", RUNNER, codeuri, str(deps), function["Handler"]],
        input=json.dumps(request(url)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["response"] == json.loads(golden_path("seed_with_macro").read_text(encoding="utf-8"))
    assert result["yaml"].startswith(str(deps))
    assert result["outside"] == []


def test_macro_handler_never_imports_yaml() -> None:
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import auto_invoke_permission.handler; "
        "sys.exit('yaml' in sys.modules or 'auto_invoke_permission.hook' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-S", "-c", probe, str(ROOT / "macro")], check=False)
    assert done.returncode == 0


# ------------------------------------------------------------------ regenerate
def regenerate() -> None:
    running = PayloadServer()
    running.thread.start()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    try:
        for case in CASES:
            text = json.dumps(answer_case(running, case), indent=2, ensure_ascii=False) + "\n"
            golden_path(case.name).write_text(text, encoding="utf-8")
            print(golden_path(case.name).relative_to(ROOT))
    finally:
        running.httpd.shutdown()


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/unit/hook/test_hook.py --regenerate")
    sys.path.insert(0, str(ROOT / "macro"))
    regenerate()


# ------------------------------------------------------------------ the corpus
CORPUS_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_templates_get_a_decision_never_an_internal_error() -> None:
    """Every public template the hook can parse gets a decision or a fail-open "cannot be analyzed",
    never an exception (which the handler would turn into a fail-open internal error)."""
    from auto_invoke_permission.hook.policy import decide
    from auto_invoke_permission.model import TransformContext

    crashed: list[str] = []
    decided = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.suffix in CORPUS_SUFFIXES and p.is_file()):
        try:
            template = parse_template(path.read_text(encoding="utf-8"))
        except (TemplateSyntaxError, UnicodeDecodeError):
            continue  # CloudFormation rejects these too; the handler passes them with a warning
        try:
            decide(template, HookPolicy(), TransformContext())
        except Exception as error:
            crashed.append(f"{path.relative_to(CORPUS)}: {type(error).__name__}: {error}")
        decided += 1
    assert decided > 1000
    assert crashed == []


# ------------------------------------------------------------------ the hook's artifact
FAKE_PIP = """
import json, pathlib, sys
args = sys.argv[1:]
target = pathlib.Path(args[args.index("--target") + 1])
(target / "yaml").mkdir(parents=True, exist_ok=True)
(target / "yaml" / "__init__.py").write_text("")
(target / "pip-args.json").write_text(json.dumps(args))
"""


def test_hook_artifact_is_the_package_with_its_hook_and_pyyaml_for_arm64(tmp_path: Path) -> None:
    """macro/Makefile build-HookFunction, as `sam build` runs it, with pip replaced by a stand-in that
    records its arguments (the real one downloads the wheel from PyPI)."""
    fake_pip = tmp_path / "fake_pip.py"
    fake_pip.write_text(FAKE_PIP, encoding="utf-8")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    variables = [f"ARTIFACTS_DIR={artifacts}", f"PIP={sys.executable} {fake_pip}", "PYTHON_RUNTIME=none"]
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "macro"), "build-HookFunction", *variables],
        check=True,
        capture_output=True,
    )
    package = artifacts / "auto_invoke_permission"
    assert (package / "hook" / "handler.py").is_file()
    assert (package / "handler.py").is_file()
    assert not (package / "cli").exists()
    assert not list(package.rglob("__pycache__"))
    args = json.loads((artifacts / "pip-args.json").read_text(encoding="utf-8"))
    assert args[:1] == ["install"]
    for flag, value in (("--platform", "manylinux2014_aarch64"), ("--python-version", "3.13")):
        assert args[args.index(flag) + 1] == value
    requirements = ROOT / "macro" / args[args.index("-r") + 1]
    assert [line for line in requirements.read_text().splitlines() if not line.startswith("#")] == [
        "PyYAML==6.0.3"
    ]


@pytest.mark.parametrize("collecting", [True, False])
def test_import_leaves_the_collector_as_it_was_and_freezes_what_it_made(collecting: bool) -> None:
    # as the macro's handler: the cold import pauses the cyclic collector while the modules are made
    code = (
        "import gc\n"
        f"gc.enable() if {collecting} else gc.disable()\n"
        "import auto_invoke_permission.hook.handler\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    assert run_python(code).split() == [str(collecting), "True"]
