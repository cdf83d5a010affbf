"""Running a command over its templates: the inputs named, read one by one, the worst exit wins."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from ..offline.template_read import LoadedTemplate, TemplateError
from ..records import Record
from .common import EXIT_OK, EXIT_USAGE, Streams, UsageError, report_failure
from .inputs import Input, InputError, expand_inputs, read_inputs
from .settings import Settings, TemplateArguments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    from ..api import TransformRequest
    from ..model import TransformContext
    from .output import Output

    T = TypeVar("T")
OneTemplate = Callable[["TemplateCommand", LoadedTemplate, Settings, "Output", Streams], int]


class TemplateCommand(Record):
    """The arguments of a command that writes one result per template."""

    arguments: TemplateArguments
    output: str | None
    format: str | None
    macro_name: str

    @classmethod
    def of(cls, args: argparse.Namespace) -> TemplateCommand:
        return cls(TemplateArguments.of(args), args.output, getattr(args, "format", None), args.macro_name)


def named_inputs(templates: Sequence[str]) -> list[Input]:
    """Every file the TEMPLATE arguments name. Usage errors come before any note."""
    if not templates:
        raise UsageError("the following arguments are required: TEMPLATE")
    try:
        return expand_inputs(templates)
    except InputError as err:
        raise UsageError(str(err)) from err


def each_template(inputs: Sequence[Input], streams: Streams, run: Callable[[LoadedTemplate], int]) -> int:
    """Run a one-template command over every input; the worst exit code wins."""
    if len(inputs) == 1:  # one named template: reading errors are usage errors, as ever
        (item,) = inputs
        from ..offline.template_read import NotATemplate, read_template

        try:
            return run(read_template(item.path))
        except NotATemplate as err:
            raise UsageError(f"{err}; nothing to do") from err
    worst = EXIT_OK
    unreadable = Unreadable(streams)
    for template in read_inputs(inputs, streams.note, unreadable):
        worst = max(worst, run(template))
    return EXIT_USAGE if unreadable.count else worst


class Unreadable:
    """The error callback of `read_inputs`: each template that cannot be read said on stderr, counted."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.count = 0

    def __call__(self, err: TemplateError) -> None:
        self.streams.err.write(f"{err}\n")
        self.count += 1


def transform_context(template: LoadedTemplate, settings: Settings) -> TransformContext:
    """Where the template is deployed and its templateParameterValues, as the macro event says."""
    from ..model import TransformContext
    from ..template_inputs import parameter_values

    values = parameter_values(template.data, settings.overrides)
    return TransformContext(settings.place.region, settings.place.account_id, values)


def attempt(template: LoadedTemplate, streams: Streams, call: Callable[[], T]) -> T | None:
    """`call()`, or None when the macro refuses the template or a transform cannot run (said:
    the transform's one line, or the macro's own failure message)."""
    from ..model import TransformFailure
    from ..offline.expand import ExpandError
    from ..options import OptionError

    try:
        return call()
    except ExpandError as err:
        streams.err.write(f"{template.path}: {err}\n")
    except (OptionError, TransformFailure) as err:
        report_failure(err, streams)
    return None


def over_templates(command: TemplateCommand, streams: Streams, one: OneTemplate) -> int:
    """Run `one` over every template the command names, with the settings and the output."""
    from .output import Output
    from .settings import resolve_settings, undeclared_notes

    inputs = named_inputs(command.arguments.templates)
    settings = resolve_settings(command.arguments, streams)
    output = Output(command.output, len(inputs) > 1, streams)

    def run_one(template: LoadedTemplate) -> int:
        undeclared_notes(template.path, template.data, settings, streams)
        return one(command, template, settings, output, streams)

    return each_template(inputs, streams, run_one)


def transform_request(
    command: TemplateCommand, template: LoadedTemplate, settings: Settings
) -> TransformRequest:
    from ..api import TransformRequest
    from ..options import Mode

    return TransformRequest(
        template.data,
        place=settings.place,
        parameters=settings.overrides,
        mode=None if settings.mode is None else Mode(settings.mode),
        ignore=settings.ignore,
        macro_name=command.macro_name,
    )


def say_unlisted(template: LoadedTemplate, listed: bool, macro_name: str, streams: Streams) -> None:
    if not listed:
        streams.note(f"{template.path} does not list {macro_name} in its Transform; ran it anyway")
