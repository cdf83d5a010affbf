"""Hand-checked caller -> callee edges of the public corpus (../shared/corpus/EDGES.tsv).

In both transform orders (the raw template, and for SAM templates the SAM
translator's output):

* a callee that is a logical ID of the template gets its permission, with the
  caller's execution role as principal (a role caller is its own principal);
  a grant that covers the unqualified ARN (a plain ARN, a `NAME*` prefix) gives
  the unqualified permission, and a `NAME*` or `ARN:*` grant also one per
  AutoPublishAlias of the callee;
* an EXTERNAL callee gives a finding AIP111-AIP114, a WILDCARD one AIP110, a
  PARAMETER one AIP115, on the caller, its role or a policy attached to them,
  and no permission comes from that statement.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from auto_invoke_permission.model import TransformResult
from corpus_support import (
    CORPUS,
    format_problems,
    is_sam,
    load_template,
    permission_keys,
    principal_of,
    read_tsv,
    resources_of,
    run_core,
    sam_translate,
    without_transform,
)

pytestmark = pytest.mark.corpus

EDGES = CORPUS / "EDGES.tsv"
if not EDGES.is_file():
    pytest.skip(f"corpus edges not found at {EDGES}", allow_module_level=True)

FINDING_CODES = {
    "EXTERNAL": {"AIP111", "AIP112", "AIP113", "AIP114"},
    "WILDCARD": {"AIP110"},
    "PARAMETER": {"AIP115"},
}

# (template, order, caller, first word of the callee) of edges the core currently gets wrong,
# waiting for a fix. Remove entries as they are fixed (the test fails on an entry that passes).
KNOWN_PROBLEMS: set[tuple[str, str, str, str]] = set()


@dataclass(frozen=True)
class Edge:
    template: str
    caller: str
    callee: str  # the callee column as written
    qualified: str

    @property
    def kind(self) -> str:
        """EXTERNAL, WILDCARD, PARAMETER, or LOCAL (a logical ID, or an Fn::If over logical IDs)."""
        first = self.callee.split()[0]
        return first if first in FINDING_CODES else "LOCAL"

    def local_callees(self, resources: Mapping[str, Any]) -> list[str]:
        """The logical IDs the callee column names: its first word, or the functions an Fn::If picks."""
        first = self.callee.split()[0]
        if first in resources:
            return [first]
        return [n for n in re.findall(r"GetAtt (\w+)\.Arn", self.callee) if n in resources]


def _edges() -> list[Edge]:
    return [
        Edge(e["local_file"], e["caller_logical_id"], e["callee"], e["qualified"]) for e in read_tsv(EDGES)
    ]


def _orders(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The raw template, and the SAM translator's output unless SAM rejects the template offline."""
    orders = [("raw", without_transform(template))]
    if is_sam(template):
        # SAM may reject it offline, e.g. a DefinitionBody from AWS::Include, which only a deploy expands
        with contextlib.suppress(Exception):
            orders.append(("sam", without_transform(sam_translate(template))))
    return orders


def _related(fragment: Mapping[str, Any], caller: str, principal: str) -> set[str]:
    """The caller, its role, and every resource that refers to either (policies, connectors)."""
    names = {caller, principal}
    out = set(names)
    for rid, resource in resources_of(fragment).items():
        text = json.dumps(resource)
        if any(f'"{n}"' in text or "${" + n + "}" in text or f'"{n}.' in text for n in names):
            out.add(rid)
    return out


def _unset_parameters(edge: Edge, template: Mapping[str, Any]) -> list[str]:
    """Parameters without a Default that the callee column refers to as `${Name}`."""
    parameters = template.get("Parameters") or {}
    return [
        name
        for name in re.findall(r"\$\{(\w+)\}", edge.callee)
        if isinstance(parameters.get(name), Mapping) and "Default" not in parameters[name]
    ]


def _expected_qualifiers(edge: Edge, callee: str, resources: Mapping[str, Any]) -> set[str | None]:
    props = resources[callee].get("Properties") or {}
    alias = (
        props.get("AutoPublishAlias")
        if resources[callee].get("Type") == "AWS::Serverless::Function"
        else None
    )
    out: set[str | None] = set()
    if edge.qualified.startswith(("unqualified", "name-prefix")):
        out.add(None)
    if isinstance(alias, str) and ("name-prefix" in edge.qualified or ":*" in edge.qualified):
        out.add(alias)
    return out


def _check_edge(edge: Edge, template: dict[str, Any], order: str, fragment: dict[str, Any]) -> list[str]:
    try:
        result = run_core(fragment)
    except Exception as error:
        return [f"the core failed: {type(error).__name__}: {str(error)[:200]}"]
    principal = principal_of(template, edge.caller)
    if edge.kind == "LOCAL":
        return _local_edge_problems(edge, template, principal, permission_keys(fragment, result.fragment))
    return _finding_edge_problems(edge, template, fragment, principal, result)


def _local_edge_problems(edge: Edge, template: dict[str, Any], principal: str, got: set[Any]) -> list[str]:
    """A permission for every callee (and qualifier) the labelled local edge names."""
    resources = resources_of(template)
    callees = edge.local_callees(resources)
    if not callees:
        return [f"the callee {edge.callee!r} names no resource of the template (label error?)"]
    problems = []
    for callee in callees:
        for qualifier in sorted(_expected_qualifiers(edge, callee, resources), key=str):
            if (callee, qualifier, principal) not in got:
                near = sorted({k for k in got if k[0] == callee or k[2] == principal}, key=str)
                problems.append(
                    f"no permission {callee}:{qualifier or '(unqualified)'} <- {principal}; near {near}"
                )
    return problems


def _finding_edge_problems(
    edge: Edge, template: dict[str, Any], fragment: dict[str, Any], principal: str, result: TransformResult
) -> list[str]:
    """The finding the labelled kind calls for, and no permission from the statement it flags."""
    codes = set(FINDING_CODES[edge.kind])
    if edge.kind == "EXTERNAL" and _unset_parameters(edge, template):
        # The ARN is built from parameters that have no value before the deploy (the event carries none
        # here): the macro cannot see the account or region, and says so (docs/design/behaviour.md section 4).
        codes.add("AIP115")
    related = _related(fragment, edge.caller, principal)
    matching = [f for f in result.findings if f.code in codes and f.resource in related]
    if not matching:
        seen = sorted({(f.code, f.resource) for f in result.findings if f.resource in related})
        return [f"no {'/'.join(sorted(codes))} finding for {principal}; its findings: {seen}"]
    problems = []
    for finding in matching:
        if re.search(r"\.Resource\[\d+\]$", finding.path):
            continue  # a list of Resources: other entries of the statement may name local callees
        for permission in result.added:
            if permission.principal.role == principal and any(
                finding.path.startswith(g + ".") for g in permission.grants
            ):
                problems.append(f"{permission.logical_id} comes from {finding.code} at {finding.path}")
    return problems


@pytest.fixture(scope="module")
def checked() -> list[tuple[Edge, str, list[str]]]:
    out: list[tuple[Edge, str, list[str]]] = []
    cache: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {}
    for edge in _edges():
        if edge.template not in cache:
            template = load_template(CORPUS / edge.template)
            cache[edge.template] = (template, _orders(template))
        template, orders = cache[edge.template]
        for order, fragment in orders:
            out.append((edge, order, _check_edge(edge, template, order, fragment)))
    local = [(e, o, p) for e, o, p in out if e.kind == "LOCAL"]
    print(
        f"\nedges: {len(out)} (edge, order) checks; local-callee recall "
        f"{sum(not p for _, _, p in local)}/{len(local)}; findings "
        f"{sum(not p for e, _, p in out if e.kind != 'LOCAL')}/{len(out) - len(local)}"
    )
    return out


def test_labelled_edges(checked: list[tuple[Edge, str, list[str]]]) -> None:
    assert checked, "EDGES.tsv lists no edges"
    failing = set()
    problems = []
    for edge, order, found in checked:
        key = (edge.template, order, edge.caller, edge.callee.split()[0])
        if found:
            failing.add(key)
            if key not in KNOWN_PROBLEMS:
                problems += [
                    f"{edge.template} [{order}] {edge.caller} -> {edge.callee[:60]}: {p}" for p in found
                ]
    problems += [f"fixed (remove it from KNOWN_PROBLEMS): {k}" for k in sorted(KNOWN_PROBLEMS - failing)]
    assert not problems, format_problems(problems)
