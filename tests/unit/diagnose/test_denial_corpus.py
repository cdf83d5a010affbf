"""Real error texts (tests/data/denials/corpus.yaml), as posted and inside the wrappers people paste.

Every text keeps its source link. An invoke denial must give every field its entry lists (the rest
None), also when the same text is pasted inside a botocore traceback, SDK v3 JSON, a CloudWatch
line, a Java, Go or .NET exception, or a Markdown code span. Texts that name neither caller nor
callee are refused with a message saying so; token errors and Lambda's other AccessDenied texts are
recognised as what they are; denials of other actions are refused, their reason still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from auto_invoke_permission.diagnose.denial import (
    Denial,
    DenialError,
    Reason,
    parse_denial,
    parse_url_denial,
    reason_of,
)
from repository import DATA

CORPUS_FILE = DATA / "denials" / "corpus.yaml"
CORPUS: list[dict[str, Any]] = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
FIELDS = (
    "reason",
    "principal",
    "role",
    "session",
    "user",
    "caller_account",
    "function",
    "qualifier",
    "region",
    "function_account",
    "role_glob",
)


def entries(kind: str) -> list[dict[str, Any]]:
    return [e for e in CORPUS if e["kind"] == kind]


def ids(kind: str) -> list[str]:
    return [e["id"] for e in entries(kind)]


def fields(denial: Denial, expect: dict[str, Any]) -> dict[str, Any]:
    """The fields an entry names (the principal only when it does), masked as a list."""
    got: dict[str, Any] = {name: getattr(denial, name) for name in FIELDS if name != "principal"}
    got["reason"] = denial.reason.name
    if "principal" in expect:
        got["principal"] = denial.principal
    got["masked"] = list(denial.masked)
    return got


def wanted(expect: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {name: None for name in FIELDS if name != "principal"}
    out.update(expect)
    out["masked"] = list(expect.get("masked", []))
    return out


def test_the_corpus_holds_at_least_forty_real_texts_each_with_its_source() -> None:
    assert len(CORPUS) >= 40
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    assert all(e["source"].startswith("https://") and e["text"].strip() for e in CORPUS)


@pytest.mark.parametrize("entry", entries("invoke"), ids=ids("invoke"))
def test_invoke_denials_as_posted(entry: dict[str, Any]) -> None:
    denial = parse_denial(entry["text"])
    assert fields(denial, entry["expect"]) == wanted(entry["expect"])


# The wrappers people paste around the message (the message itself as posted inside them).
WRAPPERS: dict[str, Callable[[str], str]] = {
    "botocore": lambda t: (
        'Traceback (most recent call last):\n  File "/var/task/app.py", line 12, in handler\n'
        "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the "
        f"Invoke operation: {t}"
    ),
    "sdk-v3-json": lambda t: json.dumps(
        {
            "name": "AccessDeniedException",
            "$fault": "client",
            "$metadata": {"httpStatusCode": 403, "requestId": "5f0b1c53-0b8c-4a07-9d4e-1f8d2c9b7a10"},
            "Type": "User",
            "Message": t,
        }
    ),
    "cloudwatch": lambda t: (
        "2024-05-02T10:11:12.345Z\t5f0b1c53-0b8c-4a07-9d4e-1f8d2c9b7a10\tERROR\tInvoke Error \t"
        + json.dumps({"errorType": "AccessDeniedException", "errorMessage": t})
    ),
    "java-v1": lambda t: (
        f"com.amazonaws.services.lambda.model.AWSLambdaException: {t} (Service: AWSLambda; Status Code: 403; "
        "Error Code: AccessDeniedException; Request ID: 5f0b1c53-0b8c-4a07-9d4e-1f8d2c9b7a10; Proxy: null)"
    ),
    "java-v2": lambda t: (
        f"software.amazon.awssdk.services.lambda.model.LambdaException: {t} (Service: Lambda, Status Code: "
        "403, Request ID: 5f0b1c53-0b8c-4a07-9d4e-1f8d2c9b7a10)"
    ),
    "go-v2": lambda t: (
        "operation error Lambda: Invoke, https response error StatusCode: 403, RequestID: "
        f"5f0b1c53-0b8c-4a07-9d4e-1f8d2c9b7a10, api error AccessDeniedException: {t}"
    ),
    "dotnet": lambda t: (
        f"Amazon.Lambda.AmazonLambdaException: {t}\n ---> "
        "Amazon.Runtime.Internal.HttpErrorResponseException: Exception of type "
        "'Amazon.Runtime.Internal.HttpErrorResponseException' was thrown.\n   at "
        "Amazon.Runtime.HttpWebRequestMessage.GetResponseAsync(CancellationToken cancellationToken)"
    ),
    "markdown-code": lambda t: f"`{t}`",
}


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
@pytest.mark.parametrize("entry", entries("invoke"), ids=ids("invoke"))
def test_invoke_denials_inside_wrappers(entry: dict[str, Any], wrapper: str) -> None:
    denial = parse_denial(WRAPPERS[wrapper](entry["text"]))
    assert fields(denial, entry["expect"]) == wanted(entry["expect"])


@pytest.mark.parametrize("entry", entries("refused"), ids=ids("refused"))
def test_texts_without_caller_or_callee_are_refused_saying_what_is_missing(entry: dict[str, Any]) -> None:
    with pytest.raises(DenialError) as caught:
        parse_denial(entry["text"])
    assert entry["says"] in str(caught.value)


@pytest.mark.parametrize("entry", entries("other"), ids=ids("other"))
def test_other_texts_are_recognised_as_what_they_are(entry: dict[str, Any]) -> None:
    denial = parse_denial(entry["text"])
    expect = entry["expect"]
    assert denial.reason is Reason[expect["reason"]]
    assert {k: getattr(denial, k) for k in expect if k != "reason"} == {
        k: v for k, v in expect.items() if k != "reason"
    }
    assert denial.reason.permission is (denial.reason is Reason.APIGATEWAY_PERMISSION)


@pytest.mark.parametrize("entry", entries("url"), ids=ids("url"))
def test_function_url_responses(entry: dict[str, Any]) -> None:
    denial = parse_url_denial(entry["url"], entry["text"])
    assert (denial.reason, denial.url) == (Reason[entry["expect"]["reason"]], entry["url"])


@pytest.mark.parametrize("entry", entries("not-invoke"), ids=ids("not-invoke"))
def test_denials_of_other_actions_are_refused_and_their_reason_read(entry: dict[str, Any]) -> None:
    with pytest.raises(DenialError) as caught:
        parse_denial(entry["text"])
    assert f"the denied action is {entry['action']}, not an invoke" in str(caught.value)
    reading = reason_of(entry["text"])
    assert reading is not None
    assert reading.reason is Reason[entry["reason"]]
    assert reading.via is (Reason[entry["via"]] if "via" in entry else None)
    assert reading.policy_arn == entry.get("policy_arn")


@pytest.mark.parametrize("entry", entries("not-invoke"), ids=ids("not-invoke"))
def test_every_documented_wording_reads_the_same_on_an_invoke(entry: dict[str, Any]) -> None:
    """The same text with the invoke action and a function ARN: the reason, via, policy and ID are read."""
    arn = "arn:aws:lambda:us-east-1:111122223333:function:callee"
    text = entry["text"].replace(entry["action"], "lambda:InvokeFunction")
    if re.search(r"\son resource:", text):
        text = re.sub(r"(\son resource:\s*)\S+", lambda m: m[1] + arn, text, count=1)
    else:
        text = text.replace("lambda:InvokeFunction", f"lambda:InvokeFunction on resource: {arn}", 1)
    denial = parse_denial(text)
    assert (denial.reason, denial.function) == (Reason[entry["reason"]], "callee")
    assert denial.via is (Reason[entry["via"]] if "via" in entry else None)
    assert (denial.policy_arn, denial.authorization_id) == (
        entry.get("policy_arn"),
        entry.get("authorization_id"),
    )
