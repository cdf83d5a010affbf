"""`autoinvoke explain`: an invoke AccessDeniedException (or a function URL's 403) explained.

The diagnosis is diagnose/'s (through `api.diagnose`); this module reads the message and the
templates, and prints. JSON keys are camelCase, as in every JSON output of the CLI.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from ...records import Record
from ..common import (
    EXIT_OK,
    EXIT_USAGE,
    TEMPLATES_HELP,
    Streams,
    UsageError,
    quiet_argument,
    template_file_argument,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from ...api import NamedTemplate
    from ...diagnose.explain import Diagnosis

HELP = (
    "Explain an invoke AccessDeniedException (or a function URL's 403): what the message says, and with "
    "TEMPLATEs the grant it concerns and the change that fixes it, most likely cause first. MESSAGE may be "
    "a whole log line or a boto3 ClientError string; use --file or stdin (-) for long ones."
)
_SNAKE_KEY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("message", metavar="MESSAGE", nargs="?", help="the error text; - or omitted: stdin")
    sub.add_argument(
        "templates", metavar="TEMPLATE", nargs="*", help=f"the caller's and the callee's: {TEMPLATES_HELP}"
    )
    template_file_argument(sub)
    sub.add_argument(
        "--file", metavar="PATH", help="read the message from PATH (every positional is then a TEMPLATE)"
    )
    sub.add_argument("--url", metavar="URL", help="the function URL that answered 403 Forbidden")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument(
        "--parameter",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a template parameter value of the deploy (repeatable); others take their Default",
    )
    sub.add_argument(
        "--live", action="store_true", help="read the deployed policies with boto3 (read-only calls)"
    )
    sub.add_argument("--region", help="--live: the region (default: the message's)")
    sub.add_argument("--profile", help="--live: the AWS profile (default: the standard credential chain)")
    sub.add_argument(
        "--callee-profile", help="--live: the AWS profile of the callee's account (its resource policy)"
    )
    sub.add_argument(
        "--callee-role",
        metavar="ROLE_ARN",
        help="--live: a role to assume to read the callee's resource policy",
    )
    quiet_argument(sub)


class ExplainCommand(Record):
    message: str | None  # the text, `-` or None (stdin)
    message_file: str | None
    templates: tuple[str, ...]
    url: str | None
    format: str
    parameters: tuple[str, ...]
    live: bool
    region: str | None
    profile: str | None
    callee_profile: str | None
    callee_role: str | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> ExplainCommand:
        templates = [*args.templates, *args.template_files]
        message = args.message
        if args.file is not None and message is not None:
            templates.insert(0, message)  # with --file, the first positional is a template
            message = None
        return cls(
            message,
            args.file,
            tuple(templates),
            args.url,
            args.format,
            tuple(args.parameter),
            args.live,
            args.region,
            args.profile,
            args.callee_profile,
            args.callee_role,
        )


def run(args: argparse.Namespace, streams: Streams, stdin: TextIO | None = None) -> int:
    return explain(ExplainCommand.of(args), streams, stdin or sys.stdin)


def explain(command: ExplainCommand, streams: Streams, stdin: TextIO) -> int:
    from ...api import DiagnoseRequest, TemplateNotAnalyzed, diagnose
    from ...diagnose.denial import DenialError
    from ..settings import parse_parameter_arguments

    try:
        text = _message(command, stdin)
    except DenialError as err:
        streams.err.write(f"autoinvoke explain: cannot read the message: {err}\n")
        return EXIT_USAGE
    templates = _templates(command.templates, streams)
    if templates is None:
        return EXIT_USAGE
    request = DiagnoseRequest(text, templates, command.url, parse_parameter_arguments(command.parameters))
    try:
        diagnosis = diagnose(request, streams.note)
    except DenialError as err:
        streams.err.write(f"autoinvoke explain: cannot read the message: {err}\n")
        return EXIT_USAGE
    except TemplateNotAnalyzed as err:
        streams.err.write(f"{err}\n")
        return EXIT_USAGE
    if command.live and not _live(command, diagnosis, streams):
        return EXIT_USAGE
    streams.out.write(render_json(diagnosis) if command.format == "json" else _render_text(diagnosis))
    return EXIT_OK


def _message(command: ExplainCommand, stdin: TextIO) -> str:
    from ...diagnose.denial import DenialError

    if command.message_file is not None:
        try:
            with open(command.message_file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as err:
            raise DenialError(f"cannot read {command.message_file}: {err.strerror or err}") from err
    if command.message is None or command.message == "-":
        return stdin.read()
    return command.message


def _templates(arguments: tuple[str, ...], streams: Streams) -> tuple[NamedTemplate, ...] | None:
    """The templates the arguments name (files, directories, globs); None when one cannot be read."""
    from ...api import NamedTemplate
    from ...offline.template_read import TemplateError
    from ..inputs import InputError, expand_inputs, read_inputs

    try:
        inputs = expand_inputs(arguments)
    except InputError as err:
        raise UsageError(str(err)) from err
    failed: list[TemplateError] = []
    read = [
        NamedTemplate(t.path, t.data) for t in read_inputs(inputs, streams.note, failed.append) if not failed
    ]
    if failed:
        streams.err.write(f"{failed[0]}\n")
        return None
    return tuple(read)


def _live(command: ExplainCommand, diagnosis: Diagnosis, streams: Streams) -> bool:
    from ...diagnose import live

    try:
        clients = live.clients_from_session(
            command.profile,
            command.region or diagnosis.denial.region,
            command.callee_profile,
            command.callee_role,
        )
    except live.LiveError as err:
        streams.err.write(f"autoinvoke explain --live: {err}\n")
        return False
    live.apply(diagnosis, live.read_deployed(diagnosis.denial, clients), clients)
    return True


def _render_text(diagnosis: Diagnosis) -> str:
    from ...diagnose.explain import render_text

    return render_text(diagnosis)


def render_json(diagnosis: Diagnosis) -> str:
    """The diagnosis as JSON with camelCase keys (`callerFunctions`), the CLI's one key style."""
    return json.dumps(camel_keys(diagnosis.as_dict()), indent=2) + "\n"


def camel_keys(value: Any) -> Any:
    """Every snake_case key of `value` (recursively) in camelCase; other keys (a policy's) as they are."""
    if isinstance(value, dict):
        return {_camel(k) if isinstance(k, str) else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(key: str) -> str:
    if not _SNAKE_KEY.match(key):
        return key
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)
