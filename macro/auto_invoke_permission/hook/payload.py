"""Fetch the hook's payload: the pre-signed S3 URL in `requestData.payload`
(docs/design/aws-facts-integrations.md 1.3).

Standard library only (urllib). Bounded in time (one deadline for both attempts, well under the
hook's 30 s), in size, and in attempts (one retry, only for errors that may pass: network errors,
timeouts and 5xx; a 403 or 404 of a pre-signed URL will not change). The URL is never put in a
message or a log line: its query string is a credential.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from ..records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TIMEOUT_S = 10.0  # both attempts together; the Lambda itself stops at 25 s (template.yaml)
# Two templates of at most 1 MB each (CloudFormation's limit for a template in S3), JSON-escaped.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_CHUNK = 256 * 1024


class PayloadError(Exception):
    """The payload could not be fetched or read; the message is safe to show (no URL)."""


class Payload(Record):
    template: str  # "" on delete
    previous_template: str


def fetch_payload(
    url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, max_bytes: int = DEFAULT_MAX_BYTES
) -> Payload:
    """GET the URL and read `{"template": ..., "previousTemplate": ...}`."""
    if not url.startswith(("https://", "http://")):
        raise PayloadError("requestData.payload is not an http(s) URL")
    deadline = time.monotonic() + timeout_s
    try:
        body = _get(url, deadline, max_bytes)
    except _Transient as first:
        if time.monotonic() >= deadline:
            raise PayloadError(str(first)) from first
        try:
            body = _get(url, deadline, max_bytes)
        except _Transient as second:
            raise PayloadError(f"{second} (after one retry)") from second
    return read_payload(body)


def read_payload(body: bytes) -> Payload:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"the payload is not JSON ({type(error).__name__})") from error
    if not isinstance(data, dict):
        raise PayloadError(f"the payload is a {type(data).__name__}, not an object")
    template = data.get("template")
    previous = data.get("previousTemplate")
    if template is None:
        template = ""
    if not isinstance(template, str):
        raise PayloadError(f"the payload's template is a {type(template).__name__}, not a string")
    return Payload(template, previous if isinstance(previous, str) else "")


class _Transient(Exception):
    """A failure worth one retry."""


def _get(url: str, deadline: float, max_bytes: int) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Transient("timed out fetching the payload")
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=remaining) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise PayloadError(f"the payload is {int(length)} bytes, over the limit of {max_bytes}")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() >= deadline:
                    raise _Transient("timed out reading the payload")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadError(f"the payload is over the limit of {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as error:
        problem = f"fetching the payload answered HTTP {error.code}"
        if error.code >= 500:
            raise _Transient(problem) from error
        raise PayloadError(problem) from error
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
            raise _Transient("timed out fetching the payload") from error
        raise _Transient(f"cannot fetch the payload ({type(reason).__name__})") from error
