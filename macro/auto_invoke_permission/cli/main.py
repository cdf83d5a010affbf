"""`autoinvoke`: the macro's core, offline, with no AWS account or credentials.

Exit codes, for every command: 0 success; 1 the template fails (the macro would
refuse it, or it is malformed, or a transform cannot run); 2 usage or parse
errors (bad arguments, unreadable file, invalid YAML/JSON, duplicate keys).
Results go to stdout (or -o); findings, notes and errors go to stderr, one line each.

Every command reads any number of TEMPLATE arguments: files, directories
(walked recursively), quoted globs, and `-` for stdin; files that are not
templates are skipped with a note. Heavy libraries (cfn-lint, the SAM
translator, the YAML writer) are imported by the commands that need them, so
that a small `check` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from .. import __version__
from ..options import Mode
from .config import ConfigError, ProjectSettings, find_project_settings, parse_parameter_overrides
from .config import samconfig_overrides as read_samconfig
from .inputs import Input, InputError, expand_inputs, read_inputs
from .template_read import LoadedTemplate, OutputFormat, TemplateError

if TYPE_CHECKING:
    from ..findings import Finding, FindingCode
    from ..model import TransformContext, TransformFailure
    from ..options import OptionError, Options
    from .check import CheckedTemplate
    from .expand import MacroInput

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_MACRO_NAME = "AutoInvokePermission"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_SAMCONFIG = "samconfig.toml"
EVENT_REQUEST_ID = "autoinvoke-cli-event"  # fixed, so the same template gives the same event
CHECK_FORMATS = ("text", "json", "sarif", "junit")
_OUTPUT_HELP = "write to OUT instead of stdout (with several inputs: a directory, one file per input)"

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_LIST_PARAMETER = re.compile(r"^(CommaDelimitedList|List<.+>)$")


class UsageError(Exception):
    """Bad arguments: exit 2 with this one line."""


class _HelpFormatter(argparse.HelpFormatter):
    # argparse's default imports shutil (and with it bz2, lzma) only to learn the terminal width,
    # on every run, help or not; os has the same answer.
    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            columns = 80
        super().__init__(prog, width=columns - 2)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage block: the usage is one --help away.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class Streams:
    out: TextIO
    err: TextIO

    def note(self, text: str) -> None:
        self.err.write(f"autoinvoke: {text}\n")


# ------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Place:
    """Where the template is deployed: what the macro event would say."""

    region: str
    account_id: str


@dataclass(frozen=True)
class Settings:
    """One run's settings, from the command line over the project files over the environment."""

    place: Place
    overrides: dict[str, str] = field(default_factory=dict)  # template parameter values given
    ignore: frozenset[FindingCode] = frozenset()  # --ignore and the project file's: Options.ignore_external
    mode: str | None = None
    format: str | None = None


def resolve_place(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    streams: Streams,
    project: ProjectSettings | None = None,
) -> Place:
    """--region / --account-id, else the project file, else the environment, else the defaults (said once)."""
    project = project or ProjectSettings()
    region = args.region or project.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    account = args.account_id or project.account or environ.get("AWS_ACCOUNT_ID")
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


def parse_parameter_arguments(items: Sequence[str]) -> dict[str, str]:
    """`--parameter KEY=VALUE`, each one pair (the value may hold `=` and spaces)."""
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r} is not KEY=VALUE")
        overrides[key] = value
    return overrides


def resolve_settings(args: argparse.Namespace, streams: Streams, cwd: Path | None = None) -> Settings:
    """Every source of settings merged, weakest first (the README's Configuration section)."""
    try:
        project = find_project_settings(cwd or Path.cwd())
        overrides = dict(project.parameters)
        config_file = args.config_file or (DEFAULT_SAMCONFIG if args.config_env else None)
        if config_file is not None:
            if not os.path.isfile(config_file):
                raise UsageError(f"--config-file {config_file}: no such file")
            overrides.update(read_samconfig(Path(config_file), args.config_env))
        if args.parameter_overrides:
            overrides.update(parse_parameter_overrides(args.parameter_overrides, "--parameter-overrides"))
    except ConfigError as err:
        raise UsageError(str(err)) from err
    overrides.update(parse_parameter_arguments(args.parameter))
    from ..options import OptionError, parse_codes

    try:
        ignore = parse_codes(list(project.ignore), f"{project.source}: ignore") | parse_codes(
            list(getattr(args, "ignore", None) or ()), "--ignore"
        )
    except OptionError as err:
        raise UsageError(str(err)) from err
    mode = getattr(args, "mode", None) or project.mode
    if mode is not None and mode not in {m.value for m in Mode}:
        raise UsageError(f"{project.source}: mode {mode!r} is not one of {', '.join(m.value for m in Mode)}")
    return Settings(
        place=resolve_place(args, os.environ, streams, project),
        overrides=overrides,
        ignore=ignore,
        mode=mode,
        format=project.format,
    )


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


def with_mode(options: Options, mode: str | None) -> Options:
    """The options with --mode (or the project file's mode) over the template's."""
    return options if mode is None else options._replace(mode=Mode(mode), raised_from=None)


def _context(template: LoadedTemplate, settings: Settings, streams: Streams) -> TransformContext:
    from ..model import TransformContext

    return TransformContext(
        settings.place.region,
        settings.place.account_id,
        parameter_values(template, settings.overrides, streams),
    )


# ------------------------------------------------------------------ inputs and outputs
def _templates(args: argparse.Namespace, streams: Streams) -> tuple[list[Input], Settings]:
    """The inputs and settings of a command. Usage errors come before any note."""
    arguments = [*args.templates, *(a for a in args.parameter_overrides or () if "=" not in a)]
    args.parameter_overrides = [a for a in args.parameter_overrides or () if "=" in a]
    if not arguments:
        raise UsageError("the following arguments are required: TEMPLATE")
    try:
        inputs = expand_inputs(arguments)
    except InputError as err:
        raise UsageError(str(err)) from err
    return inputs, resolve_settings(args, streams)


class _Output:
    """Where results go: stdout, one file (-o FILE), or one file per input in a directory (-o DIR).

    Several inputs without -o: one document per input on stdout (YAML documents
    separated by `---`, JSON one object per line).
    """

    def __init__(self, target: str | None, several: bool, streams: Streams) -> None:
        self.target, self.streams, self.several = target, streams, several
        self.directory = target is not None and target != "-" and (several or os.path.isdir(target))
        self.written: dict[str, str] = {}
        self.count = 0

    def write(self, source: str, text: str, suffix: str, compact: Callable[[], str] | None = None) -> None:
        if self.directory:
            assert self.target is not None
            name = "stdin" if source == "<stdin>" else Path(source).stem
            path = os.path.join(self.target, name + suffix)
            if path in self.written:
                raise UsageError(f"{source} and {self.written[path]} would both be written to {path}")
            self.written[path] = source
            os.makedirs(self.target, exist_ok=True)
            _write_file(path, text)
        elif self.target not in (None, "-") and not self.several:
            assert self.target is not None
            _write_file(self.target, text)
        elif self.several and compact is not None:
            self.streams.out.write(compact())
        else:
            if self.several and self.count:
                self.streams.out.write("---\n")
            self.streams.out.write(text)
        self.count += 1


def _write_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from err


def _output_format(requested: str | None, template: LoadedTemplate) -> OutputFormat:
    if requested == "json" or (requested is None and template.source_format == "json"):
        return "json"
    return "yaml"


def _template_text(
    data: Mapping[str, Any], fmt: OutputFormat, output: _Output, source: str, text: str | None = None
) -> None:
    """Write `data`; with `text`, the YAML it was read from, its comments and layout are kept."""
    from .template_io import dump_template

    output.write(
        source,
        dump_template(data, fmt, source=text),
        ".json" if fmt == "json" else ".yaml",
        (lambda: json.dumps(data, ensure_ascii=False) + "\n") if fmt == "json" else None,
    )


def _finding_lines(template: LoadedTemplate, findings: Sequence[Finding], streams: Streams) -> None:
    from . import check as check_report

    for finding in findings:
        located = check_report.LocatedFinding(finding, template.line_of(finding.path))
        streams.err.write(check_report.finding_line(template.path, located) + "\n")


def _macro_input(
    template: LoadedTemplate, context: TransformContext, args: argparse.Namespace, streams: Streams
) -> MacroInput:
    from .expand import macro_input

    macro = macro_input(template.data, args.macro_name, context, streams.note)
    if not macro.listed:
        streams.note(f"{template.path} does not list {args.macro_name} in its Transform; ran it anyway")
    return macro


def _each_template(
    args: argparse.Namespace,
    streams: Streams,
    run: Callable[[LoadedTemplate, Settings, _Output], int],
) -> int:
    """Run a one-template command over every input; the worst exit code wins."""
    inputs, settings = _templates(args, streams)
    output = _Output(args.output, len(inputs) > 1, streams)
    if len(inputs) == 1:  # one named template: reading errors are usage errors, as ever
        (item,) = inputs
        from .template_read import NotATemplate, read_template

        try:
            return run(read_template(item.path), settings, output)
        except NotATemplate as err:
            raise UsageError(f"{err}; nothing to do") from err
    worst = EXIT_OK

    def unreadable(err: TemplateError) -> None:
        nonlocal worst
        streams.err.write(f"{err}\n")
        worst = EXIT_USAGE

    for template in read_inputs(inputs, streams.note, unreadable):
        worst = max(worst, run(template, settings, output))
    return worst


# ------------------------------------------------------------------ commands
def run_transform(args: argparse.Namespace, streams: Streams) -> int:
    def one(template: LoadedTemplate, settings: Settings, output: _Output) -> int:
        from .. import core
        from ..model import TransformFailure
        from ..options import OptionError
        from .expand import ExpandError

        context = _context(template, settings, streams)
        try:
            macro = _macro_input(template, context, args, streams)
            options = with_mode(macro.options(), settings.mode)._replace(ignore_external=settings.ignore)
            result = core.transform(macro.fragment, options, context)
        except ExpandError as err:
            streams.err.write(f"{template.path}: {err}\n")
            return EXIT_FAILED
        except (OptionError, TransformFailure) as err:
            return _report_failure(err, streams)
        _finding_lines(template, result.findings, streams)
        fmt = _output_format(args.format, template)
        _template_text(macro.output(result.fragment), fmt, output, template.path, template.text)
        return EXIT_OK

    return _each_template(args, streams, one)


def _report_failure(error: OptionError | TransformFailure, streams: Streams) -> int:
    """The macro's own failure message: what CloudFormation would show for this template."""
    from .. import report
    from ..model import TransformFailure

    problems = error.problems if isinstance(error, TransformFailure) else [str(error)]
    streams.err.write(report.failure_message(problems) + "\n")
    return EXIT_FAILED


def run_check(args: argparse.Namespace, streams: Streams) -> int:
    from . import check as check_report

    if args.together:
        from ..diagnose import together

        return together.run_check(args, streams)

    inputs, settings = _templates(args, streams)
    checked: list[CheckedTemplate] = []
    exit_code = EXIT_OK

    def unreadable(err: TemplateError) -> None:
        nonlocal exit_code
        streams.err.write(f"{err}\n")
        path = str(err).split(":", 1)[0]
        checked.append(check_report.CheckedTemplate(path, problems=(str(err),), readable=False))
        exit_code = EXIT_USAGE

    progress = check_report.Progress(streams.err, len(inputs))
    for index, template in enumerate(read_inputs(inputs, streams.note, unreadable), start=1):
        progress.step(index, template.path)
        result = check_report.check_template(
            template, *_check_input(template, settings, args, streams), ignore=settings.ignore
        )
        checked.append(result)
        if not result.passed:
            exit_code = max(exit_code, EXIT_FAILED)
    progress.done()
    text = _check_report(checked, args.format or settings.format or "text", args.output, streams)
    _write_or_print(text, args.output, streams)
    return exit_code


def _check_input(
    template: LoadedTemplate, settings: Settings, args: argparse.Namespace, streams: Streams
) -> tuple[dict[str, Any] | str, Options | OptionError, TransformContext, str]:
    """(fragment or the reason there is none, options, context, mode) for one template of `check`.

    `check` reads SAM as written (the core reads raw SAM, and the positions stay the
    file's); other transforms listed before the macro run first, as for `transform`.
    """
    from ..options import OptionError
    from .expand import ExpandError, macro_input

    context = _context(template, settings, streams)
    try:
        macro = macro_input(template.data, args.macro_name, context, streams.note, run_sam=False)
    except ExpandError as err:
        return str(err), OptionError(str(err)), context, settings.mode or Mode.ENFORCE.value
    options: Options | OptionError
    try:
        options = macro.options()
    except OptionError as err:
        options = err
    return macro.fragment, options, context, settings.mode or Mode.ENFORCE.value


def _check_report(
    checked: Sequence[CheckedTemplate], fmt: str, out_path: str | None, streams: Streams
) -> str:
    from . import check as check_report

    if fmt not in CHECK_FORMATS:
        raise UsageError(f"format {fmt!r} is not one of {', '.join(CHECK_FORMATS)}")
    if fmt == "json":
        return check_report.render_json(checked)
    if fmt == "sarif":
        from .sarif import sarif_log

        return json.dumps(sarif_log(checked), indent=2) + "\n"
    if fmt == "junit":
        from .junit import junit_xml

        return junit_xml(checked)
    to_terminal = out_path is None or out_path == "-"
    style = check_report.TextStyle.for_stream(streams.out, os.environ) if to_terminal else None
    return check_report.render_text(checked, style)


def _write_or_print(text: str, out_path: str | None, streams: Streams) -> None:
    if out_path is None or out_path == "-":
        streams.out.write(text)
    else:
        _write_file(out_path, text)


def run_expand(args: argparse.Namespace, streams: Streams) -> int:
    def one(template: LoadedTemplate, settings: Settings, output: _Output) -> int:
        from ..model import TransformFailure
        from ..options import OptionError
        from .expand import ExpandError, expand

        context = _context(template, settings, streams)
        try:
            mode = None if settings.mode is None else template_options(template, settings.mode)
            result = expand(template.data, args.macro_name, mode, context, streams.note)
        except ExpandError as err:
            streams.err.write(f"{template.path}: {err}\n")
            return EXIT_FAILED
        except (OptionError, TransformFailure) as err:
            return _report_failure(err, streams)
        _template_text(result, _output_format(args.format, template), output, template.path)
        return EXIT_OK

    return _each_template(args, streams, one)


def template_options(template: LoadedTemplate, mode: str | None) -> Options:
    """The template's own options, with `mode` over them when given. Raises OptionError."""
    from .. import core
    from ..options import Options, resolve_options

    metadata = template.data.get("Metadata")
    own = metadata.get(core.MACRO_KEY) if isinstance(metadata, Mapping) else None
    return with_mode(resolve_options(Options(), own, None), mode)


def run_graph(args: argparse.Namespace, streams: Streams) -> int:
    if args.together:
        from ..diagnose import together

        return together.run_graph(args, streams)

    def one(template: LoadedTemplate, settings: Settings, output: _Output) -> int:
        from .. import core
        from ..model import TransformFailure
        from ..options import OptionError
        from .expand import ExpandError
        from .graph import render_graph

        context = _context(template, settings, streams)
        try:
            macro = _macro_input(template, context, args, streams)
            result = core.analyze(macro.fragment, with_mode(macro.options(), settings.mode), context)
        except ExpandError as err:
            streams.err.write(f"{template.path}: {err}\n")
            return EXIT_FAILED
        except (OptionError, TransformFailure) as err:
            return _report_failure(err, streams)
        if not result.edges:
            streams.note(f"{template.path}: no function of the template has an invoke grant")
        text = render_graph(result.edges, args.format)
        output.write(template.path, text, {"mermaid": ".mmd", "dot": ".dot"}.get(args.format, ".txt"))
        return EXIT_OK

    return _each_template(args, streams, one)


def run_event(args: argparse.Namespace, streams: Streams) -> int:
    def one(template: LoadedTemplate, settings: Settings, output: _Output) -> int:
        from .expand import ExpandError
        from .offline import macro_event

        context = _context(template, settings, streams)
        try:
            macro = _macro_input(template, context, args, streams)
        except ExpandError as err:
            streams.err.write(f"{template.path}: {err}\n")
            return EXIT_FAILED
        event = macro_event(
            macro.fragment,
            region=context.region,
            account_id=context.account_id,
            request_id=EVENT_REQUEST_ID,
            macro_name=args.macro_name,
            params=dict(macro.params),
            parameter_values=context.parameter_values,
        )
        output.write(
            template.path,
            json.dumps(event, indent=2, ensure_ascii=False) + "\n",
            ".json",
            lambda: json.dumps(event, ensure_ascii=False) + "\n",
        )
        return EXIT_OK

    return _each_template(args, streams, one)


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="autoinvoke",
        description="Mirror Lambda-to-Lambda invoke grants as AWS::Lambda::Permission resources, offline. "
        "Reads YAML (short-form tags) or JSON templates. No command needs AWS credentials "
        "(only the opt-in `explain --live` reads deployed policies).",
        epilog="Exit codes: 0 success, 1 the template fails, 2 usage or parse error.",
    )
    parser.add_argument("--version", action="version", version=f"autoinvoke {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def plain_command(
        name: str, help_text: str, run: Callable[[argparse.Namespace, Streams], int]
    ) -> argparse.ArgumentParser:
        """A command that declares its own positional arguments."""
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    def command(
        name: str, help_text: str, run: Callable[[argparse.Namespace, Streams], int]
    ) -> argparse.ArgumentParser:
        """A command that reads any number of templates, with the shared place and parameter options."""
        sub = plain_command(name, help_text, run)
        _template_arguments(sub)
        return sub

    transform = command(
        "transform",
        "Run the macro on TEMPLATE and print what it returns to CloudFormation: the template with the "
        "permissions added and the report in Metadata. Transforms listed before the macro run first, so "
        "the macro sees what CloudFormation would send it. The macro's own Transform entry is removed; "
        "other entries (such as AWS::Serverless-2016-10-31 listed after it) stay, as CloudFormation runs "
        "them next. Findings go to stderr.",
        run_transform,
    )
    _output_arguments(transform)
    _mode_argument(transform)
    _macro_name_argument(transform)
    _ignore_argument(transform)

    check = command(
        "check",
        "Analyze each TEMPLATE in enforce mode (or --mode). Exit 0 when every template passes, 1 when a "
        "finding would fail enforce mode or a template cannot be analyzed, 2 on usage or parse errors.",
        run_check,
    )
    check.add_argument("--format", choices=CHECK_FORMATS, help="report format (default: text)")
    check.add_argument("-o", "--output", metavar="OUT", help="write the report to OUT instead of stdout")
    _mode_argument(check)
    _macro_name_argument(check)
    _ignore_argument(check)
    from ..diagnose import together

    together.add_arguments(check)

    expand_ = command(
        "expand",
        "Run TEMPLATE's whole Transform list in order (AWS::Serverless-2016-10-31 through the SAM "
        "translator, AWS::LanguageExtensions through cfn-lint, this macro through its core) and print plain "
        "CloudFormation. Local CodeUri, ContentUri and DefinitionUri paths become "
        "s3://placeholder-bucket/<path>, as `sam package` would.",
        run_expand,
    )
    _output_arguments(expand_)
    _mode_argument(expand_)
    _macro_name_argument(expand_)

    graph = command(
        "graph",
        "Show who invokes whom: one arrow per caller and callee, marked added / already present / "
        "planned (audit mode) / external / wildcard / broken.",
        run_graph,
    )
    from .graph import GRAPH_FORMATS

    graph.add_argument("--format", choices=GRAPH_FORMATS, default="mermaid")
    graph.add_argument("-o", "--output", metavar="OUT", help=_OUTPUT_HELP)
    _mode_argument(graph)
    _macro_name_argument(graph)
    together.add_arguments(graph)

    event = command(
        "event",
        "Print the macro event CloudFormation would send for TEMPLATE (after the transforms listed before "
        "the macro), to test a deployed macro function (aws lambda invoke, sam local invoke -e).",
        run_event,
    )
    event.add_argument("-o", "--output", metavar="OUT", help=_OUTPUT_HELP)
    _macro_name_argument(event)

    from . import explain_arguments
    from .hook import add_hook_commands  # `hook`, `hook-event`: their own module (imports this one)

    explain_arguments.add_arguments(plain_command("explain", explain_arguments.HELP, explain_arguments.run))
    add_hook_commands(plain_command)
    return parser


def _template_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "templates",
        metavar="TEMPLATE",
        nargs="*",
        help="template files, directories (searched recursively), quoted globs, or - for stdin",
    )
    sub.add_argument(
        "--region",
        help="the stack's region (default: project file, AWS_REGION, AWS_DEFAULT_REGION, us-east-1)",
    )
    sub.add_argument(
        "--account-id", help="the stack's account (default: project file, AWS_ACCOUNT_ID, 123456789012)"
    )
    sub.add_argument(
        "--parameter",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a template parameter value (repeat for more); others take their Default",
    )
    sub.add_argument(
        "--parameter-overrides",
        metavar="OVERRIDE",
        nargs="+",
        action="extend",
        help="parameter values as the SAM CLI takes them: K=V K2=V2, or ParameterKey=K,ParameterValue=V",
    )
    sub.add_argument(
        "--config-file", metavar="SAMCONFIG", help="read parameter_overrides from a samconfig.toml"
    )
    sub.add_argument("--config-env", metavar="NAME", help="the samconfig environment (default: default)")


def _output_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--output", metavar="OUT", help=_OUTPUT_HELP)
    sub.add_argument("--format", choices=("yaml", "json"), help="output format (default: the template's)")


def _mode_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--mode", choices=[m.value for m in Mode], help="override Metadata.AutoInvokePermission.Mode"
    )


def _ignore_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--ignore",
        metavar="CODE",
        action="append",
        default=[],
        help="accept a finding code (repeatable): reported as suppressed, never blocking",
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
