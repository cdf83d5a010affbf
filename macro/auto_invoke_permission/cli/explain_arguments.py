"""`autoinvoke explain`'s command line: its help and arguments, without the diagnosis.

Kept apart from `explain`, which compiles its message patterns on import, so that every other
command starts without it.
"""

from __future__ import annotations

import argparse
from typing import Any

HELP = (
    "Explain an invoke AccessDeniedException (or a function URL's 403): what the message says, and with "
    "TEMPLATEs the grant it concerns and the change that fixes it, most likely cause first. MESSAGE may be "
    "a whole log line or a boto3 ClientError string; use --file or stdin (-) for long ones."
)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("message", metavar="MESSAGE", nargs="?", help="the error text; - or omitted: stdin")
    sub.add_argument(
        "templates", metavar="TEMPLATE", nargs="*", help="the caller's and the callee's templates"
    )
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


def run(args: argparse.Namespace, streams: Any) -> int:
    from ..diagnose.explain import run as run_explain

    return run_explain(args, streams)
