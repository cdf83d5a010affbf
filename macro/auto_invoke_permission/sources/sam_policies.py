"""SAM `Policies` of an `AWS::Serverless::Function` (transform listed before SAM).

A string, a mapping or a list; items are inline documents, policy templates
(`LambdaInvokePolicy`), AWS managed policy names or ARNs, `Ref`s of template
managed policies, and `Fn::If`s of those. SAM ignores `Policies` when `Role` is
set, so only functions whose role SAM generates are read here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..conditions import NO_CONDITIONS, CondSet, UndefinedCondition, if_branches
from ..model import RoleKey
from ..paths import TemplatePath
from ..template import TemplateIndex
from . import PolicyDocument, as_list, invoke_document
from .aws_managed import wildcard_policy_name
from .iam_roles import managed_policy_documents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# SAM's LambdaInvokePolicy template (policy_templates.json): the name with a trailing `*`
LAMBDA_INVOKE_RESOURCE = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*"
)


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    for key, fn in index.sam_generated_roles:
        policies = fn.properties.get("Policies")
        if policies is None:
            continue
        fid = fn.logical_id
        if not isinstance(policies, list):
            yield from _policy_documents(index, key, policies, TemplatePath.of(fid, "Properties", "Policies"))
            continue
        for i, item in enumerate(policies):
            path = TemplatePath((fid, "Properties", "Policies", i))
            if isinstance(item, dict) and "Statement" in item:  # the commonest item: an inline document
                yield PolicyDocument(key, item, path, NO_CONDITIONS)
            elif isinstance(item, str) or (
                isinstance(item, dict) and len(item) == 1 and "Fn::If" not in item and "Ref" not in item
            ):  # a managed policy's name, a policy template: no Fn::If to split, nor AWS::NoValue
                yield from _item_documents(index, key, item, path, NO_CONDITIONS)
            else:
                yield from _policy_documents(index, key, item, path)


def _policy_documents(
    index: TemplateIndex, role_key: RoleKey, item: Any, path: TemplatePath
) -> Iterator[PolicyDocument]:
    """One item of `Policies` (or `Policies` itself when it is no list), split on Fn::If."""
    for node, conds in if_branches(item, index.resolver.conditions):
        if isinstance(node, UndefinedCondition):  # the statement reader reports it
            yield PolicyDocument(role_key, item, path, conds)
        elif node is not None:
            yield from _item_documents(index, role_key, node, path, conds)


def _item_documents(
    index: TemplateIndex, role_key: RoleKey, node: Any, path: TemplatePath, conds: CondSet
) -> Iterator[PolicyDocument]:
    if isinstance(node, dict) and "Statement" in node:
        yield PolicyDocument(role_key, node, path, conds)
        return
    if isinstance(node, dict) and len(node) == 1:
        name, params = next(iter(node.items()))
        if name == "Fn::If":  # nested past the branching depth: let the statement reader report it
            yield PolicyDocument(role_key, node, path, conds)
            return
        if name == "LambdaInvokePolicy":
            function_name = params.get("FunctionName") if isinstance(params, dict) else None
            resource = {"Fn::Sub": [LAMBDA_INVOKE_RESOURCE, {"functionName": function_name}]}
            yield PolicyDocument(role_key, invoke_document(resource), path / "LambdaInvokePolicy", conds)
            return
        if not name.startswith(("Ref", "Fn::")):
            return  # another policy template: none of them grants lambda:InvokeFunction
    if isinstance(node, str):  # an AWS managed policy, by name or ARN
        if wildcard_policy_name(node, index.resolver):
            yield PolicyDocument(role_key, invoke_document("*"), path, conds)
        return
    for item in as_list(node):
        for doc in managed_policy_documents(index, role_key, item, path):
            yield doc.with_conditions(doc.conditions | conds) if conds else doc
