"""`autoinvoke graph`: who invokes whom, from the core's edges (formats/graph.py draws them)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ..batch import TemplateCommand, attempt, over_templates, say_unlisted, transform_request
from ..common import (
    EXIT_FAILED,
    EXIT_OK,
    OUTPUT_HELP,
    Streams,
    macro_name_argument,
    mode_argument,
    template_arguments,
    together_arguments,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...model import Edge
    from ...offline.template_read import LoadedTemplate
    from ..output import Output
    from ..settings import Settings

HELP = (
    "Show who invokes whom: one arrow per caller and callee, marked added / already present / "
    "planned (audit mode) / external / wildcard / broken. Several templates in DOT: one graph, a "
    "cluster per template."
)
FORMATS = ("mermaid", "dot", "text")
_SUFFIXES = {"mermaid": ".mmd", "dot": ".dot"}


def add_arguments(sub: argparse.ArgumentParser) -> None:
    template_arguments(sub)
    sub.add_argument("--format", choices=FORMATS, default="mermaid")
    sub.add_argument("-o", "--output", metavar="OUT", help=OUTPUT_HELP)
    mode_argument(sub)
    macro_name_argument(sub)
    together_arguments(sub)


@dataclass
class _Clusters:
    """Several templates drawn as one DOT graph: the edges of each, written at the end."""

    graphs: list[tuple[str, tuple[Edge, ...]]]


def run(args: argparse.Namespace, streams: Streams) -> int:
    from . import together

    if args.together:
        return together.run_graph(together.TogetherRequest.of(args), streams)
    command = TemplateCommand.of(args)
    clusters = _Clusters([])

    def one(
        command: TemplateCommand,
        template: LoadedTemplate,
        settings: Settings,
        output: Output,
        streams: Streams,
    ) -> int:
        edges = _edges(command, template, settings, streams)
        if edges is None:
            return EXIT_FAILED
        if command.format == "dot" and output.several and not output.directory:
            clusters.graphs.append((template.path, edges))  # one graph for all, written at the end
            return EXIT_OK
        from ..formats.graph import render_graph

        text = render_graph(edges, command.format or "mermaid")  # type: ignore[arg-type]
        output.write(template.path, text, _SUFFIXES.get(command.format or "mermaid", ".txt"))
        return EXIT_OK

    code = over_templates(command, streams, one)
    if clusters.graphs:
        from ..common import write_or_print
        from ..formats.graph import render_dot_clusters

        write_or_print(render_dot_clusters(clusters.graphs), command.output, streams)
    return code


def _edges(
    command: TemplateCommand, template: LoadedTemplate, settings: Settings, streams: Streams
) -> tuple[Edge, ...] | None:
    from ...api import analyze

    request = transform_request(command, template, settings)
    analysis = attempt(template, streams, lambda: analyze(request, streams.note))
    if analysis is None:
        return None
    say_unlisted(template, analysis.listed, command.macro_name, streams)
    if not analysis.edges:
        streams.note(f"{template.path}: no function of the template has an invoke grant")
    return analysis.edges
