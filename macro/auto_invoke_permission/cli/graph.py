"""`autoinvoke graph`: who invokes whom, drawn from the core's edges.

One arrow per (caller, target, status): functions that share a role each get
their own arrow, so the picture names functions, not roles. Arrows whose grant
was not mirrored (external, wildcard, broken) are dashed. A permission for calls
through the callee's function URL is its own arrow, labelled `<status> (url)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from ..findings import EdgeStatus
from ..model import Edge

GraphFormat = Literal["mermaid", "dot", "text"]
GRAPH_FORMATS: tuple[GraphFormat, ...] = ("mermaid", "dot", "text")

# Edges that stand for a grant with no permission behind it.
_UNMIRRORED = frozenset({EdgeStatus.EXTERNAL, EdgeStatus.WILDCARD, EdgeStatus.BROKEN})


URL_MARK = " (url)"  # after the status of an arrow that stands for a function URL permission


def arrows(edges: Iterable[Edge]) -> list[tuple[str, str, EdgeStatus, bool]]:
    """(caller, target, status, through the function URL) in the edges' order, each once."""
    seen: dict[tuple[str, str, EdgeStatus, bool], None] = {}
    for edge in edges:
        for caller in edge.callers:
            seen.setdefault((caller, edge.target, edge.status, edge.url))
    return list(seen)


def _label(status: EdgeStatus, url: bool) -> str:
    return status.value + URL_MARK if url else status.value


def render_graph(edges: Sequence[Edge], fmt: GraphFormat) -> str:
    lines = arrows(edges)
    if fmt == "text":
        return "".join(
            f"{caller} --({_label(status, url)})--> {target}\n" for caller, target, status, url in lines
        )
    if fmt == "dot":
        return _dot(lines)
    return _mermaid(lines)


def _mermaid(lines: list[tuple[str, str, EdgeStatus, bool]]) -> str:
    ids: dict[str, str] = {}
    out = ["flowchart LR"]
    for name in _nodes(lines):
        # Logical IDs are safe node ids, ARNs and `*` are not: number the nodes, quote the names.
        ids[name] = f"n{len(ids)}"
        out.append(f'  {ids[name]}["{_mermaid_text(name)}"]')
    for caller, target, status, url in lines:
        arrow = "-.->" if status in _UNMIRRORED else "-->"
        out.append(f'  {ids[caller]} {arrow}|"{_mermaid_text(_label(status, url))}"| {ids[target]}')
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _dot(lines: list[tuple[str, str, EdgeStatus, bool]]) -> str:
    out = ["digraph autoinvoke {", "  rankdir=LR;", "  node [shape=box];"]
    out.extend(f"  {_dot_text(name)};" for name in _nodes(lines))
    for caller, target, status, url in lines:
        style = ", style=dashed" if status in _UNMIRRORED else ""
        label = _dot_text(_label(status, url))
        out.append(f"  {_dot_text(caller)} -> {_dot_text(target)} [label={label}{style}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nodes(lines: list[tuple[str, str, EdgeStatus, bool]]) -> list[str]:
    names: dict[str, None] = {}
    for caller, target, _, _ in lines:
        names.setdefault(caller)
        names.setdefault(target)
    return list(names)
