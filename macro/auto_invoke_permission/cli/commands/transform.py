"""`autoinvoke transform`: what the macro returns to CloudFormation for each template."""

from __future__ import annotations

import argparse

from ..batch import TemplateCommand, attempt, over_templates, say_unlisted, transform_request
from ..common import (
    EXIT_FAILED,
    EXIT_OK,
    Streams,
    ignore_argument,
    macro_name_argument,
    mode_argument,
    output_arguments,
    template_arguments,
)

HELP = (
    "Run the macro on TEMPLATE and print what it returns to CloudFormation: the template with the "
    "permissions added and the report in Metadata. Transforms listed before the macro run first, so "
    "the macro sees what CloudFormation would send it. The macro's own Transform entry is removed; "
    "other entries (such as AWS::Serverless-2016-10-31 listed after it) stay, as CloudFormation runs "
    "them next. Findings go to stderr."
)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_arguments(sub)
    output_arguments(sub)
    mode_argument(sub)
    macro_name_argument(sub)
    ignore_argument(sub)


def run(args: argparse.Namespace, streams: Streams) -> int:
    return over_templates(TemplateCommand.of(args), streams, transform_one)


def transform_one(
    command: TemplateCommand, template: LoadedTemplate, settings: Settings, output: Output, streams: Streams
) -> int:
    from ...api import transform
    from ..formats.text import finding_lines
    from ..output import output_format, write_template

    request = transform_request(command, template, settings)
    result = attempt(template, streams, lambda: transform(request, streams.note))
    if result is None:
        return EXIT_FAILED
    say_unlisted(template, result.listed, command.macro_name, streams)
    streams.err.write(finding_lines(template.path, result.findings, template.position_of))
    fmt = output_format(command.format, template)
    write_template(result.template, fmt, output, template.path, template.text)
    return EXIT_OK


TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...offline.template_read import LoadedTemplate
    from ..output import Output
    from ..settings import Settings
