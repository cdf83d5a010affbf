"""`autoinvoke check`: enforce-mode analysis of templates, as the macro would judge them at deploy.

A template passes when the macro in enforce mode would accept it: no finding that blocks enforce,
and no failure (a malformed template, a limit, an invalid option). With --require-transform or
--fail-on (or the project file's require_transform and fail_on) it must also pass the account's
CloudFormation Hook, decided by the hook's own code.
"""

from __future__ import annotations

import argparse
import os

from ...api import CheckedTemplate, CheckRequest, Gate
from ...records import Record
from ..common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Streams,
    UsageError,
    fail_on_argument,
    ignore_argument,
    macro_name_argument,
    mode_argument,
    template_arguments,
    together_arguments,
    write_or_print,
)
from ..settings import Settings, TemplateArguments, parse_fail_on_values, resolve_settings

HELP = (
    "Analyze each TEMPLATE in enforce mode (or --mode). Exit 0 when every template passes, 1 when a "
    "finding would fail enforce mode, the account's hook would fail it (--require-transform, --fail-on) "
    "or a template cannot be analyzed, 2 on usage or parse errors."
)
FORMATS = ("text", "json", "sarif", "junit")


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_arguments(sub)
    sub.add_argument("--format", choices=FORMATS, help="report format (default: text)")
    sub.add_argument("-o", "--output", metavar="OUT", help="write the report to OUT instead of stdout")
    mode_argument(sub)
    macro_name_argument(sub)
    ignore_argument(sub)
    sub.add_argument(
        "--require-transform",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fail a template with a grant that needs a permission but no macro in its Transform, as the "
        "account's hook does (default: the project file's require_transform, else off)",
    )
    fail_on_argument(sub)
    together_arguments(sub)


class CheckCommand(Record):
    arguments: TemplateArguments
    format: str | None
    output: str | None
    macro_name: str
    require_transform: bool | None
    fail_on: frozenset[str]

    @classmethod
    def of(cls, args: argparse.Namespace) -> CheckCommand:
        return cls(
            TemplateArguments.of(args),
            args.format,
            args.output,
            args.macro_name,
            args.require_transform,
            parse_fail_on_values(args.fail_on, "--fail-on"),
        )

    def gate(self, settings: Settings) -> Gate:
        """The command line's --require-transform / --fail-on over the project file's."""
        require = (
            settings.gate.require_transform if self.require_transform is None else self.require_transform
        )
        return Gate(require_transform=require, fail_on=self.fail_on or settings.gate.fail_on)


def run(args: argparse.Namespace, streams: Streams) -> int:
    if args.together:
        from . import together

        return together.run_check(together.TogetherRequest.of(args), streams)
    return check(CheckCommand.of(args), streams)


def check(command: CheckCommand, streams: Streams) -> int:
    from ...api import check as check_template
    from ...offline.template_read import TemplateError
    from ...options import Mode
    from ..batch import named_inputs
    from ..formats.text import Progress
    from ..inputs import read_inputs
    from ..settings import undeclared_notes

    inputs = named_inputs(command.arguments.templates)
    settings = resolve_settings(command.arguments, streams)
    fmt = command.format or settings.format or "text"
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    gate = command.gate(settings)
    checked: list[CheckedTemplate] = []
    exit_code = EXIT_OK

    def unreadable(err: TemplateError) -> None:
        nonlocal exit_code
        streams.err.write(f"{err}\n")
        path = str(err).split(":", 1)[0]
        checked.append(CheckedTemplate(path, problems=(str(err),), readable=False))
        exit_code = EXIT_USAGE

    progress = Progress(streams.err, len(inputs))
    for index, template in enumerate(read_inputs(inputs, streams.note, unreadable), start=1):
        progress.step(index, template.path)
        undeclared_notes(template.path, template.data, settings, streams)
        request = CheckRequest(
            template.data,
            name=template.path,
            place=settings.place,
            parameters=settings.overrides,
            mode=Mode(settings.mode or Mode.ENFORCE.value),
            ignore=settings.ignore,
            macro_name=command.macro_name,
            gate=gate,
            locate=template.position_of,
        )
        result = check_template(request, streams.note)
        _say_unlisted(result, command.macro_name, gate, streams)
        checked.append(result)
        if not result.passed:
            exit_code = max(exit_code, EXIT_FAILED)
    progress.done()
    write_or_print(_report(checked, fmt, command.output, streams), command.output, streams)
    return exit_code


def _say_unlisted(result: CheckedTemplate, macro_name: str, gate: Gate, streams: Streams) -> None:
    """A template with grants that does not list the macro: its permissions are not added at deploy."""
    if result.listed or not result.permissions:
        return
    count = result.permissions
    hint = "" if gate.require_transform else " (--require-transform fails it, as the account's hook would)"
    streams.note(
        f"{result.path} does not list {macro_name} in its Transform: the {count} permission"
        f"{'s' if count != 1 else ''} it needs will not be added at deploy{hint}"
    )


def _report(checked: list[CheckedTemplate], fmt: str, out_path: str | None, streams: Streams) -> str:
    if fmt == "json":
        from ..formats.json_report import render_json

        return render_json(checked)
    if fmt == "sarif":
        import json

        from ..formats.sarif import sarif_log

        return json.dumps(sarif_log(checked), indent=2) + "\n"
    if fmt == "junit":
        from ..formats.junit import junit_xml

        return junit_xml(checked)
    from ..formats.text import TextStyle, render_text

    to_terminal = out_path is None or out_path == "-"
    style = TextStyle.for_stream(streams.out, os.environ) if to_terminal else None
    return render_text(checked, style)
