"""`autoinvoke`: the macro's core, offline, with no AWS account or credentials.

The parser and the dispatch only. Each command is a module of `commands/` (its arguments, its
typed request, its run); `COMMANDS` registers it by name, and only the module of the command
that runs is imported, so that a small `check` starts fast. Exit codes and streams: common.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from .. import __version__
from .common import EXIT_FAILED, EXIT_USAGE, Streams, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

# name -> (module under cli/commands, the one line `autoinvoke --help` lists)
COMMANDS: dict[str, tuple[str, str]] = {
    "transform": ("transform", "run the macro on templates: what it returns to CloudFormation"),
    "check": (
        "check",
        "analyze templates in enforce mode (CI, pre-commit); as the account's hook with flags",
    ),
    "expand": ("expand", "run the whole Transform list offline: plain CloudFormation"),
    "graph": ("graph", "who invokes whom (mermaid, dot, text)"),
    "event": ("event", "the macro event CloudFormation would send, to test a deployed macro"),
    "explain": ("explain", "explain an invoke AccessDeniedException or a function URL's 403"),
    "hook": ("hook", "the CloudFormation Hook's decision for templates, offline"),
    "hook-event": (
        "hook_event",
        "the Lambda Hook request CloudFormation would send, to test a deployed hook",
    ),
}


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


def command_module(name: str) -> Any:
    """The module of a command (imported now, the first time it is asked for)."""
    return import_module(f"{__package__}.commands.{COMMANDS[name][0]}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. With `argv`, only the command it names gets its arguments (its module is the only
    one imported), and when `argv` starts with it, the only command the parser has (nothing else
    can print the list of commands); without, every command does."""
    parser = _Parser(
        prog="autoinvoke",
        description="Mirror Lambda-to-Lambda invoke grants as AWS::Lambda::Permission resources, offline. "
        "Reads YAML (short-form tags) or JSON templates. No command needs AWS credentials "
        "(only the opt-in `explain --live` reads deployed policies).",
        epilog="Exit codes: 0 success, 1 the template fails, 2 usage or parse error.",
    )
    parser.add_argument("--version", action="version", version=f"autoinvoke {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    alone = bool(argv and argv[0] == chosen and chosen in COMMANDS)
    for name, (_, summary) in COMMANDS.items():
        if argv is not None and name != chosen:
            if not alone:
                commands.add_parser(name, help=summary)
            continue
        module = command_module(name)
        sub = commands.add_parser(name, help=summary, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as stop:  # --help, --version, usage errors
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    streams = Streams(sys.stdout, sys.stderr, quiet=bool(getattr(args, "quiet", False)))
    try:
        code: int = args.run(args, streams)
        streams.out.flush()
    except BrokenPipeError:
        # The reader stopped early (`autoinvoke transform t.yaml | head`): end quietly, not with a
        # traceback, and keep Python's exit-time flush from failing on the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except UsageError as err:
        streams.err.write(f"autoinvoke {args.command}: error: {err}\n")
        return EXIT_USAGE
    except Exception as err:
        from ..offline.template_read import TemplateError

        if not isinstance(err, TemplateError):
            raise
        streams.err.write(f"{err}\n")
        return EXIT_USAGE
    return code


if __name__ == "__main__":
    sys.exit(main())
