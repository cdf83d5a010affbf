"""`autoinvoke hook`: the CloudFormation Lambda Hook's decision offline, for each template.

It runs exactly what the deployed hook runs on the payload's template (the same parser and the
same decision), so a template's verdict can be seen before a deploy.
"""

from __future__ import annotations

import argparse
import json
import os

from ...hook.policy import HookPolicy
from ...records import Record
from ..common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    HOOK_EVENT_TOKEN,
    Streams,
    UsageError,
    fail_on_argument,
    macro_name_argument,
    place_arguments,
    read_text,
    template_list_arguments,
)

HELP = (
    "Print the decision the CloudFormation Lambda Hook would take for each TEMPLATE: status, message "
    "and annotations. Exit 0 when it passes, 1 when it fails, 2 on usage errors."
)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_list_arguments(sub)
    sub.add_argument(
        "--require-transform",
        choices=("true", "false"),
        default="true",
        help="fail a template with a grant that needs a permission but no macro in its Transform "
        "(default: true)",
    )
    fail_on_argument(sub)
    sub.add_argument(
        "--fail-closed",
        choices=("true", "false"),
        default="false",
        help="fail when the template cannot be checked, instead of passing with a warning (default: false)",
    )
    sub.add_argument(
        "--never-ignore",
        metavar="CODES",
        action="append",
        default=[],
        help="finding codes the template's Ignore may not accept (the stack's NeverIgnore); repeatable or "
        "comma-separated",
    )
    sub.add_argument("--format", choices=("text", "json"), default="text", help="json: the hook response")
    sub.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    place_arguments(sub)
    macro_name_argument(sub)


class HookCommand(Record):
    templates: tuple[str, ...]
    policy: HookPolicy
    region: str | None
    account_id: str | None
    format: str
    output: str | None
    quiet: bool

    @classmethod
    def of(cls, args: argparse.Namespace) -> HookCommand:
        return cls(
            (*args.templates, *args.template_files),
            policy_from_arguments(args),
            args.region,
            args.account_id,
            args.format,
            args.output,
            args.quiet,
        )


def policy_from_arguments(args: argparse.Namespace) -> HookPolicy:
    from ...hook.policy import PolicyError, parse_fail_on
    from ...options import OptionError, parse_codes

    try:
        fail_on = parse_fail_on(args.fail_on)
        never_ignore = parse_codes(",".join(args.never_ignore), "--never-ignore", to_ignore=False)
    except (PolicyError, OptionError) as err:
        raise UsageError(str(err)) from err
    return HookPolicy(
        macro_name=args.macro_name,
        require_transform=args.require_transform == "true",
        fail_on=fail_on,
        fail_closed=args.fail_closed == "true",
        never_ignore=never_ignore,
    )


def run(args: argparse.Namespace, streams: Streams) -> int:
    return hook(HookCommand.of(args), streams)


def hook(command: HookCommand, streams: Streams) -> int:
    from ...api import hook_decision
    from ...hook.policy import SUCCESS
    from ..batch import named_inputs
    from ..output import Output
    from ..settings import resolve_place

    inputs = named_inputs(command.templates)
    texts = list(_texts(inputs, streams))  # one named file that cannot be read: a usage error, first
    place = resolve_place(command.region, command.account_id, os.environ, streams)
    output = Output(command.output, len(inputs) > 1, streams)
    worst = EXIT_OK
    for path, text in texts:
        if text is None:
            worst = EXIT_USAGE
            continue
        decision = hook_decision(text, command.policy, place)
        output.write(path, *_rendered(decision, command.format, path if output.several else None))
        worst = max(worst, EXIT_OK if decision.status == SUCCESS else EXIT_FAILED)
    return worst


def _rendered(decision: HookDecision, fmt: str, heading: str | None) -> tuple[str, str, Callable[[], str]]:
    from ..formats.decision import render_decision

    response = decision.response(HOOK_EVENT_TOKEN)
    if fmt == "json":
        text = json.dumps(response, indent=2, ensure_ascii=False) + "\n"
        return text, ".json", lambda: json.dumps(response, ensure_ascii=False) + "\n"
    text = render_decision(decision)
    text = text if heading is None else f"{heading}: {text}"
    return text, ".txt", lambda: text


def _texts(inputs: Sequence[Input], streams: Streams) -> Iterator[tuple[str, str | None]]:
    """(path, text) of each template; text None when a named file cannot be read (said).

    A named file is judged whatever it holds, as the hook judges its payload; a file a directory
    or a glob found is judged when it is a template (else skipped with a note)."""
    from ...offline.template_read import STDIN, STDIN_NAME, NotATemplate, TemplateError, read_template

    for item in inputs:
        name = STDIN_NAME if item.path == STDIN else item.path
        try:
            if item.named:
                yield name, read_text(item.path)
                continue
            yield name, read_template(item.path).text
        except NotATemplate as err:
            streams.note(f"skipped {err}")
        except (TemplateError, UsageError) as err:
            if item.named and len(inputs) == 1:
                raise
            if item.named:
                streams.err.write(f"autoinvoke hook: error: {err}\n")
                yield name, None
            else:  # not parsed by the CLI's reader: the hook's own parser says why
                yield name, read_text(item.path)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ...hook.policy import HookDecision
    from ..inputs import Input
