"""Policy sources: every way a template attaches an identity policy to a caller's role.

Each module yields `PolicyDocument`s for the roles of the index; the core reads
their statements the same way whatever their origin (behaviour.md section 3).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..resolver import CondSet
from ..template import TemplateIndex


class PolicyDocument(NamedTuple):
    role_key: str
    document: Any  # an IAM policy document: {"Statement": [...]}
    path: str  # where it is in the template: "Caller.Properties.Policies[0]"
    conditions: CondSet  # the policy resource's Condition and the Fn::If branches it sits in


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
