"""The Lambda Hook entry point: a hook request in, `{hookStatus, message, clientRequestToken, ...}` out.

The hook can block every deploy of an account, so its own failures must not: an unreadable
payload, a template that does not parse, a timeout or an internal error answer SUCCESS with a
warning and write one error log line, unless the stack sets FailClosed. Every invocation writes one
JSON log line; never the template, the payload URL (its query string is a credential) or parameter
values.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

# As in the macro's handler: the imports below (the core, PyYAML, urllib) make objects that live as
# long as the container, which a collection while they are made only traverses (about a tenth of
# the cold import); the collector is paused for them, and what they made is frozen out of its reach.
_COLLECTING = gc.isenabled()
gc.disable()
from .. import report  # noqa: E402
from ..model import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, TransformContext  # noqa: E402
from ..options import ENV_NEVER_IGNORE, OptionError, parse_codes  # noqa: E402
from .payload import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, PayloadError, fetch_payload  # noqa: E402
from .policy import (  # noqa: E402
    PREFIX,
    SUCCESS,
    HookDecision,
    HookPolicy,
    PolicyError,
    decide,
    own_failure,
    parse_fail_on,
    parse_flag,
)
from .template_text import TemplateSyntaxError, parse_template  # noqa: E402

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

gc.freeze()
if _COLLECTING:
    gc.enable()

ENV_MACRO_NAME = "AUTOINVOKE_MACRO_NAME"
ENV_REQUIRE_TRANSFORM = "AUTOINVOKE_HOOK_REQUIRE_TRANSFORM"
ENV_FAIL_ON = "AUTOINVOKE_HOOK_FAIL_ON"
ENV_FAIL_CLOSED = "AUTOINVOKE_HOOK_FAIL_CLOSED"
# The hook waits 30 s for the function (docs/design/aws-facts-integrations.md 1.3); the function stops at 25 s
# (template.yaml) and answers by itself before then.
BUDGET_S = 20.0
DELETE = "DELETE_PRE_PROVISION"


class HookRequest:
    """The Lambda Hook request, read-only. The documented syntax spells `clientRequesttoken` and
    `stackID`, its example `clientRequestToken` and `stackId`: both are read."""

    def __init__(self, raw: Any) -> None:
        self._raw: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        data = self._raw.get("requestData")
        self._data: Mapping[str, Any] = data if isinstance(data, dict) else {}

    def _either(self, *keys: str) -> Any:
        return next((self._raw[k] for k in keys if k in self._raw), None)

    @property
    def client_request_token(self) -> Any:
        return self._either("clientRequestToken", "clientRequesttoken")

    @property
    def stack_id(self) -> str:
        value = self._either("stackId", "stackID")
        return value if isinstance(value, str) else ""

    @property
    def account_id(self) -> str | None:
        value = self._raw.get("awsAccountId")
        return str(value) if isinstance(value, str | int) and str(value) else None

    @property
    def region(self) -> str | None:
        """From the stack ARN: arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/ID."""
        parts = self.stack_id.split(":")
        return parts[3] if len(parts) > 5 and parts[3] else None

    @property
    def invocation_point(self) -> str:
        value = self._raw.get("actionInvocationPoint")
        return value if isinstance(value, str) else ""

    @property
    def target_type(self) -> str:
        value = self._data.get("targetType")
        return value if isinstance(value, str) else ""

    @property
    def payload_url(self) -> str | None:
        value = self._data.get("payload")
        return value if isinstance(value, str) and value else None


def policy_from_environment(environ: Mapping[str, str]) -> HookPolicy:
    """The stack's policy parameters. Empty variables mean 'not set'. Raises PolicyError."""
    policy = HookPolicy()
    if environ.get(ENV_MACRO_NAME):
        policy = policy._replace(macro_name=environ[ENV_MACRO_NAME])
    if environ.get(ENV_REQUIRE_TRANSFORM):
        policy = policy._replace(
            require_transform=parse_flag("RequireTransform", environ[ENV_REQUIRE_TRANSFORM])
        )
    if environ.get(ENV_FAIL_ON):
        policy = policy._replace(fail_on=parse_fail_on([environ[ENV_FAIL_ON]]))
    if environ.get(ENV_FAIL_CLOSED):
        policy = policy._replace(fail_closed=parse_flag("FailClosed", environ[ENV_FAIL_CLOSED]))
    if environ.get(ENV_NEVER_IGNORE):  # the macro's variable: the stack's one NeverIgnore parameter
        try:
            never = parse_codes(environ[ENV_NEVER_IGNORE], "NeverIgnore", to_ignore=False)
        except OptionError as error:
            raise PolicyError(str(error)) from error
        policy = policy._replace(never_ignore=never)
    return policy


def evaluate_text(text: str, policy: HookPolicy, context: TransformContext) -> HookDecision:
    """The decision for a template as CloudFormation received it; what `autoinvoke hook` prints."""
    if not text.strip():
        return HookDecision(SUCCESS, f"{PREFIX} the template is empty; nothing to check.")
    try:
        template = parse_template(text)
    except TemplateSyntaxError as error:
        return own_failure(f"the template does not parse ({error})", policy)
    return decide(template, policy, context)


class _OutOfTime(Exception):
    pass


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Stop the work after `seconds` so the function answers before the hook gives up on it.
    SIGALRM works only in the main thread (where Lambda runs the handler); elsewhere, no budget."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def evaluate_request(
    event: Any,
    policy: HookPolicy | PolicyError,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget_s: float = BUDGET_S,
    environ: Mapping[str, str] = os.environ,
    log: Callable[[str], Any] | None = None,  # default: standard error, as the macro logs
) -> dict[str, Any]:
    started = time.perf_counter()
    request = HookRequest(event)
    fields: dict[str, Any] = {"invocationPoint": request.invocation_point}
    fallback = policy if isinstance(policy, HookPolicy) else HookPolicy()
    try:
        with _budget(budget_s):
            if isinstance(policy, PolicyError):
                decision = own_failure(f"the hook stack's configuration is invalid: {policy}", fallback)
            elif request.invocation_point == DELETE:
                decision = HookDecision(SUCCESS, f"{PREFIX} nothing to check on delete.")
            elif request.target_type and request.target_type != "STACK":
                decision = own_failure(
                    f"target type {request.target_type} is not supported (TargetOperations: STACK)", policy
                )
            elif request.payload_url is None:
                decision = own_failure("the request has no requestData.payload URL", policy)
            else:
                payload = fetch_payload(request.payload_url, timeout_s=timeout_s, max_bytes=max_bytes)
                fields["templateChars"] = len(payload.template)
                context = TransformContext(
                    region=request.region or environ.get("AWS_REGION") or DEFAULT_REGION,
                    account_id=request.account_id or DEFAULT_ACCOUNT_ID,
                )
                decision = evaluate_text(payload.template, policy, context)
    except PayloadError as error:
        decision = own_failure(str(error), fallback)
    except _OutOfTime:
        decision = own_failure(f"ran out of time after {budget_s:g} s", fallback)
    except Exception as error:
        decision = own_failure(
            f"internal error ({type(error).__name__}); please report it with the template", fallback
        )
    problem = decision.problem
    fields.update(
        level="ERROR" if problem else "INFO",
        hookStatus=decision.status,
        errorCode=decision.error_code,
        findings=[a.name for a in decision.annotations[:20]],
        durationMs=round((time.perf_counter() - started) * 1000, 2),
    )
    if problem:
        fields["problem"] = problem[:300]
    (log or sys.stderr.write)(report.log_line(stackId=request.stack_id, **fields) + "\n")
    return decision.response(request.client_request_token)


_policy: HookPolicy | PolicyError | None = None


def _stack_policy() -> HookPolicy | PolicyError:
    global _policy  # noqa: PLW0603 - read the environment once per container
    if _policy is None:
        try:
            _policy = policy_from_environment(os.environ)
        except PolicyError as error:
            _policy = error
    return _policy


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    return evaluate_request(event, _stack_policy())
