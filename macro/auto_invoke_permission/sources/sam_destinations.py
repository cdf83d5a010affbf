"""SAM `EventInvokeConfig` destinations of `Type: Lambda`.

SAM adds `lambda:InvokeFunction` on the destination to the function's generated
role, and Lambda calls the destination with that role (only when SAM generates
the role: with `Role` set it adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..conditions import NO_CONDITIONS
from ..paths import TemplatePath
from ..template import TemplateIndex
from . import PolicyDocument, invoke_document


def documents(index: TemplateIndex) -> Iterator[PolicyDocument]:
    for key, fn in index.sam_generated_roles:
        config = fn.properties.get("EventInvokeConfig")
        if config is None:  # most functions
            continue
        destinations = config.get("DestinationConfig") if isinstance(config, dict) else None
        if not isinstance(destinations, dict):
            continue
        for outcome in ("OnSuccess", "OnFailure"):
            dest = destinations.get(outcome)
            if (
                isinstance(dest, dict)
                and dest.get("Type") == "Lambda"
                and dest.get("Destination") is not None
            ):
                path = TemplatePath.of(
                    fn.logical_id,
                    "Properties",
                    "EventInvokeConfig",
                    "DestinationConfig",
                    outcome,
                    "Destination",
                )
                yield PolicyDocument(key, invoke_document(dest["Destination"]), path, NO_CONDITIONS)
