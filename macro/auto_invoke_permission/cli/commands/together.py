"""`check --together` and `graph --together`: the templates read as one system (diagnose/together)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...records import Record
from ..batch import Unreadable, named_inputs
from ..common import EXIT_FAILED, EXIT_OK, Streams, UsageError, write_or_print
from ..settings import TemplateArguments, resolve_settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...diagnose.together import Stack

FORMATS = ("text", "json")


class TogetherRequest(Record):
    arguments: TemplateArguments
    accounts: Mapping[str, str]  # template NAME -> account
    names: Mapping[str, str]  # template NAME -> stack name
    format: str
    output: str | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> TogetherRequest:
        accounts = _named(args.account, "--account")
        from ...declared_callers import ACCOUNT_ID

        for account in accounts.values():
            if not ACCOUNT_ID.match(account):
                raise UsageError(f"--account: {account!r} is not a 12-digit account ID")
        return cls(
            TemplateArguments.of(args),
            accounts,
            _named(args.stack_name, "--stack-name"),
            args.format or "text",
            args.output,
        )


def _named(pairs: Sequence[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"{flag} {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def _lookup(named: Mapping[str, str], path: str) -> str | None:
    p = Path(path)
    for key in (path, p.name, p.stem, p.parent.name):
        if key in named:
            return named[key]
    return None


def load(request: TogetherRequest, streams: Streams) -> tuple[list[Stack], str] | None:
    """The stacks of the templates named, and the region; None when one cannot be read (said)."""
    from ...diagnose.together import build_stack
    from ...template_inputs import fragment_of, parameter_values
    from ..inputs import read_inputs
    from ..settings import undeclared_notes

    inputs = named_inputs(request.arguments.templates)
    settings = resolve_settings(request.arguments, streams)
    stacks: list[Stack] = []
    unreadable = Unreadable(streams)
    for template in read_inputs(inputs, streams.note, unreadable):
        account = _lookup(request.accounts, template.path) or settings.place.account_id
        name = _lookup(request.names, template.path) or Path(template.path).stem
        undeclared_notes(template.path, template.data, settings, streams)
        values = parameter_values(template.data, settings.overrides)
        data = fragment_of(template.data)
        stacks.append(build_stack(template.path, data, name, account, settings.place.region, values))
    return None if unreadable.count else (stacks, settings.place.region)


def run_check(request: TogetherRequest, streams: Streams) -> int:
    from ...diagnose.together import analyze
    from ..common import EXIT_USAGE

    if request.format not in FORMATS:
        raise UsageError(f"--together writes {' or '.join(FORMATS)}, not {request.format}")
    loaded = load(request, streams)
    if loaded is None:
        return EXIT_USAGE
    stacks, region = loaded
    edges = analyze(stacks, region)
    problems = [f"{s.path}: {p}" for s in stacks for p in s.problems]
    if request.format == "json":
        text = json.dumps({"edges": [e.as_dict() for e in edges], "problems": problems}, indent=2) + "\n"
    else:
        lines = [f"{e.status()}: {e.describe()}" for e in edges] + [f"problem: {p}" for p in problems]
        missing = sum(1 for e in edges if e.status() == "missing")
        lines.append(
            f"{len(stacks)} templates, {len(edges)} cross-stack edges, {missing} not allowed by the "
            "callee's template"
        )
        text = "\n".join(lines) + "\n"
    write_or_print(text, request.output, streams)
    denied = any(e.status() == "missing" and e.cross_account for e in edges)
    return EXIT_FAILED if denied or problems else EXIT_OK


def run_graph(request: TogetherRequest, streams: Streams) -> int:
    from ...diagnose.together import analyze
    from ..common import EXIT_USAGE
    from ..formats.graph import render_mermaid

    loaded = load(request, streams)
    if loaded is None:
        return EXIT_USAGE
    stacks, region = loaded
    write_or_print(render_mermaid(stacks, analyze(stacks, region)), request.output, streams)
    return EXIT_OK
