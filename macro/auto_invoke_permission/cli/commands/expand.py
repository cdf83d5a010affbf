"""`autoinvoke expand`: the template's whole Transform list run offline, plain CloudFormation out."""

from __future__ import annotations

import argparse

from ..batch import TemplateCommand, attempt, over_templates, transform_context
from ..common import (
    EXIT_FAILED,
    EXIT_OK,
    Streams,
    macro_name_argument,
    mode_argument,
    output_arguments,
    template_arguments,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ...offline.template_read import LoadedTemplate
    from ..output import Output
    from ..settings import Settings

HELP = (
    "Run TEMPLATE's whole Transform list in order (AWS::Serverless-2016-10-31 through the SAM "
    "translator, AWS::LanguageExtensions through cfn-lint, this macro through its core) and print plain "
    "CloudFormation. Local CodeUri, ContentUri and DefinitionUri paths become "
    "s3://placeholder-bucket/<path>, as `sam package` would."
)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_arguments(sub)
    output_arguments(sub)
    mode_argument(sub)
    macro_name_argument(sub)


def run(args: argparse.Namespace, streams: Streams) -> int:
    return over_templates(TemplateCommand.of(args), streams, expand_one)


def expand_one(
    command: TemplateCommand, template: LoadedTemplate, settings: Settings, output: Output, streams: Streams
) -> int:
    from ...offline.expand import expand
    from ...options import Mode
    from ...template_inputs import template_options
    from ..output import output_format, write_template

    context = transform_context(template, settings)

    def run_all() -> dict[str, Any]:
        mode = None if settings.mode is None else template_options(template.data, Mode(settings.mode))
        return expand(template.data, command.macro_name, mode, context, streams.note)

    result = attempt(template, streams, run_all)
    if result is None:
        return EXIT_FAILED
    write_template(result, output_format(command.format, template), output, template.path)
    return EXIT_OK
