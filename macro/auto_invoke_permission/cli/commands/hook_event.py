"""`autoinvoke hook-event`: the Lambda Hook request CloudFormation would send, to test a deployed hook."""

from __future__ import annotations

import argparse
import json
import os

from ...records import Record
from ..common import (
    EXIT_OK,
    HOOK_EVENT_TOKEN,
    Streams,
    UsageError,
    place_arguments,
    quiet_argument,
    read_text,
    write_or_print,
)

HELP = (
    "Print the Lambda Hook request CloudFormation would send for a stack operation on TEMPLATE, to "
    "test a deployed hook function with `aws lambda invoke`. The payload object (what the URL must "
    "serve) goes to --payload-file."
)
HOOK_TYPE_NAME = "Private::AutoInvokePermission::Hook"  # template.yaml's HookAlias default
STACK_UUID = "00000000-0000-0000-0000-000000000000"
INVOCATION_POINTS = {
    "create": "CREATE_PRE_PROVISION",
    "update": "UPDATE_PRE_PROVISION",
    "delete": "DELETE_PRE_PROVISION",
}


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("template", metavar="TEMPLATE")
    sub.add_argument("--payload-url", required=True, help="pre-signed URL of the payload object")
    sub.add_argument(
        "--payload-file", metavar="FILE", help="also write the payload object ({template, previousTemplate})"
    )
    sub.add_argument("--stack-name", default="autoinvoke-hook-test", help="the stack's name")
    sub.add_argument("--operation", choices=tuple(INVOCATION_POINTS), default="create")
    sub.add_argument("-o", "--output", metavar="OUT", help="write the request to OUT instead of stdout")
    place_arguments(sub)
    quiet_argument(sub)


class HookEventCommand(Record):
    template: str
    payload_url: str
    payload_file: str | None
    stack_name: str
    operation: str
    output: str | None
    region: str | None
    account_id: str | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> HookEventCommand:
        return cls(
            args.template,
            args.payload_url,
            args.payload_file,
            args.stack_name,
            args.operation,
            args.output,
            args.region,
            args.account_id,
        )


def run(args: argparse.Namespace, streams: Streams) -> int:
    return hook_event(HookEventCommand.of(args), streams)


def hook_event(command: HookEventCommand, streams: Streams) -> int:
    from ...resolver import partition_for
    from ..settings import resolve_place

    text = read_text(command.template)
    if not command.payload_url.startswith(("https://", "http://")):
        raise UsageError(f"--payload-url {command.payload_url!r} is not an http(s) URL")
    place = resolve_place(command.region, command.account_id, os.environ, streams)
    partition = partition_for(place.region)
    point = INVOCATION_POINTS[command.operation]
    request = {
        "clientRequestToken": HOOK_EVENT_TOKEN,
        "awsAccountId": place.account_id,
        "stackId": f"arn:{partition}:cloudformation:{place.region}:{place.account_id}:stack/"
        f"{command.stack_name}/{STACK_UUID}",
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
            "targetLogicalId": command.stack_name,
            "payload": command.payload_url,
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }
    if command.payload_file:
        payload = {"template": "" if point == INVOCATION_POINTS["delete"] else text, "previousTemplate": ""}
        write_or_print(json.dumps(payload, ensure_ascii=False) + "\n", command.payload_file, streams)
    write_or_print(json.dumps(request, indent=2, ensure_ascii=False) + "\n", command.output, streams)
    return EXIT_OK
