"""Policy sources: every way a template attaches an identity policy to a caller's role.

Each module yields `PolicyDocument`s for the roles of the index; the core reads
their statements the same way whatever their origin (behaviour.md section 3).
"""

from __future__ import annotations

from typing import Any

from ..conditions import CondSet
from ..model import RoleKey
from ..template import TemplateIndex


class PolicyDocument:
    """An identity policy document attached to a caller's role (slotted: see `model.Grant`)."""

    __slots__ = ("conditions", "document", "path", "role_key")

    def __init__(self, role_key: RoleKey, document: Any, path: str, conditions: CondSet) -> None:
        self.role_key = role_key
        self.document = document  # an IAM policy document: {"Statement": [...]}
        self.path = path  # where it is in the template: "Caller.Properties.Policies[0]"
        self.conditions = conditions  # the policy resource's Condition and the Fn::If branches it sits in

    def with_conditions(self, conditions: CondSet) -> PolicyDocument:
        return PolicyDocument(self.role_key, self.document, self.path, conditions)


def collect(index: TemplateIndex) -> list[PolicyDocument]:
    from . import iam_policies, iam_roles, sam_connectors, sam_destinations, sam_policies

    docs: list[PolicyDocument] = []
    for source in (sam_policies, sam_connectors, sam_destinations, iam_roles, iam_policies):
        docs.extend(source.documents(index))
    return docs


def invoke_document(resource: Any) -> dict[str, Any]:
    """A one-statement document allowing lambda:InvokeFunction on `resource` (what SAM generates)."""
    return {"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}]}


def as_list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else [node]
