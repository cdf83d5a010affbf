"""Policy sources: every way a template attaches an identity policy to a caller's role.

Each module yields `PolicyDocument`s for the roles of the index; the core reads
their statements the same way whatever their origin (docs/design/behaviour.md section 3).
A new source is a module with a `documents(index)` function (the `PolicySource`
protocol), listed once in `registered`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..conditions import CondSet, decided_false
from ..model import INVOKE_FUNCTION, RoleKey
from ..paths import TemplatePath
from ..template import TemplateIndex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class PolicySource(Protocol):
        """One way a template attaches identity policies to callers' roles: a module of `sources/`
        with a `documents` function, listed in `registered`."""

        def documents(self, index: TemplateIndex) -> Iterable[PolicyDocument]: ...


class PolicyDocument:
    """An identity policy document attached to a caller's role (slotted: see `model.Grant`)."""

    __slots__ = ("conditions", "document", "held_by", "path", "role_key")

    def __init__(
        self,
        role_key: RoleKey,
        document: Any,
        path: TemplatePath,
        conditions: CondSet,
        held_by: tuple[str, ...] = (),
    ) -> None:
        self.role_key = role_key
        self.document = document  # an IAM policy document: {"Statement": [...]}
        self.path = path  # where it is in the template: Caller.Properties.Policies[0]
        self.conditions = conditions  # the policy resource's Condition and the Fn::If branches it sits in
        # the resources the document comes from (role, policy...): `collect` drops it when one is skipped
        self.held_by = held_by

    def with_conditions(self, conditions: CondSet) -> PolicyDocument:
        return PolicyDocument(self.role_key, self.document, self.path, conditions, self.held_by)


def invoke_document(resource: Any) -> dict[str, Any]:
    """A one-statement document allowing lambda:InvokeFunction on `resource` (what SAM generates)."""
    return {"Statement": [{"Effect": "Allow", "Action": INVOKE_FUNCTION, "Resource": resource}]}


def as_list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else [node]


def registered() -> tuple[PolicySource, ...]:
    """The policy sources, in the order their documents are read. Imported on first use, as the
    modules import this package (and the handler's cold import stays small: `make bench` (d))."""
    from . import iam_policies, iam_roles, sam_connectors, sam_destinations, sam_policies

    return (sam_policies, sam_connectors, sam_destinations, iam_roles, iam_policies)


def collect(index: TemplateIndex) -> list[PolicyDocument]:
    """The documents of every source, in the order of `registered`; the one place where a resource's
    `Metadata.AutoInvokePermission.Skip` drops the documents it holds, and where a document under
    a condition this deploy's values decide false (an embedded connector's `Condition`) is dropped."""
    skipped = index.skipped
    conditions = index.resolver.conditions
    docs: list[PolicyDocument] = []
    for source in registered():
        for doc in source.documents(index):
            if skipped and any(rid in skipped for rid in doc.held_by):
                continue
            if doc.conditions and decided_false(doc.conditions, conditions):
                continue
            docs.append(doc)
    return docs
