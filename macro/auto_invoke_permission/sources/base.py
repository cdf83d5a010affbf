"""What a policy source is and what it yields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..resolver import CondSet
from ..template import TemplateIndex


class PolicyDocument:
    """An identity policy document attached to a caller's role (slotted: see `model.Grant`)."""

    __slots__ = ("conditions", "document", "held_by", "path", "role_key")

    def __init__(
        self, role_key: str, document: Any, path: str, conditions: CondSet, held_by: tuple[str, ...] = ()
    ) -> None:
        self.role_key = role_key
        self.document = document  # an IAM policy document: {"Statement": [...]}
        self.path = path  # where it is in the template: "Caller.Properties.Policies[0]"
        self.conditions = conditions  # the policy resource's Condition and the Fn::If branches it sits in
        # the resources the document comes from (role, policy...): `collect` drops it when one is skipped
        self.held_by = held_by

    def with_conditions(self, conditions: CondSet) -> PolicyDocument:
        return PolicyDocument(self.role_key, self.document, self.path, conditions, self.held_by)


class PolicySource(Protocol):
    """One way a template attaches identity policies to callers' roles: a module of `sources/` with
    a `documents` function, listed in `sources.SOURCES`."""

    def documents(self, index: TemplateIndex) -> Iterable[PolicyDocument]: ...


def invoke_document(resource: Any) -> dict[str, Any]:
    """A one-statement document allowing lambda:InvokeFunction on `resource` (what SAM generates)."""
    return {"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}]}


def as_list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else [node]
