"""`autoinvoke event`: the macro event CloudFormation would send for a template."""

from __future__ import annotations

import argparse
import json

from ..batch import TemplateCommand, attempt, over_templates, say_unlisted, transform_context
from ..common import EXIT_FAILED, EXIT_OK, OUTPUT_HELP, Streams, macro_name_argument, template_arguments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...offline.template_read import LoadedTemplate
    from ..output import Output
    from ..settings import Settings

HELP = (
    "Print the macro event CloudFormation would send for TEMPLATE (after the transforms listed before "
    "the macro), to test a deployed macro function (aws lambda invoke, sam local invoke -e)."
)
EVENT_REQUEST_ID = "autoinvoke-cli-event"  # fixed, so the same template gives the same event


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_arguments(sub)
    sub.add_argument("-o", "--output", metavar="OUT", help=OUTPUT_HELP)
    macro_name_argument(sub)


def run(args: argparse.Namespace, streams: Streams) -> int:
    return over_templates(TemplateCommand.of(args), streams, event_one)


def event_one(
    command: TemplateCommand, template: LoadedTemplate, settings: Settings, output: Output, streams: Streams
) -> int:
    from ...offline.expand import macro_input
    from ...offline.toolbox import macro_event

    context = transform_context(template, settings)
    macro = attempt(
        template, streams, lambda: macro_input(template.data, command.macro_name, context, streams.note)
    )
    if macro is None:
        return EXIT_FAILED
    say_unlisted(template, macro.listed, command.macro_name, streams)
    event = macro_event(
        macro.fragment,
        region=context.region,
        account_id=context.account_id,
        request_id=EVENT_REQUEST_ID,
        macro_name=command.macro_name,
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
