"""The Lambda entry point: the macro event in, `{requestId, status, fragment, errorMessage}` out.

Standard library only. The environment (the macro stack's defaults) is read once.
Every outcome is a response: a bad template or an unexpected error is a
`failure` with a message, never an unhandled exception.
"""

from __future__ import annotations

import gc
import os
import sys
import time

# The imports below create thousands of objects that live as long as the container (classes,
# functions, tables); a collection while they are made only traverses them, and took a tenth of
# the cold import (`make bench` (d)). The collector is paused for them and what they made is frozen
# out of its reach, as `handler` does for the event.
_COLLECTING = gc.isenabled()
gc.disable()
from . import core, report  # noqa: E402
from .event import MacroEvent  # noqa: E402
from .model import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, TransformContext, TransformFailure  # noqa: E402
from .options import Mode, OptionError, Options, defaults_from_environment, resolve_options  # noqa: E402
from .template_inputs import own_options  # noqa: E402

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

gc.freeze()
if _COLLECTING:
    gc.enable()

_defaults: Options | OptionError | None = None


def _stack_defaults() -> Options | OptionError:
    global _defaults  # noqa: PLW0603 - read the environment once per container
    if _defaults is None:
        try:
            _defaults = defaults_from_environment(os.environ)
        except OptionError as error:
            _defaults = error
    return _defaults


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    started = time.perf_counter()
    macro_event = MacroEvent(event)
    fragment = macro_event.fragment
    mode = "unknown"
    counts: dict[str, int] = {}
    try:
        defaults = _stack_defaults()
        if isinstance(defaults, OptionError):
            raise TransformFailure([f"the macro stack's configuration is invalid: {defaults}"])
        own = own_options(fragment) if isinstance(fragment, dict) else None
        options = resolve_options(defaults, own, macro_event.params)
        mode = options.mode.value
        context_ = TransformContext(
            region=macro_event.region or os.environ.get("AWS_REGION") or DEFAULT_REGION,
            account_id=macro_event.account_id or DEFAULT_ACCOUNT_ID,
            parameter_values=macro_event.template_parameter_values,
        )
        # The run allocates many short-lived, acyclic objects: reference counting frees them, and
        # the cyclic collector would only rescan the (large, freshly parsed) event again and again.
        # Freezing moves what exists now out of its reach; unfreezing hands it back untouched. The
        # second freeze does the same for what the run allocated (the output fragment), which the
        # first young collection after `enable` would otherwise traverse.
        gc.disable()
        gc.freeze()
        try:
            result = core.transform(fragment, options, context_)
        finally:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
        run = result.counts
        counts = {
            "grants": run.grants,
            "permissions_added": run.added if options.mode is not Mode.AUDIT else 0,
            "permissions_kept": run.kept,
            "findings": run.findings,
            "blocking_findings": run.blocking,
            "suppressed_findings": run.suppressed,
        }
        response = {"requestId": macro_event.request_id, "status": "success", "fragment": result.fragment}
        findings = [f"{f.code}:{f.path}" for f in result.findings[:20]]
    except (TransformFailure, OptionError) as error:
        problems = error.problems if isinstance(error, TransformFailure) else [str(error)]
        response = _failure(macro_event, report.failure_message(problems))
        counts = {"problems": len(problems)}
        findings = error.log_items[:20] if isinstance(error, TransformFailure) else [str(error)[:120]]
    except Exception as error:
        response = _failure(
            macro_event,
            f"{report.MESSAGE_PREFIX} internal error ({type(error).__name__}) while processing the template; "
            "please report it with the template that caused it",
        )
        findings = [type(error).__name__]
    name = os.environ.get("AUTOINVOKE_MACRO_NAME") or macro_event.transform_id.rsplit("::", 1)[-1]
    sys.stderr.write(
        report.log_line(
            requestId=macro_event.request_id,
            macro=name,
            mode=mode,
            status=response["status"],
            counts=counts,
            findings=findings,
            durationMs=round((time.perf_counter() - started) * 1000, 2),
        )
        + "\n"
    )
    return response


def _failure(event: MacroEvent, message: str) -> dict[str, Any]:
    return {
        "requestId": event.request_id,
        "status": "failure",
        "fragment": event.fragment,
        "errorMessage": message,
    }
