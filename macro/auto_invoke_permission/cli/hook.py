"""`autoinvoke hook` and `autoinvoke hook-event`: the Lambda Hook's decision offline, and a hook
request for testing a deployed hook.

`hook` runs exactly what the deployed hook runs on the payload's template (the same parser and
the same decision), so a template's verdict can be seen before a deploy.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

from ..hook.policy import SUCCESS, HookDecision, HookPolicy, PolicyError, parse_fail_on
from ..model import TransformContext
from ..options import OptionError, parse_codes
from ..resolver import partition_for
from .main import (  # the same -o and --macro-name handling as the other commands
    EXIT_FAILED,
    EXIT_OK,
    Streams,
    UsageError,
    _macro_name_argument,
    _write_or_print,
    resolve_place,
)

HOOK_EVENT_TOKEN = "autoinvoke-cli-hook-event"  # fixed, so the same template gives the same request
HOOK_TYPE_NAME = "Private::AutoInvokePermission::Hook"  # template.yaml's HookAlias default
STACK_UUID = "00000000-0000-0000-0000-000000000000"
INVOCATION_POINTS = {
    "create": "CREATE_PRE_PROVISION",
    "update": "UPDATE_PRE_PROVISION",
    "delete": "DELETE_PRE_PROVISION",
}

Command = Callable[[str, str, Callable[[argparse.Namespace, Streams], int]], argparse.ArgumentParser]


def add_hook_commands(command: Command) -> None:
    """Register `hook` and `hook-event` through main's `command` helper."""
    hook = command(
        "hook",
        "Print the decision the CloudFormation Lambda Hook would take for TEMPLATE: status, message and "
        "annotations. Exit 0 when it passes, 1 when it fails, 2 on usage errors.",
        run_hook,
    )
    hook.add_argument("template", metavar="TEMPLATE")
    hook.add_argument(
        "--require-transform",
        choices=("true", "false"),
        default="true",
        help="fail a template with a grant that needs a permission but no macro in its Transform "
        "(default: true)",
    )
    hook.add_argument(
        "--fail-on",
        metavar="CODE_OR_SEVERITY",
        action="extend",
        nargs="+",
        default=[],
        help="finding codes (AIP101) or severities (error, warning, info) that fail even with the macro "
        "listed; repeatable or comma-separated",
    )
    hook.add_argument(
        "--fail-closed",
        choices=("true", "false"),
        default="false",
        help="fail when the template cannot be checked, instead of passing with a warning (default: false)",
    )
    hook.add_argument(
        "--never-ignore",
        metavar="CODE",
        action="extend",
        nargs="+",
        default=[],
        help="finding codes the template's Ignore may not accept (the stack's NeverIgnore); repeatable or "
        "comma-separated",
    )
    hook.add_argument("--format", choices=("text", "json"), default="text", help="json: the hook response")
    hook.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    _place_arguments(hook)
    _macro_name_argument(hook)

    event = command(
        "hook-event",
        "Print the Lambda Hook request CloudFormation would send for a stack operation on TEMPLATE, to "
        "test a deployed hook function with `aws lambda invoke`. The payload object (what the URL must "
        "serve) goes to --payload-file.",
        run_hook_event,
    )
    event.add_argument("template", metavar="TEMPLATE")
    event.add_argument("--payload-url", required=True, help="pre-signed URL of the payload object")
    event.add_argument(
        "--payload-file", metavar="FILE", help="also write the payload object ({template, previousTemplate})"
    )
    event.add_argument("--stack-name", default="autoinvoke-hook-test", help="the stack's name")
    event.add_argument("--operation", choices=tuple(INVOCATION_POINTS), default="create")
    event.add_argument("-o", "--output", metavar="OUT", help="write the request to OUT instead of stdout")
    _place_arguments(event)


def _place_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--region", help="the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)"
    )
    sub.add_argument("--account-id", help="the stack's account (default: AWS_ACCOUNT_ID, 123456789012)")


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from err
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from err


def policy_from_arguments(args: argparse.Namespace) -> HookPolicy:
    try:
        fail_on = parse_fail_on(args.fail_on)
        never_ignore = parse_codes(args.never_ignore, "--never-ignore", to_ignore=False)
    except (PolicyError, OptionError) as err:
        raise UsageError(str(err)) from err
    return HookPolicy(
        macro_name=args.macro_name,
        require_transform=args.require_transform == "true",
        fail_on=fail_on,
        fail_closed=args.fail_closed == "true",
        never_ignore=never_ignore,
    )


def render_decision(decision: HookDecision) -> str:
    """Status (and error code), the message, then one line per annotation with its remediation."""
    status = decision.status + (f" ({decision.error_code})" if decision.error_code else "")
    lines = [status, decision.message]
    if decision.annotations:
        lines.append("annotations:")
    for annotation in decision.annotations:
        lines.append(f"  {annotation.status} {annotation.severity} {annotation.name}: {annotation.message}")
        if annotation.status == "FAILED":
            lines.append(f"    fix: {annotation.remediation}")
    return "\n".join(lines) + "\n"


def run_hook(args: argparse.Namespace, streams: Streams) -> int:
    text = _read_text(args.template)
    policy = policy_from_arguments(args)
    place = resolve_place(args, os.environ, streams)
    from ..hook.handler import evaluate_text  # loads PyYAML: only when a hook decision is asked for

    decision = evaluate_text(text, policy, TransformContext(place.region, place.account_id))
    if args.format == "json":
        rendered = json.dumps(decision.response(HOOK_EVENT_TOKEN), indent=2, ensure_ascii=False) + "\n"
    else:
        rendered = render_decision(decision)
    _write_or_print(rendered, args.output, streams)
    return EXIT_OK if decision.status == SUCCESS else EXIT_FAILED


def run_hook_event(args: argparse.Namespace, streams: Streams) -> int:
    text = _read_text(args.template)
    if not args.payload_url.startswith(("https://", "http://")):
        raise UsageError(f"--payload-url {args.payload_url!r} is not an http(s) URL")
    place = resolve_place(args, os.environ, streams)
    partition = partition_for(place.region)
    point = INVOCATION_POINTS[args.operation]
    request = {
        "clientRequestToken": HOOK_EVENT_TOKEN,
        "awsAccountId": place.account_id,
        "stackId": f"arn:{partition}:cloudformation:{place.region}:{place.account_id}:stack/"
        f"{args.stack_name}/{STACK_UUID}",
        "changeSetId": "",
        "hookTypeName": HOOK_TYPE_NAME,
        "hookTypeVersion": "00000001",
        "hookModel": {
            "LambdaFunction": f"arn:{partition}:lambda:{place.region}:{place.account_id}:function:"
            "AutoInvokePermissionHook"
        },
        "actionInvocationPoint": point,
        "requestData": {
            "targetName": "STACK",
            "targetType": "STACK",
            "targetLogicalId": args.stack_name,
            "payload": args.payload_url,
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }
    if args.payload_file:
        payload = {"template": "" if point == INVOCATION_POINTS["delete"] else text, "previousTemplate": ""}
        _write_or_print(json.dumps(payload, ensure_ascii=False) + "\n", args.payload_file, streams)
    _write_or_print(json.dumps(request, indent=2, ensure_ascii=False) + "\n", args.output, streams)
    return EXIT_OK
