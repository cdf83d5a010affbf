"""The hook's payload reader and request entry points, without a payload server.

test_hook.py serves payloads over HTTP; these are the refusals that need no server (a URL that is not
http(s), a deadline already past, a port nobody listens on) and the handler's per-container policy.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest
from auto_invoke_permission.hook import handler as hook_handler
from auto_invoke_permission.hook.payload import Payload, PayloadError, fetch_payload, read_payload
from auto_invoke_permission.hook.policy import HookPolicy, PolicyError

TOKEN = "token-1"


def request(
    url: str | None, point: str = "CREATE_PRE_PROVISION", target_type: str = "STACK"
) -> dict[str, Any]:
    return {
        "clientRequestToken": TOKEN,
        "awsAccountId": "123456789012",
        "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1234",
        "actionInvocationPoint": point,
        "requestData": {"targetName": "STACK", "targetType": target_type, "payload": url},
    }


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        (b'{"template": "Resources: {}", "previousTemplate": "old"}', Payload("Resources: {}", "old")),
        (b'{"template": null}', Payload("", "")),  # delete: no template
        (b'{"previousTemplate": 3}', Payload("", "")),
    ],
)
def test_read_payload(body: bytes, payload: Payload) -> None:
    assert read_payload(body) == payload


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe not json", "the payload is not JSON (UnicodeDecodeError)"),
        (b"{", "the payload is not JSON (JSONDecodeError)"),
        (b"[]", "the payload is a list, not an object"),
        (b'{"template": {"Resources": {}}}', "the payload's template is a dict, not a string"),
    ],
)
def test_unreadable_payload(body: bytes, problem: str) -> None:
    with pytest.raises(PayloadError) as caught:
        read_payload(body)
    assert str(caught.value) == problem


@pytest.mark.parametrize("url", ["file:///etc/passwd", "s3://bucket/key", "ftp://host/x"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(PayloadError, match=r"^requestData\.payload is not an http\(s\) URL$"):
        fetch_payload(url)


def test_no_time_left_is_a_timeout_without_a_retry() -> None:
    with pytest.raises(PayloadError) as caught:
        fetch_payload("https://example.invalid/payload", timeout_s=0)
    assert str(caught.value) == "timed out fetching the payload"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_is_retried_once_then_named() -> None:
    with pytest.raises(PayloadError) as caught:
        fetch_payload(f"http://127.0.0.1:{_closed_port()}/payload", timeout_s=5)
    assert str(caught.value) == "cannot fetch the payload (ConnectionRefusedError) (after one retry)"


def test_a_target_other_than_the_stack_is_an_own_failure() -> None:
    lines: list[str] = []
    response = hook_handler.evaluate_request(
        request("http://127.0.0.1:1/x", target_type="RESOURCE"),
        HookPolicy(fail_closed=True),
        log=lines.append,
    )
    assert response["hookStatus"] == "FAILED"
    assert response["message"].endswith(
        "could not check the template: target type RESOURCE is not supported (TargetOperations: STACK) "
        "(FailClosed is on)"
    )
    assert json.loads(lines[0])["level"] == "ERROR"


def test_outside_the_main_thread_there_is_no_budget_and_no_failure() -> None:
    answers: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            hook_handler.evaluate_request(request(None, "DELETE_PRE_PROVISION"), HookPolicy(), log=len)
        )
    )
    thread.start()
    thread.join()
    assert answers == [
        {
            "hookStatus": "SUCCESS",
            "message": "AutoInvokePermission hook: nothing to check on delete.",
            "clientRequestToken": TOKEN,
        }
    ]


def test_handler_reads_the_policy_once_per_container(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(hook_handler, "_policy", None)
    monkeypatch.setenv("AUTOINVOKE_HOOK_FAIL_CLOSED", "yes")
    response = hook_handler.handler(request(None))
    assert response["hookStatus"] == "SUCCESS"  # an invalid configuration fails open
    assert (
        "the hook stack's configuration is invalid: FailClosed: 'yes' is not true or false"
        in (response["message"])
    )
    assert isinstance(hook_handler._policy, PolicyError)
    monkeypatch.setenv("AUTOINVOKE_HOOK_FAIL_CLOSED", "true")  # read once: the change is not seen
    assert hook_handler.handler(request(None))["message"] == response["message"]
    assert len(capsys.readouterr().err.splitlines()) == 2

    monkeypatch.setattr(hook_handler, "_policy", None)
    response = hook_handler.handler(request(None))
    assert hook_handler._stack_policy() == HookPolicy(fail_closed=True)
    assert response["hookStatus"] == "FAILED"
    assert "the request has no requestData.payload URL" in response["message"]
