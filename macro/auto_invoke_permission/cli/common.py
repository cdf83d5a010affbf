"""What every command shares: exit codes, streams, usage errors, and the shared arguments.

Exit codes, for every command: 0 success; 1 the template fails (the macro would refuse it, or it
is malformed, or a transform cannot run); 2 usage or parse errors (bad arguments, unreadable
file, invalid YAML/JSON, duplicate keys). Results go to stdout (or -o); findings, notes and
errors go to stderr, one line each.
"""

from __future__ import annotations

import argparse
import sys

from ..model import DEFAULT_ACCOUNT_ID, DEFAULT_MACRO_NAME, DEFAULT_REGION
from ..options import Mode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

OUTPUT_HELP = "write to OUT instead of stdout (with several inputs: a directory, one file per input)"
HOOK_EVENT_TOKEN = "autoinvoke-cli-hook-event"  # fixed, so the same template gives the same request
TEMPLATES_HELP = "template files, directories (searched recursively), quoted globs, or - for stdin"


class UsageError(Exception):
    """Bad arguments: exit 2 with this one line."""


class Streams:
    """Where a run writes: results to `out`; findings, notes and errors to `err`.

    Notes are said once per run (the same text twice is said once), and not at all with `quiet`.
    """

    __slots__ = ("err", "out", "quiet", "said")

    def __init__(self, out: TextIO, err: TextIO, quiet: bool = False) -> None:
        self.out, self.err, self.quiet = out, err, quiet
        self.said: set[str] = set()

    def note(self, text: str) -> None:
        if self.quiet or text in self.said:
            return
        self.said.add(text)
        self.err.write(f"autoinvoke: {text}\n")


def read_text(path: str) -> str:
    """The file's text (`-`: stdin's). Raises UsageError."""
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from err
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from err


def write_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from err


def write_or_print(text: str, out_path: str | None, streams: Streams) -> None:
    if out_path is None or out_path == "-":
        streams.out.write(text)
    else:
        write_file(out_path, text)


def report_failure(error: Exception, streams: Streams) -> int:
    """The macro's own failure message (TransformFailure, OptionError): what CloudFormation would show."""
    from .. import report
    from ..model import TransformFailure

    problems = error.problems if isinstance(error, TransformFailure) else [str(error)]
    streams.err.write(report.failure_message(problems) + "\n")
    return EXIT_FAILED


# ------------------------------------------------------------------ shared arguments
def template_arguments(sub: argparse.ArgumentParser) -> None:
    """TEMPLATE... (and -t), the place, and the template parameter values."""
    template_list_arguments(sub)
    place_arguments(sub, project=True)
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


def template_list_arguments(sub: argparse.ArgumentParser) -> None:
    """TEMPLATE... and its alias -t/--template-file (repeatable), and -q/--quiet."""
    sub.add_argument("templates", metavar="TEMPLATE", nargs="*", help=TEMPLATES_HELP)
    template_file_argument(sub)
    quiet_argument(sub)


def template_file_argument(sub: argparse.ArgumentParser) -> None:
    """-t/--template-file, the alias of the positional TEMPLATE (repeatable)."""
    sub.add_argument(
        "-t",
        "--template-file",
        metavar="TEMPLATE",
        dest="template_files",
        action="append",
        default=[],
        help="a template, as the positional TEMPLATE (repeatable)",
    )


def quiet_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr (errors still show)")


def place_arguments(sub: argparse.ArgumentParser, project: bool = False) -> None:
    source = "project file, " if project else ""
    sub.add_argument(
        "--region",
        help=f"the stack's region (default: {source}AWS_REGION, AWS_DEFAULT_REGION, {DEFAULT_REGION})",
    )
    sub.add_argument(
        "--account-id", help=f"the stack's account (default: {source}AWS_ACCOUNT_ID, {DEFAULT_ACCOUNT_ID})"
    )


def output_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--output", metavar="OUT", help=OUTPUT_HELP)
    sub.add_argument("--format", choices=("yaml", "json"), help="output format (default: the template's)")


def mode_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--mode", choices=[m.value for m in Mode], help="override Metadata.AutoInvokePermission.Mode"
    )


def ignore_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--ignore",
        metavar="CODE",
        action="append",
        default=[],
        help="accept a finding code (repeatable): reported as suppressed, never blocking",
    )


def macro_name_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--macro-name",
        default=DEFAULT_MACRO_NAME,
        help=f"the name the macro is registered under (default: {DEFAULT_MACRO_NAME})",
    )


def fail_on_argument(sub: argparse.ArgumentParser) -> None:
    """--fail-on, as the account's CloudFormation Hook takes FailOn: one value per option
    (comma-separated lists allowed), so it never swallows the TEMPLATE that follows it."""
    sub.add_argument(
        "--fail-on",
        metavar="CODES_OR_SEVERITIES",
        action="append",
        default=[],
        help="finding codes (AIP101) or severities (error, warning, info) that fail even with the macro "
        "listed, as the hook's FailOn; repeatable or comma-separated",
    )


def together_arguments(sub: argparse.ArgumentParser) -> None:
    """`--together`, `--account`, `--stack-name` on `check` and `graph`."""
    sub.add_argument(
        "--together",
        action="store_true",
        help="analyze the templates as one system: report each cross-stack edge (Fn::ImportValue of "
        "another template's export, or the ARN of another template's function) and whether the "
        "callee's template allows the caller",
    )
    sub.add_argument(
        "--account",
        metavar="NAME=ACCOUNT",
        action="append",
        default=[],
        help="with --together: the account of the template NAME (file name or stem); default --account-id",
    )
    sub.add_argument(
        "--stack-name",
        metavar="NAME=STACK",
        action="append",
        default=[],
        help="with --together: the stack name of the template NAME (default: the file's stem)",
    )
