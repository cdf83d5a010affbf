"""SAM connectors with a Lambda destination and `Write`: embedded `Connectors` on a function
(SAM or plain Lambda) and `AWS::Serverless::Connector` resources.

SAM generates only an identity policy (an `AWS::IAM::ManagedPolicy` on the source's role)
allowing `lambda:InvokeFunction` on the destination's unqualified ARN.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..conditions import NO_CONDITIONS, CondSet, and_conditions, condition_of
from ..model import RoleKey
from ..paths import TemplatePath
from ..template import FUNCTION_TYPES, TemplateIndex, properties
from . import PolicyDocument, as_list, invoke_document

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONNECTOR = "AWS::Serverless::Connector"


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    # the functions of this deploy with embedded connectors: from the index's list of the resources
    # that have some, rather than a look at every function
    functions = index.functions
    with_connectors = [rid for rid in index.connector_holders if rid in functions]
    for rid in sorted([*index.of_type.get(CONNECTOR, ()), *with_connectors]):
        res = index.resources[rid]
        if res.get("Type") == CONNECTOR:
            props = properties(res)
            yield from _connector(
                index, rid, props.get("Source"), props, TemplatePath.of(rid, "Properties"), condition_of(res)
            )
        elif isinstance(res.get("Connectors"), dict):
            for name in sorted(res["Connectors"]):
                # SAM copies the embedded connector's own attributes (its Condition) onto the managed
                # policy it generates (translator._get_generated_connector, SamConnector's
                # resource_attributes); the source's Condition reaches the grant through its role
                embedded = res["Connectors"][name]
                props = properties(embedded)
                path = TemplatePath.of(rid, "Connectors", name, "Properties")
                yield from _connector(index, rid, {"Id": rid}, props, path, condition_of(embedded))


def _connector(
    index: TemplateIndex, rid: str, source: Any, props: Mapping[str, Any], path: TemplatePath, conds: CondSet
) -> Iterator[PolicyDocument]:
    """`rid`: the connector, or the function that embeds it."""
    permissions = props.get("Permissions")
    if not (isinstance(permissions, list) and "Write" in permissions):
        return
    roles = _source_roles(index, source)
    if not roles:
        return
    destinations = props.get("Destination")
    many = isinstance(destinations, list)
    for i, dest in enumerate(as_list(destinations)):
        resource = _destination_arn(index, dest)
        if resource is None:
            continue
        dest_path = path / "Destination" / i if many else path / "Destination"
        for key, role_conds in roles:
            document = invoke_document(resource)
            yield PolicyDocument(key, document, dest_path, and_conditions(conds, role_conds), (rid,))


def _source_roles(index: TemplateIndex, source: Any) -> list[tuple[RoleKey, CondSet]]:
    if not isinstance(source, dict):
        return []
    if isinstance(source.get("Id"), str):
        return index.function_roles.get(source["Id"], [])
    if source.get("Type") in FUNCTION_TYPES and source.get("RoleName") is not None:
        key = index.role_key_for_attachment(source["RoleName"])
        return [(key, NO_CONDITIONS)] if key is not None else []
    return []


def _destination_arn(index: TemplateIndex, dest: Any) -> Any:
    if not isinstance(dest, dict):
        return None
    if isinstance(dest.get("Id"), str):
        return {"Fn::GetAtt": [dest["Id"], "Arn"]} if dest["Id"] in index.functions else None
    if dest.get("Type") in FUNCTION_TYPES and dest.get("Arn") is not None:
        return dest["Arn"]
    return None
