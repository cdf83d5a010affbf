"""Policy sources: every way a template attaches an identity policy to a caller's role.

Each module yields `PolicyDocument`s for the roles of the index; the core reads
their statements the same way whatever their origin (behaviour.md section 3).
A new source is a module with a `documents(index)` function (the `PolicySource`
protocol), listed once in `SOURCES`.
"""

from __future__ import annotations

from ..template import TemplateIndex
from . import iam_policies, iam_roles, sam_connectors, sam_destinations, sam_policies
from .base import PolicyDocument, PolicySource

SOURCES: tuple[PolicySource, ...] = (sam_policies, sam_connectors, sam_destinations, iam_roles, iam_policies)


def collect(index: TemplateIndex) -> list[PolicyDocument]:
    """The documents of every source, in the order of `SOURCES`; the one place where a resource's
    `Metadata.AutoInvokePermission.Skip` drops the documents it holds."""
    skipped = index.skipped
    docs: list[PolicyDocument] = []
    for source in SOURCES:
        if not skipped:
            docs.extend(source.documents(index))
            continue
        docs.extend(d for d in source.documents(index) if not any(rid in skipped for rid in d.held_by))
    return docs


__all__ = ["SOURCES", "PolicyDocument", "PolicySource", "collect"]
