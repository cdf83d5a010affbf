"""AWS::IAM::Policy and AWS::IAM::ManagedPolicy (`Roles`), AWS::IAM::RolePolicy (`RoleName`).

Attached by `Ref` of a role (SAM's generated `<Function>Role` included) or by a role's literal name.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..conditions import UndefinedCondition, and_conditions, condition_of, if_branches
from ..model import RoleKey
from ..paths import TemplatePath
from ..template import MANAGED_POLICY, TemplateIndex, properties
from . import PolicyDocument, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

USERS_PROPERTY = {  # read for diagnosis only (`TemplateIndex.every_principal`)
    "AWS::IAM::Policy": "Users",
    MANAGED_POLICY: "Users",
    "AWS::IAM::UserPolicy": "UserName",
}
ROLES_PROPERTY = {
    "AWS::IAM::Policy": "Roles",
    MANAGED_POLICY: "Roles",
    "AWS::IAM::RolePolicy": "RoleName",
}


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    yield from role_documents(index)
    yield from user_documents(index)


def role_documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    for pid in index.resources_of_type(*ROLES_PROPERTY):
        res = index.resources[pid]
        props = properties(res)
        prop = ROLES_PROPERTY[res["Type"]]
        seen: set[RoleKey] = set()
        entries = props.get(prop, [])
        for i, entry in enumerate(as_list(entries)):
            branches = if_branches(entry, index.resolver.conditions)
            if any(isinstance(node, UndefinedCondition) for node, _ in branches):
                # for each role it may name, the statement reader reports the entry; nothing is read
                path = TemplatePath.of(pid, "Properties", prop)
                if isinstance(entries, list):
                    path /= i
                for named in _named_roles(index, entry):
                    yield PolicyDocument(named, entry, path, condition_of(res), (pid,))
                continue
            for node, conds in branches:
                if node is None:
                    continue
                key = index.role_key_for_attachment(node)
                if key is None or key in seen:
                    continue
                seen.add(key)
                yield PolicyDocument(
                    key,
                    props.get("PolicyDocument"),
                    TemplatePath.of(pid, "Properties", "PolicyDocument"),
                    and_conditions(conds, condition_of(res)),
                    (pid,),
                )


def user_documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    """The policies attached to the template's IAM users by `Ref`, when the index holds every
    principal (an IAM user may be the caller a denial names)."""
    for pid in index.resources_of_type(*USERS_PROPERTY) if index.every_principal else ():
        res = index.resources[pid]
        props = properties(res)
        for entry in as_list(props.get(USERS_PROPERTY[res["Type"]], [])):
            for node, conds in if_branches(entry, index.resolver.conditions):
                key = None if isinstance(node, UndefinedCondition) else index.user_key_for_attachment(node)
                if key is not None:
                    path = TemplatePath.of(pid, "Properties", "PolicyDocument")
                    conditions = and_conditions(conds, condition_of(res))
                    yield PolicyDocument(key, props.get("PolicyDocument"), path, conditions, (pid,))


def _named_roles(index: TemplateIndex, entry: Any) -> list[RoleKey]:
    """The caller roles any branch of an entry names, whatever its Fn::If conditions."""
    keys = (index.role_key_for_attachment(node) for node, _ in if_branches(entry, None) if node is not None)
    return sorted({key for key in keys if key is not None})
