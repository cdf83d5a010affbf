"""AWS::IAM::Policy and AWS::IAM::ManagedPolicy (`Roles`), AWS::IAM::RolePolicy (`RoleName`).

Attached by `Ref` of a role (SAM's generated `<Function>Role` included) or by a role's literal name.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..resolver import and_conditions, condition_of, if_branches
from ..template import MANAGED_POLICY, TemplateIndex, properties
from . import PolicyDocument, as_list

ROLES_PROPERTY = {
    "AWS::IAM::Policy": "Roles",
    MANAGED_POLICY: "Roles",
    "AWS::IAM::RolePolicy": "RoleName",
}


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    for pid in index.resources_of_type(*ROLES_PROPERTY):
        res = index.resources[pid]
        props = properties(res)
        prop = ROLES_PROPERTY[res["Type"]]
        seen: set[str] = set()
        for entry in as_list(props.get(prop, [])):
            for node, conds in if_branches(entry):
                if node is None:
                    continue
                key = index.role_key_for_attachment(node)
                if key is None or key in seen:
                    continue
                seen.add(key)
                yield PolicyDocument(
                    key,
                    props.get("PolicyDocument"),
                    f"{pid}.Properties.PolicyDocument",
                    and_conditions(conds, condition_of(res)),
                    (pid,),
                )
