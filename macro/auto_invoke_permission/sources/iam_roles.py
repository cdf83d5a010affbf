"""AWS::IAM::Role: inline `Policies`, and `ManagedPolicyArns` (template or known AWS managed policies)."""

from __future__ import annotations

from collections.abc import Iterator

from ..conditions import UndefinedCondition, and_conditions, condition_of, if_branches
from ..model import RoleKey
from ..paths import TemplatePath
from ..template import TemplateIndex, properties, role_id_order
from . import PolicyDocument, as_list, invoke_document
from .aws_managed import wildcard_policy_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    own = [(key, role) for key, role in index.roles.items() if role.resource is not None]
    for key, role in sorted(own, key=role_id_order):  # roles of the template only
        if role.principal.role is None:
            continue
        rid = role.principal.role
        props = properties(role.resource)
        for i, item in enumerate(as_list(props.get("Policies", []))):
            for policy, conds in if_branches(item, index.resolver.conditions):
                if isinstance(policy, UndefinedCondition):  # the statement reader reports it
                    yield PolicyDocument(
                        key, item, TemplatePath.of(rid, "Properties", "Policies", i), conds, (rid,)
                    )
                elif isinstance(policy, dict) and "PolicyDocument" in policy:
                    path = TemplatePath.of(rid, "Properties", "Policies", i, "PolicyDocument")
                    yield PolicyDocument(key, policy["PolicyDocument"], path, conds, (rid,))
        for i, item in enumerate(as_list(props.get("ManagedPolicyArns", []))):
            path = TemplatePath.of(rid, "Properties", "ManagedPolicyArns", i)
            yield from managed_policy_documents(index, key, item, path, (rid,))


def managed_policy_documents(
    index: TemplateIndex, role_key: RoleKey, item: Any, path: TemplatePath, held_by: tuple[str, ...] = ()
) -> Iterator[PolicyDocument]:
    """A managed policy named in a role: a template AWS::IAM::ManagedPolicy, or an AWS managed one.
    `held_by`: the resources that name it (the role)."""
    for node, conds in if_branches(item, index.resolver.conditions):
        if node is None:
            continue
        if isinstance(node, UndefinedCondition):  # the statement reader reports it
            yield PolicyDocument(role_key, item, path, conds, held_by)
            continue
        policy_id = index.managed_policy_of(node)
        if policy_id is not None:
            res = index.resources[policy_id]
            doc = properties(res).get("PolicyDocument")
            yield PolicyDocument(
                role_key,
                doc,
                TemplatePath.of(policy_id, "Properties", "PolicyDocument"),
                and_conditions(conds, condition_of(res)),
                (*held_by, policy_id),
            )
            continue
        if wildcard_policy_name(node, index.resolver):
            yield PolicyDocument(role_key, invoke_document("*"), path, conds, held_by)
