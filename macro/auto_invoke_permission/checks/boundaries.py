"""A role's permissions boundary caps what it may do (AIP133)."""

from __future__ import annotations

from ..findings import Finding
from ..grants import covered_forms
from ..model import CalleeForm, RoleKey
from ..paths import TemplatePath
from ..statements import Problem, invoke_statement, statements
from ..template import properties
from . import Check, Facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def permissions_boundaries(facts: Facts) -> list[Finding]:
    """When the boundary is a managed policy of the template that allows no invoke on a granted
    callee, the call is denied whatever the grant and the injected permission say (AIP133).
    Boundaries outside the template cannot be read: no finding."""
    index = facts.template
    allowed_by_role: dict[RoleKey, tuple[str, set[CalleeForm]]] = {}
    for key, role in index.roles.items():
        if role.sam_function is not None:
            boundary = index.functions[role.sam_function].properties.get("PermissionsBoundary")
        elif role.resource is not None:
            boundary = properties(role.resource).get("PermissionsBoundary")
        else:
            continue
        policy_id = index.managed_policy_of(boundary) if boundary is not None else None
        if policy_id is None:
            continue
        document = properties(index.resources[policy_id]).get("PolicyDocument")
        allowed = _boundary_allows(
            facts, document, TemplatePath.of(policy_id, "Properties", "PolicyDocument")
        )
        if allowed is not None:
            allowed_by_role[key] = (policy_id, allowed)
    findings: list[Finding] = []
    if not allowed_by_role:
        return findings
    for grant in facts.grants:
        entry = allowed_by_role.get(grant.principal.key)
        if entry is not None and grant.callee not in entry[1]:
            message = (
                f"the permissions boundary {entry[0]} of {grant.principal.label} allows no "
                f"lambda:InvokeFunction on {grant.callee.label}"
            )
            findings.append(Finding.at("AIP133", grant.path, message))
    return findings


def _boundary_allows(facts: Facts, document: Any, path: TemplatePath) -> set[CalleeForm] | None:
    """The callee forms a boundary allows invoking; None when it allows all of them or cannot be read."""
    allowed: set[CalleeForm] = set()
    resolver = facts.template.resolver
    for item in statements(document, path, resolver):
        if isinstance(item, Problem):
            return None
        parsed = invoke_statement(item, resolver)
        if parsed is None or isinstance(parsed, Problem) or parsed.effect != "Allow":
            continue  # (a Deny in a boundary only narrows it further: staying silent is the safe side)
        if parsed.not_resource or parsed.has_condition:
            return None
        forms = covered_forms(facts.template, facts.classifier, parsed.resources)
        if forms is None:
            return None
        allowed |= forms
    return allowed


CHECK = Check(frozenset({"AIP133"}), permissions_boundaries)
