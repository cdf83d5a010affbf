"""`autoinvoke`: the macro's core, offline, with no AWS account or credentials.

Exit codes, for every command: 0 success; 1 the template fails (the macro would
refuse it, or it is malformed, or a transform cannot run); 2 usage or parse
errors (bad arguments, unreadable file, invalid YAML/JSON, duplicate keys).
Results go to stdout (or -o); findings, notes and errors go to stderr, one line each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from .. import __version__, core, report
from ..model import TransformContext, TransformFailure
from ..options import Mode, OptionError, Options, resolve_options
from . import check as check_report
from .expand import ExpandError, expand, transform_names
from .graph import GRAPH_FORMATS, render_graph
from .sarif import sarif_log
from .template_io import (
    LoadedTemplate,
    NotATemplateError,
    OutputFormat,
    TemplateError,
    dump_template,
    read_template,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_MACRO_NAME = "AutoInvokePermission"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
EVENT_REQUEST_ID = "autoinvoke-cli-event"  # fixed, so the same template gives the same event

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_LIST_PARAMETER = re.compile(r"^(CommaDelimitedList|List<.+>)$")


class UsageError(Exception):
    """Bad arguments: exit 2 with this one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage block: the usage is one --help away.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class Streams:
    out: TextIO
    err: TextIO

    def note(self, text: str) -> None:
        self.err.write(f"autoinvoke: {text}\n")


# ------------------------------------------------------------------ context
@dataclass(frozen=True)
class Place:
    """Where the template is deployed: what the macro event would say."""

    region: str
    account_id: str


def resolve_place(args: argparse.Namespace, environ: Mapping[str, str], streams: Streams) -> Place:
    """--region / --account-id, else the environment's AWS settings, else the defaults (said once)."""
    region = args.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    account = args.account_id or environ.get("AWS_ACCOUNT_ID")
    defaulted = []
    if not region:
        region = DEFAULT_REGION
        defaulted.append(f"region {DEFAULT_REGION} (set --region or AWS_REGION)")
    if not account:
        account = DEFAULT_ACCOUNT_ID
        defaulted.append(f"account {DEFAULT_ACCOUNT_ID} (set --account-id or AWS_ACCOUNT_ID)")
    if not _REGION.match(region):
        raise UsageError(f"{region!r} is not an AWS region name (like us-east-1)")
    if not _ACCOUNT_ID.match(account):
        raise UsageError(f"{account!r} is not an AWS account ID (12 digits)")
    if defaulted:
        streams.note("using the default " + " and ".join(defaulted))
    return Place(region, account)


def parse_parameter_overrides(items: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r} is not KEY=VALUE")
        overrides[key] = value
    return overrides


def parameter_values(
    template: LoadedTemplate, overrides: Mapping[str, str], streams: Streams
) -> dict[str, Any]:
    """templateParameterValues as CloudFormation passes them: the given values, else the Defaults.

    Values are strings, list-typed parameters lists. A parameter with neither a value
    nor a Default is left out: it has no value at transform time, which the core reports.
    """
    declared = template.data.get("Parameters")
    declared = declared if isinstance(declared, Mapping) else {}
    for key in overrides:
        if key not in declared:
            streams.note(f"{template.path}: parameter {key} is not declared in Parameters; ignored")
    values: dict[str, Any] = {}
    for name, declaration in declared.items():
        spec = declaration if isinstance(declaration, Mapping) else {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            continue
        is_list = isinstance(spec.get("Type"), str) and _LIST_PARAMETER.match(spec["Type"]) is not None
        values[name] = _parameter_value(raw, is_list)
    return values


def _parameter_value(raw: Any, is_list: bool) -> Any:
    if isinstance(raw, list):
        items = [_scalar_text(v) for v in raw]
        return items if is_list else ",".join(items)
    text = _scalar_text(raw)
    return [part.strip() for part in text.split(",")] if is_list else text


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def template_options(template: LoadedTemplate, mode: str | None) -> Options:
    """The template's `Metadata.AutoInvokePermission` options; --mode wins. Raises OptionError."""
    metadata = template.data.get("Metadata")
    own = metadata.get(core.MACRO_KEY) if isinstance(metadata, Mapping) else None
    options = resolve_options(Options(), own, None)
    if mode is not None:
        options = options._replace(mode=Mode(mode), raised_from=None)
    return options


def _template_and_context(
    args: argparse.Namespace, streams: Streams
) -> tuple[LoadedTemplate, TransformContext]:
    """The one TEMPLATE of a command and its context. Usage and parse errors come before any note."""
    template = read_template(args.template)
    overrides = parse_parameter_overrides(args.parameter)
    place = resolve_place(args, os.environ, streams)
    return template, TransformContext(
        place.region, place.account_id, parameter_values(template, overrides, streams)
    )


def _write(text: str, out_path: str | None, streams: Streams) -> None:
    if out_path is None or out_path == "-":
        streams.out.write(text)
        return
    try:
        with open(out_path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {out_path}: {err.strerror or err}") from err


def _output_format(requested: str | None, template: LoadedTemplate) -> OutputFormat:
    if requested == "json" or (requested is None and template.source_format == "json"):
        return "json"
    return "yaml"


def _finding_lines(template: LoadedTemplate, result_findings: Sequence[Any], streams: Streams) -> None:
    for finding in result_findings:
        located = check_report.LocatedFinding(finding, template.line_of(finding.path))
        streams.err.write(check_report.finding_line(template.path, located) + "\n")


# ------------------------------------------------------------------ commands
def run_transform(args: argparse.Namespace, streams: Streams) -> int:
    template, context = _template_and_context(args, streams)
    try:
        names = transform_names(template.data)
        options = template_options(template, args.mode)
        result = core.transform(template.fragment, options, context)
    except ExpandError as err:
        streams.err.write(f"{template.path}: {err}\n")
        return EXIT_FAILED
    except (OptionError, TransformFailure) as err:
        return _report_failure(err, streams)
    if args.macro_name not in names:
        streams.note(f"{template.path} does not list {args.macro_name} in its Transform; ran it anyway")
    _finding_lines(template, result.findings, streams)
    remaining = [n for n in names if n != args.macro_name]
    output = _with_transform(template.data, result.fragment, remaining)
    text = dump_template(output, _output_format(args.format, template), source=template.text)
    _write(text, args.output, streams)
    return EXIT_OK


def _report_failure(error: OptionError | TransformFailure, streams: Streams) -> int:
    """The macro's own failure message: what CloudFormation would show for this template."""
    problems = error.problems if isinstance(error, TransformFailure) else [str(error)]
    streams.err.write(report.failure_message(problems) + "\n")
    return EXIT_FAILED


def _with_transform(
    source: Mapping[str, Any], fragment: Mapping[str, Any], remaining: list[str]
) -> dict[str, Any]:
    """The fragment plus the transforms CloudFormation runs next, where the source had its Transform."""
    if not remaining:
        return dict(fragment)
    value: Any = remaining if isinstance(source.get("Transform"), list) else remaining[0]
    out: dict[str, Any] = {}
    for key in source:
        if key == "Transform":
            out["Transform"] = value
        elif key in fragment:
            out[key] = fragment[key]
    for key, item in fragment.items():
        out.setdefault(key, item)
    return out


def run_check(args: argparse.Namespace, streams: Streams) -> int:
    overrides = parse_parameter_overrides(args.parameter)
    place = resolve_place(args, os.environ, streams)
    checked: list[check_report.CheckedTemplate] = []
    exit_code = EXIT_OK
    progress = check_report.Progress(streams.err, len(args.templates))
    for index, path in enumerate(args.templates, start=1):
        progress.step(index, path)
        try:
            template = read_template(path)
            if not check_report.looks_like_template(template.data):
                raise NotATemplateError(f"{path}: no Resources, AWSTemplateFormatVersion or Transform")
        except NotATemplateError as err:
            progress.done()
            streams.note(f"{err}: not a CloudFormation template, skipped")
            continue
        except TemplateError as err:
            progress.done()  # the error on a line of its own
            streams.err.write(f"{err}\n")
            checked.append(check_report.CheckedTemplate(path, problems=(str(err),), readable=False))
            exit_code = EXIT_USAGE
            continue
        context = TransformContext(
            place.region, place.account_id, parameter_values(template, overrides, streams)
        )
        options: Options | OptionError
        try:
            options = template_options(template, None)
        except OptionError as err:
            options = err
        result = check_report.check_template(template, options, context)
        checked.append(result)
        if not result.passed:
            exit_code = max(exit_code, EXIT_FAILED)
    progress.done()
    if args.format == "json":
        text = check_report.render_json(checked)
    elif args.format == "sarif":
        text = json.dumps(sarif_log(checked), indent=2) + "\n"
    elif args.format == "junit":
        from .junit import junit_xml

        text = junit_xml(checked)
    else:
        to_terminal = args.output is None or args.output == "-"
        style = check_report.TextStyle.for_stream(streams.out, os.environ) if to_terminal else None
        text = check_report.render_text(checked, style)
    _write(text, args.output, streams)
    return exit_code


def run_expand(args: argparse.Namespace, streams: Streams) -> int:
    template, context = _template_and_context(args, streams)
    try:
        options = template_options(template, args.mode)
        output = expand(template.data, args.macro_name, options, context, streams.note)
    except ExpandError as err:
        streams.err.write(f"{template.path}: {err}\n")
        return EXIT_FAILED
    except (OptionError, TransformFailure) as err:
        return _report_failure(err, streams)
    _write(dump_template(output, _output_format(args.format, template)), args.output, streams)
    return EXIT_OK


def run_graph(args: argparse.Namespace, streams: Streams) -> int:
    template, context = _template_and_context(args, streams)
    try:
        options = template_options(template, args.mode)
        result = core.analyze(template.fragment, options, context)
    except (OptionError, TransformFailure) as err:
        return _report_failure(err, streams)
    if not result.edges:
        streams.note(f"{template.path}: no function of the template has an invoke grant")
    _write(render_graph(result.edges, args.format), args.output, streams)
    return EXIT_OK


def run_event(args: argparse.Namespace, streams: Streams) -> int:
    template, context = _template_and_context(args, streams)
    event = {
        "region": context.region,
        "accountId": context.account_id,
        "fragment": template.fragment,
        "transformId": f"{context.account_id}::{args.macro_name}",
        "params": {},
        "requestId": EVENT_REQUEST_ID,
        "templateParameterValues": context.parameter_values,
    }
    _write(json.dumps(event, indent=2, ensure_ascii=False) + "\n", args.output, streams)
    return EXIT_OK


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="autoinvoke",
        description="Mirror Lambda-to-Lambda invoke grants as AWS::Lambda::Permission resources, offline. "
        "Reads YAML (short-form tags) or JSON templates. No command needs AWS credentials.",
        epilog="Exit codes: 0 success, 1 the template fails, 2 usage or parse error.",
    )
    parser.add_argument("--version", action="version", version=f"autoinvoke {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, help_text: str, run: Callable[[argparse.Namespace, Streams], int]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    transform = command(
        "transform",
        "Run the macro on TEMPLATE and print what it returns to CloudFormation: the template with the "
        "permissions added and the report in Metadata. The macro's own Transform entry is removed; other "
        "entries (such as AWS::Serverless-2016-10-31) stay, as CloudFormation runs them next. "
        "Findings go to stderr.",
        run_transform,
    )
    transform.add_argument("template", metavar="TEMPLATE")
    _output_arguments(transform)
    _place_arguments(transform)
    _mode_argument(transform)
    _macro_name_argument(transform)

    check = command(
        "check",
        "Analyze each TEMPLATE in enforce mode. Exit 0 when every template passes, 1 when a finding would "
        "fail enforce mode or a template cannot be analyzed, 2 on usage or parse errors.",
        run_check,
    )
    check.add_argument("templates", metavar="TEMPLATE", nargs="+")
    check.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
    check.add_argument("-o", "--output", metavar="OUT", help="write the report to OUT instead of stdout")
    _place_arguments(check)

    expand_ = command(
        "expand",
        "Run TEMPLATE's whole Transform list in order (AWS::Serverless-2016-10-31 through the SAM "
        "translator, this macro through its core) and print plain CloudFormation. Local CodeUri, "
        "ContentUri and DefinitionUri paths become s3://placeholder-bucket/<path>, as `sam package` would.",
        run_expand,
    )
    expand_.add_argument("template", metavar="TEMPLATE")
    _output_arguments(expand_)
    _place_arguments(expand_)
    _mode_argument(expand_)
    _macro_name_argument(expand_)

    graph = command(
        "graph",
        "Show who invokes whom: one arrow per caller and callee, marked added / already present / "
        "planned (audit mode) / external / wildcard / broken.",
        run_graph,
    )
    graph.add_argument("template", metavar="TEMPLATE")
    graph.add_argument("--format", choices=GRAPH_FORMATS, default="mermaid")
    graph.add_argument("-o", "--output", metavar="OUT", help="write the graph to OUT instead of stdout")
    _place_arguments(graph)
    _mode_argument(graph)

    event = command(
        "event",
        "Print the macro event CloudFormation would send for TEMPLATE, to test a deployed macro function "
        "(aws lambda invoke, sam local invoke -e).",
        run_event,
    )
    event.add_argument("template", metavar="TEMPLATE")
    event.add_argument("-o", "--output", metavar="OUT", help="write the event to OUT instead of stdout")
    _place_arguments(event)
    _macro_name_argument(event)
    return parser


def _output_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    sub.add_argument("--format", choices=("yaml", "json"), help="output format (default: the template's)")


def _place_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--region", help="the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)"
    )
    sub.add_argument("--account-id", help="the stack's account (default: AWS_ACCOUNT_ID, 123456789012)")
    sub.add_argument(
        "--parameter",
        metavar="KEY=VALUE",
        action="append",  # one value each: `--parameter K=V template.yaml` keeps the file name
        default=[],
        help="a template parameter value (repeatable); others take their Default",
    )


def _mode_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--mode", choices=[m.value for m in Mode], help="override Metadata.AutoInvokePermission.Mode"
    )


def _macro_name_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--macro-name",
        default=DEFAULT_MACRO_NAME,
        help=f"the name the macro is registered under (default: {DEFAULT_MACRO_NAME})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    streams = Streams(sys.stdout, sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, usage errors
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args, streams)
        streams.out.flush()
    except BrokenPipeError:
        # The reader stopped early (`autoinvoke transform t.yaml | head`): end quietly, not with a
        # traceback, and keep Python's exit-time flush from failing on the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (UsageError, TemplateError) as err:
        prefix = "" if isinstance(err, TemplateError) else f"autoinvoke {args.command}: error: "
        streams.err.write(f"{prefix}{err}\n")
        return EXIT_USAGE
    return code


if __name__ == "__main__":
    sys.exit(main())
