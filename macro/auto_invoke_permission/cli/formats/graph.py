"""`autoinvoke graph`: who invokes whom, drawn from the core's edges.

One arrow per (caller, target, status): functions that share a role each get
their own arrow, so the picture names functions, not roles. Arrows whose grant
was not mirrored (external, wildcard, broken) are dashed. A permission for calls
through the callee's function URL is its own arrow, labelled `<status> (url)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ...findings import EdgeStatus
from ...model import Edge
from .written import as_written

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from ...diagnose.together import CrossEdge, Stack

    GraphFormat = Literal["mermaid", "dot", "text"]
else:
    GraphFormat = str
GRAPH_FORMATS: tuple[GraphFormat, ...] = ("mermaid", "dot", "text")

# Edges that stand for a grant with no permission behind it.
_UNMIRRORED = frozenset({EdgeStatus.EXTERNAL, EdgeStatus.WILDCARD, EdgeStatus.BROKEN})


URL_MARK = " (url)"  # after the status of an arrow that stands for a function URL permission


def arrows(edges: Iterable[Edge]) -> list[tuple[str, str, EdgeStatus, bool]]:
    """(caller, target, status, through the function URL) in the edges' order, each once."""
    seen: dict[tuple[str, str, EdgeStatus, bool], None] = {}
    for edge in edges:
        for caller in edge.callers:
            seen.setdefault((caller, as_written(edge.target), edge.status, edge.url))
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
    out.extend(_dot_body(lines, "  ", ""))
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_body(lines: list[tuple[str, str, EdgeStatus, bool]], indent: str, prefix: str) -> list[str]:
    """Nodes and arrows; with a `prefix`, node ids are `prefix + name`, labelled with the name."""
    if prefix:
        out = [f"{indent}{_dot_text(prefix + name)} [label={_dot_text(name)}];" for name in _nodes(lines)]
    else:
        out = [f"{indent}{_dot_text(name)};" for name in _nodes(lines)]
    for caller, target, status, url in lines:
        style = ", style=dashed" if status in _UNMIRRORED else ""
        label = _dot_text(_label(status, url))
        source, sink = _dot_text(prefix + caller), _dot_text(prefix + target)
        out.append(f"{indent}{source} -> {sink} [label={label}{style}];")
    return out


def render_dot_clusters(graphs: Sequence[tuple[str, Sequence[Edge]]]) -> str:
    """Several templates as one DOT graph: a `subgraph cluster_N` per template, labelled with its
    path; node ids carry the cluster's number, so the same logical ID in two templates stays two."""
    out = ["digraph autoinvoke {", "  rankdir=LR;", "  node [shape=box];"]
    for number, (path, edges) in enumerate(graphs):
        out.append(f"  subgraph cluster_{number} {{")
        out.append(f"    label={_dot_text(path)};")
        out.extend(_dot_body(arrows(edges), "    ", f"{number}:"))
        out.append("  }")
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


# ------------------------------------------------------------------ several stacks (graph --together)
def _node_id(stack: int, name: str) -> str:
    return f"s{stack}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def render_mermaid(stacks: Sequence[Stack], edges: Sequence[CrossEdge]) -> str:
    """One subgraph per stack with the functions the edges touch; an arrow per edge."""
    position = {id(s): i for i, s in enumerate(stacks)}
    by_path = {s.path: s for s in stacks}
    used: dict[int, set[str]] = {}
    arrows: list[str] = []
    for e in edges:
        caller = by_path[e.caller_path]
        target = e.form.label if e.form is not None else e.via
        target_stack = position[id(e.callee)] if e.callee is not None else len(stacks)
        for name in e.callers or ("?",):
            used.setdefault(position[id(caller)], set()).add(name)
            used.setdefault(target_stack, set()).add(target)
            line = "-->" if e.status() == "allowed" else "-.->"
            source, sink = _node_id(position[id(caller)], name), _node_id(target_stack, target)
            arrows.append(f"  {source} {line}|{e.status()}| {sink}")
    lines = ["flowchart LR"]
    for i, stack in enumerate(stacks):
        lines.append(f'  subgraph s{i}["{stack.name} ({stack.account})"]')
        lines.extend(f'    {_node_id(i, n)}["{n}"]' for n in sorted(used.get(i, ())))
        lines.append("  end")
    if len(stacks) in used:
        lines.append(f'  subgraph s{len(stacks)}["not among the templates"]')
        lines.extend(f'    {_node_id(len(stacks), n)}["{n}"]' for n in sorted(used[len(stacks)]))
        lines.append("  end")
    return "\n".join([*lines, *sorted(dict.fromkeys(arrows))]) + "\n"
